"""Order and snippets of search hits, computed in Python from the candidates' text. Pure.

Why not bm25() / ts_rank / snippet() / ts_headline in the database: measured at 100k summaries,
FTS5's bm25() first counts every row holding each phrase of the query (its IDF), 3-12 ms for a
common word whatever the number of matches, and snippet() re-runs the MATCH for each row shown;
ranking candidates by their whole text in Python cost 25+ ms for 200 of them. So the order is
the one a reader of a newsletter expects and that costs almost nothing to compute: summaries
whose title holds the query's words first, then those whose authors or summarizer do, newest
first within each (storage.search takes the newest matches as candidates, a bounded walk).

Matching follows SQLite FTS5's tokenizer closely: words are runs of letters and digits, compared
by their Porter stem (snowballstemmer's "porter" is the algorithm FTS5's porter tokenizer uses),
so "HARKing" counts "HARK". A phrase is its words' stems in a row.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate, islice
from typing import cast

from storage.search.query import SearchQuery
from storage.search.text import TOKEN as _TOKEN
from storage.search.text import stem, words

TITLE_WEIGHT = 10.0  # per word or phrase of the query found in the title
PEOPLE_WEIGHT = 4.0  # ... found in the authors or the summarizer
SNIPPET_WORDS = 24
SNIPPET_BEFORE = 6  # words of context shown before the first match

_NON_SPACE = re.compile(r"\S+")
_REACH = 64  # characters a word of a phrase may take, to look around an anchor


@dataclass(frozen=True, slots=True)
class _Needle:
    """One word or phrase of the query: its stems, and how to find candidates for it fast.

    Occurrences are looked for in the lower-cased text: str.find jumps to each place the
    longest word's prefix (the anchor) occurs, at C speed, and a regex checks only there. A
    regex scanning a 20k-character summary position by position cost 0.3-1 ms, and anchoring
    on a short word ("s" of "s distribution") meant checking every "s".
    """

    stems: tuple[str, ...]
    anchor: str  # the longest word's prefix, lower case: every occurrence contains it
    anchor_word: int  # which word of the phrase the anchor starts
    pattern: re.Pattern[str]  # the whole occurrence, on lower-case text
    anywhere: re.Pattern[str]  # the same, case-insensitive, for texts lower() changes in length

    def first(self, text: str, lower: str | None = None) -> tuple[int, int] | None:
        """(start, end) of the first occurrence in `text`, or None (`lower`: text.lower())."""
        return next(self._find(text, text.lower() if lower is None else lower), None)

    def spans(self, text: str, lower: str | None = None) -> list[tuple[int, int]]:
        """(start, end) of each occurrence in `text` whose words have the right stems."""
        return list(self._find(text, text.lower() if lower is None else lower))

    def _find(self, text: str, lower: str) -> Iterator[tuple[int, int]]:
        if len(lower) != len(text):  # offsets would not line up: the slow, exact way
            for found in self.anywhere.finditer(text):
                if self._stems_match(found.group()):
                    yield found.span()
            return
        done = -1  # end of the last occurrence given: a phrase is found once per anchor
        at = lower.find(self.anchor)
        while at != -1:
            span = self._occurrence(lower, at, max(done, 0), len(lower))
            if span is not None:
                done = span[1]
                yield span
            at = lower.find(self.anchor, max(at + 1, done))

    def _occurrence(self, lower: str, at: int, low: int, high: int) -> tuple[int, int] | None:
        """(start, end) of the occurrence whose anchor starts at `at`, within lower[low:high].

        A one-word needle is the word starting there, checked by its stem; a phrase starts
        `anchor_word` words before the anchor, so a regex looks in a window around it.
        """
        if at and lower[at - 1].isalnum():
            return None  # inside a word
        if len(self.stems) == 1:
            token = _TOKEN.match(lower, at, high)
            if token is not None and stem(token.group()) == self.stems[0]:
                return token.span()
            return None
        low = max(low, at - _REACH * self.anchor_word)
        high = min(high, at + len(self.anchor) + _REACH * (len(self.stems) - self.anchor_word))
        for match in self.pattern.finditer(lower, low, high):
            if match.start() > at:
                break
            if match.end() > at and self._stems_match(match.group()):
                return match.span()
        return None

    def _stems_match(self, found: str) -> bool:
        return _found_stems(found) == self.stems

    def rows(self, texts: _Joined) -> set[int]:
        """Indexes of the `texts` that hold an occurrence (the same test as `first`).

        The texts are searched joined, the anchor found with str.find and each text left at its
        first occurrence: ordering 200 candidates text by text cost up to 2 ms, mostly the
        per-call overhead of lower() and a generator for each short title.
        """
        if texts.ends is None:  # lower() changed lengths: offsets would not line up
            return {i for i, text in enumerate(texts.texts) if self.first(text) is not None}
        lower, ends = texts.lower, texts.ends
        found: set[int] = set()
        at = lower.find(self.anchor)
        while at != -1:
            row = bisect_right(ends, at)
            start = ends[row - 1] if row else 0
            if self._occurrence(lower, at, start, ends[row] - 1) is not None:
                found.add(row)
                at = lower.find(self.anchor, ends[row])  # on to the next text
            else:
                at = lower.find(self.anchor, at + 1)
        return found


class _Joined:
    """Texts joined by newlines and lower-cased once, for every needle to search."""

    __slots__ = ("ends", "lower", "texts")

    def __init__(self, texts: Sequence[str]) -> None:
        self.texts = texts
        lowered = [_lower(text) for text in texts]
        self.lower = "\n".join(lowered)
        # One past each text's newline; None when lower() changed the length of some text.
        self.ends: list[int] | None = None
        if len(self.lower) == sum(map(len, texts)) + len(texts) - 1:
            self.ends = list(accumulate(len(text) + 1 for text in texts))


@lru_cache(maxsize=20_000)
def _lower(text: str) -> str:
    """`text.lower()`, remembered: lower() on text with any non-ASCII letter runs about ten
    times slower than on ASCII (0.7 ms for the author lists of 200 candidates, measured), and
    the same titles and author lists come back search after search."""
    return text.lower()


@lru_cache(maxsize=100_000)
def _found_stems(found: str) -> tuple[str, ...]:
    return tuple(stem(w.lower()) for w in _TOKEN.findall(found))


def _needle(text: str) -> _Needle | None:
    parts = [w.lower() for w in _TOKEN.findall(text)]
    if not parts:
        return None
    stems = tuple(stem(p) for p in parts)
    # Every word that stems to `s` starts with the common prefix of its stem and the query word
    # ("happy" -> "happi": "happ"); the stem check afterwards removes the false friends.
    prefixes = [_common_prefix(p, s) or p for p, s in zip(parts, stems, strict=True)]
    body = r"[\W_]+".join(rf"{re.escape(prefix)}[^\W_]*" for prefix in prefixes)
    whole = rf"(?<![^\W_]){body}(?![^\W_])"
    anchor_word = max(range(len(prefixes)), key=lambda i: len(prefixes[i]))
    return _Needle(
        stems,
        prefixes[anchor_word],
        anchor_word,
        re.compile(whole),
        re.compile(whole, re.IGNORECASE),
    )


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


@dataclass(frozen=True, slots=True)
class Matcher:
    """What a query looks for, ready to count and highlight (build once per search)."""

    needles: tuple[_Needle, ...]

    @classmethod
    def for_query(cls, query: SearchQuery) -> Matcher:
        texts = [*query.terms, *query.phrases]
        return cls(tuple(n for n in (_needle(t) for t in texts if words(t)) if n is not None))

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Every occurrence of any needle, in text order, overlaps merged."""
        spans = sorted(span for needle in self.needles for span in needle.spans(text))
        merged: list[tuple[int, int]] = []
        for start, end in spans:
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        return merged


def order(heads: Sequence[Sequence[object]], matcher: Matcher) -> list[tuple[int, float]]:
    """(id, score) of every candidate, best first; equal scores newest (highest id) first.

    A head is (id, title, authors, summarizer). The score adds TITLE_WEIGHT for each word or
    phrase found in the title and PEOPLE_WEIGHT for each found in the authors or summarizer;
    0.0 means the match is in the text only.
    """
    ids = [cast(int, head[0]) for head in heads]
    titles = _Joined([head[1] if isinstance(head[1], str) else "" for head in heads])
    people = _Joined([f"{head[2] or ''}\n{head[3] or ''}" for head in heads])
    scores = [0.0] * len(heads)
    for needle in matcher.needles:
        for texts, weight in ((titles, TITLE_WEIGHT), (people, PEOPLE_WEIGHT)):
            for row in needle.rows(texts):
                scores[row] += weight
    scored = list(zip(ids, scores, strict=True))
    scored.sort(key=lambda pair: (-pair[1], -pair[0]))
    return scored


def snippet(text: str, matcher: Matcher, *, size: int = SNIPPET_WORDS) -> str:
    """About `size` words of `text` around its first match, matches in **bold**.

    Without a match (the hit matched on its title or authors), the first words.
    """
    lower = text.lower()
    firsts = [
        span[0]
        for needle in matcher.needles
        if needle.anchor in lower and (span := needle.first(text, lower)) is not None
    ]
    if not firsts:
        return lead(text, size=size)
    at = min(firsts)
    # Only the words near the match are looked at: a summary may run to thousands of words.
    reach = max(0, at - 40 * SNIPPET_BEFORE)
    before = [m.start() for m in _NON_SPACE.finditer(text, reach, at)][-SNIPPET_BEFORE:]
    start = before[0] if before else at
    shown = list(islice(_NON_SPACE.finditer(text, start), size))
    end = shown[-1].end()
    regions = _markup(text) if _MAYBE_MARKUP.search(text) else []
    # The window never starts or ends inside a link, reference, URL or code span.
    for region in regions:
        outer_start, outer_end = region[0], region[1]
        if outer_start < start < outer_end:
            start = outer_start
        if outer_start < end < outer_end:
            end = outer_end
    window = text[start:end]
    pieces: list[str] = []
    cursor = 0
    for span_start, span_end in matcher.spans(window):
        if regions and not _visible(regions, start + span_start, start + span_end):
            continue
        pieces += [window[cursor:span_start], "**", window[span_start:span_end], "**"]
        cursor = span_end
    pieces.append(window[cursor:])
    body = " ".join("".join(pieces).split())
    more_before, more_after = bool(text[:start].strip()), bool(text[end:].strip())
    return ("… " if more_before else "") + body + (" …" if more_after else "")


# Markup a highlight must not enter: a database cross reference (its shown text is visible), a
# Markdown link (its text is visible), a URL in angle brackets or bare, and inline code.
_MARKUP = re.compile(
    r"<@(?P<ref>.+?)@>(?:\(@.+?@\))?"
    r"|\[(?P<text>[^\]\n]*)\]\((?:<[^>\n]*>|[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)\)"
    r"|<https?://[^>\s]*>|https?://\S+|`[^`\n]+`",
    re.DOTALL,
)
_MAYBE_MARKUP = re.compile(r"<@|\]\(|://|`")


def _markup(text: str) -> list[tuple[int, int, int, int]]:
    """(start, end, visible start, visible end) of every markup region of `text`."""
    regions = []
    for match in _MARKUP.finditer(text):
        group = "ref" if match.group("ref") is not None else "text"
        if match.group(group) is not None:
            visible = match.span(group)
        else:
            visible = (match.start(), match.start())
        regions.append((match.start(), match.end(), *visible))
    return regions


def _visible(regions: Sequence[tuple[int, int, int, int]], start: int, end: int) -> bool:
    """Whether text[start:end] is all reader-visible words: outside markup or in its text."""
    for outer_start, outer_end, seen_start, seen_end in regions:
        if start < outer_end and outer_start < end:  # overlaps this region
            return seen_start <= start and end <= seen_end
    return True


def lead(text: str, *, size: int = SNIPPET_WORDS) -> str:
    """The first `size` words of `text`, with " …" when there is more."""
    parts = text.split()
    return " ".join(parts[:size]) + (" …" if len(parts) > size else "")
