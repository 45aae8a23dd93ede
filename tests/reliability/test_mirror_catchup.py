"""Offline catch-up at scale: the bot is stopped, members make 1,000 changes (replies, replies
to replies, edits, deletes of comments that have replies) in three tracked threads, the bot
comes back: the stored trees equal the sandbox's truth, tombstones and parents included.

And the documented limit (bot/mirror/catchup.py): edits/deletes made offline to comments older
than the `mirror_recheck` newest stored ones are not seen by catch-up; raising the setting
brings them in."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from sandbox.demo import DemoGuild, build_demo_world
from sandbox.server import SandboxServer
from storage.comments import stored_votes
from storage.db import Database
from tests.bot.conftest import BotEnv, make_bot_env
from tests.bot.mirror.test_mirror import EXTENSIONS, mirror, stored, tracked_post
from tests.reliability.mirrortruth import shape, truth

MEMBERS = ("alice", "bob", "carol", "dave", "eve")
OFFLINE_CHANGES = 1000


@dataclass
class Thread:
    id: int
    authors: dict[int, str] = field(default_factory=dict)  # live comment id -> author name
    children: dict[int, int] = field(default_factory=dict)  # comment id -> live replies
    online: set[int] = field(default_factory=set)  # comments the bot saw before going away
    before: dict[int, str] = field(default_factory=dict)  # their text when it went away


async def _reply(server: SandboxServer, thread: Thread, rng: random.Random, text: str) -> int:
    live = sorted(thread.authors)
    # Mostly replies to recent comments (deep chains), some to older ones, some top level.
    roll = rng.random()
    if not live or roll < 0.15:
        reply_to = None
    elif roll < 0.25:
        reply_to = thread.id  # a reply to the starter is a top-level comment
    elif roll < 0.7:
        reply_to = rng.choice(live[-8:])
    else:
        reply_to = rng.choice(live)
    author = rng.choice(MEMBERS)
    msg = await server.act_as(author).send(thread.id, text, reply_to=reply_to)
    mid = int(msg["id"])
    thread.authors[mid] = author
    if reply_to is not None:
        thread.children[reply_to] = thread.children.get(reply_to, 0) + 1
    return mid


async def _offline_change(
    server: SandboxServer, thread: Thread, rng: random.Random, n: int, counts: dict[str, int]
) -> None:
    deletable = [m for m in thread.online if m in thread.authors]
    roll = rng.random()
    if roll < 0.12 and deletable:
        with_replies = [m for m in deletable if thread.children.get(m)]
        target = rng.choice(with_replies if with_replies and rng.random() < 0.6 else deletable)
        who = thread.authors.pop(target) if rng.random() < 0.5 else "mira"
        thread.authors.pop(target, None)
        await server.act_as(who).delete(thread.id, target)
        counts["deletes"] += 1
        counts["deletes with replies"] += bool(thread.children.get(target))
    elif roll < 0.37 and thread.authors:
        target = rng.choice(sorted(thread.authors))
        await server.act_as(thread.authors[target]).edit(thread.id, target, f"edit {n} of {target}")
        counts["edits"] += 1
    else:
        await _reply(server, thread, rng, f"offline reply {n}")
        counts["replies"] += 1


async def test_thousand_offline_changes_caught_up(sqlite_db: Database) -> None:
    world, demo = build_demo_world()
    rng = random.Random(56)
    async with SandboxServer(world) as server:
        async with make_bot_env(
            sqlite_db, feed=None, extensions=EXTENSIONS, server=server, demo=demo
        ) as first:
            threads = [Thread(await tracked_post(first, f"Paper {n}")) for n in range(3)]
            for thread in threads:
                for n in range(60):
                    await _reply(server, thread, rng, f"online {n} in {thread.id}")
            for thread in threads:
                await first.wait_for(
                    lambda t=thread: _matches(first, t.id),
                    timeout=30,
                )
                thread.online = set(thread.authors)
                thread.before = {mid: world.messages[mid].content for mid in thread.online}
        counts = dict.fromkeys(("replies", "edits", "deletes", "deletes with replies"), 0)
        for n in range(OFFLINE_CHANGES):
            await _offline_change(server, rng.choice(threads), rng, n, counts)
        assert counts["deletes with replies"] >= 20 and counts["edits"] >= 200, counts

        async with make_bot_env(
            sqlite_db, feed=None, extensions=EXTENSIONS, server=server, demo=demo
        ) as second:
            await second.wait_for(lambda: mirror(second).catchups >= 1, timeout=30)
            for thread in threads:
                await second.wait_for(
                    lambda t=thread: _matches(second, t.id),
                    timeout=30,
                )
                records = await stored(second, thread.id)
                assert shape(records) == truth(server, thread.id)
                # An old comment edited offline keeps the text the bot had seen as a revision.
                for mid in thread.online:
                    now = world.messages[mid]
                    if not now.deleted and now.content != thread.before[mid]:
                        assert [r.content for r in records[mid].revisions] == [thread.before[mid]]
    print(f"offline changes: {counts}")


async def _matches(env: BotEnv, thread_id: int) -> bool:
    return shape(await stored(env, thread_id)) == truth(env.server, thread_id)


async def test_offline_changes_beyond_the_recheck_window(sqlite_db: Database) -> None:
    """With 230 stored comments and the default window of 200, an offline edit and delete of
    the two oldest comments are missed; a newer one is seen. With a window of 300 all are."""
    world, demo = build_demo_world()
    async with SandboxServer(world) as server:
        await _window_scenario(sqlite_db, server, demo)


async def _window_scenario(db: Database, server: SandboxServer, demo: DemoGuild) -> None:
    alice = server.act_as("alice")
    async with make_bot_env(
        db, feed=None, extensions=EXTENSIONS, server=server, demo=demo
    ) as first:
        assert first.settings.mirror_recheck == 200  # the documented default
        thread_id = await tracked_post(first)
        ids = [int((await alice.send(thread_id, f"comment {n}"))["id"]) for n in range(230)]
        await first.wait_for(lambda: _matches(first, thread_id), timeout=30)
    old_edit, old_delete, recent_edit = ids[0], ids[1], ids[-1]
    await alice.edit(thread_id, old_edit, "old comment edited offline")
    await alice.delete(thread_id, old_delete)
    await alice.edit(thread_id, recent_edit, "recent comment edited offline")

    async with make_bot_env(
        db, feed=None, extensions=EXTENSIONS, server=server, demo=demo
    ) as second:
        await second.wait_for(lambda: mirror(second).catchups >= 1, timeout=30)
        await second.wait_for(
            lambda: _has_content(second, thread_id, recent_edit, "recent comment edited offline")
        )
        records = await stored(second, thread_id)
    # Outside the window: the stored tree still has the old text and the deleted comment.
    assert records[old_edit].content == "comment 0"
    assert not records[old_delete].deleted and records[old_delete].content == "comment 1"
    assert shape(records) != truth(server, thread_id)

    async with make_bot_env(
        db, feed=None, extensions=EXTENSIONS, server=server, demo=demo, mirror_recheck=300
    ) as third:
        await third.wait_for(lambda: mirror(third).catchups >= 1, timeout=30)
        await third.wait_for(lambda: _matches(third, thread_id), timeout=30)
        records = await stored(third, thread_id)
    assert records[old_edit].content == "old comment edited offline"
    assert records[old_delete].deleted and records[old_delete].content is None


async def _has_content(env: BotEnv, thread_id: int, message_id: int, text: str) -> bool:
    record = (await stored(env, thread_id)).get(message_id)
    return record is not None and record.content == text


async def _votes(env: BotEnv, thread_id: int) -> dict[int, dict[str, set[int]]]:
    await mirror(env).writer.flush()
    async with env.db.session() as session:
        return await stored_votes(session, thread_id)


def _reaction_truth(server: SandboxServer, thread_id: int) -> dict[int, dict[str, set[int]]]:
    out: dict[int, dict[str, set[int]]] = {}
    for msg in server.world.messages_in(thread_id):
        reactions = server.world.messages[int(msg["id"])].reactions
        if any(reactions.values()):
            out[int(msg["id"])] = {e: set(users) for e, users in reactions.items() if users}
    return out


async def test_reactions_changed_offline_are_caught_up(sqlite_db: Database) -> None:
    """Votes added, removed and emptied while the bot was away, on old messages, on new ones and
    on the starter: after the restart the stored votes equal the sandbox's reactions."""
    world, demo = build_demo_world()
    async with SandboxServer(world) as server:
        async with make_bot_env(
            sqlite_db, feed=None, extensions=EXTENSIONS, server=server, demo=demo
        ) as first:
            thread_id = await tracked_post(first)
            alice = server.act_as("alice")
            old = [int((await alice.send(thread_id, f"comment {n}"))["id"]) for n in range(4)]
            for name in ("bob", "carol", "dave"):
                await server.act_as(name).react(thread_id, old[0], "👍")
            await server.act_as("eve").react(thread_id, old[1], "🎉")
            await server.act_as("bob").react(thread_id, old[2], "👍")
            await first.wait_for(lambda: _same_votes(first, thread_id), timeout=30)
            online = await _votes(first, thread_id)
            assert sum(len(users) for by in online.values() for users in by.values()) == 5
        # Offline: a count that drops, a new emoji, an emoji emptied, a swap on the same emoji
        # together with an addition, votes on a message written offline and on the starter.
        await server.act_as("carol").unreact(thread_id, old[0], "👍")
        await server.act_as("eve").react(thread_id, old[0], "❤️")
        await server.act_as("eve").unreact(thread_id, old[1], "🎉")
        await server.act_as("bob").unreact(thread_id, old[2], "👍")
        await server.act_as("carol").react(thread_id, old[2], "👍")
        await server.act_as("dave").react(thread_id, old[2], "👍")
        new = int((await server.act_as("bob").send(thread_id, "written offline"))["id"])
        await server.act_as("alice").react(thread_id, new, "👀")
        await server.act_as("mira").react(thread_id, thread_id, "⭐")
        async with make_bot_env(
            sqlite_db, feed=None, extensions=EXTENSIONS, server=server, demo=demo
        ) as second:
            await second.wait_for(lambda: mirror(second).catchups >= 1, timeout=30)
            await second.wait_for(lambda: _same_votes(second, thread_id), timeout=30)
            votes = await _votes(second, thread_id)
            users = {n: server.world.user_named(n).id for n in ("bob", "carol", "dave", "eve")}
            assert votes[old[0]]["👍"] == {users["bob"], users["dave"]}
            assert old[1] not in votes
            assert votes[old[2]]["👍"] == {users["carol"], users["dave"]}
            assert new in votes and thread_id in votes


async def _same_votes(env: BotEnv, thread_id: int) -> bool:
    return await _votes(env, thread_id) == _reaction_truth(env.server, thread_id)
