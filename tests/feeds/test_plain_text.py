"""The plain-text forms of an issue: the forum's text copy (no links) and the e-mail's text
version (links after their words, marked headings, maybe hard-wrapped). Rules, not samples:
each case is made up, in the shapes real issues take."""

from __future__ import annotations

import pytest

from feeds.issue import detect_form, parse_issue_text
from feeds.types import ParsedIssue


def parse(text: str) -> ParsedIssue:
    return parse_issue_text(text, title="[AN #300]: x")


def titles(issue: ParsedIssue) -> list[tuple[str, tuple[str, ...]]]:
    return [(s.title, s.section_path) for s in issue.summaries]


# ---------------------------------------------------------------- titles on their own line


def test_title_lines_with_no_byline_are_entries() -> None:
    issue = parse(
        "Find all Alignment Newsletter resources here.\n"
        "Technical AI alignment\nInterpretability\n"
        "Learning Memory Access Patterns\nMultiagent GAIL\n"
        "A Paper (Ann Lee) (summarized by Rohin): Text.\n"
        "Other progress in AI\nReinforcement learning\n"
        "B Paper (Bo Chen): Text B.\nLearning by Playing\n"
    )
    interp = ("Technical AI alignment", "Interpretability")
    rl = ("Other progress in AI", "Reinforcement learning")
    assert titles(issue) == [
        ("Learning Memory Access Patterns", interp),
        ("Multiagent GAIL", interp),
        ("A Paper", interp),
        ("B Paper", rl),
        ("Learning by Playing", rl),
    ]
    assert issue.summaries[1].summary == "" and issue.summaries[3].summary == "Text B."


def test_a_title_line_keeps_its_prerequisites_and_read_more() -> None:
    issue = parse(
        "AI strategy and policy\nAI governance\n"
        "AI in the UK: ready, willing and able?\nRead more: Gizmodo post\n"
        "Forecasting\nA Paper (Ann Lee): Text.\n"
    )
    uk = issue.summaries[0]
    assert (uk.title, uk.read_more, uk.summary) == (
        "AI in the UK: ready, willing and able?",
        "Gizmodo post",
        "",
    )


def test_headings_in_capitals_make_other_lines_titles() -> None:
    issue = parse(
        "TECHNICAL AI ALIGNMENT\nHANDLING GROUPS OF AGENTS\n"
        "Generative Multi-Agent Behavioral Cloning\n"
        "Inequity aversion resolves dilemmas (Edward Hughes): Text.\n"
        "INTERPRETABILITY\nUnderstanding deep learning through neuron deletion\n"
        "ITERATED AMPLIFICATION\nAn unaligned benchmark (Paul Christiano): Text.\n"
    )
    groups = ("Technical AI alignment", "Handling groups of agents")
    assert titles(issue) == [
        ("Generative Multi-Agent Behavioral Cloning", groups),
        ("Inequity aversion resolves dilemmas", groups),
        ("Understanding deep learning through neuron deletion", (groups[0], "Interpretability")),
        ("An unaligned benchmark", (groups[0], "Iterated amplification")),
    ]


def test_a_line_before_a_known_section_is_no_empty_subsection() -> None:
    issue = parse(
        "Technical AI alignment\nTechnical agendas and prioritization\n"
        "Overview of Agendas (Rohin Shah) (summarized by Rohin): The video is out.\n"
        "FLI's YouTube channel\nAI strategy and policy\nAI governance\n"
        "A Paper (Ann Lee): Text.\n"
    )
    overview, paper = issue.summaries
    assert overview.summary == "The video is out.\n\nFLI's YouTube channel"
    assert paper.section_path == ("AI strategy and policy", "AI governance")
    assert issue.unplaced == []


def test_an_unknown_top_level_section_over_a_known_subsection() -> None:
    issue = parse(
        "Technical AI alignment\nA Paper (Ann Lee) (summarized by Rohin): Text.\n"
        "AI capabilities\nReinforcement learning\nB Paper (Bo Chen): Text B.\n"
    )
    # a heading, not the end of A's summary (and kept: a heading no entry sits under)
    assert issue.summaries[0].summary == "Text."
    assert issue.summaries[1].section_path[-1] == "Reinforcement learning"
    assert "AI capabilities" in issue.notes


@pytest.mark.parametrize(
    "lines",
    [
        # a list introduced by a colon, Title Case items and all
        "The sequence has three posts:\nEmbedded Agents\nDecision Theory\nRobust Delegation",
        # the links of a read more
        "Read more: Paper: Learning What To Do\nThesis: Extracting Preference Information",
        # a pointer, then the entry's opinion
        "See also Import AI #183\nRohin's opinion: Good.",
        # prose that ends without a full stop
        "This is what they found (see the paper)",
    ],
)
def test_lines_that_continue_a_summary_are_not_titles(lines: str) -> None:
    issue = parse(
        f"Technical AI alignment\nA Paper (Ann Lee) (summarized by Rohin): Text.\n{lines}\n"
        "B Paper (Bo Chen): Text B.\n"
    )
    assert [s.title for s in issue.summaries] == ["A Paper", "B Paper"]
    first = issue.summaries[0]
    kept = "\n\n".join([first.summary, *(o.text for o in first.opinions), first.read_more or ""])
    for line in lines.split("\n"):
        assert line.split(": ", 1)[-1] in kept


def test_no_titles_in_the_preamble_or_under_closing_headings() -> None:
    issue = parse(
        "Alignment Newsletter Weekly Digest\nHighlights\n"
        "A Paper (Ann Lee) (summarized by Rohin): Text.\n"
        "Podcast\nAn audio podcast version of the Alignment Newsletter is available\n"
        "Subscribe Here\n"
    )
    assert [s.title for s in issue.summaries] == ["A Paper"]
    assert issue.intro == "Alignment Newsletter Weekly Digest"
    assert "Subscribe Here" in issue.outro


# ---------------------------------------------------------------- bylines


def test_a_group_that_names_no_one_stays_in_the_title() -> None:
    [entry] = parse(
        "News\nThe Open Phil AI Fellowship (Year 5) (summarized by Rohin): Apply now.\n"
    ).summaries
    assert (entry.title, entry.authors, entry.summarizer) == (
        "The Open Phil AI Fellowship (Year 5)",
        None,
        "Rohin",
    )


# ---------------------------------------------------------------- the e-mail's text version

MAIL = """View this email in your browser (https://mailchi.mp/x/an)

Find all Alignment Newsletter resources here (http://rohinshah.com/alignment-newsletter/).

** HIGHLIGHTS
------------------------------------------------------------

Dota 2 with Large Scale Deep RL (http://arxiv.org/abs/1912.06680) (OpenAI et al) \
(summarized by Nicholas): In April, OpenAI Five (https://openai.com/five) defeated OG.

Nicholas' opinion: Impressive (AN #54 (https://mailchi.mp/an54)).

** NEWS
------------------------------------------------------------

Deputy Director (CSER) (https://cser.ac.uk/jobs/dd) (summarized by Rohin): CSER is hiring.

Research Associate (https://jobs.cam.ac.uk/1) and Senior Research Associate \
(https://jobs.cam.ac.uk/2) at CSER: Two roles.

Slides from Human-Level AI 2018 (https://slideslive.com/hlai)

Open Philanthropy Technology Policy Fellowship (https://openphilanthropy.org/f) \
(summarized by Rohin): Apply.

Read more: EA Forum post (https://forum.effectivealtruism.org/f)

============================================================
Copyright © 2020 Alignment Newsletter, All rights reserved.
"""


def test_text_version_links_headings_and_footer() -> None:
    assert detect_form(MAIL) == "text"
    issue = parse(MAIL)
    dota, deputy, jobs, slides, fellowship = issue.summaries
    assert (dota.title, dota.link, dota.authors, dota.summarizer) == (
        "Dota 2 with Large Scale Deep RL",
        "http://arxiv.org/abs/1912.06680",
        "OpenAI et al",
        "Nicholas",
    )
    assert dota.section_path == ("Highlights",)
    assert dota.summary == "In April, OpenAI Five (https://openai.com/five) defeated OG."
    assert [o.by for o in dota.opinions] == ["Nicholas"]
    assert (deputy.title, deputy.authors, deputy.link) == (
        "Deputy Director (CSER)",
        None,
        "https://cser.ac.uk/jobs/dd",
    )
    assert jobs.title == (
        "[Research Associate](https://jobs.cam.ac.uk/1) and "
        "[Senior Research Associate](https://jobs.cam.ac.uk/2) at CSER"
    )
    assert (jobs.link, jobs.summary) == (None, "Two roles.")
    assert (slides.title, slides.link) == (
        "Slides from Human-Level AI 2018",
        "https://slideslive.com/hlai",
    )
    assert fellowship.read_more == "EA Forum post (https://forum.effectivealtruism.org/f)"
    assert all(s.section_path == ("News",) for s in (deputy, jobs, slides, fellowship))
    assert issue.unplaced == [] and "====" not in issue.notes


def test_angle_bracket_links_and_underlined_headings() -> None:
    issue = parse(
        "Highlights\n==========\n\n"
        "A Paper <https://ex.org/a> (Ann Lee) (summarized by Rohin): Text <https://ex.org/t>.\n\n"
        "Motivation\n\nMore text.\n\n"
        "Technical AI alignment\n======================\n\n"
        "B Paper <https://ex.org/b> (Bo Chen): Text B.\n"
    )
    a, b = issue.summaries
    assert (a.title, a.link, a.section_path) == ("A Paper", "https://ex.org/a", ("Highlights",))
    assert a.summary == "Text <https://ex.org/t>.\n\nMotivation\n\nMore text."
    assert (b.link, b.section_path) == ("https://ex.org/b", ("Technical AI alignment",))


def test_a_sentence_opening_with_a_link_is_no_title() -> None:
    issue = parse(
        "** HIGHLIGHTS\n" + "-" * 60 + "\n\n"
        "A Paper (https://ex.org/a) (Ann Lee): Text.\n\n"
        "OpenAI Five (https://ex.org/five) shows that: scale helps.\n\n"
        "A blog post (https://ex.org/post): more on this.\n"
    )
    [entry] = issue.summaries
    assert entry.summary.endswith("A blog post (https://ex.org/post): more on this.")


def test_a_stray_bold_does_not_make_a_text_version_markdown() -> None:
    assert detect_form(MAIL.replace("CSER is hiring.", "CSER is **hiring**.")) == "text"


def test_hard_wrapped_text_version() -> None:
    text = (
        "** HIGHLIGHTS\n" + "-" * 60 + "\n\n"
        "A Rather Long Paper Title About Learning\n"
        "(https://example.org/a-very-long-link-that-no-wrapper-can-break-at-all-"
        "because-it-has-no-spaces-in-it-anywhere) (Ann Lee, Bo Chen) (summarized\n"
        "by Rohin): The paper shows that wrapped text is read as\nparagraphs.\n\n"
        "Rohin's opinion: Wrapped opinions\nare fine too.\n\n"
        "B Paper (https://ex.org/b) (Cy Dee): Short.\n"
    )
    a, b = parse(text).summaries
    assert (a.title, a.authors, a.summarizer) == (
        "A Rather Long Paper Title About Learning",
        "Ann Lee, Bo Chen",
        "Rohin",
    )
    assert a.summary == "The paper shows that wrapped text is read as paragraphs."
    assert [o.text for o in a.opinions] == ["Wrapped opinions are fine too."]
    assert b.title == "B Paper"
