"""bot.commands.exporting: the options of /an export (since, thread) and fitting the file to the
upload limit; pure functions tested directly."""

from __future__ import annotations

import gzip
import random
from datetime import UTC, datetime

import discord
import pytest

from bot.commands.exporting import fit_to_limit, parse_since, parse_thread_ref
from bot.errors import UserFacingError


def test_since_and_thread_refs() -> None:
    assert parse_since("2024-05-01").isoformat() == "2024-05-01T00:00:00+00:00"  # type: ignore[union-attr]
    link = "https://discord.com/channels/1/2/175928847299117063"
    assert parse_since(link).year == 2016  # type: ignore[union-attr]
    assert parse_since(None) is None
    for bad in ("last tuesday", "https://discord.com/channels/1/2"):
        with pytest.raises(UserFacingError, match="since"):
            parse_since(bad)
    assert parse_thread_ref("<#42>") == 42 == parse_thread_ref("42")
    assert parse_thread_ref("https://discord.com/channels/1/42") == 42
    with pytest.raises(UserFacingError):
        parse_thread_ref("general")


def test_fit_to_limit_compresses_then_splits() -> None:
    small = fit_to_limit("t.md", b"x" * 100, 2048)
    assert [(f.filename, f.data) for f in small] == [("t.md", b"x" * 100)]
    packed = fit_to_limit("t.md", b"ab" * 10_000, 2048)
    assert packed[0].filename == "t.md.gz" and gzip.decompress(packed[0].data) == b"ab" * 10_000
    noise = random.Random(1).randbytes(50_000)  # incompressible: gzip alone cannot fit it
    parts = fit_to_limit("t.md", noise, 4096)
    assert len(parts) > 1 and all(len(p.data) <= 4096 for p in parts)
    assert gzip.decompress(b"".join(p.data for p in parts)) == noise


def test_since_reads_times_in_utc() -> None:
    assert parse_since("  ") is None
    assert parse_since("2024-05-01T12:00Z") == datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert parse_since("2024-05-01t12:00z") == datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert parse_since("2024-05-01T14:00+02:00") == datetime(2024, 5, 1, 12, tzinfo=UTC)
    message_id = discord.utils.time_snowflake(datetime(2023, 3, 4, 5, 6, 7, tzinfo=UTC))
    link = f"<https://canary.discord.com/channels/1/2/{message_id}>"
    assert parse_since(link) == datetime(2023, 3, 4, 5, 6, 7, tzinfo=UTC)


@pytest.mark.parametrize("bad", ["9999-99-99", "10000000000000000000000000", "2024-05-01T25:00"])
def test_since_refuses_with_one_clear_line(bad: str) -> None:
    with pytest.raises(UserFacingError) as caught:
        parse_since(bad)
    assert caught.value.message.startswith(f"I can't read `{bad}` as a time.")
    assert "\n" not in caught.value.message


def test_thread_ref_accepts_links_mentions_and_ids_only() -> None:
    assert parse_thread_ref(" https://discordapp.com/channels/@me/77/88 ") == 77
    assert parse_thread_ref("<https://ptb.discord.com/channels/1/99>") == 99
    for bad in ("<#abc>", "-5", "https://example.com/channels/1/2", ""):
        with pytest.raises(UserFacingError, match="`thread` must be"):
            parse_thread_ref(bad)


def test_split_parts_are_numbered_so_they_sort_and_rejoin() -> None:
    noise = random.Random(2).randbytes(12 * 1024)
    parts = fit_to_limit("x.csv", noise, 1024)
    assert len(parts) >= 10  # two-digit part numbers
    names = [p.filename for p in parts]
    assert names[0] == "x.csv.gz.part01" and names == sorted(names)
    assert gzip.decompress(b"".join(p.data for p in parts)) == noise
    with pytest.raises(ValueError, match="below 1 KiB"):
        fit_to_limit("x.csv", b"x", 1023)
