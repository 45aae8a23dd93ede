"""threads.render.discord_html: Discord Markdown as a reader sees it (HTML export, web archive).

Pure: text in, HTML out. Everything else made harmless by the allow-list."""

from __future__ import annotations

from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.threads.payloads import BAD_URLS, MARKDOWN_PAYLOADS, PAYLOADS
from threads.render import discord_html as module
from threads.render.discord_html import ALLOWED_TAGS, discord_html


def test_inline_styles_render_as_discord_shows_them() -> None:
    html = discord_html("**bold** *it* __under__ ~~gone~~ `code` ||secret||")
    assert html == (
        "<p><strong>bold</strong> <em>it</em> <u>under</u> <s>gone</s> <code>code</code> "
        '<span class="spoiler">secret</span></p>'
    )


def test_links_masked_and_bare_get_safe_rel() -> None:
    html = discord_html("**[HARK Side](<https://arxiv.org/a_b>)** and https://x.org/p_q_")
    assert '<strong><a href="https://arxiv.org/a_b" rel="nofollow noopener noreferrer">' in html
    assert '<a href="https://x.org/p_q_" rel="nofollow noopener noreferrer">' in html
    assert "**" not in html and "](" not in html


def test_discord_markdown() -> None:
    html = discord_html("**bold** *it* ~~gone~~ `code` ||secret||\n> quoted\nhttps://example.org/x")
    soup = BeautifulSoup(html, "html.parser")
    assert soup.strong.text == "bold" and soup.em.text == "it" and soup.s.text == "gone"
    assert soup.code.text == "code" and soup.blockquote is not None
    assert soup.select_one("span.spoiler").text == "secret"
    link = soup.select_one("a[href='https://example.org/x']")
    assert link is not None and "noopener" in link["rel"]


def test_bare_links_as_discord_makes_them() -> None:
    """http(s):// only, never guessed from "www." or "a.b"; not inside code; the link ends
    before trailing punctuation and a ")" it does not open."""
    html = discord_html(
        "see www.x.com, a.b and x@y.org; `https://x.org/code` or (https://x.org/a_(b)), "
        "ahttps://x.org/glued https://x.org/end."
    )
    soup = BeautifulSoup(html, "html.parser")
    assert [a["href"] for a in soup.find_all("a")] == [
        "https://x.org/a_(b)",
        "https://x.org/end",
    ]
    assert soup.code.text == "https://x.org/code"  # not "<https://…>", not a link
    assert soup.get_text().endswith("ahttps://x.org/glued https://x.org/end.")


def test_payloads_become_text() -> None:
    bad_links = (f"[x]({u})" for u in BAD_URLS)
    for payload in [*PAYLOADS, *MARKDOWN_PAYLOADS, *bad_links, "![i](https://e.org/i.png)"]:
        soup = BeautifulSoup(discord_html(payload), "html.parser")
        for tag in soup.find_all(True):
            assert tag.name in ALLOWED_TAGS, (payload, tag.name)
            for attr, value in tag.attrs.items():
                assert not attr.startswith("on"), payload
                if attr == "href":
                    assert value.startswith(("https://", "http://", "mailto:", "/")), value
        assert soup.find("img") is None  # no remote images: no third-party requests


def test_blocks_headers_subtext_lists_quotes_code() -> None:
    text = "# Title\n-# AN #56 · Highlights\n- one\n- two\n\n> quoted\n\n```\nx = 1\n```"
    html = discord_html(text)
    assert "<h1>Title</h1>" in html
    assert '<p class="subtext">AN #56 · Highlights</p>' in html
    assert "<ul>\n<li>one</li>\n<li>two</li>\n</ul>" in html
    assert "<blockquote>\n<p>quoted</p>\n</blockquote>" in html
    assert "<pre><code>x = 1\n</code></pre>" in html
    assert "-#" not in html


def test_mentions_and_timestamps_are_readable_text() -> None:
    html = discord_html(
        "hi <@42> <@!43> in <#7> for <@&9> at <t:1700000000:f> <:yay:1234>", {42: "Ann"}
    )
    assert '<span class="mention">@Ann</span>' in html
    assert '<span class="mention">@member</span>' in html  # an id with no known name
    assert '<span class="mention">#channel</span>' in html
    assert '<span class="mention">@role</span>' in html
    assert '<time datetime="2023-11-14T22:13:20Z">2023-11-14 22:13 UTC</time>' in html
    assert ":yay:" in html and "<@" not in html and "&lt;" not in html


def test_payloads_in_markdown_constructs_stay_inert() -> None:
    text = (
        "[x](javascript:alert(1)) [y](<data:text/html,<script>alert(2)</script>>) "
        "`<script>alert(3)</script>` ||<img src=x onerror=alert(4)>|| "
        "<a href='javascript:alert(5)'>z</a>\n> <svg onload=alert(6)>"
    )
    html = discord_html(text)
    assert "<script" not in html and "<img" not in html and "<svg" not in html
    assert 'href="javascript' not in html and 'href="data' not in html
    assert "onerror=alert(4)" in html  # shown as text, escaped
    assert "&lt;img" in html


@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=200))
def test_any_text_gives_only_allowed_markup(text: str) -> None:
    soup = BeautifulSoup(discord_html(text), "html.parser")
    assert {tag.name for tag in soup.find_all(True)} <= ALLOWED_TAGS
    assert not any(a.startswith("on") for tag in soup.find_all(True) for a in tag.attrs)


any_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)


@settings(max_examples=300, deadline=None)
@given(any_text)
def test_the_shortcut_gives_what_the_parser_gives_on_any_text(text: str) -> None:
    if not text.strip() or "\x00" in text:
        return
    via_parser = module._sanitize(module._parser().render(text, {"names": {}})).strip()
    assert discord_html(text) == via_parser


prose = st.lists(
    st.sampled_from(
        [
            "word",
            "café",
            "—",
            "<b>x</b>",
            "&",
            "&amp;",
            '"q"',
            "a.b",
            "x@y.org",
            ":",
            "!",
            "https://example.org/p?id=56&x=1",
            "https://a.b/c_(d).",
            "(https://x.test/y),",
            "http://x.org/#frag",
            "https://e.org/a*b*",
            "www.x.com",
            "ahttps://x.org",
            "1.",
            "-",
            "#",
            ">",
            "<t:1:R>",
            "<https://x.org>",
            "\n",
            " ",
            "  ",
            "  \n",
            "café.org",
            "https://x.org/a_b",
            "1.5",
            "https://x.org/é",
            "\t",
            "\u00a0",
            "https://x.org/a)",
            "(https://x.org/a_(b))",
            "https://x.org/.",
            "https://",
            "Https://x.org",
            "http://x.org:80/?q=(1",
            "https://x.org/a&amp;b",
            "https://x.org/*a*",
            "<",
            "1)",
        ]
    ),
    max_size=12,
).map("".join)


@settings(max_examples=500, deadline=None)
@given(prose)
def test_the_prose_shortcut_gives_what_the_parser_gives(text: str) -> None:
    if not text.strip():
        return
    via_parser = module._sanitize(module._parser().render(text, {"names": {}})).strip()
    assert discord_html(text) == via_parser
