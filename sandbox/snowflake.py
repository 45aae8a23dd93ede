"""Discord snowflakes: milliseconds since the Discord epoch in the top 42 bits.

Ids are built from real timestamps because clients page history by date
(``history(after=datetime)`` turns a date into a snowflake).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

DISCORD_EPOCH_MS = 1420070400000
_LOW_BITS = 22
_LOW_MASK = (1 << _LOW_BITS) - 1


def snowflake_time(snowflake: int) -> datetime:
    """The creation time encoded in ``snowflake``."""
    ms = (snowflake >> _LOW_BITS) + DISCORD_EPOCH_MS
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def iso(moment: datetime) -> str:
    """Discord's ISO-8601 timestamp form (always with an offset)."""
    return moment.astimezone(UTC).isoformat()


class SnowflakeGenerator:
    """Unique, increasing ids; a counter fills the low 22 bits so ids made in the same
    millisecond (or for the same past moment) never collide."""

    def __init__(self) -> None:
        self._counter = 0
        self._last_ms = 0

    def _low(self) -> int:
        self._counter = (self._counter + 1) & _LOW_MASK
        return self._counter

    def next(self, at: datetime | None = None) -> int:
        """A new id for ``at`` (default: now, never earlier than the previous 'now' id)."""
        if at is None:
            ms = max(int(time.time() * 1000) - DISCORD_EPOCH_MS, self._last_ms)
            self._last_ms = ms
        else:
            ms = int(at.timestamp() * 1000) - DISCORD_EPOCH_MS
            if ms < 0:
                raise ValueError(f"{at} is before the Discord epoch (2015-01-01)")
        return (ms << _LOW_BITS) | self._low()
