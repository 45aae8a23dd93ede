"""feeds.crossref: the summaries database's `<@text@>(@Title@)` references. Pure."""

from __future__ import annotations

from feeds.crossref import plain_cross_refs, render_cross_refs, titles_in

TEXT = (
    "…work on <@recursive reward\nmodeling@>(@Scalable agent alignment via reward modeling@) and "
    "<@Embedded Agents@>, see <@this [one]@>(@Other@)."
)


def test_titles_are_found_once_each_in_order() -> None:
    assert titles_in(TEXT, "<@Embedded Agents@> again", None) == [
        "Scalable agent alignment via reward modeling",
        "Embedded Agents",
        "Other",
    ]


def test_a_reference_links_to_its_url_else_shows_its_text() -> None:
    urls = {"scalable agent alignment via reward modeling": "https://discord.com/channels/1/2"}
    shown = render_cross_refs(TEXT, urls)
    assert shown == (
        "…work on [recursive reward modeling](<https://discord.com/channels/1/2>) and "
        "Embedded Agents, see this [one]."
    )
    assert render_cross_refs(TEXT, lambda title: "https://x/o" if title == "Other" else None) == (
        "…work on recursive reward modeling and Embedded Agents, see [this \\[one\\]](<https://x/o>)."
    )


def test_plain_text_is_what_a_reader_would_read() -> None:
    assert plain_cross_refs(TEXT) == (
        "…work on recursive reward modeling and Embedded Agents, see this [one]."
    )
    assert plain_cross_refs("no references <@ here") == "no references <@ here"
