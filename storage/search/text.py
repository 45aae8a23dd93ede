"""The one tokenizer of search: folding, word splitting and stemming. Pure.

The query parser, the index keys (storage.search.keys) and the ordering (storage.search.relevance)
all cut text into words here, so a word means the same thing everywhere: a run of letters and
digits (`_` separates words, as in FTS5's unicode61 and PostgreSQL's parser). Matching is
caseless and accentless both ways: `fold` casefolds fully (ß is ss) and removes diacritics, on
the query and on the indexed text alike ("LÉON" finds Léon, "Scholkopf" finds Schölkopf).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from typing import Any

__all__ = ["TOKEN", "fold", "folded_words", "stem", "stems", "words"]

TOKEN = re.compile(r"[^\W_]+")
# Combining marks left by NFKD: the diacritics unicode61's remove_diacritics drops. Python's \w
# does not count them as word characters, so "naïve" would split into "nai" and "ve".
_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")
_lock = threading.Lock()
_stemmer: Any = None  # made by the first stem(): snowballstemmer imports every language (20-40
# ms of a process start), which `anbot issue` or `anbot export` would pay for nothing


def fold(text: str) -> str:
    """`text` casefolded with its diacritics removed: what matching compares."""
    folded = text.casefold()
    if folded.isascii():
        return folded
    return _MARKS.sub("", unicodedata.normalize("NFKD", folded))


def words(text: str) -> list[str]:
    """The words of `text` as written (runs of letters and digits): what a term is made of."""
    return TOKEN.findall(text)


def folded_words(text: str) -> list[str]:
    """The words of `text`, folded."""
    return TOKEN.findall(fold(text))


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """The Porter stem of one folded word (cached: the stemmer is pure Python).

    Words under 3 or over 64 characters stay as they are, as in FTS5's porter tokenizer ("s"
    would otherwise stem to nothing).
    """
    if not 3 <= len(word) <= 64:
        return word
    global _stemmer
    with _lock:  # a snowball stemmer keeps state while it works: one thread at a time
        if _stemmer is None:
            import snowballstemmer

            _stemmer = snowballstemmer.stemmer("porter")
        return str(_stemmer.stemWord(word))


def stems(text: str) -> list[str]:
    """The Porter stems of `text`'s folded words."""
    return [stem(word) for word in folded_words(text)]
