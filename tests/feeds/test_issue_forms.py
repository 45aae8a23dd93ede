"""Real AN issues in every form (Markdown, feed HTML, saved page, plain text) against the
summaries database, the entry grammar's variants, and the accounting of every paragraph."""

from __future__ import annotations

import re
from html import escape
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from feeds.issue import (
    detect_form,
    dry_run_report,
    issue_number,
    normalise_section,
    parse_issue_text,
    parse_source,
)
from feeds.types import ParsedIssue, ParsedSummary
from tests.feeds.an_render import (
    DATA,
    Expected,
    collapse,
    expected_for,
    html_to_mail_text,
    render_csv_issue,
    render_csv_mail,
    render_csv_markdown,
    render_csv_plain,
    rows_by_issue,
    split_opinions,
)
from tests.feeds.issue_check import (
    html_paragraphs,
    lost_paragraphs,
    markdown_paragraphs,
    norm,
    strip_text_links,
    text_paragraphs,
    words,
)

MD_DIR = DATA / "an-markdown"
TITLES = {
    82: "[AN #82]: How OpenAI Five distributed their training computation",
    92: "[AN #92]: Learning good representations with contrastive predictive coding",
    95: "[AN #95]: A framework for thinking about how to make AI go well",
}
# Where the database says something else than the issue did, and why (its own later edits).
DB_EDITS = {
    ("AN #82", "AugMix: A Simple Data Processing Method to Improve Robustness and Uncertainty"): {
        "link": "the database links the arXiv page; the issue linked the OpenReview PDF",
    },
    ("AN #95", "AutoML-Zero: Evolving Machine Learning Algorithms From Scratch"): {
        "opinions": "the database adds a Rohin's opinion that the issue's forum post lacks",
    },
    ("AN #92", "An Analytic Perspective on AI Alignment"): {
        "summarizer": "the database credits 'Asya/Rohin'; the issue's byline says Asya",
        "opinion_by": "the database files Rohin's opinion under the summarizer 'Asya/Rohin'",
    },
}
FORMS = ("markdown", "feed", "page", "text", "mail")


def rendered(number: int, form: str) -> tuple[bytes, str, list[str]]:
    """(document, its URI, its paragraphs read independently of the parser) in one form."""
    md = (MD_DIR / f"an-{number:03d}.md").read_text(encoding="utf-8")
    html = MarkdownIt("commonmark").render(md)
    if form == "markdown":
        return md.encode(), f"file:///issues/an-{number:03d}.md", markdown_paragraphs(md)
    if form == "feed":  # the forum's RSS carries the rendered post with the post title
        rss = (
            "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>AF</title>"
            f"<item><title>{escape(TITLES[number])}</title><guid>an-{number}</guid>"
            f"<link>https://www.alignmentforum.org/an-{number}</link>"
            f"<description>{escape(html)}</description></item></channel></rss>"
        )
        return rss.encode(), "https://www.alignmentforum.org/feed.xml", html_paragraphs(html)
    if form == "page":  # a saved issue page: bare HTML
        page = (
            f"<!DOCTYPE html><html><head><title>{escape(TITLES[number])}</title></head>"
            f"<body><nav><a href='/'>Home</a></nav><article>{html}</article></body></html>"
        )
        return page.encode(), f"file:///saved/issue-{number}.html", html_paragraphs(html)
    if form == "mail":  # the e-mail's text version: links after their words, "** HEADING"
        text = html_to_mail_text(html, angle=number == 92, wrap=number == 95)
        uri = f"file:///issues/an-{number:03d}.eml.txt"
        return text.encode(), uri, markdown_paragraphs(text)  # paragraphs between blank lines
    text = "\n".join(html_paragraphs(html))  # the forum's text copy: a paragraph per line
    return text.encode(), f"file:///issues/an-{number:03d}.txt", text_paragraphs(text)


def start(text: str | None, n: int = 12, *, text_links: bool = False) -> str:
    """The first words, without cross references: the database writes <@T@>(@U@) where the
    issue has [T](url) ([AN #54](url)), a text version T (url) (AN #54 (url))."""
    text = strip_text_links(text or "") if text_links else text or ""
    text = re.sub(r"\(@.*?@\)", "", text)
    text = re.sub(r"\(\s*\**\[?AN #\d+\]?(?:\([^)]*\))?\**\s*\)", "", text)
    return " ".join(words(text).split()[:n])


def authors_match(parsed: str | None, database: str) -> bool:
    """Equal, or the issue's "A, B et al" for the database's full list (stars mark equal
    contribution in the database)."""
    database = collapse(database.replace("*", ""))
    if parsed == (database or None):
        return True
    if parsed and parsed.endswith(" et al"):
        return database.startswith(parsed[: -len(" et al")].rstrip(","))
    return False


def parse_one(body: bytes, uri: str) -> ParsedIssue:
    _, pairs = parse_source(body, uri=uri)
    [(_, issue)] = pairs
    return issue


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("number", sorted(TITLES))
def test_real_issue_matches_database(number: int, form: str) -> None:
    body, uri, paragraphs = rendered(number, form)
    issue = parse_one(body, uri)
    rows = rows_by_issue()[f"AN #{number}"]
    links = form == "mail"  # link targets after their words: "(http://…)", "<http://…>"
    assert issue.layout == "an"
    assert (issue.number, issue.label) == (number, f"AN #{number}")
    assert len(issue.summaries) == len(rows)
    by_title = {norm(s.title): s for s in issue.summaries}
    for row in rows:
        title = collapse(row["Title"])
        s = by_title[norm(title)]
        edits = DB_EDITS.get((f"AN #{number}", title), {})
        want_section = "Highlights" if row["Highlight?"].strip() else collapse(row["Category"])
        assert s.section_path[-1] == want_section, title
        assert s.highlight == bool(row["Highlight?"].strip()), title
        assert authors_match(s.authors, row["Authors"]), (title, s.authors)
        if "summarizer" not in edits:
            assert s.summarizer == (collapse(row["Summarizer"]) or None), title
        assert s.hat_tip == (collapse(row["H/T"]) or None), title
        if form != "text" and "link" not in edits:  # the forum's text copy has no links
            assert s.link == (row["URL"].strip() or None), title
        assert start(s.summary, text_links=links) == start(row["Summary"], text_links=links), title
        want_ops = split_opinions(row)
        if "opinions" not in edits:
            assert len(s.opinions) == len(want_ops), title
        for got, (by, text) in zip(s.opinions, want_ops, strict=False):
            if "opinion_by" not in edits:
                assert got.by == by, title
            assert start(got.text, text_links=links) == start(text, text_links=links), title
        assert start(s.read_more, text_links=links) == start(row["Read more"], text_links=links), (
            title
        )
    # accounting: nothing of the issue is lost, nothing left unplaced in these issues
    assert lost_paragraphs(paragraphs, issue, text_links=links) == []
    assert issue.unplaced == []


def test_forms_are_detected_by_content() -> None:
    expected = {"markdown": "markdown", "feed": "feed", "page": "html", "text": "text"}
    expected["mail"] = "text"
    for form, detected in expected.items():
        body, _, _ = rendered(82, form)
        assert detect_form(body.decode()) == detected, form


# ---------------------------------------------------------------- the named defects


def md_issue(body: str, title: str = "[AN #300]: x") -> ParsedIssue:
    return parse_issue_text(body, title=title)


def test_markdown_titles_authors_sections_opinions() -> None:
    issue = md_issue((MD_DIR / "an-082.md").read_text(encoding="utf-8"))
    dota = issue.summaries[0]
    assert dota.title == "Dota 2 with Large Scale Deep Reinforcement Learning"
    assert (dota.link, dota.authors) == ("http://arxiv.org/abs/1912.06680", "OpenAI et al")
    assert dota.section_path == ("Highlights",)
    assert [o.by for o in dota.opinions] == ["Nicholas"]
    assert "Nicholas's opinion" not in dota.summary
    udt = issue.summaries[2]
    assert udt.section_path == ("Technical AI alignment", "Agent foundations")


def test_hat_tip_byline_first_in_section_is_an_entry() -> None:
    text = (
        "Intro line.\n\nTechnical AI alignment\n\n"
        "A Paper (Ann Lee) (summarized by Rohin): Text.\n\n"
        "News\n\nCareers at the Joint AI Center (summarized by Rohin) (H/T Jon Rodriguez): "
        "The Joint AI Center is searching for ML experts.\n\nRohin's opinion: Good.\n"
    )
    issue = parse_issue_text(text, title="[AN #92]: x")
    careers = issue.summaries[-1]
    assert careers.title == "Careers at the Joint AI Center"
    assert (careers.section_path, careers.summarizer, careers.hat_tip) == (
        ("News",),
        "Rohin",
        "Jon Rodriguez",
    )
    assert careers.summary.startswith("The Joint AI Center")
    assert [o.by for o in careers.opinions] == ["Rohin"]


def test_title_runs_that_are_not_one_bold_or_linked_run() -> None:
    body = (
        "NEWS\n====\n\n"
        "**[First Job](https://ex.org/1)** (summarized by Rohin): One.\n\n"
        "**A Bold Title** *(Ann Lee, Bo Chen)*: Two.\n\n"
        "[Research Associate](https://ex.org/ra) and [Senior Research Associate]"
        "(https://ex.org/sra) at CSER: Three.\n\n"
        "[Paper One](https://ex.org/p1) and [Paper Two](https://ex.org/p2) *(Cy Dee)*: Four.\n"
    )
    issue = md_issue(body)
    assert [s.title for s in issue.summaries] == [
        "First Job",
        "A Bold Title",
        "[Research Associate](https://ex.org/ra) and [Senior Research Associate]"
        "(https://ex.org/sra) at CSER",
        "[Paper One](https://ex.org/p1) and [Paper Two](https://ex.org/p2)",
    ]
    bold, cser, two = issue.summaries[1:]
    assert (bold.authors, bold.link, bold.summary) == ("Ann Lee, Bo Chen", None, "Two.")
    assert (cser.summary, cser.link) == ("Three.", None)
    assert (two.authors, two.summary) == ("Cy Dee", "Four.")


@pytest.mark.parametrize("label", ["Nicholas' opinion:", "Nicholas’ opinion:"])
def test_opinion_label_with_apostrophe_only(label: str) -> None:
    text = f"A Paper (Ann Lee) (summarized by Nicholas): Text.\n{label} Quite useful.\n"
    [entry] = parse_issue_text(text, title="[AN #95]: x").summaries
    assert [(o.by, o.text) for o in entry.opinions] == [("Nicholas", "Quite useful.")]
    assert entry.summary == "Text."


def test_plain_text_heading_with_parentheses_is_a_section() -> None:
    text = (
        "Technical AI alignment\nRobustness\nA Paper (Ann Lee): Text A.\n"
        "Miscellaneous (Alignment)\nB Paper (Bo Chen) (summarized by Flo): Text B.\n"
        "C Paper (Cy Dee): Text C.\n"
    )
    issue = parse_issue_text(text, title="[AN #82]: x")
    assert [s.title for s in issue.summaries] == ["A Paper", "B Paper", "C Paper"]
    assert [s.section_path[-1] for s in issue.summaries] == [
        "Robustness",
        "Miscellaneous (Alignment)",
        "Miscellaneous (Alignment)",
    ]


def test_see_also_line_is_not_a_heading() -> None:
    text = (
        "Technical AI alignment\nA Chatbot Paper (Ann Lee) (summarized by Rohin): Text.\n"
        "See also Import AI #183\nRohin's opinion: Previously I believed that chatbots were hard.\n"
        "B Paper (Bo Chen): Text B.\n"
    )
    issue = parse_issue_text(text, title="[AN #85]: x")
    chatbot = issue.summaries[0]
    assert chatbot.summary == "Text.\n\nSee also Import AI #183"
    assert [o.text for o in chatbot.opinions] == ["Previously I believed that chatbots were hard."]
    assert chatbot.section_path == issue.summaries[1].section_path == ("Technical AI alignment",)


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        ("", "**Newsletter #92**\n\nAlignment Newsletter is a weekly publication", 92),
        ("an-082", "", 82),
        (
            "",
            "Audio version [here](http://alignment-newsletter.libsyn.com/alignment-newsletter-82)",
            82,
        ),
        ("[AN #82]: How OpenAI Five distributed", "", 82),
        ("", "This is a response to tales of doom (AN #50)", None),
        ("", "see the Newsletter #50 for more", None),
    ],
)
def test_issue_number_from_title_file_name_or_body(
    title: str, text: str, expected: int | None
) -> None:
    assert issue_number(title, text)[0] == expected


def test_file_number_from_body_file_name_or_option() -> None:
    md92 = (MD_DIR / "an-092.md").read_bytes()
    assert parse_one(md92, "file:///x/notes.md").label == "AN #92"
    md82 = (MD_DIR / "an-082.md").read_bytes()
    assert parse_one(md82, "file:///x/an-082.md").label == "AN #82"
    _, [(item, issue)] = parse_source(md82, uri="file:///x/an-082.md", number=7)
    assert (issue.number, issue.label, item.title) == (7, "AN #7", "AN #7")


def test_bare_html_page_is_parsed_as_html() -> None:
    body, uri, _ = rendered(95, "page")
    issue = parse_one(body, uri)
    assert issue.form == "html"
    assert all("<" not in s.title for s in issue.summaries)
    assert issue.summaries[0].title == "Current Work in AI Alignment"


def test_section_names_follow_the_database() -> None:
    assert normalise_section("TECHNICAL AGENDAS AND PRIORITIZATION") == (
        "Technical agendas and prioritization"
    )
    assert normalise_section("Privacy & Security") == "Privacy and security"
    assert normalise_section("**Miscellaneous (alignment)**") == "Miscellaneous (Alignment)"
    assert normalise_section("ROBOT ETHICS AND LAW") == "Robot Ethics and Law"
    assert normalise_section("Learning from demonstrations") == "Learning from demonstrations"
    issue = md_issue((MD_DIR / "an-092.md").read_text(encoding="utf-8"))
    assert issue.summaries[2].section_path == (
        "Technical AI alignment",
        "Technical agendas and prioritization",
    )


def test_numbered_lists_keep_their_numbers() -> None:
    body = (
        "HIGHLIGHTS\n==========\n\n**[A Paper](https://ex.org/a)** *(Ann Lee)*: Three issues:\n\n"
        "1. latency\n2. cost\n3. scale\n\nThe end.\n"
    )
    [entry] = md_issue(body).summaries
    assert entry.summary == "Three issues:\n\n1. latency\n\n2. cost\n\n3. scale\n\nThe end."


def test_paragraphs_between_entries_are_kept_and_reported() -> None:
    text = (
        "Intro.\nTechnical AI alignment\nA Paper (Ann Lee): Text A.\nRobustness\n"
        "This section collects robustness work.\nB Paper (Bo Chen): Text B.\n"
        "Feedback\nI'm always happy to hear feedback.\n"
    )
    issue = parse_issue_text(text, title="[AN #9]: x")
    assert issue.intro == "Intro."
    assert issue.unplaced == ["This section collects robustness work."]
    assert issue.outro == "Feedback\n\nI'm always happy to hear feedback."
    assert "1 paragraph not placed in any summary" in dry_run_report(issue)


def test_dry_run_report_lists_entries() -> None:
    body, uri, _ = rendered(92, "markdown")
    report = dry_run_report(parse_one(body, uri))
    assert report.startswith("AN #92 · markdown · an layout · 9 entries")
    assert (
        "\nNews\n  9. Careers at the Joint AI Center (summarized by Rohin) (H/T Jon Rodriguez)\n"
        in report
    )
    assert "     The Joint AI Center is searching for ML experts for a variety …" in report
    assert "not placed" not in report


# ---------------------------------------------------------------- all issues, every form


RENDER = {
    "html": render_csv_issue,
    "markdown": render_csv_markdown,
    "text": render_csv_plain,  # the forum's text copy: no links
    "mail": render_csv_mail,  # the e-mail's text version: links after their words
}
PARAGRAPHS = {
    "html": html_paragraphs,
    "markdown": markdown_paragraphs,
    "text": text_paragraphs,
    "mail": markdown_paragraphs,  # paragraphs between blank lines, as in Markdown
}
# Rows plain text cannot tell apart, by (issue, title), with why; the row after each is
# let off its summary too (its text may take the row's in).
_NO_AUTHORS = (
    "with no link to end the title, '(X) (summarized by Y)' reads as authors X, as it "
    "does for most entries"
)
_AFTER_READ_MORE = (
    "a title with no byline right after a read-more line reads as one more of its "
    "links, as 'Thesis: …' after 'Read more: Paper: …' in AN #149 is"
)
PLAIN_AMBIGUOUS: dict[str, dict[tuple[str, str], str]] = {
    "text": {
        ("AN #144", "Research Engineer, Safety (OpenAI)"): _NO_AUTHORS,
        ("AN #152", "Deputy Director (CSER)"): _NO_AUTHORS,
        (
            "AN #15",
            "Conference on Fairness, Accountability, and Transparency (FAT*)",
        ): _NO_AUTHORS,
        ("AN #4", "EU Member States sign up to cooperate on Artificial Intelligence"): (
            _AFTER_READ_MORE
        ),
    },
    "mail": {
        ("AN #4", "EU Member States sign up to cooperate on Artificial Intelligence"): (
            _AFTER_READ_MORE
        ),
    },
}


@pytest.mark.parametrize("form", sorted(RENDER))
def test_every_issue_parses_back_in_every_form(form: str) -> None:
    """Every entry of every issue, field by field, in order; nothing lost. Where a row is
    ambiguous in plain text (PLAIN_AMBIGUOUS), the issue's other entries are found by
    title instead, all fields right, and nothing may be lost either."""
    problems: list[str] = []
    issues = rows_by_issue()
    checked = 0
    ambiguous = PLAIN_AMBIGUOUS.get(form, {})
    links = form == "mail"  # link targets after their words: "(http://…)"
    for label in sorted(issues):
        rows = issues[label]
        style = sum(map(ord, label))
        body = RENDER[form](label, rows, style=style)
        issue = parse_issue_text(body, title=f"[{label}]: x")
        expected = expected_for(rows)
        excused = {i for i, e in enumerate(expected) if (label, e.title) in ambiguous}
        pairs: list[tuple[ParsedSummary, Expected]]
        if excused:
            by_title = {norm(s.title): s for s in issue.summaries}
            pairs = []
            for i, e in enumerate(expected):
                if i in excused or i + 1 in excused:
                    continue
                if norm(e.title) not in by_title:
                    problems.append(f"{label}: {e.title!r} not found")
                    continue
                pairs.append((by_title[norm(e.title)], e))
        else:
            got = [norm(s.title) for s in issue.summaries]
            if got != [norm(e.title) for e in expected]:
                problems.append(f"{label}: titles {got}")
                continue
            pairs = list(zip(issue.summaries, expected, strict=True))
        for s, e in pairs:
            checked += 1
            fields = ["section_path", "authors", "summarizer", "hat_tip", "highlight"]
            fields += ["link"] if form != "text" else []
            for name in fields:
                if getattr(s, name) != getattr(e, name):
                    problems.append(f"{label} {e.title!r}: {name} {getattr(s, name)!r}")
            for name in ("summary", "prerequisites", "read_more"):
                if norm(getattr(s, name), text_links=links) != norm(
                    getattr(e, name), text_links=links
                ):
                    problems.append(f"{label} {e.title!r}: {name}")
            if [(o.by, norm(o.text, text_links=links)) for o in s.opinions] != [
                (by, norm(t, text_links=links)) for by, t in e.opinions
            ]:
                problems.append(f"{label} {e.title!r}: opinions")
        problems += [
            f"{label}: lost {p[:60]!r}"
            for p in lost_paragraphs(PARAGRAPHS[form](body), issue, text_links=links)
        ]
    assert problems == []
    # every entry of 173 issues (1,943) but the ambiguous rows and the rows before them
    assert checked >= 1943 - 2 * len(ambiguous)


# ---------------------------------------------------------------- accounting, generated


NOISE = st.sampled_from(
    [
        "This section collects work on robustness.",
        "Rohin's opinion: an opinion with no entry before it.",
        "Read more: a link with no entry.",
        "A SECTION WITH NOTHING UNDER IT",
        "Some prose (with a parenthesis): and a colon.",
        "**Bold lead-in:** prose that is not an entry.",
        "- a list item",
        "1. a numbered item",
        "A Title Case Line On Its Own",
        "See also Import AI #183 (https://jack-clark.net/183)",
        "** A MARKED HEADING",
    ]
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    label=st.sampled_from(sorted(rows_by_issue())),
    form=st.sampled_from(sorted(RENDER)),
    noise=st.lists(st.tuples(st.integers(0, 10_000), NOISE), max_size=6),
)
def test_no_paragraph_is_lost(label: str, form: str, noise: list[tuple[int, str]]) -> None:
    rows = rows_by_issue()[label][:8]
    body = RENDER[form](label, rows, style=sum(map(ord, label)))
    sep = "\n" if form == "text" else "\n\n"  # the e-mail's text version has blank lines
    parts = body.split(sep)
    for where, text in noise:
        if form == "html":
            text = f"<p>{escape(text)}</p>"
        parts.insert(where % (len(parts) + 1), text)
    body = sep.join(parts)
    issue = parse_issue_text(body, title=f"[{label}]: x")
    assert lost_paragraphs(PARAGRAPHS[form](body), issue, text_links=form == "mail") == []


def test_seed_issue_loses_nothing() -> None:
    text = (DATA / "seed-issue-with-comments.txt").read_text(encoding="utf-8")
    issue = parse_issue_text(text, title="[AN #56]: x")
    assert lost_paragraphs(text_paragraphs(text), issue) == []
    html = (DATA / "feeds" / "an-56.html").read_text(encoding="utf-8")
    issue = parse_issue_text(html, title="[AN #56]: x")
    assert lost_paragraphs(html_paragraphs(html), issue) == []


def test_data_files_exist() -> None:
    assert sorted(p.name for p in MD_DIR.glob("an-*.md")) == ["an-082.md", "an-092.md", "an-095.md"]
    assert Path(MD_DIR / "SOURCES.md").is_file()


def test_a_sentence_opening_with_a_link_stays_in_the_summary() -> None:
    body = (
        "HIGHLIGHTS\n==========\n\n**[A Paper](https://ex.org/a)** *(Ann Lee)*: Text.\n\n"
        "[OpenAI Five](https://ex.org/five) shows that: scale helps.\n"
    )
    [entry] = md_issue(body).summaries
    assert entry.summary == "Text.\n\n[OpenAI Five](https://ex.org/five) shows that: scale helps."
