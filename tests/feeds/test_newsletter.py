"""Newsletter parsing: the seed issue (text and HTML), CSV-rebuilt issues, fallbacks."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.issue import issue_number, parse_issue, parse_issue_text
from feeds.types import FeedItem
from tests.feeds.an_render import (
    DATA,
    SEED_PATH,
    collapse,
    expected_for,
    render_csv_issue,
    rows_by_issue,
)

AN56_TITLE = "[AN #56]: Should ML researchers stop running experiments before making hypotheses?"


def item(html: str, title: str = AN56_TITLE, link: str | None = None) -> FeedItem:
    return FeedItem(
        entry_id="x", title=title, link=link, published=None, updated=None, content_html=html
    )


def norm(md: str | None) -> str:
    """Text without Markdown punctuation, so CSV Markdown and parsed Markdown compare."""
    text = re.sub(r"\]\([^)]*\)", "", md or "")
    text = re.sub(r"[*_\\\[\]<>@`]", "", text).replace("’", "'")
    return collapse(text)


@pytest.fixture(scope="module")
def an56_rows() -> list[dict[str, str]]:
    return rows_by_issue()["AN #56"]


def check_an56(issue, rows: list[dict[str, str]]) -> None:
    assert issue.layout == "an"
    assert (issue.number, issue.label) == (56, "AN #56")
    assert len(issue.summaries) == 12 == len(rows)
    assert sum(1 for s in issue.summaries if s.summary) == 10
    assert {s.title for s in issue.summaries} == {collapse(r["Title"]) for r in rows}
    by_title = {s.title: s for s in issue.summaries}
    for row in rows:
        s = by_title[collapse(row["Title"])]
        assert bool(s.summary) == bool(row["Summary"].strip())
        assert len(s.opinions) == (1 if row["My opinion"].strip() else 0)
        if row["Summarizer"] == "Cody":
            assert s.summarizer == "Cody" and s.opinions[0].by == "Cody"
        assert s.highlight == bool(row["Highlight?"].strip())
    hark = issue.summaries[0]
    assert hark.section_path == ("Highlights",)
    assert hark.authors == "Oguzhan Gencoglu et al"
    assert hark.opinions[0].by == "Rohin"
    # the six opinion paragraphs stay together, none leaks into the next entry
    assert "Although I've been critiquing the paper" in hark.opinions[0].text
    assert hark.opinions[0].text.count("\n\n") == 5
    assert issue.summaries[1].section_path == ("Technical AI alignment",)
    assert issue.summaries[1].cross_refs == ["AN #50"]
    batch = by_title["Batch Active Preference-Based Learning of Reward Functions"]
    assert batch.section_path == ("Technical AI alignment", "Learning human intent")
    assert batch.authors == "Erdem Bıyık et al"
    assert batch.prerequisites is not None and "Active Preference-Based" in batch.prerequisites
    assert "Recon #5" in batch.cross_refs
    training = by_title["Training human models is an unsolved problem"]
    assert (training.authors, training.summary, training.opinions) == ("Charlie Steiner", "", [])
    meta = by_title["Meta-learners' learning dynamics are unlike learners'"]
    assert meta.section_path == ("Other progress in AI", "Meta learning")
    assert meta.read_more is not None and "Cody's longer summary" in meta.read_more
    multitask = issue.summaries[-1]
    assert multitask.section_path == ("Other progress in AI", "Hierarchical RL")
    assert "New Comment" not in multitask.opinions[0].text
    assert "p-hacking" not in multitask.opinions[0].text
    assert issue.intro.startswith("Find all Alignment Newsletter resources")


def test_seed_text_issue(an56_rows: list[dict[str, str]]) -> None:
    issue = parse_issue_text(SEED_PATH.read_text(encoding="utf-8"), title=AN56_TITLE)
    check_an56(issue, an56_rows)
    sections = [s.section for s in issue.summaries]
    assert sections.count("Other progress in AI / Reinforcement learning") == 3
    assert sections.count("Other progress in AI / Deep learning") == 3


def test_seed_html_issue(an56_rows: list[dict[str, str]]) -> None:
    html = (DATA / "feeds" / "an-56.html").read_text(encoding="utf-8")
    issue = parse_issue(item(html))
    check_an56(issue, an56_rows)
    urls = {collapse(r["Title"]): r["URL"].strip() for r in an56_rows}
    assert {s.title: s.link for s in issue.summaries} == urls
    batch = issue.summaries[2]
    assert batch.prerequisites is not None
    assert batch.prerequisites.startswith("[Active Preference-Based Learning of Reward Functions](")
    assert all(
        "unsubscribe" not in (o.text + s.summary) for s in issue.summaries for o in s.opinions
    )


def rebuilt_issues() -> list[str]:
    return sorted(rows_by_issue())


def test_enough_rebuilt_issues() -> None:
    assert len(rebuilt_issues()) >= 10


@pytest.mark.parametrize("label", rebuilt_issues())
def test_csv_rebuilt_issue_round_trips(label: str) -> None:
    rows = rows_by_issue()[label]
    style = sum(map(ord, label))  # vary heading levels and title markup across issues
    issue = parse_issue(item(render_csv_issue(label, rows, style=style), title=f"[{label}]: x"))
    expected = expected_for(rows)
    assert [s.title for s in issue.summaries] == [e.title for e in expected]
    for got, want in zip(issue.summaries, expected, strict=True):
        assert got.section_path == want.section_path, got.title
        assert got.highlight == want.highlight, got.title
        assert got.authors == want.authors, got.title
        assert got.summarizer == want.summarizer, got.title
        assert got.link == want.link, got.title
        assert norm(got.summary) == norm(want.summary), got.title
        assert [(o.by, norm(o.text)) for o in got.opinions] == [
            (by, norm(text)) for by, text in want.opinions
        ], got.title


def test_generic_feed_item_is_one_summary() -> None:
    html = "<p>We shipped <b>version 2</b>. See <a href='https://ex.org/n'>notes</a>.</p>"
    issue = parse_issue(item(html, title="Release 2.0", link="https://ex.org/2"))
    assert issue.layout == "generic"
    assert issue.number is None
    [only] = issue.summaries
    assert (only.title, only.link) == ("Release 2.0", "https://ex.org/2")
    assert only.summary == "We shipped **version 2**. See [notes](https://ex.org/n)."


def test_bold_paragraph_headings() -> None:
    html = (
        "<p><strong>Technical AI alignment</strong></p><p><strong>Interpretability</strong></p>"
        "<p><a href='https://ex.org/a'><b>Paper A</b></a> (Ann Author): Text A.</p>"
        "<p><strong>Note:</strong> still part of A.</p>"
        "<p><strong>News</strong></p>"
        "<p><a href='https://ex.org/b'><b>Job B</b></a>: We are hiring.</p>"
        "<p><b>Rohin's opinion:</b> Nice.</p><p><b>Asya's opinion:</b> Agreed.</p><p>More.</p>"
    )
    issue = parse_issue(item(html, title="Alignment Newsletter #200"))
    assert issue.label == "AN #200"
    a, b = issue.summaries
    assert a.section_path == ("Technical AI alignment", "Interpretability")
    assert a.summary == "Text A.\n\n**Note:** still part of A."
    assert (b.section_path, b.authors, b.summary) == (("News",), None, "We are hiring.")
    assert [(o.by, o.text) for o in b.opinions] == [
        ("Rohin", "Nice."),
        ("Asya", "Agreed.\n\nMore."),
    ]


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        ("[AN #56]: Should ML researchers stop", "", (56, "AN #56")),
        ("Alignment Newsletter #56", "", (56, "AN #56")),
        ("AN #7", "", (7, "AN #7")),
        ("alignment newsletter 173", "", (173, "AN #173")),
        ("Weekly digest", "[AN #90]: title line\nbody", (90, "AN #90")),
        ("Weekly digest", "This is a response to tales of doom (AN #50)", (None, None)),
        ("Recon #5", "", (None, None)),
        ("", "", (None, None)),
    ],
)
def test_issue_number(title: str, text: str, expected: tuple[int | None, str | None]) -> None:
    assert issue_number(title, text) == expected


HTMLISH = st.lists(
    st.sampled_from(
        ["<p>", "</p>", "<h1>", "</h1>", "<h3>", "<b>", "</b>", "<a href='u'>", "</a>", "(", ")",
         ":", " ", "\n", "Rohin's opinion:", "Read more:", "Prerequisites:", "AN #", "5",
         "Technical AI alignment", "Title", "(summarized by X)", "<br><br>", "<table><td>",
         "Copyright ©", "&amp;", "<script>x</script>", "\x00", "é"]
    )
    | st.text(max_size=20)
).map("".join)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(html=HTMLISH, title=st.text(max_size=40))
def test_parse_issue_never_raises(html: str, title: str) -> None:
    issue = parse_issue(item(html, title=title))
    assert issue.summaries
    assert issue.layout in ("an", "generic")


@settings(max_examples=300, deadline=None)
@given(text=HTMLISH, title=st.text(max_size=40))
def test_parse_issue_text_never_raises(text: str, title: str) -> None:
    issue = parse_issue_text(text, title=title)
    assert issue.summaries


@given(title=st.text(), text=st.text())
def test_issue_number_never_raises(title: str, text: str) -> None:
    number, label = issue_number(title, text)
    assert (number is None) == (label is None)
