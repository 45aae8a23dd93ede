"""The one way to build a FeedFetcher from Settings, shared by the feeds cog and `anbot ingest`."""

from __future__ import annotations

import aiohttp

from bot.config import Settings
from feeds.fetch import FeedFetcher


def fetcher_from_settings(settings: Settings, session: aiohttp.ClientSession) -> FeedFetcher:
    """A FeedFetcher on ``session`` with the configured time and size limits."""
    return FeedFetcher(session, timeout=settings.fetch_timeout, max_bytes=settings.fetch_max_bytes)
