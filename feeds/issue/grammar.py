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
# A group in parentheses ("(Ann Lee)", "(summarized by X)", a text version's "(http://…)"),
# or a link as text versions write it in angle brackets: "Title <http://…> (Ann Lee)".
_GROUP = r"(?:\((?:[^()]|\([^()]{0,60}\)){1,2000}\)|<(?:https?://|mailto:|www\.)[^\s<>]+>)"
_BYLINE = re.compile(rf"^\s*(?P<groups>(?:{_GROUP}\s*)*)(?P<colon>:\s*|$)", re.S)
_TEXT_ENTRY = re.compile(
    rf"^(?P<title>\S.{{0,600}}?)\s*(?P<groups>{_GROUP}(?:\s*{_GROUP})*)\s*(?P<colon>:\s*|$)",
    re.S,
)
_TEXT_ENTRY_AT = re.compile(_TEXT_ENTRY.pattern[1:], re.S)  # the same, matched at a position
_GROUPS = re.compile(_GROUP)
_URL = re.compile(r"^(?:https?://|mailto:|www\.)[^\s<>()]*(?:\([^\s()]*\)[^\s<>()]*)*$", re.I)
# A link in a text version: the URL in parentheses or angle brackets after the linked words.
_TEXT_LINK = re.compile(
    r"\s*(?:\((?P<paren>(?:https?://|mailto:|www\.)[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)\)"
    r"|<(?P<angle>(?:https?://|mailto:|www\.)[^\s<>]+)>)",
    re.I,
)
# Words that stay in lower case in a title: "Learning by Playing", "AI in the UK".
_MINOR_WORDS = {"a", "an", "and", "as", "at", "but", "by", "for", "from", "in", "into", "is",
                "nor", "of", "on", "onto", "or", "over", "per", "the", "than", "to", "up",
                "via", "vs", "vs.", "with", "without", "versus"}  # fmt: skip
# Lines that point elsewhere rather than name an entry: "See also Import AI #183".
_POINTER = re.compile(r"^(?:See|Also|Via|Source|Paper|Link|Update|Edit|Note|cf\.?)\b", re.I)
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
    if block.title_line:
        return title_line_header(text)
    found = _text_header(text, loose=loose)
    if found is None:
        return None
    groups_at, byline, end = found
    title, text_link = text_title(text[: groups_at + byline.title_part])
    if block.element is not None and not _marked(block, title):
        return None  # with markup, titles are bold or linked: this is prose
    link = lead.link if lead is not None and lead.links == 1 else text_link
    header = Header(title.rstrip(":").strip(), link, byline.authors, byline.summarizer, None, 0)
    header.hat_tip, header.consumed = byline.hat_tip, end
    return header


def _text_header(text: str, *, loose: bool) -> tuple[int, _Byline, int] | None:
    """The plain-text rule: (where the byline's groups start, the byline, header length).

    The shortest title followed by a byline, unless a longer one is followed by a byline
    naming a summarizer or H/T, which prose never has: "Navigation Turing Test (NTT):
    Learning to … (Sam Devlin et al) (summarized by Rohin): …". A named byline also
    vouches for a title that has a full stop ("… AI Strategy. Shouldn't the US?"). A text
    version's linked title with no byline ("Title (http://…): text") counts when it reads
    as a title (see title_like) or opens a section's first paragraph.
    """
    m = _TEXT_ENTRY.match(text)
    if m is None:
        return _linked_run(text)
    byline = _byline_fields(m.group("groups"))
    if byline is not None and (byline.summarizer or byline.hat_tip):
        return m.start("groups"), byline, m.end()
    if m.group("colon") and m.start("groups") < 400:
        longer = _TEXT_ENTRY_AT.match(text, m.end())
        if longer is not None and not _sentence_like(_unlinked(text[: longer.start("groups")])):
            more = _byline_fields(longer.group("groups"))
            if more is not None and (more.summarizer or more.hat_tip):
                return longer.start("groups"), more, longer.end()
    if byline is None or _sentence_like(_unlinked(m.group("title"))):
        return None
    if not byline.named:  # only links: "Title (http://…): text"
        title = _unlinked(text[: m.start("groups") + byline.title_part])
        if not (m.group("colon") and text[m.end() :].strip()) or _POINTER.match(title):
            return None
        if not (loose or title_like(title) or byline.links > 1):
            return None
    return m.start("groups"), byline, m.end()


def _linked_run(text: str) -> tuple[int, _Byline, int] | None:
    """A text version's title of several links that a few words and a colon end, as the
    Markdown grammar's: "Research Associate (http://…) and Senior Research Associate
    (http://…) at CSER: …"."""
    colon = re.search(r":\s", text[:800])
    if colon is None:
        return None
    head = text[: colon.start()]
    links = list(_TEXT_LINK.finditer(head))
    if len(links) < 2 or _sentence_like(_unlinked(head)):
        return None
    if _TITLE_TAIL.match(head[links[-1].end() :]) is None:
        return None
    return colon.start(), _Byline(0, None, None, None, len(links)), colon.end()


def text_title(text: str) -> tuple[str, str | None]:
    """(title, link) of a text version's title: "Title (http://…)" or "Title <http://…>"
    gives its link; a title of several links keeps them as Markdown ("[A](…) and [B](…)"),
    each link's words running back to the previous link or an "and"/comma between them."""
    links = list(_TEXT_LINK.finditer(text))
    if not links:
        return collapse(text).rstrip(":").strip(), None
    if len(links) == 1:
        m = links[0]
        url = m.group("paren") or m.group("angle")
        return collapse(text[: m.start()] + text[m.end() :]).rstrip(":").strip(), url
    out, at = [], 0
    for m in links:
        url = m.group("paren") or m.group("angle")
        before = text[at : m.start()]
        lead = re.match(r"^(\s*(?:,|,?\s*\band\b|&)?\s*)", before)
        cut = lead.end() if lead is not None else 0
        words = before[cut:].strip()
        out.append(f"{before[:cut]}[{words}]({url})" if words else before + url)
        at = m.end()
    out.append(text[at:])
    return collapse("".join(out)).rstrip(":").strip(), None


def _unlinked(text: str) -> str:
    """Text without a text version's links."""
    return collapse(_TEXT_LINK.sub("", text))


def title_line_header(text: str) -> Header | None:
    """A line that is only a title ("Learning by Playing", "Title (http://…)"): the parts
    of a text issue that list a link without summarizing it (see sections.confirm_text_lines,
    which decides from the lines around it that the line is one)."""
    title, link = text_title(text)
    if not title:
        return None
    return Header(title, link, None, None, None, len(text))


def bare_title(text: str) -> bool:
    """Could this plain-text line be a title on its own (confirmed by what follows it)?

    Titles are capitalised ("Learning by Playing", "Multiagent GAIL") or have a subtitle
    after a colon ("AI in the UK: ready, willing and able?"); prose has full stops,
    headings are capitals or sentence case; pointers ("See also …") are not titles. A
    text version's link after the title ("Title (http://…)") is no evidence either way:
    summaries link their words the same way.
    """
    if not loose_title(text):
        return False
    words = _unlinked(text)
    return re.search(r"\w[:?] \S", words) is not None or title_like(words)


def loose_title(text: str) -> bool:
    """A line that could be a title where no summary can be continued (right under a
    heading): capitalised, not ending like a sentence, no pointer, label or capitals."""
    words = _unlinked(text)
    if not words or len(words) > 300 or marker(text) is not None or _POINTER.match(words):
        return False
    if not (words[0].isupper() or words[0].isdigit() or words[0] in "\"'“‘("):
        return False
    if words[-1] in ".,;:!" or words.isupper() or _sentence_like(words):
        return False
    return re.search(r"\w[.!]\W*\s", words) is None  # "… in the paper. (The second …)"


def title_like(text: str) -> bool:
    """Title Case: the words that matter are capitalised ("Learning Memory Access
    Patterns"; one exception in a long title: "Deep k-Nearest Neighbors: Towards …")."""
    words = [w.strip("\"'“”‘’()[],:;!?") for w in text.split()]
    major = [w for w in words if w and w[0].isalpha() and w.casefold() not in _MINOR_WORDS]
    if len(major) < 2:
        return False
    lower = sum(1 for w in major if not w[0].isupper())
    return lower == 0 or (len(major) >= 6 and lower == 1)


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
    links: int = 0  # text-version links among the groups ("(http://…)"), in the title part

    @property
    def named(self) -> bool:
        return bool(self.authors or self.summarizer or self.hat_tip)


def _byline_fields(groups: str) -> _Byline | None:
    """Authors, summarizer and H/T from "(A) (summarized by X) (H/T Y)".

    Of several unnamed groups the last is the authors and the others belong to the title
    ("Steps toward super intelligence (1, 2, 3, 4) (Rodney Brooks)"), as does a link of a
    text version and everything before it ("Deputy Director (CSER) (http://…)"). A last
    unnamed group that is no list of names belongs to the title when a summarizer or H/T
    follows ("The Open Phil AI Fellowship (Year 5) (summarized by Rohin)"). None when the
    groups are not a byline (prose in parentheses, a group after "(summarized by X)").
    """
    by = hat_tip = None
    plain: list[tuple[int, str]] = []
    title_end = links = 0
    named_at: int | None = None
    for m in _GROUPS.finditer(groups or ""):
        inner = collapse(m.group(0)[1:-1])
        if (named := _SUMMARIZED.match(inner)) is not None:
            by = collapse(named.group("by"))
        elif (named := _HAT_TIP.match(inner)) is not None:
            hat_tip = collapse(named.group("by"))
        elif by is not None or hat_tip is not None:
            return None
        elif _URL.match(inner):
            title_end, plain, links = m.end(), [], links + 1
            continue
        else:
            plain.append((m.start(), inner))
            continue
        named_at = m.start() if named_at is None else named_at
    authors = None
    if plain:
        start, authors = plain.pop()
        if not _authors_like(authors):
            if named_at is None:
                return None
            title_end, authors = named_at, None
        elif plain or title_end:
            title_end = start
    return _Byline(title_end, authors or None, by or None, hat_tip or None, links)


_NAME_PARTICLES = {"et", "al", "al.", "and", "van", "den", "der", "de", "von", "la", "le", "da",
                   "di", "du", "of", "the", "for", "dos", "y", "&"}  # fmt: skip


def _authors_like(text: str) -> bool:
    """Names ("Ann Lee, Bo Chen et al", "OpenAI", "Future of Humanity Institute"), not prose."""
    if not text or "#" in text or not re.search(r"[^\W\d_]{2}", text):
        return False
    if re.match(r"(?:see|e\.g|i\.e|cf)\b", text, re.I):
        return False
    words = re.findall(r"[^\s,;*]+", text)
    if any(w.isdigit() for w in words):
        return False  # "(Part 2)", "(Year 5)", "(2019)": names have no bare numbers
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
