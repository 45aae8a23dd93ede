"""web.discussion renders comment text with the one Discord Markdown renderer (pure, no server).

The web archive shows what the HTML export shows: mentions as names, never as "<@id>" (an id
is the member's identity, which the site never writes); code spans exactly as written; Discord's
underline. Before the web had its own renderer these all differed.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bs4 import BeautifulSoup

from threads.model import CommentRecord
from web.discussion import render_discussion

T0 = datetime(2024, 6, 1, tzinfo=UTC)
MEMBER_ID = 1_234_567_890_123


def body_of(text: str) -> BeautifulSoup:
    record = CommentRecord(
        id=1, parent_id=None, author_id=7, author_name="Ann", content=text, created_at=T0
    )
    html = render_discussion([record], order="old", hidden_authors=set()).html
    soup = BeautifulSoup(html, "html.parser")
    body = soup.select_one("article.c .body")
    assert body is not None
    return body


def test_mentions_read_as_names_and_leak_no_id() -> None:
    body = body_of(f"thanks <@{MEMBER_ID}> see <#42> at <t:1700000000:d>")
    assert str(MEMBER_ID) not in str(body) and "<@" not in body.get_text()
    assert [m.get_text() for m in body.select("span.mention")] == ["@member", "#channel"]
    assert body.select_one("time").get_text() == "2023-11-14"


def test_code_span_shows_a_url_as_written_and_underline_is_underline() -> None:
    body = body_of("`https://x.org/a_b` and __under__ https://x.org/c")
    assert body.code is not None and body.code.get_text() == "https://x.org/a_b"
    assert body.u is not None and body.u.get_text() == "under"
    assert [a["href"] for a in body.find_all("a")] == ["https://x.org/c"]
