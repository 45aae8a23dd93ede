"""One rule for timestamps in the threads layer: naive datetimes are UTC."""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(moment: datetime) -> datetime:
    """Aware UTC datetime; a naive one is taken to be UTC already (storage writes UTC)."""
    if moment.tzinfo is UTC:  # the common case, and astimezone() is slow at 100k comments
        return moment
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def iso(moment: datetime | None) -> str | None:
    """RFC 3339 in UTC with a 'Z' suffix, or None."""
    if moment is None:
        return None
    return as_utc(moment).isoformat().replace("+00:00", "Z")


def human(moment: datetime) -> str:
    """Short UTC form for people: 2019-06-05 20:01 UTC."""
    text = as_utc(moment).isoformat()  # C-fast; "YYYY-MM-DDTHH:MM:SS…"
    return f"{text[:10]} {text[11:16]} UTC"
