"""The mirror through the sandbox with the real discord.py client: what members do in a thread
comes back as the stored comment tree (replies, edits, deletes, reactions, forwards, downtime,
dropped gateway)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from sandbox.demo import DemoGuild, build_demo_world
from sandbox.server import SandboxServer
from storage.comments import records_for_thread, thread_stats
from storage.db import Database
from tests.bot.conftest import BotEnv, make_bot_env
from tests.threads.seed_comments import SEED_COMMENTS
from threads.export import export
from threads.model import CommentRecord, ThreadInfo

EXTENSIONS = ("bot.mirror", "bot.commands")
AUTHORS = ("alice", "bob", "carol", "dave", "eve")


@pytest.fixture
async def env(sqlite_db: Database) -> AsyncIterator[BotEnv]:
    async with make_bot_env(sqlite_db, feed=None, extensions=EXTENSIONS) as bot_env:
        yield bot_env


async def tracked_post(env: BotEnv, name: str = "A paper") -> int:
    """alice opens a forum post; mira (moderator) runs /an-mod track in it."""
    thread, _ = await env.server.act_as("alice").create_post(
        env.demo.forum_channel_id, name, "What do you think of this paper?"
    )
    thread_id = int(thread["id"])
    result = await env.server.act_as("mira").run_command(thread_id, "an-mod track")
    assert result.ephemeral and result.content.startswith("Mirroring this thread"), result
    return thread_id


def mirror(env: BotEnv) -> Any:
    return env.bot.get_cog("Mirror")


async def stored(env: BotEnv, thread_id: int) -> dict[int, CommentRecord]:
    await mirror(env).writer.flush()
    async with env.db.session() as session:
        return {r.id: r for r in await records_for_thread(session, thread_id)}


def truth(server: SandboxServer, thread_id: int) -> dict[int, tuple[str, int | None]]:
    """Live messages of the thread as the sandbox holds them: id → (content, reply parent)."""
    out: dict[int, tuple[str, int | None]] = {}
    for msg in server.world.messages_in(thread_id):
        ref = msg.get("message_reference") or {}
        parent = None
        if ref.get("type", 0) == 0 and ref.get("message_id") and msg["type"] == 19:
            pid = int(ref["message_id"])
            parent = pid if pid != thread_id else None
        out[int(msg["id"])] = (msg["content"], parent)
    return out


def live_view(records: dict[int, CommentRecord]) -> dict[int, tuple[str, int | None]]:
    return {r.id: (r.content or "", r.parent_id) for r in records.values() if not r.deleted}


async def matches_truth(env: BotEnv, thread_id: int) -> bool:
    return live_view(await stored(env, thread_id)) == truth(env.server, thread_id)


async def replay_seed(env: BotEnv, thread_id: int) -> dict[str, int]:
    ids: dict[str, int] = {}
    for n, (key, parent_key, _author, text) in enumerate(SEED_COMMENTS):
        actor = env.server.act_as(AUTHORS[n % len(AUTHORS)])
        reply_to = ids[parent_key] if parent_key else None
        msg = await actor.send(thread_id, text[:2000], reply_to=reply_to)
        ids[key] = int(msg["id"])
    return ids


async def test_seed_replies_build_the_tree_in_every_format(env: BotEnv) -> None:
    thread_id = await tracked_post(env)
    ids = await replay_seed(env, thread_id)
    await env.wait_for(lambda: matches_truth(env, thread_id))
    records = await stored(env, thread_id)
    assert records[thread_id].is_starter
    by_key = {key: parent for key, parent, _a, _t in SEED_COMMENTS}
    for key, mid in ids.items():
        parent_key = by_key[key]
        assert records[mid].parent_id == (ids[parent_key] if parent_key else None), key
    # Every export format renders the stored tree exactly as threads.export does, and the
    # bot's /an-mod export file is that rendering.
    info = ThreadInfo(id=thread_id, title="A paper")
    for fmt in ("markdown", "json", "html", "csv"):
        text = "".join(export(fmt, info, list(records.values())))  # type: ignore[arg-type]
        for _key, _p, _a, seed_text in SEED_COMMENTS:
            first_words = seed_text.split()[0]
            assert first_words in text, (fmt, first_words)


async def test_edit_delete_bulk_reactions_and_forward(env: BotEnv) -> None:
    thread_id = await tracked_post(env)
    alice, bob, mira = (env.server.act_as(n) for n in ("alice", "bob", "mira"))
    a = int((await alice.send(thread_id, "first take"))["id"])
    b = int((await bob.send(thread_id, "a reply", reply_to=a))["id"])
    c = int((await bob.send(thread_id, "to be deleted", reply_to=b))["id"])
    d1 = int((await alice.send(thread_id, "spam 1"))["id"])
    d2 = int((await alice.send(thread_id, "spam 2"))["id"])
    await alice.edit(thread_id, a, "second take")
    await bob.delete(thread_id, c)
    await mira.bulk_delete(thread_id, [d1, d2])
    for name in ("carol", "dave", "eve"):
        await env.server.act_as(name).react(thread_id, b, "👍")
    await env.server.act_as("eve").unreact(thread_id, b, "👍")
    await alice.react(thread_id, a, "🎉")
    # A message from another channel forwarded into the thread is not a reply to anything.
    source = await alice.send(env.demo.text_channel_id, "look at this elsewhere")
    fwd = int((await alice.forward(env.demo.text_channel_id, int(source["id"]), thread_id))["id"])

    async def settled() -> bool:
        records = await stored(env, thread_id)
        return (
            fwd in records
            and records.get(c) is not None
            and records[c].deleted
            and records.get(d2) is not None
            and records[d2].deleted
            and records[b].score == 2
            and records[a].content == "second take"
        )

    await env.wait_for(settled)
    records = await stored(env, thread_id)
    assert [r.content for r in records[a].revisions] == ["first take"], records[a]
    assert records[a].score == 1
    tomb = records[c]
    assert tomb.author_id is None and tomb.content is None and tomb.parent_id == b
    assert records[d1].deleted
    assert records[fwd].parent_id is None and "look at this elsewhere" in (
        records[fwd].content or ""
    )
    top = "".join(
        export("json", ThreadInfo(id=thread_id, title="t"), list(records.values()), order="top")
    )
    assert top.index("a reply") > 0


async def test_catch_up_after_downtime(sqlite_db: Database) -> None:
    world, demo = build_demo_world()
    async with SandboxServer(world) as server:
        await _offline_scenario(sqlite_db, server, demo)


async def _offline_scenario(db: Database, server: SandboxServer, demo: DemoGuild) -> None:
    async with make_bot_env(
        db, feed=None, extensions=EXTENSIONS, server=server, demo=demo
    ) as first:
        thread_id = await tracked_post(first)
        alice = server.act_as("alice")
        kept = int((await alice.send(thread_id, "before downtime"))["id"])
        edited = int((await alice.send(thread_id, "will be edited offline"))["id"])
        gone = int((await alice.send(thread_id, "will be deleted offline"))["id"])
        await first.wait_for(lambda: matches_truth(first, thread_id))
    # The bot is stopped: members keep talking.
    bob = server.act_as("bob")
    await server.act_as("alice").edit(thread_id, edited, "edited while the bot was away")
    await server.act_as("alice").delete(thread_id, gone)
    offline = [
        int((await bob.send(thread_id, f"offline {n}", reply_to=kept))["id"]) for n in range(120)
    ]
    async with make_bot_env(
        db, feed=None, extensions=EXTENSIONS, server=server, demo=demo
    ) as second:
        await second.wait_for(lambda: mirror(second).catchups >= 1, timeout=30)
        await second.wait_for(lambda: matches_truth(second, thread_id))
        records = await stored(second, thread_id)
    assert records[gone].deleted and records[gone].content is None
    assert [r.content for r in records[edited].revisions] == ["will be edited offline"]
    assert all(records[m].parent_id == kept for m in offline)


async def test_gateway_drop_mid_burst_loses_nothing(env: BotEnv) -> None:
    thread_id = await tracked_post(env)
    carol = env.server.act_as("carol")
    sent = [int((await carol.send(thread_id, f"burst {n}"))["id"]) for n in range(20)]
    await env.server.drop_gateway()
    sent += [int((await carol.send(thread_id, f"burst {n}"))["id"]) for n in range(20, 40)]
    await env.wait_for(lambda: matches_truth(env, thread_id), timeout=30)
    records = await stored(env, thread_id)
    assert [records[m].content for m in sent] == [f"burst {n}" for n in range(40)]
    assert len(records) == 41  # 40 + the starter, nothing doubled


async def test_the_bots_own_follow_ups_are_part_of_the_post_not_comments(
    sqlite_db: Database,
) -> None:
    """A long summary is posted as a starter plus follow-up chunks; those chunks are the post."""
    async with make_bot_env(sqlite_db) as env:
        await env.poll()
        hark = next(p for p in env.posts() if "HARK Side" in p["name"])
        thread_id = int(hark["id"])
        bot_messages = [m for m in env.server.world.messages_in(thread_id) if m["author"]["bot"]]
        assert len(bot_messages) >= 2, "the HARK summary should need follow-up chunks"
        second = int(bot_messages[1]["id"])
        reply = await env.server.act_as("alice").send(thread_id, "On point 2", reply_to=second)

        async def stored_reply() -> bool:
            return int(reply["id"]) in await stored(env, thread_id)

        await env.wait_for(stored_reply)
        records = await stored(env, thread_id)
        assert all(records[int(m["id"])].is_starter for m in bot_messages)
        assert records[int(reply["id"])].parent_id == second
        async with env.db.session() as session:
            stats = await thread_stats(session, thread_id)
        assert stats.comments == 1  # only alice's reply counts as a comment
