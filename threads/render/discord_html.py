"""Discord Markdown → HTML a reader sees in the HTML export, sanitized by an allow-list. Pure.

markdown-it-py parses (CommonMark, raw HTML off so `<script>` is text, ~~strike~~ and bare
URLs as links via linkify-it-py, images off: the page loads nothing), with rules for what
Discord writes and CommonMark lacks: `__underline__`, `||spoilers||`, `-# subtext` lines,
mentions (`<@id>`, `<@&id>`, `<#id>`) as readable names, `<t:unix:style>` timestamps as UTC
times and custom emoji as `:name:`. nh3 then keeps only the tags, attributes, classes and URL
schemes below, so a parser slip can never let a script, an event handler or a `javascript:`
URL through; every link gets rel="nofollow noopener noreferrer".

Plain text (no Markdown punctuation, no URL, one paragraph) takes a shortcut with the same
output, because most comments are plain and a 100k-comment export must stay fast.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from html import escape

import nh3
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

__all__ = ["ALLOWED_TAGS", "discord_html"]

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "strong", "em", "u", "del", "s", "code", "pre", "blockquote",
        "ul", "ol", "li", "a", "h1", "h2", "h3", "hr", "span", "time",
    }
)  # fmt: skip
_ATTRIBUTES = {"a": {"href"}, "ol": {"start"}, "time": {"datetime"}}
_CLASSES = {"span": {"spoiler", "mention"}, "p": {"subtext"}}
_SCHEMES = {"http", "https", "mailto"}

# The text rule's stop characters plus "|" (spoilers), so "a||b||" reaches the spoiler rule.
_STOP = frozenset("\n!#$%&*+-:<=>@[\\]^_`{}~|")
_MENTION = re.compile(
    r"<(@!?|@&|#)(\d{1,20})>|<t:(-?\d{1,13})(?::([tTdDfFR]))?>|<a?:(\w{1,32}):\d+>"
)
_SUBTEXT = re.compile(r"[ ]{0,3}-# +(\S.*)")
# Anything Markdown, a mention or a link could start with, a line starting with a space or a
# list number, a blank line, trailing spaces: such text goes through the parser.
_NOT_PLAIN = re.compile(
    r"[*_~|`#>\[\]<\\!&:=+-]|^\s|\s$|^\d+[.)]|\n\s*\n|\w\.\w|www\.|[^\S \n]",
    re.MULTILINE,
)

Names = Mapping[int, str]


def _text(state: StateInline, silent: bool) -> bool:
    pos = start = state.pos
    src, end = state.src, state.posMax
    while pos < end and src[pos] not in _STOP:
        pos += 1
    if pos == start:
        return False
    if not silent:
        state.pending += src[start:pos]
    state.pos = pos
    return True


def _spoiler(state: StateInline, silent: bool) -> bool:
    start = state.pos
    if not state.src.startswith("||", start):
        return False
    close = state.src.find("||", start + 2, state.posMax)
    if close <= start + 2:
        return False
    if not silent:
        state.push("spoiler_open", "span", 1).attrs = {"class": "spoiler"}
        old_max = state.posMax
        state.pos, state.posMax = start + 2, close
        state.md.inline.tokenize(state)
        state.posMax = old_max
        state.push("spoiler_close", "span", -1)
    state.pos = close + 2
    return True


def _mention(state: StateInline, silent: bool) -> bool:
    if state.src[state.pos] != "<":
        return False
    match = _MENTION.match(state.src, state.pos, state.posMax)
    if match is None:
        return False
    if not silent:
        kind, ident, stamp, style, emoji = match.groups()
        if emoji is not None:
            state.pending += f":{emoji}:"
        elif stamp is not None:
            token = state.push("timestamp", "time", 0)
            token.content, token.info = stamp, style or "f"
        else:
            token = state.push("mention", "span", 0)
            token.content, token.info = ident, kind
    state.pos = match.end()
    return True


def _subtext(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    begin = state.bMarks[start_line] + state.tShift[start_line]
    if state.sCount[start_line] - state.blkIndent >= 4:
        return False
    line = state.src[begin : state.eMarks[start_line]]
    match = _SUBTEXT.fullmatch(line)
    if match is None:
        return False
    if silent:
        return True
    state.line = start_line + 1
    opened = state.push("subtext_open", "p", 1)
    opened.attrs = {"class": "subtext"}
    opened.map = [start_line, state.line]
    inline = state.push("inline", "", 0)
    inline.content, inline.map, inline.children = match.group(1).strip(), opened.map, []
    state.push("subtext_close", "p", -1)
    return True


def _when(stamp: str, style: str) -> tuple[str, str]:
    """(ISO time, readable UTC text) of a Discord timestamp; the style picks the detail."""
    try:
        moment = datetime.fromtimestamp(int(stamp), UTC)
    except (ValueError, OverflowError, OSError):
        return "", f"<t:{stamp}>"
    formats = {"t": "%H:%M", "T": "%H:%M:%S", "d": "%Y-%m-%d", "D": "%d %B %Y"}
    shown = moment.strftime(formats.get(style, "%Y-%m-%d %H:%M"))
    return moment.isoformat().replace("+00:00", "Z"), f"{shown} UTC" if style in "tTfFR" else shown


class _Renderer(RendererHTML):
    """markdown-it's HTML renderer, with Discord's meanings for "__" and its own tokens."""

    def strong_open(self, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        return "<u>" if tokens[idx].markup == "__" else "<strong>"

    def strong_close(
        self, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        return "</u>" if tokens[idx].markup == "__" else "</strong>"

    def mention(self, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        token = tokens[idx]
        names: Names = env.get("names") or {}
        name = names.get(int(token.content))
        if token.info == "#":
            shown = f"#{name or 'channel'}"
        elif token.info == "@&":
            shown = f"@{name or 'role'}"
        else:
            shown = f"@{name or 'member'}"
        return f'<span class="mention">{escape(shown)}</span>'

    def timestamp(self, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        iso, shown = _when(tokens[idx].content, tokens[idx].info)
        if not iso:
            return escape(shown)
        return f'<time datetime="{iso}">{escape(shown)}</time>'


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt(
        "commonmark",
        {"html": False, "linkify": True, "breaks": True},
        renderer_cls=_Renderer,
    )
    md.enable(["strikethrough", "linkify"])
    md.disable(["image", "reference", "lheading"])  # no remote loads; Discord has neither
    md.inline.ruler.at("text", _text)
    md.inline.ruler.before("emphasis", "spoiler", _spoiler)
    md.inline.ruler.before("autolink", "mention", _mention)
    md.block.ruler.before("list", "subtext", _subtext, {"alt": ["paragraph", "blockquote"]})
    return md


def _sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={k: set(v) for k, v in _ATTRIBUTES.items()},
        url_schemes=set(_SCHEMES),
        allowed_classes={k: set(v) for k, v in _CLASSES.items()},
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )


def is_plain(text: str) -> bool:
    """True when `text` holds nothing Markdown could read: the shortcut's output is exact."""
    return _NOT_PLAIN.search(text) is None


def discord_html(text: str, names: Names | None = None) -> str:
    """`text` (Discord Markdown) as sanitized HTML; `names` maps mentioned ids to names."""
    if not text or not text.strip():
        return ""
    text = text.replace("\x00", "\ufffd")
    if is_plain(text):
        body = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return "<p>" + body.replace("\n", "<br>\n") + "</p>"
    return _sanitize(_parser().render(text, {"names": names or {}})).strip()
