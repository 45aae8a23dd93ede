"""`anbot run` as a subprocess against an in-process sandbox, for crash tests."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from sandbox.demo import DemoGuild
from sandbox.server import SandboxServer

RUN = "from bot.cli import app; app(['run'])"
# The same `anbot run`, with its imports done first and started by a line on stdin: a test that
# restarts the bot many times keeps one such process warm, so a restart costs no import time
# (only one process ever gets past readline at a time).
WARM_RUN = (
    "import sys; from bot.cli import app; import bot.app, bot.feeds, bot.publish, "
    "bot.mirror, bot.commands, storage.ingest, storage.migrations; "
    "sys.stdin.readline() or sys.exit(0); app(['run'])"
)


def bot_environment(
    server: SandboxServer,
    demo: DemoGuild,
    db_url: str,
    feed_urls: list[str],
    **extra: str,
) -> dict[str, str]:
    """The process environment of `anbot run` pointed at the sandbox (no inherited ANBOT_*)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANBOT_")}
    env.update(
        DISCORD_TOKEN=server.token,
        ANBOT_DISCORD_API_BASE=server.api_base,
        ANBOT_DISCORD_GATEWAY_URL=server.gateway_url,
        ANBOT_DATABASE_URL=db_url,
        ANBOT_FEEDS=",".join(feed_urls),
        ANBOT_ALLOW_PRIVATE_FEEDS="true",  # the test feeds are served on 127.0.0.1
        ANBOT_PUBLISH_CHANNELS=f"{demo.forum_channel_id}:forum",
        ANBOT_POLL_INTERVAL="0.5",
        ANBOT_BACKFILL="1",
        ANBOT_PUBLISH_PACE="0",
        ANBOT_MOD_LOG_CHANNEL_ID=str(demo.mod_log_channel_id),
        ANBOT_LOG_LEVEL="INFO",
    )
    env.update(extra)
    return env


async def start_bot(env: dict[str, str], cwd: Path, log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-c", RUN, env=env, cwd=cwd, stdout=out, stderr=out
        )


async def stop_bot(process: asyncio.subprocess.Process | None) -> None:
    """SIGTERM (then SIGKILL) a bot this test started, if it still runs."""
    if process is None or process.returncode is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), 20)
    except TimeoutError:
        process.kill()
        await process.wait()


class WarmBots:
    """Restarts without import time: one spare `anbot run` waits, imported, for its go."""

    def __init__(self, env: dict[str, str], cwd: Path, log: Path) -> None:
        self.env, self.cwd, self.log = env, cwd, log
        self._spare: asyncio.subprocess.Process | None = None

    async def _spawn(self) -> asyncio.subprocess.Process:
        with self.log.open("ab") as out:
            return await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                WARM_RUN,
                env=self.env,
                cwd=self.cwd,
                stdin=asyncio.subprocess.PIPE,
                stdout=out,
                stderr=out,
            )

    async def start(self) -> asyncio.subprocess.Process:
        """A bot that starts running now; another is spawned to wait for the next call."""
        process = self._spare or await self._spawn()
        assert process.stdin is not None
        process.stdin.write(b"go\n")
        await process.stdin.drain()
        self._spare = await self._spawn()
        return process

    async def close(self) -> None:
        if self._spare is not None and self._spare.returncode is None:
            self._spare.kill()  # never told to go: it has not touched Discord or the database
            await self._spare.wait()
        self._spare = None
