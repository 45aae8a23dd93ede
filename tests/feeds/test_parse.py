"""parse_feed on fixture feeds and on broken input."""

from __future__ import annotations

from datetime import UTC, datetime

import feedparser
import pytest

from feeds.parse import FeedParseError, entry_id, parse_feed
from tests.feeds.conftest import FEED_DATA


async def test_atom_fixture() -> None:
    parsed = await parse_feed(
        (FEED_DATA / "an.atom").read_bytes(), content_type="application/atom+xml"
    )
    assert (parsed.title, parsed.link, parsed.warning) == (
        "Alignment Newsletter",
        "https://rohinshah.com/alignment-newsletter/",
        None,
    )
    first = parsed.items[0]
    assert first.entry_id == "tag:alignment-newsletter,2019:an-56"
    assert first.published == datetime(2019, 5, 13, 16, 0, tzinfo=UTC)
    assert first.author == "Rohin Shah"
    assert first.content_html.count("<h1>") >= 3  # the whole e-mail, not the title


async def test_rss_fixture_uses_content_encoded_over_description() -> None:
    parsed = await parse_feed((FEED_DATA / "an.rss").read_bytes())
    first = parsed.items[0]
    assert first.entry_id == first.link
    assert "Batch Active Preference-Based Learning" in first.content_html
    assert first.updated is None  # RSS 2.0 has only pubDate


async def test_generic_feed_ids_dates_and_plain_text() -> None:
    parsed = await parse_feed(
        (FEED_DATA / "generic.rss").read_bytes(), url="https://blog.example.org/feed.xml"
    )
    wal, cache, note = parsed.items
    assert wal.entry_id == "post-1042"
    assert wal.published == datetime(2024, 1, 2, 8, 30, tzinfo=UTC)
    assert "<script>" not in wal.content_html
    assert 'href="https://blog.example.org/posts/wal-numbers"' in wal.content_html
    assert cache.entry_id == "https://blog.example.org/posts/cache"
    assert cache.content_html == "Plain text body, no markup & no guid."  # RSS says HTML
    assert note.entry_id.startswith("sha1:") and note.link is None
    again = await parse_feed((FEED_DATA / "generic.rss").read_bytes())
    assert again.items[2].entry_id == note.entry_id  # stable across parses


def test_entry_id_fallbacks() -> None:
    d = feedparser.FeedParserDict
    assert entry_id(d(id="g", link="l")) == "g"
    assert entry_id(d(link="l")) == "l"
    a = entry_id(d(title="T", published="2020-01-01"))
    assert a == entry_id(d(title="T", published="2020-01-01")) != entry_id(d(title="T"))


async def test_truncated_feed_recovers_entries_with_warning() -> None:
    body = (FEED_DATA / "an.atom").read_bytes()
    cut = body[: body.index(b"<entry>", body.index(b"</entry>")) + 200]
    parsed = await parse_feed(cut)
    assert parsed.warning
    assert parsed.items[0].title.startswith("[AN #56]")


async def test_truncated_beyond_recovery_is_refused() -> None:
    body = (FEED_DATA / "an.atom").read_bytes()
    with pytest.raises(FeedParseError, match=r"^not a feed: "):
        await parse_feed(body[:120])


async def test_wrong_declared_encoding_still_parses_with_warning() -> None:
    text = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Caf\u00e9'
        "</title><item><title>Na\u00efve \u00e9t\u00e9</title><guid>1</guid></item>"
        "</channel></rss>"
    )
    parsed = await parse_feed(text.encode("cp1252"), content_type="application/rss+xml")
    assert parsed.items[0].entry_id == "1"
    assert parsed.warning is not None and "encoding" in parsed.warning.lower()


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"", None, "not a feed: empty body"),
        (b"  \n ", None, "not a feed: empty body"),
        (
            b"<!DOCTYPE html><html><body><p>Hi</p></body></html>",
            "text/html",
            "not a feed: got an HTML page",
        ),
        (b"\x89PNG\r\n\x1a\n\x00\x00garbage", "image/png", "not a feed"),
        (b"just some words", "text/plain", "not a feed"),
    ],
)
async def test_not_a_feed(body: bytes, content_type: str | None, message: str) -> None:
    with pytest.raises(FeedParseError) as caught:
        await parse_feed(body, url="https://ex.org/x", content_type=content_type)
    assert str(caught.value).startswith(message)
    assert "https://ex.org/x" in str(caught.value)


async def test_empty_but_valid_feed_is_not_an_error() -> None:
    parsed = await parse_feed(b"<rss version='2.0'><channel><title>T</title></channel></rss>")
    assert (parsed.title, parsed.items, parsed.warning) == ("T", [], None)


async def test_atom_text_content_becomes_escaped_paragraphs() -> None:
    body = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><entry><id>e1</id>'
        b'<title>x</title><content type="text">a &lt;b&gt; &amp; c\n\nsecond</content>'
        b"</entry></feed>"
    )
    parsed = await parse_feed(body)
    assert parsed.items[0].content_html == "<p>a &lt;b&gt; &amp; c</p><p>second</p>"
