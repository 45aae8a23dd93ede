"""No command leaks a hidden thread: the bot publishes AN #56 into a thread of the staff-only
channel, a moderator renames it and comments there; alice (a member who cannot see that
channel) tries every command and autocomplete — nothing returns the comment text or the
thread's new name, and export refuses by id and by link exactly as for a thread that does not
exist. And a generic feed item titled "@everyone <@&role>" never pings."""

from __future__ import annotations

from typing import Any

from sandbox.demo import DemoGuild, build_demo_world
from sandbox.errors import ApiError
from sandbox.permissions import P
from sandbox.server import SandboxServer
from storage import publications as pubs
from storage.db import Database
from tests.bot.commands.test_commands import text_of
from tests.bot.conftest import BotEnv, FeedFiles, make_bot_env
from tests.bot.mirror.test_mirror import stored
from tests.reliability.feedgen import generic_rss

SECRET_NAME = "Renamed: plans for the moderation purge"
SECRET_TEXT = "SECRET-COMMENT-TEXT about HARKing"


async def _all_posted(env: BotEnv) -> bool:
    async with env.db.session() as s:
        counts = await pubs.status_counts(s)
    return bool(counts) and set(counts) == {"posted"}


def _leaks(text: str) -> list[str]:
    return [s for s in (SECRET_NAME, "moderation purge", "SECRET-COMMENT-TEXT") if s in text]


async def test_no_command_reveals_a_hidden_thread(sqlite_db: Database) -> None:
    world, demo = build_demo_world()
    async with (
        SandboxServer(world) as server,
        make_bot_env(
            sqlite_db,
            server=server,
            demo=demo,
            publish_channels=[f"{demo.hidden_channel_id}:thread"],
        ) as env,
    ):
        await env.wait_for(_all_posted_of(env), timeout=30)
        [thread] = world.threads_in(demo.hidden_channel_id)
        thread_id = int(thread["id"])
        mira, alice = server.act_as("mira"), server.act_as("alice")
        world.update_channel(thread_id, {"name": SECRET_NAME})
        await mira.send(thread_id, SECRET_TEXT)

        async def mirrored() -> bool:
            return any(r.content == SECRET_TEXT for r in (await stored(env, thread_id)).values())

        await env.wait_for(mirrored)
        assert env.bot.get_channel(thread_id).name == SECRET_NAME  # type: ignore[union-attr]
        await _alice_tries_everything(env, alice, thread_id)


def _all_posted_of(env: BotEnv) -> Any:
    return lambda: _all_posted(env)


async def _alice_tries_everything(env: BotEnv, alice: Any, thread_id: int) -> None:
    demo, text_channel = env.demo, env.demo.text_channel_id
    answers: list[tuple[str, str]] = []

    # The moderators' commands are hidden from members (default_member_permissions); alice
    # tries them as if a server admin had granted them, so the run-time checks are what holds.
    async def run(command: str, options: dict[str, Any] | None = None) -> Any:
        result = await alice.run_command(
            text_channel, command, options or {}, enforce_default_permissions=False
        )
        text = text_of(result)
        for value in (options or {}).values():
            text = text.replace(str(value), "")  # alice's own words echoed back are no leak
        answers.append((f"{command} {options}", text))
        return result

    refusals = []
    for ref in (
        str(thread_id),
        f"<#{thread_id}>",
        f"https://discord.com/channels/{demo.guild_id}/{thread_id}",
        f"https://discord.com/channels/{demo.guild_id}/{thread_id}/{thread_id}",
    ):
        result = await run("an-mod export", {"thread": ref, "format": "json"})
        assert result.ephemeral and not result.files, ref
        refusals.append(result.content)
    nowhere = await run("an-mod export", {"thread": "123456789"})
    assert set(refusals) == {nowhere.content}  # indistinguishable from a missing thread

    await run("an issue", {"number": "56"})
    await run("an issue", {"number": "latest"})
    await run("an latest", {"count": 3})
    await run("an search", {"query": "HARKing"})
    await run("an search", {"query": "SECRET-COMMENT-TEXT"})
    await run("an search", {"query": "moderation purge"})
    titles = await alice.autocomplete(text_channel, "an summary", "title", "HARK")
    answers.append(("summary autocomplete", repr(titles)))
    await run("an summary", {"title": titles[0]["value"]})
    for typed in ("", "Renamed", "purge", str(thread_id)):
        hub = env.server.interactions
        record = hub.command(
            text_channel,
            demo.alice,
            "an-mod export",
            {"thread": typed},
            focused="thread",
            enforce_default_permissions=False,
        )
        choices = list((await hub.settle(record, timeout=10)).choices or [])
        answers.append((f"export autocomplete {typed!r}", repr(choices)))
        assert all(int(c["value"]) != thread_id for c in choices), choices
    # Inside the hidden thread alice cannot even run a command (Discord refuses it).
    for command in ("an thread", "an-mod export"):
        try:
            result = await alice.run_command(
                thread_id, command, {}, enforce_default_permissions=False
            )
        except ApiError as exc:
            assert exc.status == 403
        else:
            answers.append((f"{command} in the thread", text_of(result)))
    leaks = [(what, _leaks(text)) for what, text in answers if _leaks(text)]
    assert not leaks, leaks
    # The summary answers do point at the hidden thread, as a mention only: Discord shows
    # members who cannot see it no name.
    assert any(f"<#{thread_id}>" in text for _what, text in answers)


PINGS = "@everyone <@&{role}> @here"


def _ping_feed(server: SandboxServer, demo: DemoGuild, feeds: FeedFiles) -> None:
    # The bot could ping everyone and the role: only allowed_mentions stands in the way.
    guild = server.world.get_guild(demo.guild_id)
    guild.roles[demo.bot_role_id].permissions |= int(P.MENTION_EVERYONE)
    title = PINGS.format(role=demo.moderator_role_id)
    body = f"{title} and <@{demo.alice}>: read this."
    feeds.set("ping.rss", generic_rss([("ping-1", title, body)]), "application/rss+xml")


async def test_feed_item_title_with_mentions_never_pings(sqlite_db: Database) -> None:
    async with make_bot_env(sqlite_db, feed="ping.rss", prepare=_ping_feed) as env:
        await env.wait_for(_all_posted_of(env), timeout=20)
        [post] = env.posts()
        role = env.demo.moderator_role_id
        assert post["name"] == PINGS.format(role=role)  # the title is the post's name, as is
        for message in env.server.world.messages_in(int(post["id"])):
            assert message["mention_everyone"] is False
            assert message["mention_roles"] == [] and message["mentions"] == []
        starter = env.server.world.message(int(post["id"]))
        assert "@everyone" in starter["content"] and f"<@&{role}>" in starter["content"]
        assert f"<@{env.demo.alice}>" in starter["content"]
        creates = env.server.log.find("POST", r"/threads(\?|$)")
        assert creates[0].request_json["message"]["allowed_mentions"]["parse"] == []
