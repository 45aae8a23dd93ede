"""The web archive's Discord side through the sandbox (the real discord.py client over a socket):
channel visibility from permission overwrites, `/an web publish|unpublish` (Manage Server),
`/an privacy web:hide`, thread deletion, and `/an search … scope:discussions`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa

from sandbox.permissions import P
from storage import web_archive as wa
from storage.db import Database
from tests.bot.conftest import BotEnv, make_bot_env
from tests.bot.mirror.test_mirror import stored, tracked_post

EXTENSIONS = ("bot.mirror", "bot.commands", "bot.archive")


@pytest.fixture
async def env(sqlite_db: Database) -> AsyncIterator[BotEnv]:
    async with make_bot_env(sqlite_db, feed=None, extensions=EXTENSIONS) as bot_env:
        yield bot_env


async def channel_row(env: BotEnv, channel_id: int) -> dict[str, object] | None:
    async with env.db.session() as session:
        row = (
            await wa.run(
                session, sa.select(wa.CHANNELS).where(wa.CHANNELS.c.channel_id == channel_id)
            )
        ).first()
    return None if row is None else dict(row._mapping)


async def test_visibility_publish_and_privacy(env: BotEnv) -> None:
    demo = env.demo
    forum = await env.wait_for(lambda: channel_row(env, demo.forum_channel_id))
    hidden = await env.wait_for(lambda: channel_row(env, demo.hidden_channel_id))
    assert forum["everyone_can_read"] is True and forum["published"] is False
    assert hidden["everyone_can_read"] is False  # @everyone is denied View Channel there

    refused = await env.server.act_as("alice").run_command(
        demo.text_channel_id,
        "an web publish",
        {"channel": demo.forum_channel_id},
        enforce_default_permissions=False,
    )
    assert refused.ephemeral and "Manage Server" in refused.content
    done = await env.server.act_as("mira").run_command(
        demo.text_channel_id, "an web publish", {"channel": demo.forum_channel_id}
    )
    assert done.ephemeral and "is published" in done.content
    assert (await channel_row(env, demo.forum_channel_id) or {})["published"] is True
    warned = await env.server.act_as("mira").run_command(
        demo.text_channel_id, "an web publish", {"channel": demo.hidden_channel_id}
    )
    assert "@everyone cannot read it" in warned.content

    # The forum turns private: the bot sees the overwrite change and records it.
    env.server.world.set_overwrite(
        demo.forum_channel_id, demo.guild_id, type=0, deny=int(P.VIEW_CHANNEL)
    )

    async def now_private() -> bool:
        row = await channel_row(env, demo.forum_channel_id)
        return bool(row) and row["everyone_can_read"] is False  # type: ignore[index]

    await env.wait_for(now_private)

    hide = await env.server.act_as("alice").run_command(
        demo.text_channel_id, "an privacy", {"web": "hide"}
    )
    assert hide.ephemeral and "hidden from the web archive" in hide.content
    async with env.db.session() as session:
        assert await wa.hidden_members(session, [demo.alice, demo.bob]) == {demo.alice}


async def test_deleted_thread_and_discussion_search(env: BotEnv) -> None:
    demo = env.demo
    await env.server.act_as("mira").run_command(
        demo.text_channel_id, "an web publish", {"channel": demo.forum_channel_id}
    )
    thread_id = await tracked_post(env, "A paper on zymurgy")
    await env.server.act_as("bob").send(thread_id, "zymurgy is the chemistry of fermentation")
    await env.wait_for(lambda: _has_comment(env, thread_id))
    # Discussion search only covers threads with a summary page: give this one a publication.
    async with env.db.session() as session:
        issue = (
            await wa.run(
                session,
                sa.insert(wa.ISSUES)
                .values(
                    number=99,
                    label="AN #99",
                    title="AN #99",
                    layout="an",
                    publish=True,
                    created_at=sa.func.now(),
                )
                .returning(wa.ISSUES.c.id),
            )
        ).scalar_one()
        sid = (
            await wa.run(
                session,
                sa.insert(wa.SUMMARIES)
                .values(
                    issue_id=issue,
                    position=0,
                    dedupe_key="z",
                    section="",
                    title="Zymurgy",
                    summary="",
                    opinions=[],
                    cross_refs=[],
                    highlight=False,
                    source="feed",
                    updated_at=sa.func.now(),
                )
                .returning(wa.SUMMARIES.c.id),
            )
        ).scalar_one()
        await wa.run(
            session,
            sa.insert(wa.PUBS).values(
                issue_id=issue,
                summary_id=sid,
                channel_id=demo.forum_channel_id,
                mode="forum",
                status="posted",
                marker="mz",
                thread_id=thread_id,
                attempts=0,
                error_reported=False,
                created_at=sa.func.now(),
                updated_at=sa.func.now(),
            ),
        )
        await session.commit()
    alice = env.server.act_as("alice")
    found = await alice.run_command(
        demo.text_channel_id, "an search", {"query": "fermentation", "scope": "discussions"}
    )
    text = "\n".join(f"{f['name']} {f['value']}" for f in found.embeds[0]["fields"])
    assert "on Zymurgy" in text and "**fermentation**" in text
    env.server.world.delete_channel(thread_id)

    async def gone() -> bool:
        async with env.db.session() as session:
            return not await wa.public_threads_of(session, [sid])

    await env.wait_for(gone)
    missing = await alice.run_command(
        demo.text_channel_id, "an search", {"query": "fermentation", "scope": "discussions"}
    )
    assert missing.ephemeral and "No public comments match" in missing.content


async def _has_comment(env: BotEnv, thread_id: int) -> bool:
    return any(not r.is_starter for r in (await stored(env, thread_id)).values())
