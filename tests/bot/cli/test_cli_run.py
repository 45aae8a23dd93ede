"""`anbot run` and `anbot sandbox` as a user runs them: subprocesses, real output."""

from __future__ import annotations

import asyncio
import os
import re
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


def test_unreachable_discord_says_so_in_one_line(tmp_path: Path) -> None:
    """No network, a firewall, a DNS failure: one line naming Discord and the cause."""
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done = subprocess.run(
        [sys.executable, "-c", CLI, "run"],
        env=_clean_env(
            DISCORD_TOKEN="some-token-abcdefghijklmnopqrstuvwxyz-0123456789",
            ANBOT_DISCORD_API_BASE=f"http://127.0.0.1:{port}/api/v10",
            ANBOT_DISCORD_GATEWAY_URL=f"ws://127.0.0.1:{port}/",
            ANBOT_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'anbot.db'}",
        ),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("error")]
    assert len(errors) == 1 and "Traceback" not in done.stderr
    assert errors[0].startswith(f"error: cannot reach Discord at 127.0.0.1:{port}"), errors
    assert "some-token" not in done.stderr + done.stdout


@pytest.mark.slow
def test_sandbox_demo_replies_in_the_right_threads_quietly_and_says_what_next(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", CLI, "sandbox", "--seconds", "60"],
        env=_clean_env(TMPDIR=str(tmp_path)),  # where the demo writes its export
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "voice" not in done.stderr and "WARNING" not in done.stderr, done.stderr
    out = done.stdout
    assert "Threads created in #newsletter (12):" in out
    # Each comment is in the thread of the summary it discusses, not all under HARK.
    agency = out.index("Comments in 'AN #56 · Agency Failure AI Apocalypse?' (1):")
    assert out.index("Stuart Armstrong: Relevant to Robin Hanson", agency) > agency
    training = out.index("Comments in 'AN #56 · Training human models is an unsolved problem' (3)")
    hark = out.index("Comments in 'AN #56 · HARK Side of Deep Learning")
    lines = [line for line in out[training:hark].splitlines() if line.strip().startswith("- ")]
    # Rohin's reply to Charlie sits one level under it, Charlie's answer under that.
    assert "Charlie Steiner: Yay, I'm in the thing!" in lines[0]
    indent = len(lines[0]) - len(lines[0].lstrip())
    assert "Rohin Shah: Fyi" in lines[1]
    assert len(lines[1]) - len(lines[1].lstrip()) == indent + 2
    assert out.index("commenter A: Instead of preregistering", hark) > hark
    assert "Relevant recent Andrew Gelman blog post" in out[hark:]
    assert "Stuart Armstrong" not in out[hark:]
    # The closing summary: what happened, where the export is, what to try next.
    assert "opened 12 forum threads" in out and "9 forum comments" in out
    paths = [Path(p) for p in re.findall(r"^\s+(/\S+\.(?:md|html))$", out, re.MULTILINE)]
    assert len(paths) == 2 and all(p.is_file() and tmp_path in p.parents for p in paths)
    markdown = next(p for p in paths if p.suffix == ".md").read_text("utf-8")
    assert "# AN \\#56 · HARK Side of Deep Learning" in markdown
    html = next(p for p in paths if p.suffix == ".html").read_text("utf-8")
    assert "anbot:pub" not in html and "<strong>" in html and "**" not in html
    assert "anbot sandbox --keep-running" in out
    assert "DISCORD_TOKEN" in out and "anbot run" in out
