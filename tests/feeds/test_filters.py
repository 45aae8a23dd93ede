"""feeds.filters: a route's include/exclude filters on sections and words."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from feeds.filters import RouteFilter, split_list

ALIGN = "Technical AI alignment / Learning human intent"


def test_no_filter_accepts_everything() -> None:
    assert RouteFilter().accepts(section="", title="x")
    assert not RouteFilter().active


def test_section_include_matches_by_path_prefix_ignoring_case() -> None:
    flt = RouteFilter(include_sections=("technical ai ALIGNMENT",))
    assert flt.accepts(section=ALIGN, title="t")
    assert flt.accepts(section="Technical AI alignment", title="t")
    assert not flt.accepts(section="AI governance", title="t")
    assert not flt.accepts(section="Technical AI alignments", title="t")  # whole words only
    assert not flt.accepts(section="", title="t")


def test_section_exclude_and_nested_include() -> None:
    flt = RouteFilter(exclude_sections=("Technical AI alignment / Learning human intent",))
    assert not flt.accepts(section=ALIGN, title="t")
    assert flt.accepts(section="Technical AI alignment / Interpretability", title="t")


def test_words_match_whole_words_and_phrases_of_title_or_text() -> None:
    flt = RouteFilter(include_words=("reward model", "RLHF"))
    assert flt.accepts(section="", title="On reward models", text="a Reward Model is …")
    assert flt.accepts(section="", title="rlhf at scale")
    assert not flt.accepts(section="", title="rewarding modelling", text="reward, then model")
    excl = RouteFilter(exclude_words=("Léon",))
    assert not excl.accepts(section="", title="t", text="by LEON")


def test_describe_lists_the_filters() -> None:
    flt = RouteFilter(include_sections=("A",), exclude_words=("x", "y"))
    assert flt.describe() == "sections: A; not words: x, y"


def test_split_list() -> None:
    assert split_list(" a, b ,,c ") == ["a", "b", "c"]
    assert split_list(None) == []


@given(st.text(max_size=40), st.text(max_size=40))
def test_a_section_always_includes_itself(section: str, title: str) -> None:
    flt = RouteFilter(include_sections=(section,))
    if any(ch.isalnum() for ch in section):
        assert flt.accepts(section=section, title=title)
        assert flt.accepts(section=f"{section} / More", title=title)
    else:  # a filter without a word names no section: it accepts none
        assert not flt.accepts(section=section, title=title)
