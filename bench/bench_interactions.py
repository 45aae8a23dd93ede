"""Slash commands end to end: interaction → the bot's first response, in the sandbox.

The real AnBot (discord.py over a socket to sandbox/) answers 500 mixed commands — `/an search`
with bench_search's queries, `/an summary` of a random summary, `/an issue` of a random number,
`/an latest` — against bench_search's corpus (100k summaries by default) in SQLite. A command's
latency is the time from the sandbox dispatching INTERACTION_CREATE to the bot's interaction
callback (its answer, or its defer), one command at a time.

Target: p99 ≤ 0.05 of Discord's 3 s deadline (150 ms). Beside it, a no-op command registered
for the bench (it answers "ok" at once) over as many runs: the gateway, discord.py and sandbox
overhead every command pays, so the ratio shows what the bot's own work adds.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from tempfile import TemporaryDirectory
from typing import Any

import aiohttp
import discord
from discord import app_commands

from bench.bench_search import corpus, load, queries
from bench.common import Result
from bot.app import AnBot
from bot.config import Settings
from bot.logging import setup_logging
from sandbox.demo import build_demo_world
from sandbox.server import SandboxServer
from sandbox.testing import running_client
from storage.db import Database

DEADLINE = 3.0  # seconds Discord waits for an interaction's first response
TARGET = 0.05  # of the deadline: 150 ms


def commands(count: int, n: int, seed: int = 14) -> list[tuple[str, dict[str, Any]]]:
    """`count` mixed /an commands: 40% search, 30% summary, 20% issue, 10% latest."""
    rng = random.Random(seed)
    searches = queries(max(1, count // 2))
    out: list[tuple[str, dict[str, Any]]] = []
    for i in range(count):
        kind = rng.random()
        if kind < 0.4:
            out.append(("an search", {"query": searches[i % len(searches)]}))
        elif kind < 0.7:
            out.append(("an summary", {"title": f"id:{rng.randrange(1, n + 1)}"}))
        elif kind < 0.9:
            out.append(("an issue", {"number": str(rng.randrange(1, 174))}))
        else:
            out.append(("an latest", {"count": rng.randrange(1, 4)}))
    return out


def _noop_command() -> app_commands.Command[Any, ..., None]:
    @app_commands.command(name="bench-noop", description="Answers at once (bench baseline)")
    async def noop(interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_message("ok", ephemeral=True)

    return noop


async def _timed(server: SandboxServer, channel: int, user: int, path: str, options: Any) -> float:
    hub = server.interactions
    started = time.perf_counter()
    record = hub.command(channel, user, path, options)
    await hub.wait(record, lambda r: r.callback_type is not None, 30)
    first = time.perf_counter() - started
    await hub.settle(record, timeout=30)  # the whole answer, before the next command
    return first


def percentile(values: list[float], p: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


async def measure(n: int, count: int) -> list[Result]:
    setup_logging("WARNING")
    with TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{tmp}/bench.db")
        try:
            await db.upgrade()
            loaded = time.perf_counter()
            await load(db, *corpus(n))
            await db.analyze()
            load_s = time.perf_counter() - loaded
            world, demo = build_demo_world()
            async with SandboxServer(world) as server, aiohttp.ClientSession() as session:
                settings = Settings(
                    _env_file=None,
                    DISCORD_TOKEN=server.token,
                    database_url=db.url.render_as_string(hide_password=False),
                    feeds=[],
                    publish_channels=[],
                    dev_guild_id=demo.guild_id,
                    discord_api_base=server.api_base,
                    discord_gateway_url=server.gateway_url,
                )

                def factory() -> AnBot:
                    bot = AnBot(
                        settings,
                        db,
                        session,
                        extensions=("bot.commands",),
                        guild_ready_timeout=0.2,
                    )
                    bot.tree.add_command(_noop_command())
                    return bot

                async with running_client(server, factory, ready_timeout=60):
                    channel, user = demo.text_channel_id, demo.alice
                    work = commands(count, n)
                    for path, options in work[:20]:  # warm-up: caches, first statements
                        await _timed(server, channel, user, path, options)
                    noop = [await _timed(server, channel, user, "bench-noop", {}) for _ in work]
                    real = [await _timed(server, channel, user, p, o) for p, o in work]
        finally:
            await db.dispose()
    p99, base = percentile(real, 99), percentile(noop, 99)
    note = (
        f"{count} commands, {n:,} summaries (loaded in {load_s:.0f} s); p50 "
        f"{percentile(real, 50) * 1e3:.1f} ms, p99 {p99 * 1e3:.1f} ms; no-op p99 "
        f"{base * 1e3:.1f} ms"
    )
    return [
        Result(f"interactions ({count} mixed)", "first response p99 / 3 s", p99, DEADLINE, "s",
               TARGET, note),
        Result(f"interactions ({count} mixed)", "first response p99 / no-op p99", p99, base, "s",
               None, note),
    ]  # fmt: skip


def run(n: int = 100_000, count: int = 500) -> list[Result]:
    return asyncio.run(measure(n, count))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100_000, help="summaries (default 100,000)")
    parser.add_argument("--commands", type=int, default=500)
    args = parser.parse_args()
    for r in run(args.n, args.commands):
        target = "" if r.target is None else f" (target ≤ {r.target})"
        print(f"{r.name}: {r.metric} = {r.ratio:.3f}×{target}; {r.note}")


if __name__ == "__main__":
    main()
