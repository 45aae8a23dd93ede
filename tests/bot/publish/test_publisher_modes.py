"""Publisher variants through the sandbox: edits, thread mode, generic feeds, cross references,
mentions, injected 429/5xx, missing permissions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sandbox.demo import DemoGuild
from sandbox.permissions import P
from sandbox.server import SandboxServer
from storage import publications as pubs
from storage.db import Database
from tests.bot.conftest import BotEnv, FeedFiles, make_bot_env
from tests.bot.publish.test_publisher import thread_creates

AN_ATOM = (Path(__file__).resolve().parents[2] / "data" / "feeds" / "an.atom").read_text()
HARK_PHRASE = "This paper focuses on the negative effects of Hypothesizing"


async def _statuses(env: BotEnv) -> dict[str, int]:
    async with env.db.session() as s:
        return await pubs.status_counts(s)


async def _all_posted(env: BotEnv, n: int) -> bool:
    return await _statuses(env) == {"posted": n}


def _starter(env: BotEnv, thread: dict[str, Any]) -> dict[str, Any]:
    return env.server.world.message(int(thread["id"]))


async def test_updated_entry_edits_the_starter_in_place(bot_env: BotEnv) -> None:
    env = bot_env
    await env.wait_for(lambda: _all_posted(env, 12), timeout=20)
    hark = env.posts()[0]
    assert HARK_PHRASE in _starter(env, hark)["content"]
    corrected = AN_ATOM.replace(HARK_PHRASE, "CORRECTED: this paper focuses on Hypothesizing")
    assert corrected != AN_ATOM
    env.feeds.set("an.atom", corrected)
    await env.poll()
    after = env.posts()
    assert [p["id"] for p in after] == [p["id"] for p in env.posts()] and len(after) == 12
    content = _starter(env, after[0])["content"]
    assert "CORRECTED: this paper" in content and HARK_PHRASE not in content
    assert "anbot:pub" not in content
    edits = env.server.log.find("PATCH", rf"/channels/{hark['id']}/messages/{hark['id']}$")
    assert len(edits) == 1 and edits[0].status == 200
    assert thread_creates(env) == 12
    # Only the changed summary was edited, and a further poll changes nothing.
    assert len(env.server.log.find("PATCH", r"/messages/\d+$")) == 1
    await env.poll()
    assert len(env.server.log.find("PATCH", r"/messages/\d+$")) == 1


async def test_thread_mode_posts_summaries_into_one_thread(sqlite_db: Database) -> None:
    from sandbox.demo import build_demo_world

    world, demo = build_demo_world()
    async with (
        SandboxServer(world) as server,
        make_bot_env(
            sqlite_db,
            server=server,
            demo=demo,
            publish_channels=[f"{demo.text_channel_id}:thread"],
        ) as env,
    ):
        await env.wait_for(lambda: _all_posted(env, 13), timeout=20)
        threads = env.posts(demo.text_channel_id)
        assert len(threads) == 1
        thread = threads[0]
        assert thread["name"].startswith("[AN #56]: Should ML researchers")
        # The starter sits in the channel with the thread on it (thread id = message id).
        starter = world.message(int(thread["id"]))
        assert "12 summaries in the thread below" in starter["content"]
        inside = world.messages_in(int(thread["id"]))
        async with env.db.session() as s:
            rows = await pubs.list_publications(s)
        starts = {r.starter_message_id for r in rows if r.summary_id is not None}
        marked = [m for m in inside if int(m["id"]) in starts]
        assert len(marked) == 12
        assert marked[0]["content"].startswith("**[HARK Side of Deep Learning")
        assert not any("anbot:pub" in m["content"] for m in inside)
        assert env.posts() == []  # nothing in the forum
        await env.poll()
        assert len(world.messages_in(int(thread["id"]))) == len(inside)


async def test_generic_feed_one_post_per_item(sqlite_db: Database) -> None:
    async with make_bot_env(sqlite_db, feed="generic.rss", backfill=10) as env:
        await env.wait_for(lambda: _all_posted(env, 3), timeout=20)
        names = [p["name"] for p in env.posts()]
        assert names == [
            "Untitled note without link or guid",
            "Cache invalidation, again",
            "Why we moved to write-ahead logging",
        ]
        wal = _starter(env, env.posts()[2])["content"]
        assert "Readers no longer block writers." in wal
        assert "alert(1)" not in wal
        assert env.posts()[2]["applied_tags"] == []  # no sections: untagged


async def test_issue_mentions_link_the_summary_they_name(sqlite_db: Database) -> None:
    # The older entry becomes AN #50, and one of its summaries "More realistic tales of doom",
    # which AN #56's "Agency Failure" summary mentions as "More realistic tales of doom (AN
    # #50)": the mention links that summary's post, not the issue's first post.
    doom = "More realistic tales of doom"
    feed = (
        AN_ATOM.replace("[AN #55]", "[AN #50]")
        .replace("an-55", "an-50")
        .replace("Unsupervised learning: the curious pupil", doom)
    )

    def prepare(server: SandboxServer, demo: DemoGuild, feeds: FeedFiles) -> None:
        feeds.set("an50.atom", feed)

    async with make_bot_env(sqlite_db, feed="an50.atom", backfill=2, prepare=prepare) as env:
        await env.wait_for(lambda: len(env.posts()) > 12 and _all_posted(env, len(env.posts())))
        posts = env.posts()
        first_50 = next(p for p in posts if p["name"].startswith("AN #50"))
        doom_post = next(p for p in posts if doom in p["name"])
        assert first_50 != doom_post
        url = f"https://discord.com/channels/{env.demo.guild_id}/{doom_post['id']}"
        agency = next(p for p in posts if "Agency Failure" in p["name"])
        agency_text = _starter(env, agency)["content"]
        assert f"{doom} ([AN #50](<{url}>))" in agency_text, agency_text
        # AN #45 is not stored here: "our recent paper (AN #45)" stays plain text.
        hark = next(p for p in posts if "HARK Side" in p["name"])
        texts = [m["content"] for m in env.server.world.messages_in(int(hark["id"]))]
        assert any("our recent paper (AN #45)" in t for t in texts)


MENTION_RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Pings</title><link>https://pings.example/</link>
<item><title>Hello @everyone</title><link>https://pings.example/1</link><guid>p1</guid>
<pubDate>Tue, 02 Jan 2024 09:30:00 GMT</pubDate>
<description>Attention @everyone and @here:
&lt;@&amp;{role}&gt; and &lt;@{user}&gt; read this.</description>
</item></channel></rss>"""


def _mention_feed(server: SandboxServer, demo: DemoGuild, feeds: FeedFiles) -> None:
    # The bot may mention everyone here: only allowed_mentions stands between text and ping.
    bot_role = server.world.get_guild(demo.guild_id).roles[demo.bot_role_id]
    bot_role.permissions |= int(P.MENTION_EVERYONE)
    body = MENTION_RSS.format(role=demo.moderator_role_id, user=demo.alice)
    feeds.set("pings.rss", body, "application/rss+xml")


async def test_feed_text_mentions_never_ping(sqlite_db: Database) -> None:
    async with make_bot_env(sqlite_db, feed="pings.rss", prepare=_mention_feed) as env:
        await env.wait_for(lambda: _all_posted(env, 1), timeout=20)
        [post] = env.posts()
        starter = _starter(env, post)
        demo = env.demo
        assert "@everyone" in starter["content"] and "@here" in starter["content"]
        assert f"<@&{demo.moderator_role_id}>" in starter["content"]
        assert f"<@{demo.alice}>" in starter["content"]
        assert starter["mention_everyone"] is False
        assert starter["mention_roles"] == []
        assert starter["mentions"] == []
        creates = env.server.log.find("POST", r"/threads(\?|$)")
        body = creates[0].request_json
        assert body["message"]["allowed_mentions"]["parse"] == []


async def test_ping_role_mentions_only_that_role(sqlite_db: Database) -> None:
    from sandbox.demo import build_demo_world

    world, demo = build_demo_world()
    async with (
        SandboxServer(world) as server,
        make_bot_env(
            sqlite_db,
            server=server,
            demo=demo,
            feed="pings.rss",
            prepare=_mention_feed,
            ping_role_id=demo.moderator_role_id,
        ) as env,
    ):
        await env.wait_for(lambda: _all_posted(env, 1), timeout=20)
        starter = _starter(env, env.posts()[0])
        assert starter["content"].startswith(f"<@&{demo.moderator_role_id}>")
        assert [int(r) for r in starter["mention_roles"]] == [demo.moderator_role_id]
        assert starter["mention_everyone"] is False
        assert starter["mentions"] == []


def _flaky_discord(server: SandboxServer, demo: DemoGuild, feeds: FeedFiles) -> None:
    server.faults.rate_limit("POST", r"/threads", times=3, retry_after=0.05)
    server.faults.fail("POST", r"/threads", status=503, times=2)
    server.faults.fail("POST", r"/threads", status=502, times=1)
    server.faults.fail("PATCH", rf"/channels/{demo.forum_channel_id}$", status=500, times=1)


async def test_429_and_5xx_still_post_exactly_once(sqlite_db: Database) -> None:
    async with make_bot_env(sqlite_db, prepare=_flaky_discord) as env:
        await env.wait_for(lambda: _all_posted(env, 12), timeout=60)
        log = env.server.log
        assert len(log.find("POST", r"/threads", 429)) == 3
        assert len(log.find("POST", r"/threads", 503)) == 2
        assert len(log.find("POST", r"/threads", 502)) == 1
        assert len(env.posts()) == 12
        assert thread_creates(env) == 12
        starters = [_starter(env, p)["content"] for p in env.posts()]
        assert len(set(starters)) == 12
        assert not any("anbot:pub" in text for text in starters)


def _no_send_in_forum(server: SandboxServer, demo: DemoGuild, feeds: FeedFiles) -> None:
    server.world.set_overwrite(
        demo.forum_channel_id, demo.bot_role_id, type=0, deny=int(P.SEND_MESSAGES)
    )


async def test_missing_permission_keeps_rows_pending_and_tells_mod_log_once(
    sqlite_db: Database,
) -> None:
    """A channel the bot cannot post to: its rows wait (pending, not failed, nothing lost), the
    mod-log is told once however many cycles pass, and once the permission is back every row
    goes out, once, with one more notice."""
    async with make_bot_env(sqlite_db, prepare=_no_send_in_forum) as env:

        async def waiting() -> bool:
            rows = await _statuses(env)
            notices = env.server.world.messages_in(env.demo.mod_log_channel_id)
            return rows == {"pending": 12} and len(notices) == 1

        await env.wait_for(waiting, timeout=20)
        await env.poll()
        await env.publish()
        async with env.db.session() as s:
            rows = await pubs.list_publications(s)
        assert {r.status for r in rows} == {"pending"}
        assert any(r.error and "403" in r.error for r in rows)
        notices = env.server.world.messages_in(env.demo.mod_log_channel_id)
        assert len(notices) == 1
        assert f"<#{env.demo.forum_channel_id}>" in notices[0]["content"]
        assert "12 posts wait" in notices[0]["content"]
        assert notices[0]["mention_everyone"] is False
        assert env.posts() == []

        env.server.world.set_overwrite(env.demo.forum_channel_id, env.demo.bot_role_id, type=0)
        await env.publish()
        assert await _statuses(env) == {"posted": 12}
        assert len(env.posts()) == 12
        assert len({p["name"] for p in env.posts()}) == 12
        notices = env.server.world.messages_in(env.demo.mod_log_channel_id)
        assert len(notices) == 2 and "works again" in notices[1]["content"]
        await env.poll()
        assert len(env.server.world.messages_in(env.demo.mod_log_channel_id)) == 2
