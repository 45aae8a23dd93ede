"""Bad input to `/an issue`, `/an summary`, `/an latest` and `/an-mod export` (hypothesis, ~25
examples each, plus the classic troublemakers): always a clear answer, ephemeral when it is an
error, never a trace or the generic "something went wrong" text. (`/an search` is fuzzed in
tests/bot/commands/test_commands.py.)"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import GENERIC_ERROR
from storage.db import Database
from storage.importer import import_database
from tests.bot.commands.test_commands import text_of
from tests.bot.conftest import BotEnv, make_bot_env
from tests.bot.mirror.test_mirror import EXTENSIONS, stored, tracked_post

pytestmark = pytest.mark.slow

DATA = Path(__file__).resolve().parents[1] / "data"
EXAMPLES = 25


@pytest.fixture
async def env(sqlite_db: Database) -> AsyncIterator[BotEnv]:
    await import_database(sqlite_db, DATA / "an-summaries-database.csv")
    async with make_bot_env(sqlite_db, feed=None, extensions=EXTENSIONS) as bot_env:
        yield bot_env


def examples(strategy: st.SearchStrategy[Any], fixed: list[Any]) -> list[Any]:
    """The fixed troublemakers, then EXAMPLES drawn by hypothesis."""
    drawn: list[Any] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(value=strategy)
    def probe(value: Any) -> None:
        drawn.append(value)

    probe()
    return fixed + drawn


def check(result: Any, case: Any, ok: Callable[[Any], bool] = lambda r: bool(r.embeds)) -> None:
    text = text_of(result)
    assert text.strip() or result.files, case
    assert "Traceback" not in text and GENERIC_ERROR not in text, (case, text)
    if not ok(result):
        assert result.ephemeral, (case, text)


ISSUE_NUMBERS = [
    "latest", "LATEST", "-1", "0", "99999999999999999999", "AN #56", "an#56", "#56", "", " ",
    "٥٦", "²", "１２", "56.0", "1e3", "0x38", "AN #", "56 57", "\x00", "🙂", "a" * 25,
]  # fmt: skip


async def test_issue_number_fuzz(env: BotEnv) -> None:
    alice = env.server.act_as("alice")
    for number in examples(st.text(max_size=25), ISSUE_NUMBERS):
        result = await alice.run_command(env.demo.text_channel_id, "an issue", {"number": number})
        check(result, number)


SUMMARY_TITLES = [
    "", "id:", "id:-1", "id:0", "id:99999999999999999999999", "id:12abc", "%", "_", "'; DROP",
    '"', "\\", "HARK" * 100, "🙂", "\u202e", "x" * 301,
]  # fmt: skip


async def test_summary_title_fuzz(env: BotEnv) -> None:
    alice = env.server.act_as("alice")
    for title in examples(st.text(max_size=320), SUMMARY_TITLES):
        result = await alice.run_command(env.demo.text_channel_id, "an summary", {"title": title})
        check(result, title)


LATEST_COUNTS = [0, -1, 11, 10**6, -(2**63), 2**63 - 1, 2**64, 10**30]


async def test_latest_count_fuzz(env: BotEnv) -> None:
    alice = env.server.act_as("alice")
    counts = examples(st.integers(min_value=-(10**20), max_value=10**20), LATEST_COUNTS)
    for count in counts:
        result = await alice.run_command(env.demo.text_channel_id, "an latest", {"count": count})
        check(result, count)
        if 1 <= count <= 10:
            assert result.embeds, count


def _since_samples(guild_id: int, thread_id: int) -> list[str]:
    return [
        "", "yesterday", "last tuesday", "2024-13-45", "2024-02-30", "9999-12-31T23:59:59-14:00",
        "0001-01-01T00:00:00+14:00", "0001-01-01", "99999-01-01", "2024-01-01T25:00",
        f"https://discord.com/channels/{guild_id}/{thread_id}",
        "https://discord.com/channels/1/2/3",
        f"https://discord.com/channels/999/{thread_id}/99999999999999999999999999",
        "https://discord.com/channels/@me/1/2", "https://example.org/channels/1/2/3",
        f"https://discord.com/channels/{guild_id}/{thread_id}/0", "<#1>", "-1", "1" * 200,
    ]  # fmt: skip


async def test_export_since_fuzz(env: BotEnv) -> None:
    thread_id = await tracked_post(env)
    await env.server.act_as("alice").send(thread_id, "a comment to export")
    await env.wait_for(lambda: _stored_count(env, thread_id, 2))
    mira = env.server.act_as("mira")
    samples = _since_samples(env.demo.guild_id, thread_id)
    for since in examples(st.text(min_size=1, max_size=60), samples):
        options = {"since": since, "format": "json"}
        result = await mira.run_command(thread_id, "an-mod export", options)
        check(result, since, ok=lambda r: bool(r.files))
        if not result.files:
            assert "since" in result.content or "time" in result.content, (since, result)


async def _stored_count(env: BotEnv, thread_id: int, n: int) -> bool:
    return len(await stored(env, thread_id)) >= n
