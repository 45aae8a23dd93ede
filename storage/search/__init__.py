"""Summary search: parse what a user typed, find matches in the index, order them in Python.

Entry points: `parse_query` (query), `search_summaries` (service). The pieces, top down:
service (one search, both backends) -> sqlite / postgres (each backend's index walk, same
shape) -> filters (author:, by:, section: as SQL) -> keys (the index's tokens, markers) ->
relevance (order and snippets) -> text (folding, words, stems: the one tokenizer). index holds
what the database layer calls to maintain the index (connection set-up, bulk loads).
"""

from storage.search.query import QuerySyntaxError, SearchQuery, parse_query
from storage.search.service import (
    CANDIDATES,
    SearchHit,
    SearchPage,
    search_on,
    search_summaries,
)

__all__ = [
    "CANDIDATES",
    "QuerySyntaxError",
    "SearchHit",
    "SearchPage",
    "SearchQuery",
    "parse_query",
    "search_on",
    "search_summaries",
]
