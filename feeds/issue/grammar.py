"""The entry grammar of AN issues, one for every form: entry headers and marker paragraphs.

An entry opens with its title: a bold or linked run (one link, several joined by "and", or
bold without a link) when the form has markup, else the text before the byline. The byline
is any of "(Authors)", "(summarized by X)", "(H/T X)", then ": summary" or the end of the
paragraph. Marker paragraphs continue the current entry: "X's opinion:" (any summarizer,
"X' opinion:" too), "My opinion:", "Prerequisites:", "Read more:".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from feeds.issue.blocks import Block, collapse

_NAME = r"[A-Z][\w.\-]*(?:(?: |/| and | & )[A-Z][\w.\-]*){0,3}"
OPINION = re.compile(rf"^\s*(?:(?P<by>{_NAME})(?:['’]s|(?<=s)['’])|My|Our) opinions?\s*:\s*")
PREREQ = re.compile(r"^\s*Prerequisi?ti?es\s*:\s*", re.I)
READ_MORE = re.compile(r"^\s*Read more\s*:\s*", re.I)
_GROUP = r"\((?:[^()]|\([^()]{0,60}\)){1,2000}\)"
_BYLINE = re.compile(rf"^\s*(?P<groups>(?:{_GROUP}\s*)*)(?P<colon>:\s*|$)", re.S)
_TEXT_ENTRY = re.compile(
    rf"^(?P<title>\S.{{0,300}}?)\s*(?P<groups>{_GROUP}(?:\s*{_GROUP})*)\s*(?P<colon>:\s*|$)",
    re.S,
)
_TEXT_ENTRY_AT = re.compile(_TEXT_ENTRY.pattern[1:], re.S)  # the same, matched at a position
_GROUPS = re.compile(_GROUP)
_SUMMARIZED = re.compile(r"^summari[sz]ed by\s+(?P<by>.+)$", re.I | re.S)
_HAT_TIP = re.compile(r"^H/T:?\s+(?P<by>.+)$", re.I | re.S)
# A title of several links may go on for a few words: "[A](…) and [B](…) at CSER".
_TITLE_TAIL = re.compile(r"^(?:\s+[^\s():.;!?\[\]]+){1,4}?(?=\s*(?:\(|:|$))")


@dataclass(slots=True)
class Header:
    """What an entry's first paragraph says about it; `consumed` characters are the header."""

    title: str
    link: str | None
    authors: str | None
    summarizer: str | None
    hat_tip: str | None
    consumed: int


@dataclass(slots=True)
class Marker:
    kind: str  # "opinion" | "prereq" | "read_more"
    by: str | None
    consumed: int


def marker(text: str) -> Marker | None:
    """An opinion / prerequisites / read-more paragraph, with the label's length."""
    for kind, pattern in (("opinion", OPINION), ("prereq", PREREQ), ("read_more", READ_MORE)):
        m = pattern.match(text)
        if m:
            by = m.group("by") if kind == "opinion" else None
            return Marker(kind, by, m.end())
    return None


def entry_header(block: Block, *, loose: bool) -> Header | None:
    """The header when `block` opens an entry, else None.

    A bold title with no link and no byline ("**Title**: text") only counts when `loose`
    (nothing to continue: first paragraph under a heading), since summaries use bold lead-ins.
    """
    text = block.text
    if marker(text) is not None:
        return None
    lead = block.lead
    if lead is not None and text.startswith(lead.text):
        header = _lead_header(block, loose=loose)
        if header is not None:
            return header
    if block.heading_level is not None and block.element is not None:
        return None
    found = _text_header(text)
    if found is None:
        return None
    groups_at, byline, end = found
    title = text[: groups_at + byline.title_part].strip()
    if block.element is not None and not _marked(block, title):
        return None  # with markup, titles are bold or linked: this is prose
    link = lead.link if lead is not None and lead.links == 1 else None
    header = Header(title.rstrip(":").strip(), link, byline.authors, byline.summarizer, None, 0)
    header.hat_tip, header.consumed = byline.hat_tip, end
    return header


def _text_header(text: str) -> tuple[int, _Byline, int] | None:
    """The plain-text rule: (where the byline's groups start, the byline, header length).

    The shortest title followed by a byline, unless a longer one is followed by a byline
    naming a summarizer or H/T, which prose never has: "Navigation Turing Test (NTT):
    Learning to … (Sam Devlin et al) (summarized by Rohin): …". A named byline also
    vouches for a title that has a full stop ("… AI Strategy. Shouldn't the US?").
    """
    m = _TEXT_ENTRY.match(text)
    if m is None:
        return None
    byline = _byline_fields(m.group("groups"))
    if byline is not None and (byline.summarizer or byline.hat_tip):
        return m.start("groups"), byline, m.end()
    if m.group("colon") and m.start("groups") < 200:
        longer = _TEXT_ENTRY_AT.match(text, m.end())
        if longer is not None and not _sentence_like(text[: longer.start("groups")]):
            more = _byline_fields(longer.group("groups"))
            if more is not None and (more.summarizer or more.hat_tip):
                return longer.start("groups"), more, longer.end()
    if byline is None or _sentence_like(m.group("title")):
        return None
    return m.start("groups"), byline, m.end()


def _marked(block: Block, title: str) -> bool:
    """Some bold or linked text of the paragraph lies in its title."""
    assert block.element is not None
    for tag in block.element.find_all(("a", "b", "strong")):
        words = collapse(tag.get_text())
        if words and words in title:
            return True
    return False


def _lead_header(block: Block, *, loose: bool) -> Header | None:
    lead = block.lead
    assert lead is not None
    title_text, title_md = lead.text, (lead.markdown() if lead.links > 1 else lead.text)
    rest = block.text[len(title_text) :]
    m = _BYLINE.match(rest)
    if m is None and lead.links >= 2:
        tail = _TITLE_TAIL.match(rest)
        if tail is not None and tail.group(0).strip():
            title_text += tail.group(0)
            title_md = f"{title_md}{tail.group(0)}"
            rest = rest[tail.end() :]
            m = _BYLINE.match(rest)
    if m is None:
        return None
    byline = _byline_fields(m.group("groups"))
    if byline is None:
        return None
    authors, by, hat_tip = byline.authors, byline.summarizer, byline.hat_tip
    if byline.title_part:  # unnamed groups before the authors belong to the title: "Job (CSER)"
        extra = rest[m.start("groups") : m.start("groups") + byline.title_part]
        title_text, title_md = f"{title_text}{extra}".rstrip(), f"{title_md}{extra}".rstrip()
    has_byline = bool(authors or by or hat_tip)
    has_colon = title_text.rstrip().endswith(":") or bool(m.group("colon").strip())
    # a bold title, or a run of several links that a colon ends ("[A](…) and [B](…) at
    # CSER: …"); one plain link and a colon opens sentences of summaries too
    titled = (lead.bold and (lead.links > 0 or (loose and has_colon))) or (
        lead.links >= 2 and has_colon
    )
    if not (has_byline or titled):
        return None
    if block.heading_level is not None and not has_byline:
        return None
    title = collapse(title_md if lead.links > 1 else title_text).rstrip(":").strip()
    if not title:
        return None
    consumed = len(block.text) - len(rest) + m.end()
    return Header(title, lead.link, authors, by, hat_tip, consumed)


@dataclass(slots=True)
class _Byline:
    title_part: int  # characters of the groups that still belong to the title
    authors: str | None
    summarizer: str | None
    hat_tip: str | None


def _byline_fields(groups: str) -> _Byline | None:
    """Authors, summarizer and H/T from "(A) (summarized by X) (H/T Y)".

    Of several unnamed groups the last is the authors and the others belong to the title
    ("Steps toward super intelligence (1, 2, 3, 4) (Rodney Brooks)"); None when the groups
    are not a byline (prose in parentheses, a group after "(summarized by X)").
    """
    by = hat_tip = None
    plain: list[tuple[int, str]] = []
    for m in _GROUPS.finditer(groups or ""):
        inner = collapse(m.group(0)[1:-1])
        if (named := _SUMMARIZED.match(inner)) is not None:
            by = collapse(named.group("by"))
        elif (named := _HAT_TIP.match(inner)) is not None:
            hat_tip = collapse(named.group("by"))
        elif by is None and hat_tip is None:
            plain.append((m.start(), inner))
        else:
            return None
    start, authors = plain.pop() if plain else (0, None)
    if authors is not None and not _authors_like(authors):
        return None
    return _Byline(start if plain else 0, authors or None, by or None, hat_tip or None)


_NAME_PARTICLES = {"et", "al", "al.", "and", "van", "den", "der", "de", "von", "la", "le", "da",
                   "di", "du", "of", "the", "for", "dos", "y", "&"}  # fmt: skip


def _authors_like(text: str) -> bool:
    """Names ("Ann Lee, Bo Chen et al", "OpenAI", "Future of Humanity Institute"), not prose."""
    if not text or "#" in text or not re.search(r"[^\W\d_]{2}", text):
        return False
    if re.match(r"(?:see|e\.g|i\.e|cf)\b", text, re.I):
        return False
    words = re.findall(r"[^\s,;*]+", text)
    if len(words) == 1:
        return len(text) <= 40  # one name or a user name: "jessicata", "OpenAI"
    if not (text[0].isupper() or text[0].isdigit()):
        return False
    lower = [w for w in words if w[:1].islower() and w.casefold() not in _NAME_PARTICLES]
    return len(lower) * 2 <= len(words)


def _sentence_like(title: str) -> bool:
    """Titles are not running prose: reject unbalanced brackets or a full stop mid-way."""
    if title.count("(") != title.count(")") or title.count("[") != title.count("]"):
        return True
    if re.search(r", (?:we|I|they|it|this|that|which|so|but) ", title):
        return True  # "…, we get the Catastrophic Convergence Conjecture (CCC):"
    return bool(re.search(r"[a-z]{2}(?<!\bvs)(?<!\bal)\. [A-Z]", title)) or len(title) > 300
