"""HTML → Markdown conversion and message splitting."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.markdown import html_to_markdown, split_message


@pytest.mark.parametrize(
    ("html", "markdown"),
    [
        ("<p>a <b>b</b> <a href='https://x.org/'>link</a></p>", "a **b** [link](https://x.org/)"),
        ("<p>one\n  two</p>\n\n\n<p>three</p>", "one two\n\nthree"),
        ("<script>alert(1)</script><style>p{}</style><p>kept</p>", "kept"),
        ("<p><img src='https://x.org/a.png' alt='chart'></p>", "[chart](https://x.org/a.png)"),
        ("<p><img src='data:image/png;base64,AAA'>x</p>", "x"),
        ("<ul><li>one</li><li>two</li></ul>", "- one\n- two"),
        ("<pre><code>a\n  b</code></pre>", "```\na\n  b\n```"),
        ("<h3>Head</h3><p>t</p>", "### Head\n\nt"),
        ("<p>snake_case *star*</p>", r"snake\_case \*star\*"),
        ("", ""),
        ("<!-- note --><p>x</p>", "x"),
    ],
)
def test_html_to_markdown(html: str, markdown: str) -> None:
    assert html_to_markdown(html) == markdown


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(["<p>", "</p>", "<a href='u'>", "</a>", "<img src='x'>", "<b>", "<pre>",
                         "</pre>", "<table><tr><td>", "<script>", "&nbsp;", "&", "<", "\n", "\x00"])
        | st.text(max_size=10)
    ).map("".join)
)  # fmt: skip
def test_html_to_markdown_never_raises(html: str) -> None:
    out = html_to_markdown(html)
    assert "<script" not in out.lower() or "<script" in html.lower()


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


LINK = st.builds(
    lambda t, u: f"[{t}](https://ex.org/{u})",
    st.text("abc def", min_size=1, max_size=30),
    st.text("abcxyz/-", max_size=40),
)
WORD = st.text("abcdefghij.!?", min_size=1, max_size=15)
SEP = st.sampled_from([" ", " ", " ", "\n", "\n\n", ". "])
CODE = st.builds(lambda t: f"`{t}`", st.text("ab cd", min_size=1, max_size=20))
MARKDOWN = st.lists(st.one_of(WORD, LINK, CODE, SEP), max_size=300).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=MARKDOWN, limit=st.integers(min_value=20, max_value=400))
def test_split_message_properties(text: str, limit: int) -> None:
    chunks = split_message(text, limit)
    assert all(0 < len(c) <= limit for c in chunks)
    assert squash("".join(chunks)) == squash(text)
    for span in re.finditer(r"\[[^\[\]\n]*\]\([^()\s]*\)|`[^`\n]+`", text):
        if len(span.group(0)) <= limit:
            assert any(span.group(0) in c for c in chunks), span.group(0)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=3000), limit=st.integers(min_value=1, max_value=500))
def test_split_message_any_text(text: str, limit: int) -> None:
    chunks = split_message(text, limit)
    assert all(0 < len(c) <= limit for c in chunks)
    assert squash("".join(chunks)) == squash(text)


def test_split_prefers_paragraphs_then_sentences() -> None:
    para = "First sentence here. Second sentence here."
    text = f"{para}\n\n{para}"
    assert split_message(text, len(para) + 5) == [para, para]
    assert split_message(para, 25) == ["First sentence here.", "Second sentence here."]


def test_split_keeps_link_whole_and_hard_splits_only_oversized_links() -> None:
    link = "[a long link text](https://example.org/" + "x" * 30 + ")"
    text = "word " * 5 + link + " tail"
    chunks = split_message(text, len(link) + 2)
    assert link in chunks
    huge = "[t](https://example.org/" + "y" * 100 + ")"
    pieces = split_message(huge, 40)
    assert "".join(pieces) == huge and all(len(p) <= 40 for p in pieces)


def test_split_keeps_code_fence_whole() -> None:
    fence = "```\nline one\nline two\n```"
    text = "intro words here\n" + fence + "\nafter"
    chunks = split_message(text, len(fence) + 3)
    assert fence in chunks


def test_split_rejects_bad_limit() -> None:
    with pytest.raises(ValueError, match="limit must be at least 1"):
        split_message("x", 0)


def test_dropped_tags_and_comments_in_one_element() -> None:
    # found by the property test: text inside a dropped tag must not be visited after the drop
    assert html_to_markdown("<script>\r") == ""
    assert html_to_markdown("<p>a<!-- x\ny --><style>p\n{}</style>\nb</p>") == "a b"
