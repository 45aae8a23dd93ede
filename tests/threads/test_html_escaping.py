"""Every user string in the HTML export is inert: parse the output and look for anything a
browser would run or load."""

from __future__ import annotations

from bs4 import BeautifulSoup

from tests.threads.payloads import PAYLOADS, SAFE_TITLE, hostile_thread, hostile_title_thread
from threads.export import export
from threads.export.html_page import stylesheet
from threads.render.discord_html import discord_html

ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "h1", "p", "main",
    "article", "div", "span", "time", "a", "ul", "li",
    # comment text's Markdown (threads.render.discord_html)
    "br", "strong", "em", "u", "s", "del", "code", "pre", "blockquote", "ol", "h2", "h3", "hr",
}  # fmt: skip


def page(fmt_thread: tuple) -> BeautifulSoup:  # type: ignore[type-arg]
    info, rows = fmt_thread
    return BeautifulSoup("".join(export("html", info, rows, order="top")), "html.parser")


def assert_inert(soup: BeautifulSoup) -> None:
    tags = soup.find_all(True)
    assert {tag.name for tag in tags} <= ALLOWED_TAGS
    assert not soup.find_all(["script", "img", "svg", "iframe", "object", "embed", "details"])
    styles = soup.find_all("style")
    assert len(styles) == 1 and styles[0].string == stylesheet()
    assert styles[0].parent is not None and styles[0].parent.name == "head"
    metas = soup.find_all("meta")
    assert not [m for m in metas if m.get("http-equiv", "").lower() == "refresh"]
    for tag in tags:
        for name in tag.attrs:
            assert not name.lower().startswith("on"), (tag.name, name)
    for link in soup.find_all("a"):
        href = link["href"]
        assert href.startswith(("http://", "https://", "#c")), href
        assert '"' not in href and "<" not in href and " " not in href, href
    assert soup.find(id="pwned") is None


def test_payloads_in_content_author_and_attachments_stay_text() -> None:
    soup = page(hostile_thread())
    assert_inert(soup)
    assert soup.title is not None and soup.title.string == SAFE_TITLE
    # The payloads are shown to the reader as text, exactly as written.
    text = soup.get_text()
    for payload in PAYLOADS:
        assert f"before {payload} after" in text


def test_payload_in_thread_title_and_url_stays_text() -> None:
    soup = page(hostile_title_thread())
    assert_inert(soup)
    assert soup.title is not None and soup.title.string is not None
    assert soup.title.string.startswith("</title><script>")


def test_thread_link_is_dropped_when_not_http() -> None:
    soup = page(hostile_thread())
    assert "open thread" not in soup.get_text()


def test_only_http_urls_become_links_and_trailing_punctuation_stays_prose() -> None:
    text = "see https://en.wikipedia.org/wiki/A_(b). or (https://x.test/y), javascript:alert(1)"
    soup = BeautifulSoup(discord_html(text), "html.parser")
    hrefs = [a["href"] for a in soup.find_all("a")]
    assert hrefs == ["https://en.wikipedia.org/wiki/A_(b)", "https://x.test/y"]
    assert soup.get_text() == text
