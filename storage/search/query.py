"""Parse what a user types into a search box into a SearchQuery. Pure: no SQL here.

Grammar (whitespace separated):
    word                   a term every hit must contain (stemmed by the search backend)
    "some words"           a phrase
    -word / -"some words"  exclude hits containing it
    section:"Learning human intent"   section contains (case-insensitive)
    author:Hanson          authors contain (case-insensitive)
    by:Cody                summarized by (exact, case-insensitive)
    issue:56 / issue:"AN #56"         in that issue
    in:"thread title" / in:1234       discussion search only: in that thread (title words,
                                      or the summary's or thread's id)

Discussion search (storage.search.discussions) reads the same grammar: `by:` is then the commenter.

Terms keep only their letters and digits (storage.search.text.words; `_` separates words as it
does in the index): punctuation never reaches the search engine, so no
input can produce a syntax error there. A word with inner punctuation ("state-of-the-art",
"don't") becomes a phrase of its parts.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from feeds.issue_numbers import IssueNumberError, IssueNumberOutOfRange, parse_issue_number
from storage.search.text import words

MAX_QUERY_LENGTH = 500
FILTERS = {
    "section": "section",
    "author": "author",
    "by": "summarizer",
    "issue": "issue",
    "in": "thread",
}
_FILTER = re.compile(r"([A-Za-z_]+):")
_HELP = 'filters are section:"…", author:…, by:…, issue:56'
_DISCUSSION_HELP = 'filters are by:commenter, in:"thread title", issue:56'


class QuerySyntaxError(ValueError):
    """The search text cannot be understood; the message says what to change."""


@dataclass(frozen=True, slots=True)
class SearchQuery:
    terms: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    section: str | None = None
    author: str | None = None
    summarizer: str | None = None
    issue: int | None = None
    excluded: list[str] = field(default_factory=list)  # words or phrases, space separated
    thread: str | None = None  # in: (discussion search only)

    @property
    def has_text(self) -> bool:
        """True when there is something for the full-text index to match."""
        return bool(self.terms or self.phrases)

    @property
    def has_filters(self) -> bool:
        return any(
            v is not None
            for v in (self.section, self.author, self.summarizer, self.issue, self.thread)
        )


def parse_query(text: str, *, discussions: bool = False) -> SearchQuery:
    """Parse `text`, raising QuerySyntaxError with a specific message for bad input.

    `discussions`: the query searches comments, where `in:` (a thread) is allowed and
    `section:`/`author:` (summary fields) are not.
    """
    if len(text) > MAX_QUERY_LENGTH:
        raise QuerySyntaxError(
            f"query too long ({len(text)} characters); keep it under {MAX_QUERY_LENGTH}"
        )
    for char in text:
        if unicodedata.category(char) in ("Cc", "Cs", "Co") and not char.isspace():
            raise QuerySyntaxError(f"query contains a control character ({ord(char):#x})")
    return _Parser(text, discussions).parse()


class _Parser:
    def __init__(self, text: str, discussions: bool = False) -> None:
        self.text = text
        self.discussions = discussions
        self.help = _DISCUSSION_HELP if discussions else _HELP
        self.pos = 0
        self.terms: list[str] = []
        self.phrases: list[str] = []
        self.excluded: list[str] = []
        self.filters: dict[str, str] = {}

    def parse(self) -> SearchQuery:
        while self._skip_space():
            self._token()
        if not (self.terms or self.phrases or self.filters):
            if self.excluded:
                raise QuerySyntaxError("only exclusions given: add a word or a filter to search")
            if self.text.strip():
                shown = self.text.strip()[:40]
                raise QuerySyntaxError(f"no words to search for in {shown!r} ({self.help})")
            raise QuerySyntaxError(f"empty query: give words to search for ({self.help})")
        return SearchQuery(
            terms=self.terms,
            phrases=self.phrases,
            section=self.filters.get("section"),
            author=self.filters.get("author"),
            summarizer=self.filters.get("summarizer"),
            issue=_issue_number(self.filters["issue"]) if "issue" in self.filters else None,
            excluded=self.excluded,
            thread=self.filters.get("thread"),
        )

    def _skip_space(self) -> bool:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1
        return self.pos < len(self.text)

    def _token(self) -> None:
        char = self.text[self.pos]
        if char == '"':
            self._add_text(self._quoted(), excluded=False, quoted=True)
            return
        if char == "-":
            self.pos += 1
            if self.pos < len(self.text) and self.text[self.pos] == '"':
                self._add_text(self._quoted(), excluded=True, quoted=True)
            elif self.pos < len(self.text) and not self.text[self.pos].isspace():
                self._add_text(self._bare(), excluded=True, quoted=False)
            return
        match = _FILTER.match(self.text, self.pos)
        if match:
            self._filter(match.group(1))
            return
        self._add_text(self._bare(), excluded=False, quoted=False)

    def _filter(self, name: str) -> None:
        key = FILTERS.get(name.lower())
        if self.discussions:
            allowed = key not in (None, "section", "author")
        else:
            allowed = key not in (None, "thread")
        if key is None or not allowed:
            raise QuerySyntaxError(f"unknown filter {name}: ({self.help})")
        if key in self.filters:
            raise QuerySyntaxError(f"filter {name}: given twice")
        self.pos += len(name) + 1
        at_end = self.pos >= len(self.text) or self.text[self.pos].isspace()
        value = "" if at_end else (self._quoted() if self.text[self.pos] == '"' else self._bare())
        value = " ".join(value.split())
        if not value:
            raise QuerySyntaxError(f'filter {name}: needs a value, e.g. {name}:"…"')
        self.filters[key] = value

    def _quoted(self) -> str:
        start = self.pos + 1
        end = self.text.find('"', start)
        if end < 0:
            shown = self.text[self.pos : self.pos + 30]
            raise QuerySyntaxError(f'unclosed quote at {shown!r}: add a closing "')
        self.pos = end + 1
        return self.text[start:end]

    def _bare(self) -> str:
        start = self.pos
        while (
            self.pos < len(self.text)
            and not self.text[self.pos].isspace()
            and self.text[self.pos] != '"'
        ):
            self.pos += 1
        return self.text[start : self.pos]

    def _add_text(self, raw: str, *, excluded: bool, quoted: bool) -> None:
        parts = words(raw)
        if not parts:
            return  # pure punctuation ("*", "NEAR(" minus the word, "'; ") carries no words
        joined = " ".join(parts)
        if excluded:
            self.excluded.append(joined)
        elif len(parts) == 1 and not quoted:
            self.terms.append(joined)
        else:
            self.phrases.append(joined)


def _issue_number(value: str) -> int:
    try:
        return parse_issue_number(value)
    except IssueNumberOutOfRange as exc:
        raise QuerySyntaxError(str(exc)) from None
    except IssueNumberError:
        raise QuerySyntaxError(
            f'issue: wants a number like issue:56 or issue:"AN #56", not {value!r}'
        ) from None
