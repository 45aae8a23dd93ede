"""bot.publish.render: titles, starter messages, tags and cross-reference links (pure functions)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.publish import render
from storage.models import Issue, Summary


def _summary(**kw: object) -> Summary:
    values: dict[str, object] = {
        "title": "Batch Active Preference-Based Learning of Reward Functions",
        "dedupe_key": "batch",
        "section": "Technical AI alignment / Learning human intent",
        "link": "https://arxiv.org/abs/1810.04303",
        "authors": "Erdem Bıyık et al",
        "summarizer": "Cody",
        "summary": "This paper builds on (AN #45) and more.",
        "opinions": [{"by": "Cody", "text": "An elegant paper, see AN #45."}],
        "prerequisites": "Active Preference-Based Learning of Reward Functions (Recon #5)",
    }
    values.update(kw)
    return Summary(**values)  # type: ignore[arg-type]


ISSUE = Issue(title="Alignment Newsletter #56", label="AN #56", number=56, link="https://x/56")


def test_post_title_has_label_and_is_cut_to_100() -> None:
    assert render.post_title(ISSUE, _summary()) == (
        "AN #56 · Batch Active Preference-Based Learning of Reward Functions"
    )
    long = render.post_title(ISSUE, _summary(title="word " * 60))
    assert len(long) <= 100 and long.endswith("…") and long.startswith("AN #56 · word")


def test_generic_item_title_is_its_own() -> None:
    generic = Issue(title="A blog post", label=None)
    assert render.post_title(generic, _summary(title="A blog post")) == "A blog post"


def test_tag_is_top_level_section_within_twenty_chars() -> None:
    assert render.tag_name(_summary()) == "AI alignment"
    assert render.tag_name(_summary(section="Other progress in AI / Deep learning")) == (
        "Other progress in AI"
    )
    assert render.tag_name(_summary(section="", highlight=True)) == "Highlights"
    assert render.tag_name(_summary(section="")) is None
    name = render.tag_name(_summary(section="A very long section name indeed / x"))
    assert name is not None and len(name) <= 20


def test_cross_refs_link_only_known_threads() -> None:
    links = {"AN #45": "https://discord.com/channels/1/2"}
    text = render.link_cross_refs("see (AN #45) and (AN #50), [AN #45](x)", links)
    assert "(AN #50)" in text
    assert "([AN #45](<https://discord.com/channels/1/2>))" in text
    assert "[AN #45](x)" in text  # an existing link is not nested


def test_summary_body_holds_summary_opinion_and_links() -> None:
    body = render.summary_body(ISSUE, _summary(read_more="Cody's longer summary"), links={})
    assert body.startswith("**[Batch Active Preference-Based Learning of Reward Functions]")
    assert "(Erdem Bıyık et al)" in body and "*summarized by Cody*" in body
    assert "**Cody's opinion:** An elegant paper" in body
    assert "**Prerequisites:** Active Preference-Based" in body
    assert "**Read more:** Cody's longer summary" in body
    assert "-# AN #56 · Technical AI alignment › Learning human intent" in body


def test_starter_chunks_fit_and_show_nothing_internal() -> None:
    body = "\n\n".join(f"Paragraph {i}. " + "text " * 80 for i in range(20))
    chunks = render.starter_chunks(body, ping_role_id=77)
    assert len(chunks) > 1
    assert all(len(c) <= render.MESSAGE_LIMIT for c in chunks)
    assert chunks[0].startswith("<@&77>\n")
    # What readers see is the summary: no "-# anbot:pub:…" line in any message.
    assert not any(
        "anbot:pub" in c or c.rstrip().splitlines()[-1].startswith("-# ") for c in chunks
    )
    assert " ".join(chunks).replace("<@&77>\n", "").split() == body.split()


@given(st.text(min_size=0, max_size=6000))
def test_starter_chunks_never_exceed_the_limit(body: str) -> None:
    chunks = render.starter_chunks(body)
    assert chunks and all(len(c) <= render.MESSAGE_LIMIT for c in chunks)


def test_summary_body_renders_database_cross_references() -> None:
    summary = _summary(
        summary=(
            "Builds on <@recursive reward modeling@>(@Scalable agent alignment via reward "
            "modeling@), <@Unknown Paper@> and <@the [draft]@>(@Draft@)."
        )
    )
    refs = {
        "scalable agent alignment via reward modeling": "https://discord.com/channels/1/2",
        "draft": "https://x/d",
    }
    body = render.summary_body(ISSUE, summary, links={}, refs=refs)
    assert "[recursive reward modeling](<https://discord.com/channels/1/2>)" in body
    assert " Unknown Paper and " in body
    assert "[the \\[draft\\]](<https://x/d>)" in body
    assert "<@" not in body and "@>" not in body and "(@" not in body
    # The stored text keeps the database's syntax.
    assert summary.summary.startswith("Builds on <@recursive")


def test_issue_header_counts_summaries() -> None:
    header = render.issue_header(ISSUE, 12)
    assert header.startswith("**[AN #56: Alignment Newsletter #56](<https://x/56>)**")
    assert "12 summaries" in header


def test_an_issue_mention_links_the_summary_it_names() -> None:
    from feeds.crossref import Referenced

    doom = Referenced("More realistic tales of doom", "https://l/doom", "https://d/channels/1/7")
    tools = Referenced("Robots that Learn to Use Improvised Tools", "https://l/tools", None)
    first = Referenced("Overview of AGI Safety Research Agendas", None, "https://d/channels/1/5")
    summaries = {"AN #50": [first, doom, tools]}
    issue = {"AN #50": "https://news/50"}

    def linked(text: str) -> str:
        return render.link_cross_refs(text, issue, summaries)

    # Named by its title just before: its own post; a named summary without one: its paper.
    assert linked("A response to More realistic tales of doom (AN #50).") == (
        "A response to More realistic tales of doom ([AN #50](<https://d/channels/1/7>))."
    )
    assert "([AN #50](<https://l/tools>))" in linked(
        "see robots that learn to use improvised tools (AN #50)"
    )
    # Named by the preceding link's address; an existing issue link is re-pointed at the post.
    assert linked("as [doom](https://l/doom/) ([AN #50](https://news/50))") == (
        "as [doom](https://l/doom/) ([AN #50](<https://d/channels/1/7>))"
    )
    # … but only at a discussion: a named summary without a post keeps the newsletter's link.
    assert linked("[x](https://l/tools) ([AN #50](https://news/50))").endswith(
        "](https://news/50))"
    )
    # Naming none: the issue's own thread or page, never one of its summaries' posts.
    assert linked("our recent paper (AN #50)") == "our recent paper ([AN #50](<https://news/50>))"
    assert linked("see (AN #51)") == "see (AN #51)"
