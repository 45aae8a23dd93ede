"""Export helpers of `/an-mod export`: parsing options and fitting the file to the upload limit.

A rendered export larger than the limit is gzip-compressed; if even that is too large, the
compressed bytes are cut into numbered parts (`cat part1 part2 … | gunzip` restores it).
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import discord

from bot.errors import UserFacingError

_LINK = re.compile(
    r"^<?https?://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/channels/(?P<guild>\d+|@me)/"
    r"(?P<channel>\d+)(?:/(?P<message>\d+))?/?>?$"
)
MAX_FILES_PER_MESSAGE = 10

SINCE_HELP = (
    "`since` must be a date like 2024-05-01, a time like 2024-05-01T12:00Z, "
    "or a message link (right-click a message → Copy Message Link)."
)


def parse_since(text: str | None) -> datetime | None:
    """A date, an ISO time (UTC unless it says otherwise) or a message link → a UTC time."""
    if text is None or not text.strip():
        return None
    text = text.strip()
    match = _LINK.match(text)
    try:
        if match:
            if not match.group("message"):
                raise UserFacingError(f"That link points at a channel, not a message. {SINCE_HELP}")
            return discord.utils.snowflake_time(int(match.group("message")))
        moment = datetime.fromisoformat(text.replace("z", "Z"))
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError, OSError):
        # Unreadable, or a time (or message id) beyond what a datetime can hold in UTC.
        raise UserFacingError(f"I can't read `{text[:100]}` as a time. {SINCE_HELP}") from None


def parse_thread_ref(text: str) -> int:
    """A thread id, `<#id>` mention or channel link → the thread id."""
    text = text.strip()
    match = _LINK.match(text)
    if match:
        return int(match.group("channel"))
    mention = re.fullmatch(r"<#(\d+)>", text)
    if mention:
        return int(mention.group(1))
    if text.isdigit():
        return int(text)
    raise UserFacingError(
        "`thread` must be a thread link, a #thread mention or a thread id "
        "(or leave it empty inside the thread)."
    )


@dataclass(frozen=True, slots=True)
class ExportFile:
    filename: str
    data: bytes


def fit_to_limit(filename: str, data: bytes, limit: int) -> list[ExportFile]:
    """One file when it fits; else gzip; else gzip cut into parts of at most `limit` bytes."""
    if limit < 1024:
        raise ValueError("upload limit below 1 KiB")
    if len(data) <= limit:
        return [ExportFile(filename, data)]
    packed = gzip.compress(data, mtime=0)
    if len(packed) <= limit:
        return [ExportFile(f"{filename}.gz", packed)]
    parts = [packed[i : i + limit] for i in range(0, len(packed), limit)]
    width = len(str(len(parts)))
    return [
        ExportFile(f"{filename}.gz.part{n:0{width}d}", chunk)
        for n, chunk in enumerate(parts, start=1)
    ]
