"""The publisher through the sandbox: a real discord.py client posting to the demo forum."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from storage import publications as pubs
from storage.models import Publication
from tests.bot.conftest import BotEnv


def thread_creates(env: BotEnv) -> int:
    """Successful thread creations the bot asked the sandbox for."""
    return sum(1 for c in env.server.log.find("POST", r"/threads(\?|$)") if c.status < 300)


def _starter(env: BotEnv, thread: dict[str, Any]) -> dict[str, Any]:
    return env.server.world.message(int(thread["id"]))


async def _statuses(env: BotEnv) -> dict[str, int]:
    async with env.db.session() as s:
        return await pubs.status_counts(s)


async def test_seed_issue_becomes_twelve_tagged_posts_once(bot_env: BotEnv) -> None:
    env = bot_env
    posts = await env.wait_for(lambda: len(env.posts()) >= 12 and env.posts())
    await env.wait_for(lambda: _statuses(env))
    assert await env.wait_for(lambda: _done(env))
    names = [p["name"] for p in posts]
    assert len(names) == 12
    assert names[0].startswith("AN #56 · HARK Side of Deep Learning")
    assert all(n.startswith("AN #56 · ") and len(n) <= 100 for n in names)
    forum = env.server.world.channel(env.demo.forum_channel_id)
    tag_ids = {t["name"]: t["id"] for t in forum["available_tags"]}
    assert {"Highlights", "AI alignment", "Other progress in AI"} <= set(tag_ids)
    assert posts[0]["applied_tags"] == [tag_ids["Highlights"]]
    assert posts[1]["applied_tags"] == [tag_ids["AI alignment"]]
    assert posts[-1]["applied_tags"] == [tag_ids["Other progress in AI"]]
    hark = _starter(env, posts[0])
    assert "Hypothesizing After the Results are Known" in hark["content"]
    assert "**Rohin's opinion:**" in hark["content"]
    world = env.server.world
    shown = [m["content"] for p in posts for m in world.messages_in(int(p["id"]))]
    assert all(len(text) <= 2000 for text in shown)
    assert not any("anbot:pub" in text for text in shown)  # readers see no internal marker

    # A second poll and publish cycle posts nothing new.
    assert thread_creates(env) == 12
    await env.poll()
    assert len(env.posts()) == 12
    assert thread_creates(env) == 12
    assert await _statuses(env) == {"posted": 12}


async def _done(env: BotEnv) -> bool:
    counts = await _statuses(env)
    return counts.get("posted", 0) == 12 and len(counts) == 1


async def test_post_made_with_a_marker_before_the_upgrade_is_adopted_not_reposted(
    bot_env: BotEnv,
) -> None:
    """A row left `posting` by a version that marked its starters (no starter hash stored)."""
    env = bot_env
    await env.wait_for(lambda: _done(env), timeout=20)
    async with env.db.session() as s:
        row = (await pubs.list_publications(s))[3]
    thread_id = row.thread_id or 0
    starter = env.server.world.message(thread_id)
    # The old starter: the same summary with the visible marker line at its end.
    await env.server.actor(env.demo.bot_user_id).edit(
        thread_id, thread_id, f"{starter['content']}\n-# {row.marker}"
    )
    async with env.db.session() as s:
        await s.exec(  # type: ignore[call-overload]
            sa.update(Publication)
            .where(col(Publication.id) == row.id)
            .values(status="posting", starter_hash=None, post_started_at=None)
        )
        await s.commit()
    cog: Any = env.bot.get_cog("PublisherCog")
    cog.publisher.healed_since_leader = False  # as after a restart
    await env.publish()
    async with env.db.session() as s:
        healed = await s.get(Publication, row.id)
    assert healed is not None and healed.status == "posted"
    assert healed.thread_id == thread_id
    assert thread_creates(env) == 12 and len(env.posts()) == 12
