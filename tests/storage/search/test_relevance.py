"""storage.search.relevance: stem matching, the order of candidates, snippets. Pure, no database."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from storage.search.query import parse_query
from storage.search.relevance import SNIPPET_WORDS, Matcher, lead, order, snippet


def _matcher(text: str) -> Matcher:
    return Matcher.for_query(parse_query(text))


def _found(query: str, text: str) -> list[str]:
    return [text[a:b] for a, b in _matcher(query).spans(text)]


def test_words_match_by_their_porter_stem_not_by_prefix() -> None:
    text = "HARKing is bad; she harked back, unlike Harkin or hark."
    assert _found("HARKing", text) == ["HARKing", "harked", "hark"]
    # The stem of "happy" is "happi": its forms are found though the stem is no prefix of them.
    assert _found("happy", "Happy people, happiness, unhappy") == ["Happy", "happiness"]


def test_phrases_match_their_words_in_a_row_across_punctuation() -> None:
    text = "Inverse-reinforcement learning; inverse learning; inverse reinforcement learned."
    assert _found('"inverse reinforcement learning"', text) == [
        "Inverse-reinforcement learning",
        "inverse reinforcement learned",
    ]


def test_a_phrase_is_found_from_its_longest_word_whichever_comes_first() -> None:
    text = "It's distribution, a distribution; s  distributions and the models, then model s."
    assert _found('"s distribution"', text) == ["s distribution", "s  distributions"]
    assert _found('"the model"', "The model and the models; a model, the") == [
        "The model",
        "the models",
    ]


def test_text_whose_length_changes_when_lowered_is_matched_exactly() -> None:
    # "İ" lowers to two code points: offsets into the lowered text would be off by one.
    text = "İstanbul agents and agent systems"
    assert _found("agent", text) == ["agents", "agent"]


def test_order_puts_title_matches_first_then_people_then_newest() -> None:
    heads = [
        (1, "Old paper on agents", None, None),
        (2, "Something else", "Agent Smith", None),
        (3, "Newest without a match", "Ann", "Rohin"),
        (4, "Another agent paper", "Agent Jones", None),
        (5, "Newer, text only", None, None),
    ]
    ranked = order(heads, _matcher("agent"))
    assert [id_ for id_, _ in ranked] == [4, 1, 2, 5, 3]
    scores = dict(ranked)
    assert scores[4] > scores[1] > scores[2] > scores[5] == scores[3] == 0.0


def test_snippet_shows_the_first_match_in_bold_with_context() -> None:
    words = [f"w{i}" for i in range(100)]
    words[50] = "Agents"
    words[60] = "agent"
    text = " ".join(words)
    shown = snippet(text, _matcher("agent"))
    assert shown.startswith("… w44 w45") and shown.endswith(" …")
    assert "**Agents**" in shown and "**agent**" in shown
    assert len(shown.replace("… ", "").replace(" …", "").split()) == SNIPPET_WORDS


def test_snippet_without_a_match_is_the_lead() -> None:
    text = " ".join(f"w{i}" for i in range(40))
    assert snippet(text, _matcher("absent")) == lead(text)
    assert lead("a b c") == "a b c" and lead(text).endswith(" …")


def test_snippet_of_a_match_at_the_very_start_and_end() -> None:
    assert snippet("agent at the start", _matcher("agent")) == "**agent** at the start"
    assert snippet("ends with an agent", _matcher("agent")) == "ends with an **agent**"


@given(
    st.text(st.characters(blacklist_characters="*"), max_size=400),
    st.sampled_from(["agent", '"inverse reward"', "the a", "İ ß"]),
)
def test_snippet_never_fails_and_keeps_bold_markers_paired(text: str, query: str) -> None:
    shown = snippet(text, _matcher(query))
    assert shown.count("**") % 2 == 0
    for word in shown.replace("**", " ").replace("…", " ").split():
        assert word in text


def test_snippet_highlights_only_visible_words_never_urls_or_syntax() -> None:
    text = (
        "Earlier work on [capability amplification](https://ai-alignment.com/capability-"
        "amplification-1fe15d4f6a5b) and <@iterated amplification@>(@Iterated Amplification "
        "sequence@) shows amplification at https://example.org/amplification too."
    )
    shown = snippet(text, _matcher("amplification"), size=60)
    # The link and its URL stay whole; only words outside URLs and syntax are bold.
    assert "(https://ai-alignment.com/capability-amplification-1fe15d4f6a5b)" in shown
    assert "https://example.org/amplification" in shown
    assert "(@Iterated Amplification sequence@)" in shown
    assert "[capability **amplification**]" in shown
    assert "<@iterated **amplification**@>" in shown
    assert "shows **amplification** at" in shown
    assert shown.count("**") == 6


def test_snippet_window_never_starts_or_ends_inside_a_link() -> None:
    words_before = " ".join(f"w{i}" for i in range(30))
    text = (
        f"{words_before} see [a long link text about agents and more words here]"
        "(https://example.org/agents) then the end of it all"
    )
    shown = snippet(text, _matcher("agents"), size=4)
    assert (
        "[a long link text about **agents** and more words here](https://example.org/agents)"
        in shown
    )
