"""bot.errors.describe: the documented order, and nothing unexpected leaks its text."""

from __future__ import annotations

import gzip
import random

import pytest
from discord import app_commands

from bot.errors import GENERIC_ERROR, CannotSeeThread, UserFacingError, describe
from bot.exporting import fit_to_limit, parse_since, parse_thread_ref
from storage.search.query import QuerySyntaxError


class Boom(Exception):
    pass


def test_order_and_texts() -> None:
    assert describe(UserFacingError("No AN #9")) == ("No AN #9", False)
    assert describe(QuerySyntaxError("unclosed quote"))[0].startswith("I couldn't read that search")
    assert describe(app_commands.CheckFailure()) == (
        "You are not allowed to use this command here.",
        False,
    )
    missing = describe(app_commands.MissingPermissions(["manage_threads"]))[0]
    assert "Manage Threads" in missing
    text, unexpected = describe(Boom("secret internals /etc/passwd"))
    assert (text, unexpected) == (GENERIC_ERROR, True)
    assert "secret" not in CannotSeeThread().message


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
