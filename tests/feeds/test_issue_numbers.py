"""feeds.issue_numbers: the one parser of typed issue numbers, and the "AN #n" label."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feeds.issue_numbers import (
    MAX_ISSUE_NUMBER,
    IssueNumberError,
    IssueNumberOutOfRange,
    issue_label,
    parse_issue_number,
)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("56", 56),
        ("#56", 56),
        ("AN #56", 56),
        ("an#56", 56),
        ("  AN 56 ", 56),
        ("# 7", 7),
        ("0056", 56),
        ("٥٦", 56),  # Arabic-Indic decimal digits are decimal digits
        (str(MAX_ISSUE_NUMBER), MAX_ISSUE_NUMBER),
    ],
)
def test_reads_what_people_type(text: str, number: int) -> None:
    assert parse_issue_number(text) == number


@pytest.mark.parametrize(
    "text", ["²", "56²", "", " ", "AN #", "56 57", "56.0", "1e3", "0x38", "-1", "Recon #5", "\x00"]
)
def test_refuses_what_is_not_a_number(text: str) -> None:
    with pytest.raises(IssueNumberError, match="is not an issue number") as caught:
        parse_issue_number(text)
    assert not isinstance(caught.value, IssueNumberOutOfRange)


@pytest.mark.parametrize(
    "text", ["0", "000", str(MAX_ISSUE_NUMBER + 1), "3000000000", "9" * 20, "AN #" + "9" * 5000]
)
def test_refuses_numbers_no_column_holds(text: str) -> None:
    with pytest.raises(IssueNumberOutOfRange, match="out of range"):
        parse_issue_number(text)


def test_messages_stay_short() -> None:
    with pytest.raises(IssueNumberError) as caught:
        parse_issue_number("x" * 10_000)
    assert len(str(caught.value)) < 120


@given(st.text(max_size=60))
def test_any_text_is_a_number_in_range_or_a_clear_error(text: str) -> None:
    try:
        number = parse_issue_number(text)
    except IssueNumberError as exc:
        assert "\n" not in str(exc)
    else:
        assert 1 <= number <= MAX_ISSUE_NUMBER


@given(st.integers(min_value=1, max_value=MAX_ISSUE_NUMBER))
def test_the_label_reads_back(number: int) -> None:
    assert issue_label(number) == f"AN #{number}"
    assert parse_issue_number(issue_label(number)) == number
