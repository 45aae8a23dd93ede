"""Discord Markdown → the safe HTML a reader sees, in the HTML export and the web archive. Pure.

markdown-it-py parses (CommonMark, raw HTML off so `<script>` is text, ~~strike~~, images off:
pages load nothing), with rules for what Discord writes and CommonMark lacks: bare http(s)
URLs as links (as Discord links them: no "www.x.org" or "a.b" guessing; linkify-it-py did
that at ~2 ms a comment), `__underline__`, `||spoilers||`, `-# subtext` lines, mentions
(`<@id>`, `<@&id>`, `<#id>`) as readable names, `<t:unix:style>` timestamps as UTC times and
custom emoji as `:name:`. nh3 then keeps only the tags, attributes, classes and URL schemes
below, so a parser slip can never let a script, an event handler or a `javascript:` URL
through; every link gets rel="nofollow noopener noreferrer".

Plain prose (no Markdown punctuation, one paragraph, at most bare http(s) links) takes a
shortcut with the same output (property tests compare the two), because most comments are
such prose and the parser costs ~30× json.dumps per comment: a 100k-comment export must stay
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
from markdown_it.common.utils import escapeHtml
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
# A bare link, as Discord makes one: "http(s)://" in lower case, not glued to a word before
# it, up to a space or a character URLs refuse (threads.export's is_web_url refuses the same);
# then _link_end gives trailing punctuation back to the prose. One character class and a
# literal start: a pattern with alternatives per character cost more than the rest of the
# shortcut.
_URL = re.compile(r"http(?<![A-Za-z0-9]http)s?://[^\s\x00-\x20\x7f-\x9f<>\"`\\|]+")
_URL_SPLIT = re.compile(f"({_URL.pattern})")
_TRAILING = frozenset(".,:;!?'*~])")

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


def _link_end(url: str) -> int:
    """How much of a URL run is the link: trailing punctuation is prose, and so is a ")" that
    closes nothing in the URL ("(see https://x.org/a)" but "wiki/A_(b)"); 0 if nothing is left."""
    end = len(url)
    while url[end - 1] in _TRAILING:
        if url[end - 1] == ")" and url.count("(", 0, end) >= url.count(")", 0, end):
            break
        end -= 1
    return 0 if url.endswith("://", 0, end) else end


def _bare_url(state: StateInline, silent: bool) -> bool:
    """A bare http(s) link, at the ":" after its scheme (the scheme is pending text by then)."""
    pos, src = state.pos, state.src
    if src[pos] != ":" or state.linkLevel > 0:
        return False
    start = pos - 5 if src[pos - 5 : pos] == "https" else pos - 4
    if start < 0 or not state.pending.endswith(src[start:pos]):
        return False
    match = _URL.match(src, start, state.posMax)
    end = _link_end(match.group()) if match else 0
    if not match or not end:
        return False
    url = match.group()[:end]
    if not silent:
        state.pending = state.pending[: start - pos]
        token = state.push("link_open", "a", 1)
        token.attrs = {"href": state.md.normalizeLink(url)}
        token.markup, token.info = "bare", "auto"
        state.push("text", "", 0).content = state.md.normalizeLinkText(url)
        token = state.push("link_close", "a", -1)
        token.markup, token.info = "bare", "auto"
    state.pos = start + end
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
        {"html": False, "breaks": True},
        renderer_cls=_Renderer,
    )
    md.enable(["strikethrough"])
    md.disable(["image", "reference", "lheading"])  # no remote loads; Discord has neither
    md.inline.ruler.at("text", _text)
    md.inline.ruler.after("text", "bare_url", _bare_url)
    md.inline.ruler.before("emphasis", "spoiler", _spoiler)
    md.inline.ruler.before("autolink", "mention", _mention)
    md.block.ruler.before("list", "subtext", _subtext, {"alt": ["paragraph", "blockquote"]})
    return md


@lru_cache(maxsize=1)
def _cleaner() -> nh3.Cleaner:
    """One sanitizer, built once: nh3.clean builds its allow-list anew each call (~60 µs)."""
    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        attributes={k: set(v) for k, v in _ATTRIBUTES.items()},
        url_schemes=set(_SCHEMES),
        allowed_classes={k: set(v) for k, v in _CLASSES.items()},
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )


def _sanitize(html: str) -> str:
    return _cleaner().clean(html)


# Prose with bare links and nothing else Markdown could read (checked once the links are cut
# out): what most comments are. Each check is one C-level scan; the costlier ones run only
# when the character they look for is there.
_PROSE_STOP = re.compile(rf"[*_~|`\[\]\\{_ODD_SPACE}]")
# Mentions, timestamps, emoji, autolinks (URL or e-mail): "<" then, before any space or
# angle bracket, a ":", "@" or "#", or a cut-out link ("\x00").
_TAG_LIKE = re.compile(r"<[^\s<>]*[:@#\x00]")
_ENTITY = re.compile(r"&#?[A-Za-z0-9]+;")
# A line break the parser changes: spaces before it, a line starting with a space or block
# syntax, a blank line.
_ODD_BREAK = re.compile(r" \n|\n(?:[-+>#=* \n]|\d+[.)])")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@lru_cache(maxsize=4096)  # a thread links the same pages again and again
def _anchor(url: str) -> str:
    """The link the parser and nh3 make of a bare URL: nh3 itself drops an href it cannot
    parse ("https://word1.5"), so it judges each URL once."""
    md = _parser()
    href, text = md.normalizeLink(url), md.normalizeLinkText(url)
    return _sanitize(f'<a href="{escapeHtml(href)}">{escapeHtml(text)}</a>')


def _prose(text: str) -> str | None:
    """The parser's output for prose with bare http(s) links, or None when it is not that.

    The links are cut out by the very pattern the parser's bare-URL rule uses; what is left
    must hold no Markdown: no inline punctuation, no entity, no "<" that may open a mention or
    autolink, no line the parser would trim, join or read as a block.
    """
    if "://" in text:
        parts = _URL_SPLIT.split(text)  # prose, URL run, prose, …, prose
        for i in range(1, len(parts), 2):
            run = parts[i]
            end = _link_end(run)
            if not end:
                return None
            if end < len(run):
                parts[i], parts[i + 1] = run[:end], run[end:] + parts[i + 1]
        rest = "\x00".join(parts[::2])
    else:
        parts = None
        rest = text
    if (
        _PROSE_STOP.search(rest)
        or rest[0] in " \n"
        or rest[-1] in " \n"
        or _LINE_START.match(rest)
        or ("<" in rest and _TAG_LIKE.search(rest))
        or ("&" in rest and _ENTITY.search(rest))
        or ("\n" in rest and _ODD_BREAK.search(rest))
    ):
        return None
    html = _escape(rest)  # the links' places kept by "\x00" (discord_html replaced any other)
    if parts is not None:
        if len(parts) == 3:  # one link: what most linking comments hold
            html = html.replace("\x00", _anchor(parts[1]))
        else:
            pieces = html.split("\x00")
            for i, url in enumerate(parts[1::2]):
                pieces[i] += _anchor(url)
            html = "".join(pieces)
    if "\n" in html:
        html = html.replace("\n", "<br>\n")
    return f"<p>{html}</p>"


def discord_html(text: str, names: Names | None = None) -> str:
    """`text` (Discord Markdown) as sanitized HTML; `names` maps mentioned ids to names."""
    if not text or not text.strip():
        return ""
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    shortcut = _prose(text)
    if shortcut is not None:
        return shortcut
    return _sanitize(_parser().render(text, {"names": names or {}})).strip()
