"""bot.commands.lookup: the embeds of /an search, summary, issue and latest, built directly from
rows (no Discord connection, no database)."""

from __future__ import annotations

from bot.commands import lookup
from storage.models import Issue, Summary
from storage.search import SearchHit

ISSUE = Issue(
    id=7, number=56, label="AN #56", title="Alignment Newsletter #56", link="https://x.org/56"
)


def summary(n: int, **values: object) -> Summary:
    fields: dict[str, object] = {
        "id": n,
        "issue_id": 7,
        "dedupe_key": f"paper {n}",
        "title": f"Paper {n}",
        "section": "Technical AI alignment",
        "summarizer": "Rohin",
        "summary": f"What paper {n} found.",
    }
    fields.update(values)
    return Summary(**fields)  # type: ignore[arg-type]


def test_summary_line_links_title_and_thread() -> None:
    line = lookup.summary_line(summary(1, link="https://arxiv.org/abs/1"), 555)
    assert line == "**[Paper 1](<https://arxiv.org/abs/1>)** — Rohin · <#555>"
    assert lookup.summary_line(summary(2, summarizer=None), None) == "**Paper 2** · not posted yet"


def test_search_page_counts_numbers_and_links_threads() -> None:
    hits = [SearchHit(summary(n), "AN #56", 1.0, f"**paper** {n}") for n in (3, 4)]
    embed = lookup.search_page("paper", hits, total=12, offset=5, threads={3: 333})
    assert embed.title == "Search: paper" and embed.description == "12 results"
    assert [f.name for f in embed.fields] == ["6. Paper 3", "7. Paper 4"]
    assert embed.fields[0].value == (
        "**paper** 3\n-# AN #56 · Technical AI alignment\nthread <#333>"
    )
    assert embed.fields[1].value.endswith("thread not posted yet")
    one = lookup.search_page("x", hits[:1], total=1, offset=0, threads={})
    assert one.description == "1 result"
    many = lookup.search_page("x", hits, total=200, offset=0, threads={}, total_is_estimate=True)
    assert many.description == "200+ results"


def test_search_page_keeps_fields_within_discord_limits() -> None:
    long = summary(9, title="T" * 400, section="S" * 400)
    hit = SearchHit(long, "AN #56", 1.0, "w" * 2000)
    embed = lookup.search_page("q" * 400, [hit], total=1, offset=0, threads={})
    assert embed.title is not None and len(embed.title) <= lookup.EMBED_TITLE
    field = embed.fields[0]
    assert field.name is not None and len(field.name) <= lookup.EMBED_TITLE
    assert field.value is not None and len(field.value) <= 1024


def test_issue_page_pages_of_fifteen_with_the_issue_thread_as_fallback() -> None:
    rows = [summary(n) for n in range(1, 21)]
    first = lookup.issue_page(ISSUE, rows, page=0, threads={1: 101}, issue_thread=900)
    lines = (first.description or "").split("\n")
    assert lines[0] == "20 summaries · thread <#900>"
    assert lines[2] == "1. **Paper 1** — Rohin · <#101>"
    assert lines[3] == "2. **Paper 2** — Rohin · <#900>"
    assert len(lines) == 2 + lookup.ISSUE_PAGE
    second = lookup.issue_page(ISSUE, rows, page=1, threads={}, issue_thread=None)
    lines = (second.description or "").split("\n")
    assert lines[0] == "20 summaries" and lines[2].startswith("16. **Paper 16**")
    assert len(lines) == 2 + 5
    assert first.title == "AN #56: Alignment Newsletter #56" and first.url == "https://x.org/56"


def test_issue_label_falls_back_to_number_then_title() -> None:
    assert lookup.issue_label(ISSUE) == "AN #56"
    assert lookup.issue_label(Issue(number=3, title="Three")) == "AN #3"
    assert lookup.issue_label(Issue(title="Just a post")) == "Just a post"
    assert lookup.issue_label(Issue(title="")) == "issue"


def test_latest_embed_lists_issues_or_says_there_are_none() -> None:
    embed = lookup.latest_embed([(ISSUE, 14, 900), (Issue(number=55, title="AN #55"), 3, None)])
    assert (embed.description or "").split("\n") == [
        "**[AN #56](<https://x.org/56>)** — Alignment Newsletter #56 · 14 summaries · <#900>",
        "**AN #55** · 3 summaries",
    ]
    assert lookup.latest_embed([]).description == "No issues stored yet."
