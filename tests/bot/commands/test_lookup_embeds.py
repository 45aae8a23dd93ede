"""bot.commands.lookup embeds as a member sees them: pure functions of rows, no Discord."""

from __future__ import annotations

import re

from bot.commands import lookup
from bot.publish.render import cut_markdown
from storage.models import Summary
from storage.search import SearchHit


def _hit(snippet: str, title: str = "A paper", link: str | None = "https://p.org/a") -> SearchHit:
    summary = Summary(id=7, title=title, dedupe_key="a", link=link, section="AI alignment")
    return SearchHit(summary=summary, issue_label="AN #56", rank=0.0, snippet=snippet)


def _links_whole(text: str) -> bool:
    """Every "[" that starts a link text is followed by its "](…)" (nothing cut inside)."""
    opened = text.count("[") - text.count("\\[")
    return opened == len(re.findall(r"\]\(<?[^)\s]+>?\)", text)) and text.count("**") % 2 == 0


def test_a_long_snippet_is_shortened_outside_links_and_bold() -> None:
    words = " ".join(f"w{i}" for i in range(100))
    snippet = (
        f"{words} see [a **long** link text](https://example.org/{'x' * 80}) and **bold "
        + ("more " * 200)
        + "end**"
    )
    page = lookup.search_page("q", [_hit(snippet)], total=1, offset=0, threads={})
    value = page.fields[0].value or ""
    assert len(value) <= 1024
    assert _links_whole(value), value
    assert value.split("\n")[0].endswith("…")


def test_search_snippet_cross_references_are_links_or_text() -> None:
    snippet = (
        "… builds on <@recursive **reward** modeling@>(@Scalable agent alignment@) and <@X@> …"
    )
    refs = {"scalable agent alignment": "https://discord.com/channels/1/2"}
    page = lookup.search_page("reward", [_hit(snippet)], total=1, offset=0, threads={}, refs=refs)
    value = page.fields[0].value or ""
    assert "[recursive **reward** modeling](<https://discord.com/channels/1/2>)" in value
    assert " and X …" in value and "<@" not in value and "(@" not in value


def test_field_name_is_plain_and_the_title_links_go_to_the_value() -> None:
    title = "[Probability is fake](https://lw.org/a) and [Sleeping Beauty](https://lw.org/b)"
    page = lookup.search_page("q", [_hit("text", title, None)], total=1, offset=0, threads={})
    field = page.fields[0]
    assert field.name == "1. Probability is fake and Sleeping Beauty"
    assert "[Probability is fake](<https://lw.org/a>)" in (field.value or "")
    assert "[Sleeping Beauty](<https://lw.org/b>)" in (field.value or "")


def test_cut_markdown_keeps_pairs_closed() -> None:
    text = "**bold words here** then ||a spoiler that runs on|| and `code span here` end"
    for limit in range(5, len(text)):
        shown = cut_markdown(text, limit)
        assert len(shown) <= limit
        body = shown.removesuffix("…")
        for pair in ("**", "||", "`"):
            assert body.count(pair) % 2 == 0, (limit, shown)
