"""Which entries a feed route accepts: include/exclude filters on sections and on words.

Pure (no Discord, no SQL): the publisher asks `RouteFilter.accepts` for each summary before it
queues a post, and `/an feed test` shows the same answer.

Sections match by path prefix, ignoring case: "Technical AI alignment" accepts
"Technical AI alignment / Learning human intent". Words (or phrases) match whole words of the
title or the summary text, ignoring case and accents.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", _fold(text))


def _has_phrase(haystack: list[str], phrase: str) -> bool:
    needle = _words(phrase)
    if not needle:
        return False
    n = len(needle)
    return any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


def _section_parts(section: str) -> list[str]:
    parts = (" ".join(_words(part)) for part in section.split("/"))
    return [part for part in parts if part]


def _in_section(section: str, wanted: str) -> bool:
    have, want = _section_parts(section), _section_parts(wanted)
    return bool(want) and have[: len(want)] == want


def split_list(text: str | None) -> list[str]:
    """ "a, b ,c" → ["a", "b", "c"] (how commands and the CLI take several values)."""
    return [part.strip() for part in (text or "").split(",") if part.strip()]


@dataclass(frozen=True, slots=True)
class RouteFilter:
    include_sections: Sequence[str] = ()
    exclude_sections: Sequence[str] = ()
    include_words: Sequence[str] = ()
    exclude_words: Sequence[str] = ()

    def accepts(self, *, section: str, title: str, text: str = "") -> bool:
        """Whether an entry in `section` with this title and text is posted by the route."""
        if self.include_sections and not any(
            _in_section(section, s) for s in self.include_sections
        ):
            return False
        if any(_in_section(section, s) for s in self.exclude_sections):
            return False
        if self.include_words or self.exclude_words:
            words = _words(f"{title}\n{text}")
            if self.include_words and not any(_has_phrase(words, w) for w in self.include_words):
                return False
            if any(_has_phrase(words, w) for w in self.exclude_words):
                return False
        return True

    def describe(self) -> str:
        """One line for listings: "sections: A; not sections: B; words: x, y" or ""."""
        parts: list[str] = []
        for label, values in (
            ("sections", self.include_sections),
            ("not sections", self.exclude_sections),
            ("words", self.include_words),
            ("not words", self.exclude_words),
        ):
            if values:
                parts.append(f"{label}: {', '.join(values)}")
        return "; ".join(parts)

    @property
    def active(self) -> bool:
        return any(
            (self.include_sections, self.exclude_sections, self.include_words, self.exclude_words)
        )
