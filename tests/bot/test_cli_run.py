"""`anbot run` and `anbot sandbox` as a user runs them: subprocesses, real output."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.demo import build_demo_world
from sandbox.server import SandboxServer

CLI = "import sys; from bot.cli import app; app(sys.argv[1:])"


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANBOT_")}
    env.pop("DISCORD_TOKEN", None)
    env.update(extra)
    return env


def test_run_without_token_explains_how_to_get_one(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", CLI, "run"],
        env=_clean_env(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    text = done.stderr
    assert "DISCORD_TOKEN is not set" in text
    assert "https://discord.com/developers/applications" in text and "Reset Token" in text
    assert "Message Content" in text
    assert "bot and applications.commands" in text
    for permission in (
        "View Channels",
        "Send Messages",
        "Create Public Threads",
        "Send Messages in",
        "Manage Threads",
        "Manage Channels",
        "Read Message History",
        "Add Reactions",
        "Attach Files",
    ):
        assert permission in text
    assert "anbot sandbox" in text


async def test_rejected_token_is_reported_and_never_printed(tmp_path: Path) -> None:
    token = "wrong-token-abcdefghijklmnopqrstuvwxyz-0123456789"
    world, _demo = build_demo_world()
    async with SandboxServer(world) as server:
        env = _clean_env(
            DISCORD_TOKEN=token,
            ANBOT_DISCORD_API_BASE=server.api_base,
            ANBOT_DISCORD_GATEWAY_URL=server.gateway_url,
            ANBOT_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'anbot.db'}",
            ANBOT_LOG_LEVEL="DEBUG",
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            CLI,
            "run",
            env=env,
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await asyncio.wait_for(process.communicate(), 60)
    text = output.decode(errors="replace")
    assert process.returncode == 1, text
    assert "Discord refused the token" in text
    assert token not in text
    assert (tmp_path / "anbot.db").exists()  # the database was upgraded before connecting


@pytest.mark.slow
def test_sandbox_demo_prints_posts_comment_tree_and_export(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", CLI, "sandbox", "--seconds", "60"],
        env=_clean_env(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "Threads created in #newsletter (12):" in out
    assert "AN #56 · HARK Side of Deep Learning" in out
    assert "Comment tree of" in out
    tree = out.split("Comment tree of", 1)[1].split("Markdown export", 1)[0]
    lines = [line for line in tree.splitlines() if line.strip().startswith("- ")]
    # Rohin's reply to Charlie sits one level under it, Charlie's answer under that.
    charlie = next(i for i, line in enumerate(lines) if "Charlie Steiner: Yay" in line)
    indent = len(lines[charlie]) - len(lines[charlie].lstrip())
    assert "Rohin Shah: Fyi" in lines[charlie + 1]
    assert len(lines[charlie + 1]) - len(lines[charlie + 1].lstrip()) == indent + 2
    assert "Markdown export of that thread:" in out
    assert "# AN \\#56 · HARK Side of Deep Learning" in out
    assert "Relevant recent Andrew Gelman blog post" in out
