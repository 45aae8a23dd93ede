"""`/an discuss` and the Discuss button through the sandbox, on both backends: an old summary
(recorded, never posted) gets one forum post even when two members ask at once; the post says
where the summary came from; asking again links it; bad cases answer privately."""

from __future__ import annotations

import asyncio
from typing import Any

from sandbox.demo import DemoGuild
from sandbox.models import ChannelType
from sandbox.server import SandboxServer
from storage.db import Database
from storage.models import Summary
from tests.bot.conftest import BotEnv, FeedFiles, make_bot_env


def _discussions_forum(server: SandboxServer, demo: DemoGuild, feeds: FeedFiles) -> None:
    server.world.add_channel(demo.guild_id, "discussions", ChannelType.GUILD_FORUM)


def _forum(env: BotEnv) -> int:
    return next(c.id for c in env.server.world.channels.values() if c.name == "discussions")


async def _old_summary(env: BotEnv) -> Summary:
    await env.poll()  # backfill 0: AN #55 and #56 recorded, nothing posted
    assert env.posts() == []
    async with env.db.session() as s:
        from sqlmodel import select

        rows = (await s.exec(select(Summary).where(Summary.summarizer.is_not(None)))).all()  # type: ignore[union-attr]
    return rows[0]


async def discuss(env: BotEnv, who: str, value: str) -> Any:
    result = await env.server.act_as(who).run_command(
        env.demo.text_channel_id, "an discuss", {"summary": value}, timeout=30
    )
    assert result.ephemeral, result.content
    return result


async def test_two_members_at_once_get_one_post(db: Database) -> None:
    async with make_bot_env(
        db, backfill=0, prepare=_discussions_forum, discuss_cooldown=3600.0
    ) as env:
        summary = await _old_summary(env)
        forum = _forum(env)
        unset = await discuss(env, "alice", f"id:{summary.id}")
        assert "no discussion forum yet" in unset.content
        set_ = await env.server.act_as("mira").run_command(
            env.demo.text_channel_id, "an feed discuss_channel", {"channel": f"<#{forum}>"}
        )
        assert f"now go to <#{forum}>" in set_.content

        first, second = await asyncio.gather(
            discuss(env, "alice", f"id:{summary.id}"), discuss(env, "bob", f"id:{summary.id}")
        )
        posts = env.posts(forum)
        assert len(posts) == 1, posts
        link = f"/channels/{env.demo.guild_id}/{posts[0]['id']}"
        assert link in first.content and link in second.content
        starter = env.server.world.message(int(posts[0]["id"]))["content"]
        assert summary.title[:40] in posts[0]["name"]
        assert f"summarized by {summary.summarizer}" in starter
        assert "-# From AN #" in starter

        # Asking again (even the same member, inside the cooldown) links the post.
        again = await discuss(env, "alice", summary.title)
        assert link in again.content
        assert len(env.posts(forum)) == 1

        # The Discuss button on /an summary does the same.
        shown = await env.server.act_as("carol").run_command(
            env.demo.text_channel_id, "an summary", {"title": f"id:{summary.id}"}
        )
        # Beside "More" (the whole text, privately) when the summary is long.
        buttons = [b for row in shown.components for b in row["components"]]
        button = next(b for b in buttons if b["label"] == "Discuss")
        pressed = await env.server.act_as("carol").press(shown.message, button["custom_id"])  # type: ignore[arg-type]
        assert pressed.ephemeral and link in pressed.content
        assert len(env.posts(forum)) == 1

        # Replies in the post show as the discussion's size on /an summary.
        thread_id = int(posts[0]["id"])
        await env.server.act_as("alice").send(thread_id, "A first thought")
        await env.server.act_as("bob").send(thread_id, "A reply")

        async def sized() -> str:
            shown = await env.server.act_as("carol").run_command(
                env.demo.text_channel_id, "an summary", {"title": f"id:{summary.id}"}
            )
            text = "\n".join(e.get("description", "") for e in shown.embeds)
            return text if "(2 comments, last just now)" in text else ""

        assert f"<#{thread_id}> (2 comments, last just now)" in await env.wait_for(sized)


async def test_cooldown_and_unknown_summary(db: Database) -> None:
    async with make_bot_env(
        db, backfill=0, prepare=_discussions_forum, discuss_cooldown=3600.0
    ) as env:
        await _old_summary(env)
        forum = _forum(env)
        await env.server.act_as("mira").run_command(
            env.demo.text_channel_id, "an feed discuss_channel", {"channel": str(forum)}
        )
        async with env.db.session() as s:
            from sqlmodel import col, select

            ids = (await s.exec(select(Summary.id).order_by(col(Summary.id)).limit(2))).all()
        ok = await discuss(env, "dave", f"id:{ids[0]}")
        assert "Discussion: " in ok.content
        slow = await discuss(env, "dave", f"id:{ids[1]}")
        assert "You opened a discussion a moment ago" in slow.content
        assert len(env.posts(forum)) == 1
        missing = await discuss(env, "dave", "no such title at all xyzzy")
        assert "No summary titled" in missing.content
