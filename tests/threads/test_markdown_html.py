"""threads.render.markdown_html: Discord Markdown rendered, everything else made harmless."""

from __future__ import annotations

from bs4 import BeautifulSoup
from hypothesis import given
from hypothesis import strategies as st

from tests.threads.payloads import BAD_URLS, PAYLOADS
from threads.render.markdown_html import ALLOWED_TAGS
from threads.render.markdown_html import discord_markdown_to_html as render


def test_discord_markdown() -> None:
    html = render("**bold** *it* ~~gone~~ `code` ||secret||\n> quoted\nhttps://example.org/x")
    soup = BeautifulSoup(html, "html.parser")
    assert soup.strong.text == "bold" and soup.em.text == "it" and soup.s.text == "gone"
    assert soup.code.text == "code" and soup.blockquote is not None
    assert soup.select_one("span.spoiler").text == "secret"
    link = soup.select_one("a[href='https://example.org/x']")
    assert link is not None and "noopener" in link["rel"]


def test_payloads_become_text() -> None:
    for payload in [*PAYLOADS, *(f"[x]({u})" for u in BAD_URLS), "![i](https://e.org/i.png)"]:
        soup = BeautifulSoup(render(payload), "html.parser")
        for tag in soup.find_all(True):
            assert tag.name in ALLOWED_TAGS, (payload, tag.name)
            for attr, value in tag.attrs.items():
                assert not attr.startswith("on"), payload
                if attr == "href":
                    assert value.startswith(("https://", "http://", "mailto:", "/")), value
        assert soup.find("img") is None  # no remote images: no third-party requests


@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=200))
def test_any_text_gives_only_allowed_markup(text: str) -> None:
    soup = BeautifulSoup(render(text), "html.parser")
    assert {tag.name for tag in soup.find_all(True)} <= ALLOWED_TAGS
    assert not any(a.startswith("on") for tag in soup.find_all(True) for a in tag.attrs)
