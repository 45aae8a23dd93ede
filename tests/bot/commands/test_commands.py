"""`/an` commands through the sandbox: search + paging, issue, export with its permission rules,
and a fuzz of search options that must always end in a clear ephemeral answer."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import col, select

from sandbox.errors import ApiError
from storage.comments import records_for_thread
from storage.db import Database
from storage.importer import import_database
from storage.issues import get_issue_by_number
from storage.models import Issue, Summary
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
    # One page: no paging buttons, but each hit's Discuss (tests/bot/discuss).
    labels = [c["label"] for row in result.components for c in row["components"]]
    hits = len(result.embeds[0]["fields"])
    assert labels == [f"Discuss {n}" for n in range(1, hits + 1)], labels

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

    result = await mira.run_command(thread_id, "an-mod export", {"format": "json", "sort": "top"})
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

    # Members do not see the moderators' commands (default_member_permissions: Manage
    # Threads); where a server admin granted them anyway, the run-time check still refuses.
    with pytest.raises(ApiError, match="hidden from this member"):
        await alice.run_command(thread_id, "an-mod export", {})
    refused = await alice.run_command(
        thread_id, "an-mod export", {}, enforce_default_permissions=False
    )
    assert refused.ephemeral and not refused.files
    assert "Only moderators" in refused.content

    bad_since = await mira.run_command(thread_id, "an-mod export", {"since": "last tuesday"})
    assert bad_since.ephemeral and "`since` must be" in bad_since.content

    # A thread in the staff-only channel: alice cannot export it, even by id, and the refusal
    # is the same as for a thread that does not exist (its name never appears).
    world = env.server.world
    secret = world.create_thread(
        env.demo.hidden_channel_id, "Secret moderation plans", env.demo.mira
    )
    for ref in (str(secret.id), f"https://discord.com/channels/{env.demo.guild_id}/{secret.id}"):
        hidden = await alice.run_command(
            env.demo.text_channel_id,
            "an-mod export",
            {"thread": ref},
            enforce_default_permissions=False,
        )
        assert hidden.ephemeral and not hidden.files
        assert "Secret" not in hidden.content and "can't find a thread" in hidden.content
    nowhere = await alice.run_command(
        env.demo.text_channel_id,
        "an-mod export",
        {"thread": "123"},
        enforce_default_permissions=False,
    )
    assert nowhere.content == hidden.content


async def _has(env: BotEnv, thread_id: int, text: str) -> bool:
    return any(r.content == text for r in (await stored(env, thread_id)).values())


async def test_thread_stats_and_visits(env: BotEnv) -> None:
    thread_id = await tracked_post(env)
    bob = env.server.act_as("bob")
    await bob.send(thread_id, "one")
    await env.wait_for(lambda: _has(env, thread_id, "one"))
    first = await bob.run_command(thread_id, "an thread")
    assert first.ephemeral and "First visit" in first.content
    assert "**1 comment** from **1 participant**" in first.content  # not "1 comments"
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


# --- what readers see (issue 14) -------------------------------------------------------------


async def test_issue_title_names_the_issue_once(env: BotEnv) -> None:
    async with env.db.session() as session:
        issue = await get_issue_by_number(session, 56)
        assert issue is not None
        # As the feed titles it.
        issue.title = (
            "[AN #56]: Should ML researchers stop running experiments before making hypotheses?"
        )
        session.add(issue)
        await session.commit()
    result = await env.server.act_as("alice").run_command(
        env.demo.text_channel_id, "an issue", {"number": "56"}
    )
    title = result.embeds[0]["title"]
    assert title.startswith("AN #56: Should ML researchers stop running experiments"), title
    assert title.count("AN #56") == 1


async def test_latest_says_one_summary_not_one_summaries(env: BotEnv) -> None:
    async with env.db.session() as session:
        issue = await get_issue_by_number(session, 56)
        assert issue is not None
        lonely = Issue(title="A lonely note", label="AN #999", number=999)
        lonely.published_at = datetime.now(UTC)
        session.add(lonely)
        await session.flush()
        session.add(Summary(issue_id=lonely.id, title="Only one", dedupe_key="only one"))
        await session.commit()
    result = await env.server.act_as("alice").run_command(
        env.demo.text_channel_id, "an latest", {"count": 1}
    )
    text = result.embeds[0]["description"]
    assert "AN #999" in text and "1 summary" in text and "1 summaries" not in text


async def test_search_field_names_carry_no_links_the_values_do(env: BotEnv) -> None:
    result = await env.server.act_as("alice").run_command(
        env.demo.text_channel_id, "an search", {"query": '"Logical Counterfactuals for Perfect"'}
    )
    field = result.embeds[0]["fields"][0]
    assert field["name"] == (
        "1. Logical Counterfactuals for Perfect Predictors and A Short Note on UDT"
    )
    assert "](" not in field["name"]
    assert (
        "[Logical Counterfactuals for Perfect Predictors](<https://www.lesswrong.com/posts/AKkFh3zKGzcYBiPo7"
        in field["value"]
    )


async def test_search_highlight_never_lands_in_a_url(env: BotEnv) -> None:
    result = await env.server.act_as("alice").run_command(
        env.demo.text_channel_id, "an search", {"query": "amplification"}
    )
    for field in result.embeds[0]["fields"]:
        for url in re.findall(r"\]\(<?([^)>\s]+)", field["value"]):
            assert "**" not in url, field["value"]


async def test_empty_search_error_says_it_once(env: BotEnv) -> None:
    result = await env.server.act_as("alice").run_command(
        env.demo.text_channel_id, "an search", {"query": '""'}
    )
    assert result.ephemeral
    assert result.content.count("filters") == 1, result.content
    assert result.content.count("by:") == 1, result.content


async def test_thread_and_track_outside_a_thread_name_no_missing_option(env: BotEnv) -> None:
    for actor, command in (("alice", "an thread"), ("mira", "an-mod track")):
        result = await env.server.act_as(actor).run_command(env.demo.text_channel_id, command)
        assert result.ephemeral and result.content == "Run this inside a thread.", result.content


async def test_moderator_commands_are_hidden_from_members(env: BotEnv) -> None:
    world = env.server.world
    commands = world.guild_commands.get(env.demo.guild_id, []) + world.global_commands
    by_name = {c["name"]: c for c in commands}
    assert str(by_name["an-mod"]["default_member_permissions"]) == str(1 << 34)  # Manage Threads
    assert by_name["an"]["default_member_permissions"] is None
    assert {o["name"] for o in by_name["an-mod"]["options"]} == {"track", "untrack", "export"}
    assert not {"track", "untrack", "export"} & {o["name"] for o in by_name["an"]["options"]}


async def test_summary_leads_with_links_and_keeps_the_rest_behind_more(env: BotEnv) -> None:
    alice = env.server.act_as("alice")
    choices = await alice.autocomplete(
        env.demo.text_channel_id, "an summary", "title", "Adversarial Examples Are Not Bugs"
    )
    result = await alice.run_command(
        env.demo.text_channel_id, "an summary", {"title": choices[0]["value"]}
    )
    embed = result.embeds[0]
    assert embed["title"].startswith("Adversarial Examples Are Not Bugs")
    lines = embed["description"].splitlines()
    assert lines[0].startswith("**Discussion:**") and lines[1].startswith("**Paper:** [")
    assert len(embed["description"]) <= 1200 and not result.followups
    more = next(c for row in result.components for c in row["components"] if c["label"] == "More")
    full = await env.server.act_as("bob").press(result.message["id"], more["custom_id"])  # type: ignore[index]
    assert full.ephemeral
    whole = "\n".join(e["description"] for e in full.embeds)
    whole += "".join(e["description"] for m in full.followups for e in m.embeds)
    assert "**Rohin's opinion:**" in whole or "opinion:**" in whole


async def test_summary_shows_database_cross_references_as_links(env: BotEnv) -> None:
    alice = env.server.act_as("alice")
    async with env.db.session() as session:
        rows = (await session.exec(select(Summary))).all()
    citing = next(s for s in rows if "<@provocative paper@>" in s.summary)
    result = await alice.run_command(
        env.demo.text_channel_id, "an summary", {"title": f"id:{citing.id}"}
    )
    shown = text_of(result)
    more = [c for row in result.components for c in row["components"] if c["label"] == "More"]
    if more:
        full = await alice.press(result.message["id"], more[0]["custom_id"])  # type: ignore[index]
        shown += text_of(full) + "".join(text_of(m) for m in full.followups)  # type: ignore[arg-type]
    assert "<@" not in shown and "@>" not in shown and "(@" not in shown
    assert "[provocative paper](<http" in shown
    async with env.db.session() as session:
        again = await session.get(Summary, citing.id)
    assert again is not None and "<@provocative paper@>" in again.summary  # stored as it was


def _stall_database(env: BotEnv, monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Every unit of database work of the bot waits `seconds` first: a slow or busy database."""
    db = env.bot.db
    session, run_sync = db.session, db.run_sync

    @contextlib.asynccontextmanager
    async def slow_session(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        await asyncio.sleep(seconds)
        async with session(*args, **kwargs) as inner:
            yield inner

    async def slow_run_sync(*args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(seconds)
        return await run_sync(*args, **kwargs)

    monkeypatch.setattr(db, "session", slow_session)
    monkeypatch.setattr(db, "run_sync", slow_run_sync)


DISCORD_DEADLINE = 3.0  # seconds Discord waits for an interaction's first answer


async def test_commands_defer_in_time_when_the_database_stalls(
    env: BotEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with env.db.session() as session:
        hark = (
            await session.exec(select(Summary).where(col(Summary.title).contains("HARK")))
        ).first()
    assert hark is not None
    _stall_database(env, monkeypatch, 2.5)
    hub = env.server.interactions
    cases = [
        ("an search", {"query": "HARKing"}, "HARK"),
        ("an summary", {"title": f"id:{hark.id}"}, "HARK"),
        ("an issue", {"number": "56"}, "AN #56"),
        ("an latest", {}, "AN #"),
    ]
    for command, options, expected in cases:
        record = hub.command(env.demo.text_channel_id, env.demo.alice, command, options)
        # Discord's deadline: no first answer by then is "The application did not respond".
        await hub.wait(record, lambda r: r.callback_type is not None, DISCORD_DEADLINE)
        assert record.callback_type == 5, (command, record.callback_type)  # deferred
        result = await hub.settle(record, timeout=30)
        assert expected in text_of(result), (command, text_of(result))


async def test_paging_defers_in_time_when_the_database_stalls(
    env: BotEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = env.server.act_as("alice")
    wide = await alice.run_command(env.demo.text_channel_id, "an search", {"query": "learning"})
    buttons = [c for row in wide.components for c in row["components"]]
    next_id = next(b["custom_id"] for b in buttons if b["label"] == "Next")
    message_id = int(wide.message["id"])  # type: ignore[index]
    _stall_database(env, monkeypatch, 2.5)
    hub = env.server.interactions
    record = hub.component(message_id, env.demo.alice, next_id, component_type=2)
    await hub.wait(record, lambda r: r.callback_type is not None, DISCORD_DEADLINE)
    assert record.callback_type == 6  # a deferred update: the page changes in place later

    def on_page_two() -> bool:
        embeds = env.server.world.message(message_id)["embeds"]
        return bool(embeds) and embeds[0]["footer"]["text"].startswith("Page 2 of")

    await env.wait_for(on_page_two, timeout=30)


async def test_export_after_and_before_filter_and_bad_window_is_clear(env: BotEnv) -> None:
    thread_id = await tracked_post(env)
    mira = env.server.act_as("mira")
    await mira.send(thread_id, "an early comment")
    await env.wait_for(lambda: _has(env, thread_id, "an early comment"))
    cut = datetime.now(UTC).isoformat()
    await asyncio.sleep(0.05)
    await mira.send(thread_id, "a late comment")
    await env.wait_for(lambda: _has(env, thread_id, "a late comment"))
    result = await mira.run_command(thread_id, "an-mod export", {"format": "json", "after": cut})
    document = result.files[0][1].decode()
    assert "a late comment" in document and "an early comment" not in document
    assert "1 comment," in result.content
    bad = await mira.run_command(
        thread_id, "an-mod export", {"after": "2024-05-02", "before": "2024-05-01"}
    )
    assert bad.ephemeral and bad.content == "`after` must be earlier than `before`."
