"""threads.render.discord_html: Discord Markdown as a reader sees it in the HTML export. Pure."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from threads.render import discord_html as module
from threads.render.discord_html import discord_html


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
