"""Feed → forum post latency and publishing throughput, the whole bot against the sandbox.

Set-up: sandbox.server.SandboxServer with the demo world, a real AnBot (discord.py, in-process,
SQLite file) polling a feed served by feeds.localserve.serve_feed_files every `poll` seconds.
The feed starts with one old issue (recorded, not published: backfill 0).

Latency: a new AN-style issue appears (the feed server is restarted on the same port with the
new body) and we time until the first forum post of it exists in the sandbox. The bot cannot
see it before its next poll, so the budget is one poll interval plus one second of work:
ratio latency / (poll + 1 s), target ≤ 1. Measured `trials` times with 1-summary issues; the
verdict uses the slowest trial.

Throughput: one issue with 50 summaries; from its first post to its last, the time the bot
took against the least its pacing allows (Discord writes × publish_pace; writes counted in the
sandbox's call log, so split messages count). Run twice: plain, and with the sandbox answering
a few forum posts with 429 (retry_after 0.5 s) that discord.py must wait out. Target ≤ 1.25.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import itertools
import random
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web

from bench.common import Result
from bot.app import AnBot
from bot.config import Settings
from feeds.localserve import serve_feed_files
from sandbox.demo import DemoGuild, build_demo_world
from sandbox.server import SandboxServer
from sandbox.testing import running_client
from storage.db import Database

ATOM = "application/atom+xml"
FEED_PATH = "/an.atom"
WRITES = ("POST", "PATCH", "PUT")
SECTIONS = ("Technical AI alignment", "Learning human intent", "Other progress in AI")
WORDS = ("agents", "learn", "reward", "models", "from", "human", "feedback", "in", "tasks")


def issue_html(number: int, summaries: int, rng: random.Random) -> str:
    """An Alignment Newsletter e-mail body: sections as <h1>, entries in the AN layout."""
    parts = [
        "<p>Find all Alignment Newsletter resources "
        "<a href='http://rohinshah.com/alignment-newsletter/'>here</a>.</p>"
    ]
    per_section = max(1, summaries // len(SECTIONS) + 1)
    for i in range(summaries):
        if i % per_section == 0:
            parts.append(f"<h1>{SECTIONS[i // per_section]}</h1>")
        text = " ".join(rng.choices(WORDS, k=rng.randrange(40, 120)))
        parts.append(
            f'<p><a href="https://example.org/an{number}/{i}"><b>Paper {i} of issue {number}'
            f"</b></a> <i>(Author {i} et al)</i> (summarized by Rohin): {text}.</p>"
        )
    return "\n".join(parts)


def feed_xml(issues: list[tuple[int, int]], seed: int = 50) -> bytes:
    """An Atom feed, newest entry first; `issues` is (number, summaries) oldest first."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    entries = []
    for number, summaries in reversed(issues):
        when = (start + timedelta(days=7 * number)).isoformat()
        body = html.escape(issue_html(number, summaries, rng))
        entries.append(
            f"<entry><id>tag:bench,2024:an-{number}</id>"
            f"<title>[AN #{number}]: Benchmark issue {number}</title>"
            f'<link rel="alternate" href="https://example.org/an-{number}"/>'
            f"<published>{when}</published><updated>{when}</updated>"
            f'<content type="html">{body}</content></entry>'
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>Alignment Newsletter</title>'
        "<id>tag:bench,2024:feed</id><updated>2024-06-01T00:00:00Z</updated>"
        + "".join(entries)
        + "</feed>"
    ).encode()


class SwappableFeed:
    """serve_feed_files on a fixed port; `swap` restarts it there with a new body."""

    def __init__(self) -> None:
        self.runner: web.AppRunner | None = None
        self.port = 0
        self.url = ""

    async def serve(self, body: bytes) -> float:
        """Serve `body`; returns perf_counter() once the new body is being served."""
        if self.runner is not None:
            await self.runner.cleanup()
        self.runner, base = await serve_feed_files({FEED_PATH: (body, ATOM)}, port=self.port)
        self.port = int(base.rsplit(":", 1)[1])
        self.url = base + FEED_PATH
        return time.perf_counter()

    async def close(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


@dataclass(slots=True)
class Env:
    server: SandboxServer
    demo: DemoGuild
    feed: SwappableFeed

    def posts(self) -> list[dict[str, Any]]:
        return list(self.server.world.threads_in(self.demo.forum_channel_id))

    def writes(self) -> int:
        return sum(1 for c in self.server.log if c.method in WRITES and c.status < 300)


async def wait_posts(env: Env, count: int, timeout: float) -> float:  # noqa: ASYNC109
    """perf_counter() when the forum holds `count` posts (checked every 5 ms)."""
    async with asyncio.timeout(timeout):
        while len(env.posts()) < count:  # noqa: ASYNC110 - the sandbox has no event for it
            await asyncio.sleep(0.005)
    return time.perf_counter()


def settings_for(env: Env, db_url: str, poll: float, pace: float) -> Settings:
    return Settings(
        _env_file=None,
        DISCORD_TOKEN=env.server.token,
        database_url=db_url,
        feeds=[env.feed.url],
        allow_private_feeds=True,  # the bench feed is served on 127.0.0.1
        publish_channels=[f"{env.demo.forum_channel_id}:forum"],
        poll_interval=poll,
        publish_pace=pace,
        backfill=0,
        mod_log_channel_id=env.demo.mod_log_channel_id,
        dev_guild_id=env.demo.guild_id,
        leader_lock_key=random.randrange(1, 2**62),
        discord_api_base=env.server.api_base,
        discord_gateway_url=env.server.gateway_url,
        log_level="WARNING",
    )


async def _measure(poll: float, pace: float, summaries: int, trials: int) -> list[Result]:
    world, demo = build_demo_world()
    server = SandboxServer(world)
    await server.start()
    env = Env(server, demo, SwappableFeed())
    issues = [(1, 2)]
    await env.feed.serve(feed_xml(issues))
    results: list[Result] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            db = Database(f"sqlite+aiosqlite:///{tmp}/publish.db")
            await db.upgrade()
            settings = settings_for(env, str(db.url), poll, pace)
            async with aiohttp.ClientSession() as session:

                def factory() -> AnBot:
                    return AnBot(settings, db, session, guild_ready_timeout=0.2)

                async with running_client(server, factory, ready_timeout=20):
                    await asyncio.sleep(poll * 1.5)  # the first poll records issue 1 only
                    if env.posts():
                        raise RuntimeError("backfill 0 yet the old issue was published")
                    results += await _latency(env, issues, poll, trials)
                    results += await _throughput(env, issues, pace, summaries, "plain")
                    server.faults.rate_limit(
                        "POST", r"/channels/\d+/threads$", times=3, retry_after=0.5
                    )
                    results += await _throughput(env, issues, pace, summaries, "with 3× 429")
            await db.dispose()
    finally:
        await env.feed.close()
        await server.stop()
    return results


async def _latency(
    env: Env, issues: list[tuple[int, int]], poll: float, trials: int
) -> list[Result]:
    budget = poll + 1.0
    seen: list[float] = []
    for _ in range(trials):
        issues.append((issues[-1][0] + 1, 1))
        before = len(env.posts())
        appeared = await env.feed.serve(feed_xml(issues))
        seen.append(await wait_posts(env, before + 1, timeout=budget * 10) - appeared)
        await asyncio.sleep(poll * random.random())  # next entry at another phase of the poll
    worst = max(seen)
    return [
        Result(
            f"feed → first post (poll {poll:g} s, {trials} trials, worst)",
            "latency / (poll + 1 s)",
            worst,
            budget,
            "s",
            1.0,
            "each trial: " + ", ".join(f"{s:.2f}" for s in seen) + " s",
        )
    ]


async def _throughput(
    env: Env, issues: list[tuple[int, int]], pace: float, summaries: int, label: str
) -> list[Result]:
    issues.append((issues[-1][0] + 1, summaries))
    before, logged = len(env.posts()), len(env.server.log)
    await env.feed.serve(feed_xml(issues))
    await wait_posts(env, before + summaries, timeout=60 + summaries * pace * 5)
    await asyncio.sleep(pace * 2)  # let a trailing write (a follow-up chunk) land in the log
    calls = [c for c in env.server.log[logged:] if c.method in WRITES]
    done = [c.at for c in calls if c.status < 300]
    limited = sum(1 for c in calls if c.status == 429)
    seconds = (done[-1] - done[0]).total_seconds()
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(done)]
    least = (len(done) - 1) * pace  # from the first write to the last
    return [
        Result(
            f"publish {summaries} posts, pace {pace:g} s ({label})",
            "time / (writes × pace)",
            seconds,
            least,
            "s",
            1.25,
            f"{(len(done) - 1) / seconds:.2f} writes/s vs {1 / pace:.1f} paced; "
            f"{len(done)} writes, {limited}× 429, closest two {min(gaps):.3f} s apart",
        )
    ]


def run(poll: float = 1.0, pace: float = 0.2, summaries: int = 50, trials: int = 5) -> list[Result]:
    return asyncio.run(_measure(poll, pace, summaries, trials))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--poll", type=float, default=1.0, help="poll interval in s")
    parser.add_argument("--pace", type=float, default=0.2, help="publish pace in s")
    parser.add_argument("--quick", action="store_true", help="10 summaries, 2 trials")
    args = parser.parse_args()
    summaries, trials = (10, 2) if args.quick else (50, 5)
    for r in run(args.poll, args.pace, summaries, trials):
        print(f"{r.name}: {r.metric} = {r.ratio:.2f}× (target ≤ {r.target}); {r.note}")


if __name__ == "__main__":
    main()
