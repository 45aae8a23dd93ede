"""`/an search` hits open their discussions: a "Discuss n" button per hit, under every page of
the pager, pressed by any member (not only the one who searched), through bot/discuss (one post
even for two presses at once, an existing post linked); the hit then shows the discussion's
size ("1 comment, last 2 days ago"). Through the sandbox, on both backends."""

from __future__ import annotations

import asyncio
import functools
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from storage.db import Database
from storage.models import Comment, utcnow
from tests.bot.conftest import BotEnv, make_bot_env
from tests.bot.discuss.test_discuss import _discussions_forum, _forum, _old_summary


def _buttons(components: list[dict[str, Any]]) -> dict[str, str]:
    return {b["label"]: b["custom_id"] for row in components for b in row["components"]}


def _hit_title(embed: dict[str, Any], number: int) -> str:
    """The plain title of hit `number` on this page ("3. Title" → "Title")."""
    field = next(f for f in embed["fields"] if f["name"].startswith(f"{number}. "))
    return str(field["name"].split(". ", 1)[1])


def _field(embed: dict[str, Any], title: str) -> str:
    return str(next(f["value"] for f in embed["fields"] if f["name"].endswith(title)))


async def _press(env: BotEnv, who: str, message: Any, custom_id: str) -> str:
    result = await env.server.act_as(who).press(message, custom_id, timeout=30)
    assert result.ephemeral, result.content
    return str(result.content)


async def test_search_hits_open_their_discussions_on_every_page(db: Database) -> None:
    async with make_bot_env(
        db, backfill=0, prepare=_discussions_forum, discuss_cooldown=3600.0
    ) as env:
        await _old_summary(env)  # AN #55 and #56 recorded, nothing posted
        forum = _forum(env)
        await env.server.act_as("mira").run_command(
            env.demo.text_channel_id, "an feed discuss_channel", {"channel": str(forum)}
        )
        alice = env.server.act_as("alice")
        found = await alice.run_command(env.demo.text_channel_id, "an search", {"query": "the"})
        page1 = found.embeds[0]
        assert page1["footer"]["text"].startswith("Page 1 of"), page1
        buttons = _buttons(found.components)
        assert {"Previous", "Next", *(f"Discuss {n}" for n in range(1, 6))} <= set(buttons)

        # Bob and Eve did not search (they may not page) but may open a hit's discussion;
        # pressing at once, they get one post.
        second = _hit_title(page1, 2)
        opened = await asyncio.gather(
            *(_press(env, who, found.message, buttons["Discuss 2"]) for who in ("bob", "eve"))
        )
        posts = env.posts(forum)
        assert len(posts) == 1 and second[:40] in posts[0]["name"], (second, posts)
        link = f"/channels/{env.demo.guild_id}/{posts[0]['id']}"
        assert all(o.startswith("Discussion: ") and link in o for o in opened), opened

        # Page 2 carries its own hits' buttons.
        page2_message = await alice.click(found.message, buttons["Next"])  # type: ignore[arg-type]
        page2 = page2_message["embeds"][0]
        assert page2["footer"]["text"].startswith("Page 2 of")
        buttons2 = _buttons(page2_message["components"])
        assert "Discuss 6" in buttons2 and "Discuss 1" not in buttons2
        sixth = _hit_title(page2, 6)
        assert await _press(env, "carol", page2_message, buttons2["Discuss 6"])
        posts = env.posts(forum)
        assert len(posts) == 2 and sixth[:40] in posts[1]["name"], (sixth, posts)

        # Back on page 1, a hit whose post exists links it: no second post.
        back = await alice.click(found.message, buttons2["Previous"])  # type: ignore[arg-type]
        assert _buttons(back["components"])["Discuss 2"] == buttons["Discuss 2"]
        again = await _press(env, "dave", back, buttons["Discuss 2"])
        assert link in again and len(env.posts(forum)) == 2

        # The discussion's size shows on the hit once someone replied.
        thread_id = int(posts[0]["id"])
        await env.server.act_as("alice").send(thread_id, "A first thought")

        async def hit_text() -> str:
            result = await alice.run_command(
                env.demo.text_channel_id, "an search", {"query": "the"}
            )
            assert _hit_title(result.embeds[0], 2) == second  # the same order as before
            return _field(result.embeds[0], second)

        fresh = await env.wait_for(
            lambda: _sized(hit_text(), f"<#{thread_id}> (1 comment, last just now)")
        )
        assert "thread <#" in fresh
        async with env.db.session() as s:
            await s.exec(  # type: ignore[call-overload]
                sa.update(Comment)
                .where(Comment.thread_id == thread_id)  # type: ignore[arg-type]
                .values(created_at=utcnow() - timedelta(days=2, hours=1))
            )
            await s.commit()
        assert "(1 comment, last 2 days ago)" in await hit_text()


async def _sized(text: Any, wanted: str) -> str:
    found = str(await text)
    return found if wanted in found else ""


async def test_discuss_buttons_outlive_the_paging_and_more_buttons(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Paging (and "More" on /an summary) expire; the Discuss buttons beside them stay and still
    answer, on that message and on every other (discord.py forgets a persistent item's class
    when a view holding one stops: bot/commands/views.ExpiringView)."""
    from bot.commands import _cog, views

    monkeypatch.setattr(_cog, "send_paged", functools.partial(views.send_paged, view_timeout=0.3))
    monkeypatch.setattr(_cog, "MoreView", functools.partial(views.MoreView, timeout=0.3))
    async with make_bot_env(db, backfill=0) as env:
        summary = await _old_summary(env)
        alice = env.server.act_as("alice")
        found = await alice.run_command(env.demo.text_channel_id, "an search", {"query": "the"})
        card = await alice.run_command(
            env.demo.text_channel_id, "an summary", {"title": f"id:{summary.id}"}
        )
        assert "Next" in _buttons(found.components) and "More" in _buttons(card.components)

        def expired(message: Any, gone: str) -> Any:
            def check() -> dict[str, str]:
                labels = _buttons(env.server.world.message(int(message["id"]))["components"])
                return labels if gone not in labels else {}

            return check

        left = await env.wait_for(expired(found.message, "Next"))
        assert sorted(left) == [f"Discuss {n}" for n in range(1, 6)], left
        on_card = await env.wait_for(expired(card.message, "More"))
        assert list(on_card) == ["Discuss"], on_card
        # Both still answer (here: no forum is set for discussions yet).
        pressed = ((found.message, left["Discuss 1"]), (card.message, on_card["Discuss"]))
        for message, custom_id in pressed:
            answer = await _press(env, "bob", message, custom_id)
            assert "no discussion forum yet" in answer, answer
