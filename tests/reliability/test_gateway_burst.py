"""Gateway drops mid-burst: while members post, edit and react 300 times in two tracked threads,
the sandbox drops the bot's gateway connection twice (no close frame). discord.py RESUMEs the
same session, the sandbox replays what was missed, and the stored trees, revisions and votes
equal the sandbox's truth: nothing lost, nothing doubled."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import pytest

from storage.db import Database
from tests.bot.conftest import BotEnv, make_bot_env
from tests.bot.mirror.test_mirror import EXTENSIONS, stored, tracked_post
from tests.reliability.mirrortruth import shape, truth

MEMBERS = ("alice", "bob", "carol", "dave", "eve")
EMOJIS = ("👍", "🎉")
BURST = 300
DROPS_AT = (100, 200)


@pytest.fixture
async def env(sqlite_db: Database) -> AsyncIterator[BotEnv]:
    async with make_bot_env(sqlite_db, feed=None, extensions=EXTENSIONS) as bot_env:
        yield bot_env


def _scores(env: BotEnv, thread_id: int) -> dict[int, int]:
    out = {}
    for msg in env.server.world.messages_in(thread_id, include_deleted=True):
        message = env.server.world.messages[int(msg["id"])]
        out[message.id] = sum(len(users) for users in message.reactions.values())
    return out


async def _settled(env: BotEnv, thread_ids: list[int]) -> bool:
    for thread_id in thread_ids:
        records = await stored(env, thread_id)
        if shape(records) != truth(env.server, thread_id):
            return False
        if {r.id: r.score for r in records.values()} != _scores(env, thread_id):
            return False
    return True


async def test_two_gateway_drops_mid_burst_lose_and_double_nothing(env: BotEnv) -> None:
    server, world = env.server, env.server.world
    rng = random.Random(300)
    threads = [await tracked_post(env, f"Burst {n}") for n in range(2)]
    identifies = server.gateway.identifies
    [session] = server.sessions
    versions: dict[int, list[str]] = {}  # message id -> every text it had, oldest first
    authors: dict[int, tuple[int, str]] = {}  # message id -> (thread, author)
    counts = dict.fromkeys(("messages", "edits", "reactions", "unreactions", "drops"), 0)
    for n in range(BURST):
        if n in DROPS_AT:
            assert await server.drop_gateway() == 1
            counts["drops"] += 1
        roll = rng.random()
        if roll < 0.45 or not authors:
            thread_id = rng.choice(threads)
            mine = [m for m, (t, _a) in authors.items() if t == thread_id]
            reply_to = rng.choice(mine[-10:]) if mine and rng.random() < 0.6 else None
            name = rng.choice(MEMBERS)
            msg = await server.act_as(name).send(thread_id, f"burst {n}", reply_to=reply_to)
            authors[int(msg["id"])] = (thread_id, name)
            versions[int(msg["id"])] = [f"burst {n}"]
            counts["messages"] += 1
        elif roll < 0.7:
            mid = rng.choice(sorted(authors))
            thread_id, name = authors[mid]
            await server.act_as(name).edit(thread_id, mid, f"burst {n} (edit of {mid})")
            versions[mid].append(f"burst {n} (edit of {mid})")
            counts["edits"] += 1
        else:
            mid = rng.choice(sorted(authors))
            thread_id, _name = authors[mid]
            actor = server.act_as(rng.choice(MEMBERS[:2]))  # repeats: some unreact
            emoji = rng.choice(EMOJIS)
            if actor.id in world.messages[mid].reactions.get(emoji, []):
                await actor.unreact(thread_id, mid, emoji)
                counts["unreactions"] += 1
            else:
                await actor.react(thread_id, mid, emoji)
                counts["reactions"] += 1
        await asyncio.sleep(0.002)  # members act while the bot works (and reconnects)

    await env.wait_for(lambda: _settled(env, threads), timeout=30)
    # The same session resumed twice; the bot never had to IDENTIFY again.
    assert session.resumes == 2
    assert server.gateway.identifies == identifies
    for thread_id in threads:
        records = await stored(env, thread_id)
        for mid, texts in versions.items():
            if authors[mid][0] == thread_id:
                assert [r.content for r in records[mid].revisions] == texts[:-1], mid
    print(f"burst: {counts}")
