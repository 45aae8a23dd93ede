"""The index keys of both backends (markers, pairs, tags, id blocks) and SQLite's `keys`. Pure.

SQLite: the `keys` column of summary_fts holds tokens that make phrases and filters cheap.

FTS5 checks a phrase, or a word restricted to one column, by reading the positions of its words
in every row that holds them. Measured at 100k summaries, that is what made slow searches slow:
a phrase of common words ("generalize but", "s distribution") 2-4 ms however rare the phrase,
a section filter with a common word ("Deep learning") 2 ms, an author prefix ("it"*) 10 ms.
So each summary also gets, in one more FTS5 column, tokens that are rare by construction:

- every pair of adjacent words of its text as one token (`generaliz·but`), so a phrase of n
  words is n-1 pair tokens in a row: one short list per pair, like any rare word (Lucene's
  CommonGrams filter does the same for the same reason);
- every word of its section, authors and summarizer with a tag for its column (`§learning`),
  so a filter reads only the rows whose section or authors hold the word.

The joiner and the tags are private-use characters: unicode61 counts them as part of a token
(category Co), and storage.search.query refuses them in user input, so no typed word looks like
a key.
Index side and query side build keys with the same functions, so they agree whatever FTS5's
porter tokenizer then does to a key (it sees both alike). Words are folded as unicode61 folds
them, and further (storage.search.text.fold: casefolded, diacritics removed); pairs are of
Porter stems, so a phrase matches the rows an FTS5 phrase did.

Every marker of a key lives here, for both backends: migrations 0004 (SQLite) and 0006
(PostgreSQL) hold snapshot copies, and tests/storage/search/test_keys_markers.py pins that they
agree.
"""

from __future__ import annotations

from itertools import pairwise

from storage.search.filters import MIN_PREFIX
from storage.search.text import folded_words, stems

__all__ = [
    "BLOCK",
    "BREAK",
    "COMMENT_LEVELS",
    "FILTER_COLUMNS",
    "JOIN",
    "LEVELS",
    "NAME",
    "PAIRS_FUNCTION",
    "SQL_FUNCTION",
    "filter_key",
    "fts5_string",
    "key_text",
    "pair_text",
    "phrase_key",
    "stems",
]

# The SQLite function the summary_fts triggers call (storage.db registers it on every
# connection; migration 0004 creates the triggers).
SQL_FUNCTION = "anbot_search_keys"
# The one the comment_fts triggers call (migration 0013): a comment's pairs (pair_text).
PAIRS_FUNCTION = "anbot_pair_keys"
JOIN = "\ue000"
BREAK = "\ue001"  # between two columns' keys: a phrase never runs from one column into the next
FILTER_COLUMNS = {"section": "\ue002", "authors": "\ue003", "summarizer": "\ue004"}
# PostgreSQL only (migration 0006): every row has a lexeme BLOCK + "level:index" for the block of
# 2**level ids holding its id, at each of these levels (storage.search.postgres walks by them).
BLOCK = "\ue005"
LEVELS = range(10, 17)
# The same blocks for comments (migration 0010), whose ids are Discord snowflakes: the id's bits
# above 22 count milliseconds, so a block of 2**48 ids is 2**26 ms (18.6 hours) of comments and
# the largest, 2**54, 50 days. (Summary ids are dense, 1, 2, 3…: blocks of 1,024 ids and up.)
COMMENT_LEVELS = range(48, 55)
# PostgreSQL, comments (migration 0013): one lexeme NAME + the author's whole folded name, for
# by: (a tag per word of the name made a shared word like "Member" a GIN entry in most rows).
NAME = "\ue006"
# summary_fts's text columns, in order: the arguments of key_text.
_COLUMNS = ("title", "authors", "summarizer", "section", "summary", "opinions")


def _pairs(text: str) -> list[str]:
    found = stems(text)
    return [f"{a}{JOIN}{b}" for a, b in pairwise(found)]


def key_text(
    title: object,
    authors: object,
    summarizer: object,
    section: object,
    summary: object,
    opinions: object,
) -> str:
    """The `keys` column of one summary (the arguments are summary_fts's other columns).

    Called by SQLite for every row written, so it takes whatever a column holds: NULL (None)
    is empty and a non-text value is keyed as its text rather than failing the write.
    """
    values = (title, authors, summarizer, section, summary, opinions)
    texts = {column: _as_text(value) for column, value in zip(_COLUMNS, values, strict=True)}
    groups = [" ".join(_pairs(text)) for text in texts.values()]
    for column, tag in FILTER_COLUMNS.items():
        groups.append(" ".join(tag + word for word in folded_words(texts[column])))
    return f" {BREAK} ".join(group for group in groups if group)


def pair_text(text: object) -> str:
    """The pair tokens of one text (the `keys` column of comment_fts, migration 0013): what
    phrase_key looks up. Takes whatever a column holds, as key_text does."""
    return " ".join(_pairs(_as_text(text)))


def phrase_key(text: str) -> str | None:
    """The FTS5 phrase of `text`'s pair tokens (quoted), or None for fewer than two words."""
    pairs = _pairs(text)
    if not pairs:
        return None
    return fts5_string(pairs)


def filter_key(column: str, text: str, *, prefix: bool = False) -> str | None:
    """The FTS5 phrase of a filter's words as `column`'s keys, or None when it has no words.

    With `prefix`, a last word of at least MIN_PREFIX letters matches as a prefix ("Steinh"
    finds Steinhardt).
    """
    found = folded_words(text)
    if not found:
        return None
    tag = FILTER_COLUMNS[column]
    star = "*" if prefix and len(found[-1]) >= MIN_PREFIX else ""
    return fts5_string([tag + word for word in found]) + star


def fts5_string(tokens: list[str]) -> str:
    """One FTS5 string: `tokens` inside double quotes (quotes doubled), a phrase when several."""
    return '"' + " ".join(tokens).replace('"', '""') + '"'


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)
