"""Discord Markdown → HTML a reader sees in the HTML export, sanitized by an allow-list. Pure.

markdown-it-py parses (CommonMark, raw HTML off so `<script>` is text, ~~strike~~ and bare
URLs as links via linkify-it-py, images off: the page loads nothing), with rules for what
Discord writes and CommonMark lacks: `__underline__`, `||spoilers||`, `-# subtext` lines,
mentions (`<@id>`, `<@&id>`, `<#id>`) as readable names, `<t:unix:style>` timestamps as UTC
times and custom emoji as `:name:`. nh3 then keeps only the tags, attributes, classes and URL
schemes below, so a parser slip can never let a script, an event handler or a `javascript:`
URL through; every link gets rel="nofollow noopener noreferrer".

Plain prose (no Markdown punctuation, one paragraph, at most bare http(s) links) takes a
shortcut with the same output (a property test compares the two), because most comments are
such prose and the parser costs ~50× json.dumps per comment: a 100k-comment export must stay
fast.
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
# Every whitespace character but " " and "\n" (str.isspace's list): Markdown treats them apart.
_ODD_SPACE = "\t\r\x0b\x0c\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_LINE_START = re.compile(r"[-+>#=*]|\d+[.)]")

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


def _lines_ok(text: str) -> bool:
    """No line starts or ends with a space or Markdown block syntax, no blank line."""
    if "\n" not in text:
        return text == text.strip() and not _LINE_START.match(text)
    for line in text.split("\n"):
        if not line or line != line.strip() or _LINE_START.match(line):
            return False
    return True


# Prose with web links and nothing else Markdown could read (checked once the links are cut
# out): what most comments are. Mentions, timestamps, emoji and autolinks start with "<" and a
# "@", "#", ":" or a scheme; a bare "<b>" is text. Regexes of one character class each: an
# alternation with line anchors cost more than the rest of the shortcut.
_PROSE_STOP = re.compile(rf"[*_~|`\[\]\\{_ODD_SPACE}]")
_TAG_LIKE = re.compile(r"<(?:[@#:]|[A-Za-z][\w+.-]*:)")  # mentions, timestamps, autolinks
_ENTITY = re.compile(r"&#?\w+;")
_REL = ' rel="nofollow noopener noreferrer">'
_BARE_URL = re.compile(r"https?://[A-Za-z0-9][\w\-.~:/?#@!$&'()+,;=%]*[\w/=&]")
_DOT_OR_AT = re.compile(r"[.@][\w-]")  # "a.b", "x@y": what linkify-it may read as a link


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _fuzzy_link(text: str) -> bool:
    """A "." or "@" between word characters: linkify-it may make a link of it."""
    for match in _DOT_OR_AT.finditer(text):
        at = match.start()
        if at and (text[at - 1].isalnum() or text[at - 1] in "_-"):
            return True
    return False


@lru_cache(maxsize=4096)  # a thread links the same pages again and again
def _anchor(url: str) -> str:
    """The link markdown-it and nh3 make of a bare URL (normalizing costs ~0.1 ms)."""
    md = _parser()
    href = md.normalizeLink(url).replace("&", "&amp;")
    return f'<a href="{href}"{_REL}{_escape(md.normalizeLinkText(url))}</a>'


def _prose(text: str) -> str | None:
    """The parser's output for prose with bare http(s) links, or None when it is not that.

    A link here stands between spaces (or the text's ends), holds no Markdown punctuation and
    ends in a letter, digit, "/", "=" or "&", so linkify-it would find exactly it; the rest
    must hold nothing linkify-it would read as a link ("a.b", "x@y") nor Markdown.
    """
    pieces: list[str] = []
    links: list[str] = []
    cursor = 0
    for match in _BARE_URL.finditer(text):
        start, end = match.span()
        if (start and text[start - 1] not in " \n") or (end < len(text) and text[end] not in " \n"):
            return None
        pieces.append(text[cursor:start])
        links.append(match.group())
        cursor = end
    rest = "\x00".join([*pieces, text[cursor:]])
    if (
        _PROSE_STOP.search(rest)
        or ("<" in rest and _TAG_LIKE.search(rest))
        or ("&" in rest and _ENTITY.search(rest))
        or "://" in rest
        or "www." in rest
        or _fuzzy_link(rest)
        or not _lines_ok(rest)
    ):
        return None
    out = []
    for piece, url in zip(pieces, links, strict=True):
        out += [_escape(piece), _anchor(url)]
    out.append(_escape(text[cursor:]))
    return "<p>" + "".join(out).replace("\n", "<br>\n") + "</p>"


def discord_html(text: str, names: Names | None = None) -> str:
    """`text` (Discord Markdown) as sanitized HTML; `names` maps mentioned ids to names."""
    if not text or not text.strip():
        return ""
    text = text.replace("\x00", "\ufffd")
    shortcut = _prose(text)
    if shortcut is not None:
        return shortcut
    return _sanitize(_parser().render(text, {"names": names or {}})).strip()
