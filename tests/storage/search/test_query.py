"""storage.search.query: the search-box grammar, and that any text parses or fails cleanly."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage.search.query import MAX_QUERY_LENGTH, QuerySyntaxError, SearchQuery, parse_query


def test_terms_phrases_filters_and_exclusions() -> None:
    query = parse_query(
        'reward "inverse reinforcement" section:"Learning human intent" author:Hanson '
        'by:Cody issue:56 -bandit -"deep learning"'
    )
    assert query == SearchQuery(
        terms=["reward"],
        phrases=["inverse reinforcement"],
        section="Learning human intent",
        author="Hanson",
        summarizer="Cody",
        issue=56,
        excluded=["bandit", "deep learning"],
    )


@pytest.mark.parametrize("text", ['issue:"AN #56"', "issue:#56", "ISSUE:56"])
def test_issue_forms(text: str) -> None:
    assert parse_query(text).issue == 56


def test_filter_only_query_has_no_text() -> None:
    query = parse_query("by:Rohin")
    assert not query.has_text and query.has_filters


def test_punctuation_never_reaches_the_engine() -> None:
    assert parse_query("NEAR( * AND OR").terms == ["NEAR", "AND", "OR"]
    assert parse_query("'; DROP TABLE").terms == ["DROP", "TABLE"]
    assert parse_query("state-of-the-art").phrases == ["state of the art"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('"unclosed phrase', "unclosed quote"),
        ('section:"Learning', "unclosed quote"),
        ("foo:bar", "unknown filter foo:"),
        ("issue:abc", "issue: wants a number"),
        ("issue:0", "out of range"),
        ("", "empty query"),
        ("   ", "empty query"),
        ("*", "no words to search for"),
        ("-alone", "only exclusions"),
        ("by:", "by: needs a value"),
        ("by:a by:b", "given twice"),
        ("x" * (MAX_QUERY_LENGTH + 1), "too long"),
        ("a\x00b", "control character"),
    ],
)
def test_bad_input_has_a_specific_message(text: str, message: str) -> None:
    with pytest.raises(QuerySyntaxError, match=message):
        parse_query(text)


@given(st.text(max_size=600))
def test_any_text_parses_or_raises_query_syntax_error(text: str) -> None:
    try:
        query = parse_query(text)
    except QuerySyntaxError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert query.has_text or query.has_filters
    for word in [*query.terms, *query.phrases, *query.excluded]:
        assert word and '"' not in word
