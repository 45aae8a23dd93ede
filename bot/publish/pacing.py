"""Keeping the publisher under Discord's limits: fixed spacing between writes, bounded retries.

discord.py already waits out 429s (it reads the rate-limit headers) and repeats some 5xx a few
times; what is left — a 5xx that persisted, a dropped connection — is retried here a bounded
number of times with exponential backoff. Anything else (403, 404, 400) is permanent.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import aiohttp
import discord
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

T = TypeVar("T")


class Pacer:
    """`async with pacer:` around each write: a write starts at least `interval` seconds after
    the previous one ended.

    Spacing is counted from the end of a write, not its start: a write that spent a while
    waiting out a 429 inside discord.py must not let the next one go at once.
    """

    def __init__(self, interval: float) -> None:
        self.interval = max(interval, 0.0)
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def __aenter__(self) -> None:
        async with self._lock:
            now = time.monotonic()
            if self._next > now:
                await asyncio.sleep(self._next - now)
            # Until this write ends, the next one waits at least a full interval from now.
            self._next = time.monotonic() + self.interval

    async def __aexit__(self, *exc_info: object) -> None:
        self._next = max(self._next, time.monotonic() + self.interval)


def is_transient(exc: BaseException) -> bool:
    """Worth another try: Discord's server errors, connection problems, timeouts."""
    if isinstance(exc, discord.DiscordServerError):
        return True
    if isinstance(exc, discord.HTTPException):
        return exc.status == 429 or exc.status >= 500
    return isinstance(exc, aiohttp.ClientError | asyncio.TimeoutError | ConnectionError)


def is_permanent(exc: BaseException) -> bool:
    """Discord said no for a reason a retry cannot change (permissions, unknown channel, ...)."""
    return isinstance(exc, discord.HTTPException) and not is_transient(exc)


async def with_retries(
    operation: Callable[[int], Awaitable[T]],
    *,
    attempts: int = 4,
    initial_wait: float = 0.5,
    max_wait: float = 8.0,
) -> T:
    """Run `operation(attempt_number)` until it succeeds, a permanent error, or `attempts`.

    The attempt number lets a non-idempotent operation (creating a post) look for what an
    earlier attempt may have created before trying again.
    """
    retrying = AsyncRetrying(
        stop=stop_after_attempt(attempts),
        wait=wait_exponential(multiplier=initial_wait, max=max_wait),
        retry=retry_if_exception(is_transient),
        reraise=True,
    )
    async for attempt in retrying:
        with attempt:
            return await operation(attempt.retry_state.attempt_number)
    raise AssertionError("unreachable: tenacity reraises the last error")
