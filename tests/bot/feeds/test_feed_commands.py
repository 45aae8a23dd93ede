"""`/an feed …` through the sandbox with real feeds on 127.0.0.1, on both backends: add, list,
test, pause, remove, enable; a 404, an HTML page, a feed that recovers; one mod-log notice per
change of state; routing of two feeds to two channels with a section filter; bad input."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import sqlalchemy as sa

from sandbox.demo import DemoGuild
from sandbox.models import ChannelType
from sandbox.server import SandboxServer
from storage import publications as pubs
from storage.db import Database
from storage.models import Publication, Summary
from tests.bot.conftest import BotEnv, FeedFiles, make_bot_env

PAGE = "<!DOCTYPE html><html><head><title>Blog</title></head><body>hello</body></html>"


async def feed_cmd(env: BotEnv, sub: str, who: str = "mira", **options: Any) -> Any:
    result = await env.server.act_as(who).run_command(
        env.demo.text_channel_id, f"an feed {sub}", options, timeout=20
    )
    assert result.ephemeral, result.content
    return result


def mod_log(env: BotEnv) -> list[str]:
    return [m["content"] for m in env.server.world.messages_in(env.demo.mod_log_channel_id)]


async def poll(env: BotEnv) -> None:
    await env.poll()


async def test_lifecycle_404_html_recovery_and_one_notice_per_change(db: Database) -> None:
    async with make_bot_env(
        db, feed=None, feed_max_failures=2, feed_backoff_base=0.0, backfill=0
    ) as env:
        forum = f"<#{env.demo.forum_channel_id}>"
        url = env.feeds.url("an.atom")
        # Not a feed: nothing saved.
        env.feeds.set("page.html", PAGE, "text/html")
        html = await feed_cmd(env, "add", url=env.feeds.url("page.html"), channel=forum)
        assert "is a web page, not a feed" in html.content
        missing = await feed_cmd(env, "add", url=env.feeds.url("nothing.atom"), channel=forum)
        assert "answered 404 (not found)" in missing.content
        assert "No feeds yet" in (await feed_cmd(env, "list")).content

        added = await feed_cmd(env, "add", url=url, channel=forum)
        assert "Added. AN feed: 2 items, newest AN #56; " in added.content, added.content
        assert "summaries in the newest" in added.content
        listed = (await feed_cmd(env, "list")).content
        assert url in listed and f"{forum} forum" in listed and "state: ok" in listed
        tested = (await feed_cmd(env, "test", url=url)).content
        assert "Newest: AN #56" in tested and f"→ {forum}" in tested

        await poll(env)  # the first poll records without posting (backfill 0)
        assert env.posts() == []
        assert mod_log(env) == []

        # It fails once (failing), recovers, then fails twice (disabled): three notices.
        body = env.feeds.bodies.pop("/an.atom")
        await poll(env)
        assert len(mod_log(env)) == 1 and "is failing: HTTP 404" in mod_log(env)[0]
        env.feeds.bodies["/an.atom"] = body
        await poll(env)
        assert len(mod_log(env)) == 2 and "recovered" in mod_log(env)[1]
        env.feeds.bodies.pop("/an.atom")
        await poll(env)
        await poll(env)
        await poll(env)  # still disabled: no new notice
        notices = mod_log(env)
        assert len(notices) == 4, notices
        assert "is disabled: 2 failures in a row" in notices[3]
        assert f"/an feed enable url:{url}" in notices[3]
        assert "disabled: 2 failures in a row" in (await feed_cmd(env, "list")).content

        refused = await feed_cmd(env, "enable", url=url)  # still 404: stays disabled
        assert "answered 404" in refused.content
        env.feeds.bodies["/an.atom"] = body
        enabled = await feed_cmd(env, "enable", url=url)
        assert enabled.content.startswith(f"Enabled {url}. AN feed: 2 items")
        await poll(env)
        assert len(mod_log(env)) == 4  # the moderator was answered; no extra notice

        paused = await feed_cmd(env, "pause", url=url)
        assert paused.content == f"Paused {url}."
        hits = env.feeds.hits.get("/an.atom", 0)
        await poll(env)
        assert env.feeds.hits.get("/an.atom", 0) == hits
        await feed_cmd(env, "resume", url=url)
        await poll(env)
        assert env.feeds.hits.get("/an.atom", 0) == hits + 1

        removed = await feed_cmd(env, "remove", url=url)
        assert removed.content.startswith(f"Removed {url}; 0 pending posts dropped")
        await poll(env)
        assert env.feeds.hits.get("/an.atom", 0) == hits + 1
        assert env.posts() == []  # nothing was ever posted twice, or at all


def _second_forum_and_guild(server: SandboxServer, demo: DemoGuild, feeds: FeedFiles) -> None:
    world = server.world
    world.add_channel(demo.guild_id, "governance", ChannelType.GUILD_FORUM)
    other = world.add_guild("Elsewhere", demo.owner_id)
    world.add_member(other.id, world.bot_user_id)
    world.add_channel(other.id, "theirs", ChannelType.GUILD_TEXT)


def _channel_named(env: BotEnv, name: str) -> int:
    return next(c.id for c in env.server.world.channels.values() if c.name == name)


async def test_two_feeds_two_channels_and_a_section_filter(db: Database) -> None:
    async with make_bot_env(db, feed=None, prepare=_second_forum_and_guild) as env:
        forum, second = env.demo.forum_channel_id, _channel_named(env, "governance")
        section = "Technical AI alignment"
        a = await feed_cmd(
            env,
            "add",
            url=env.feeds.url("an.atom"),
            channel=str(forum),
            sections=section,
            backfill=1,
        )
        assert "filters: sections: Technical AI alignment" in a.content, a.content
        g = await feed_cmd(
            env, "add", url=env.feeds.url("generic.rss"), channel=f"<#{second}>", backfill=1
        )
        assert g.content.startswith("Added."), g.content
        await poll(env)
        await poll(env)  # a second poll posts nothing again
        async with db.session() as s:
            wanted = (
                await s.exec(
                    sa.select(sa.func.count())
                    .select_from(Summary)
                    .join(Publication, Publication.summary_id == Summary.id)  # type: ignore[arg-type]
                    .where(Publication.channel_id == forum, Summary.section.startswith(section))  # type: ignore[attr-defined]
                )
            ).one()
        posted_a, posted_g = env.posts(forum), env.posts(second)
        assert wanted[0] > 0 and len(posted_a) == wanted[0]
        assert len(posted_g) == 1
        names = [p["name"] for p in posted_a]
        assert len(set(names)) == len(names)  # each once


async def test_bad_input_is_specific_ephemeral_and_saves_nothing(db: Database) -> None:
    async with make_bot_env(
        db, feed=None, prepare=_second_forum_and_guild, max_feeds_per_guild=1
    ) as env:
        forum = f"<#{env.demo.forum_channel_id}>"
        url = env.feeds.url("an.atom")
        cases = [
            ({"url": "ftp://example.org/feed", "channel": forum}, "is not an http(s) address"),
            ({"url": url, "channel": "<#12345>"}, "I can't find a channel with id 12345"),
            (
                {"url": url, "channel": str(_channel_named(env, "theirs"))},
                "belongs to another server",
            ),
            ({"url": url, "channel": "general"}, "is not a channel"),
            (
                {"url": url, "channel": f"<#{env.demo.text_channel_id}>"},
                "is not a forum: pick a forum channel, or use mode thread",
            ),
        ]
        for options, expected in cases:
            result = await feed_cmd(env, "add", **options)
            assert expected in result.content, (options, result.content)
        member = await feed_cmd(env, "add", who="alice", url=url, channel=forum)
        assert "you need the Manage Server permission" in member.content
        assert "No feeds yet" in (await feed_cmd(env, "list")).content

        assert (await feed_cmd(env, "add", url=url, channel=forum)).content.startswith("Added.")
        over = await feed_cmd(env, "add", url=env.feeds.url("generic.rss"), channel=forum)
        assert "This server already has 1 feeds, the limit" in over.content
        assert env.feeds.url("generic.rss") not in (await feed_cmd(env, "list")).content


async def test_private_addresses_are_refused_unless_allowed(db: Database) -> None:
    async with make_bot_env(db, feed=None, allow_private_feeds=False) as env:
        result = await feed_cmd(
            env, "add", url=env.feeds.url("an.atom"), channel=f"<#{env.demo.forum_channel_id}>"
        )
        assert "points to a private or local address" in result.content
        assert "No feeds yet" in (await feed_cmd(env, "list")).content


def _no_send_in_forum(server: SandboxServer, demo: DemoGuild, feeds: FeedFiles) -> None:
    from sandbox.permissions import P

    server.world.set_overwrite(
        demo.forum_channel_id, demo.bot_role_id, type=0, deny=int(P.SEND_MESSAGES)
    )


async def test_a_removed_feeds_pending_posts_are_dropped_with_a_log_line_never_posted(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    async with make_bot_env(db, feed=None, prepare=_no_send_in_forum) as env:
        url = env.feeds.url("an.atom")
        forum = f"<#{env.demo.forum_channel_id}>"
        added = await feed_cmd(env, "add", url=url, channel=forum, backfill=1)
        assert added.content.startswith("Added."), added.content
        await poll(env)  # the newest issue's posts wait: the bot may not post in the forum

        async def waiting() -> int:
            async with db.session() as s:
                rows = await pubs.list_publications(s)
            return sum(r.status == "pending" for r in rows)

        pending = await env.wait_for(waiting)
        assert pending > 1 and env.posts() == []
        with caplog.at_level(logging.INFO, logger="bot.feeds.manage"):
            removed = await feed_cmd(env, "remove", url=url)
        assert removed.content.startswith(f"Removed {url}; {pending} pending posts dropped")
        assert f"feed {url} removed; {pending} pending posts dropped" in caplog.text

        # The permission comes back: nothing of the removed feed goes out, now or later.
        env.server.world.set_overwrite(env.demo.forum_channel_id, env.demo.bot_role_id, type=0)
        await env.publish()
        await poll(env)
        assert env.posts() == []
        assert await waiting() == 0
        assert "No feeds yet" in (await feed_cmd(env, "list")).content
