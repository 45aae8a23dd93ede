"""`/an feed add` and `/an feed enable` refuse a feed behind a TLS error, a body over the size cap
and a server that does not answer in time, each with its own one-line ephemeral answer, and save
nothing: real servers on 127.0.0.1 (tests/bot/feeds/badservers.py), the bot through the sandbox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from storage.db import Database
from tests.bot.conftest import make_bot_env
from tests.bot.feeds.badservers import BadServers, bad_servers
from tests.bot.feeds.test_feed_commands import feed_cmd

CAP = 64 * 1024  # ANBOT_FETCH_MAX_BYTES here; /big streams 256 KiB
TIMEOUT = 0.5  # ANBOT_FETCH_TIMEOUT here; /stall never answers


@pytest.fixture
def servers() -> Iterator[BadServers]:
    with bad_servers() as found:
        yield found


async def test_tls_too_large_and_timeout_are_specific_and_save_nothing(
    db: Database, servers: BadServers
) -> None:
    async with make_bot_env(
        db, feed=None, fetch_max_bytes=CAP, fetch_timeout=TIMEOUT, backfill=0
    ) as env:
        forum = f"<#{env.demo.forum_channel_id}>"
        tls_url = f"{servers.https}/an.atom"
        cases = [
            (
                tls_url,
                f"{tls_url}: the TLS (https) connection failed: certificate verify failed: "
                "self-signed certificate",
            ),
            (
                f"{servers.http}/big",
                f"{servers.http}/big is too large: the body passed {CAP:,} bytes "
                "(ANBOT_FETCH_MAX_BYTES).",
            ),
            (
                f"{servers.http}/stall",
                f"{servers.http}/stall did not answer in time: the fetch took longer than "
                f"{TIMEOUT:g} s (ANBOT_FETCH_TIMEOUT).",
            ),
        ]
        for url, expected in cases:
            answer = (await feed_cmd(env, "add", url=url, channel=forum)).content
            assert answer == expected, answer
            assert "\n" not in answer and "Traceback" not in answer
        assert "No feeds yet" in (await feed_cmd(env, "list")).content
        assert env.posts() == []
