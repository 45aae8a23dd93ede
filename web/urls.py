"""The site's URLs, and the validation of what a request puts in them. Pure.

Every page is a directory URL ending in "/" (so the static build is plain index.html files any
host serves); sort orders other than the default are a path segment (`/summaries/12-title/new/`)
so they exist in the static build too. `?sort=` is also read by the live server.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from storage import MAX_BIGINT
from threads.order import ORDERS, Order

_KEY = re.compile(r"(\d{1,19})(?:-([a-z0-9-]{0,120}))?")
_NUMBER = re.compile(r"\d{1,7}")


class BadPath(ValueError):
    """A path parameter that names nothing this site could have; the message is for people."""


@lru_cache(maxsize=65_536)
def slug(title: str) -> str:
    """ASCII words of the title joined by '-', at most 60 characters: readable, never unsafe."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_title.lower())
    out = ""
    for word in words:
        if len(out) + len(word) + 1 > 60:
            break
        out = f"{out}-{word}" if out else word
    return out or "summary"


def summary_path(summary_id: int, title: str, order: Order = "old") -> str:
    base = f"/summaries/{summary_id}-{slug(title)}/"
    return base if order == "old" else f"{base}{order}/"


def issue_path(number: int) -> str:
    return f"/issues/{number}/"


def parse_summary_key(key: str) -> tuple[int, str | None]:
    """(summary id, slug or None) from "12-some-title"; BadPath for anything else."""
    match = _KEY.fullmatch(key)
    if not match or int(match.group(1)) > MAX_BIGINT:
        raise BadPath("A summary address is its number and title, like /summaries/12-title/.")
    return int(match.group(1)), match.group(2)


def parse_issue_number(text: str) -> int:
    if not _NUMBER.fullmatch(text):
        raise BadPath("An issue address is its number, like /issues/56/.")
    return int(text)


def parse_order(text: str | None) -> Order:
    if text is None or text == "":
        return "old"
    if text not in ORDERS:
        raise BadPath(f"Sort by one of {', '.join(ORDERS)}.")
    return text
