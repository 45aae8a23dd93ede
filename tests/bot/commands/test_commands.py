"""`/an` commands through the sandbox: search + paging, issue, export with its permission rules,
and a fuzz of search options that must always end in a clear ephemeral answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage.comments import records_for_thread
from storage.db import Database
from storage.importer import import_database
from tests.bot.conftest import BotEnv, make_bot_env
from tests.bot.mirror.test_mirror import EXTENSIONS, stored, tracked_post
from threads.export import export
from threads.model import ThreadInfo

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture
async def env(sqlite_db: Database) -> AsyncIterator[BotEnv]:
    await import_database(sqlite_db, DATA / "an-summaries-database.csv")
    async with make_bot_env(sqlite_db, feed=None, extensions=EXTENSIONS) as bot_env:
        yield bot_env


def text_of(result: Any) -> str:
    parts = [result.content]
    for embed in result.embeds:
        parts += [embed.get("title", ""), embed.get("description", "")]
        parts += [f"{f['name']} {f['value']}" for f in embed.get("fields", [])]
    return "\n".join(parts)


async def test_search_harking_and_paging(env: BotEnv) -> None:
    alice = env.server.act_as("alice")
    result = await alice.run_command(env.demo.text_channel_id, "an search", {"query": "HARKing"})
    assert "HARK" in text_of(result), text_of(result)

    wide = await alice.run_command(env.demo.text_channel_id, "an search", {"query": "learning"})
    first = text_of(wide)
    assert "Page 1 of" in wide.embeds[0]["footer"]["text"]
    buttons = [c for row in wide.components for c in row["components"]]
    next_id = next(b["custom_id"] for b in buttons if b["label"] == "Next")
    assert next_id.startswith("an:pager:")
    # Only the invoker may page; bob is told so, privately, and the page does not move.
    refused = await env.server.act_as("bob").press(wide.message["id"], next_id)  # type: ignore[index]
    assert refused.ephemeral and "belong to the member" in refused.content
    page2 = await alice.click(wide.message, next_id)  # type: ignore[arg-type]
    assert "Page 2 of" in page2["embeds"][0]["footer"]["text"]
    assert page2["embeds"][0]["fields"][0]["name"] not in first


async def test_bad_search_syntax_is_specific_and_private(env: BotEnv) -> None:
    result = await env.server.act_as("alice").run_command(
        env.demo.text_channel_id, "an search", {"query": 'unclosed "phrase'}
    )
    assert result.ephemeral
    assert "couldn't read that search" in result.content or "No summaries" in result.content


async def test_issue_lists_and_unknown_range(env: BotEnv) -> None:
    alice = env.server.act_as("alice")
    result = await alice.run_command(env.demo.text_channel_id, "an issue", {"number": "56"})
    assert "12 summaries" in result.embeds[0]["description"]
    missing = await alice.run_command(env.demo.text_channel_id, "an issue", {"number": "999"})
    assert missing.ephemeral
    assert missing.content.startswith("No AN #999 — issues #1–#")
    assert "are known" in missing.content


async def test_summary_autocomplete_and_show(env: BotEnv) -> None:
    alice = env.server.act_as("alice")
    choices = await alice.autocomplete(env.demo.text_channel_id, "an summary", "title", "HARK")
    assert 1 <= len(choices) <= 25
    result = await alice.run_command(
        env.demo.text_channel_id, "an summary", {"title": choices[0]["value"]}
    )
    assert result.embeds and result.embeds[0]["title"] == choices[0]["name"]


async def test_export_moderator_member_and_hidden(env: BotEnv) -> None:
    thread_id = await tracked_post(env)
    alice, mira = env.server.act_as("alice"), env.server.act_as("mira")
    await alice.send(thread_id, "a comment")
    await env.wait_for(lambda: _has(env, thread_id, "a comment"))

    result = await mira.run_command(thread_id, "an export", {"format": "json", "sort": "top"})
    assert result.ephemeral and len(result.files) == 1, result
    name, data = result.files[0]
    assert name == f"thread-{thread_id}.json"
    async with env.db.session() as session:
        records = await records_for_thread(session, thread_id)
    thread = env.bot.get_channel(thread_id)
    info = ThreadInfo(
        id=thread_id,
        title=thread.name,  # type: ignore[union-attr]
        url=thread.jump_url,  # type: ignore[union-attr]
        guild_id=env.demo.guild_id,
        channel_id=env.demo.forum_channel_id,
    )
    assert data.decode() == "".join(export("json", info, records, order="top"))

    refused = await alice.run_command(thread_id, "an export", {})
    assert refused.ephemeral and not refused.files
    assert "Only moderators" in refused.content

    bad_since = await mira.run_command(thread_id, "an export", {"since": "last tuesday"})
    assert bad_since.ephemeral and "`since` must be" in bad_since.content

    # A thread in the staff-only channel: alice cannot export it, even by id, and the refusal
    # is the same as for a thread that does not exist (its name never appears).
    world = env.server.world
    secret = world.create_thread(
        env.demo.hidden_channel_id, "Secret moderation plans", env.demo.mira
    )
    for ref in (str(secret.id), f"https://discord.com/channels/{env.demo.guild_id}/{secret.id}"):
        hidden = await alice.run_command(env.demo.text_channel_id, "an export", {"thread": ref})
        assert hidden.ephemeral and not hidden.files
        assert "Secret" not in hidden.content and "can't find a thread" in hidden.content
    nowhere = await alice.run_command(env.demo.text_channel_id, "an export", {"thread": "123"})
    assert nowhere.content == hidden.content


async def _has(env: BotEnv, thread_id: int, text: str) -> bool:
    return any(r.content == text for r in (await stored(env, thread_id)).values())


async def test_thread_stats_and_visits(env: BotEnv) -> None:
    thread_id = await tracked_post(env)
    bob = env.server.act_as("bob")
    await bob.send(thread_id, "one")
    await env.wait_for(lambda: _has(env, thread_id, "one"))
    first = await bob.run_command(thread_id, "an thread")
    assert first.ephemeral and "**1** comments" in first.content and "First visit" in first.content
    await env.server.act_as("carol").send(thread_id, "two")
    await env.wait_for(lambda: _has(env, thread_id, "two"))
    second = await bob.run_command(thread_id, "an thread")
    assert "1 new since your last visit" in second.content


options = st.fixed_dictionaries(
    {"query": st.text(min_size=1, max_size=60)},
    optional={
        "section": st.text(min_size=1, max_size=20),
        "author": st.text(min_size=1, max_size=20),
        "summarizer": st.text(min_size=1, max_size=20),
        "issue": st.integers(min_value=1, max_value=100_000),
    },
)


async def test_search_fuzz_always_answers_clearly(env: BotEnv) -> None:
    alice = env.server.act_as("alice")
    answers: list[Any] = []

    @settings(
        max_examples=30,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(opts=options)
    def probe(opts: dict[str, Any]) -> None:
        answers.append(opts)

    probe()
    for opts in answers:
        result = await alice.run_command(env.demo.text_channel_id, "an search", opts)
        text = text_of(result)
        assert text.strip(), opts
        assert "Traceback" not in text and "went wrong on my side" not in text, (opts, text)
        if not result.embeds:
            assert result.ephemeral, (opts, text)
