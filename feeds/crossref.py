"""The summaries database's cross-reference syntax, `<@text@>(@Title@)` or `<@Title@>`, rendered.

The AN summaries database links one summary to another with `<@shown text@>(@Referenced
title@)` (or `<@Referenced title@>` when the shown text is the title). The stored text keeps
that syntax; whatever a reader sees passes through `render_cross_refs` first, so the slash
commands, search snippets, forum posts and exports all show the same thing: a link to the
referenced summary's discussion thread when there is one, else to its paper, else the shown
text alone. Pure: the caller looks the targets up (`titles_in`) and passes a resolver.

Issue mentions ("More realistic tales of doom (AN #50)", "[GPT-2](url) ([AN #46](url))") name a
summary of that issue by what stands just before them: `named_summary` finds which one (by the
preceding link's address, else by its title ending the preceding words), so a post can link the
summary's own discussion rather than the issue's.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

# Non-greedy and across lines: in the database the shown text may wrap (1 in 640 does).
CROSS_REF = re.compile(r"<@(.+?)@>(?:\(@(.+?)@\))?", re.DOTALL)

Resolver = Callable[[str], str | None]


def _parts(match: re.Match[str]) -> tuple[str, str]:
    shown = " ".join(match.group(1).split())
    title = " ".join((match.group(2) or match.group(1)).split())
    return shown, title


def titles_in(*texts: str | None) -> list[str]:
    """The referenced titles in `texts`, first occurrence first, without repeats."""
    found: dict[str, None] = {}
    for text in texts:
        if text and "<@" in text:
            for match in CROSS_REF.finditer(text):
                found.setdefault(_parts(match)[1], None)
    return list(found)


def _link_text(shown: str) -> str:
    # A "]" would close the link text early; "\\]" shows the bracket instead.
    return shown.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def render_cross_refs(text: str, resolve: Resolver | Mapping[str, str] | None = None) -> str:
    """`text` with every cross reference as `[shown](<url>)`, or as the shown text alone.

    `resolve(title)` gives the URL for a referenced title (its thread, else its paper) or
    None; a mapping is looked up by the title's casefold. With no resolver every reference
    becomes its shown text (plain text for places where links do not render).
    """
    if "<@" not in text:
        return text
    if isinstance(resolve, Mapping):
        table = resolve
        lookup: Resolver = lambda title: table.get(title.casefold())  # noqa: E731
    else:
        lookup = resolve or (lambda _title: None)

    def replace(match: re.Match[str]) -> str:
        shown, title = _parts(match)
        url = lookup(title)
        if not url:
            return shown
        return f"[{_link_text(shown)}](<{url}>)"

    return CROSS_REF.sub(replace, text)


def plain_cross_refs(text: str) -> str:
    """`text` with every cross reference as its shown text (what search matches and cuts)."""
    return render_cross_refs(text, None)


# A Markdown link `[text](url)` or `[text](<url>)` (the text may hold escaped brackets).
MD_LINK = re.compile(r"\[((?:[^\[\]\\]|\\.)*)\]\((?:<[^>\n]*>|[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)\)")


def link_target(match: re.Match[str]) -> str:
    """The URL of a Markdown link matched by MD_LINK."""
    return match.group(0)[len(match.group(1)) + 3 : -1].strip("<>")


@dataclass(frozen=True, slots=True)
class Referenced:
    """A summary an issue mention may name: its title (plain text), its paper link, and the URL
    of its discussion (its own post, or its message in its issue's thread) when there is one."""

    title: str
    link: str | None
    discussion: str | None


_WORD = re.compile(r"\w+")
_LAST_LINK = re.compile(MD_LINK.pattern + r"(?:\s*\([^()\[\]]{1,40}\))?[\s(\[]*$")
LEAD_WORDS = 30  # how far back a title may start before its mention


def _words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text.casefold())
    return _WORD.findall("".join(c for c in folded if not unicodedata.combining(c)))


def _same_url(a: str, b: str) -> bool:
    def norm(url: str) -> str:
        url = url.strip().lower().split("#", 1)[0].rstrip("/")
        url = re.sub(r"^https?://(www\.)?", "", url)
        return url

    return bool(a.strip()) and norm(a) == norm(b)


def named_summary(before: str, candidates: Sequence[Referenced]) -> Referenced | None:
    """Which of `candidates` (the summaries of the mentioned issue) the text just before a
    mention names: the one whose paper the preceding link points to (`[GPT-2](url) (AN #46)`),
    else the one whose title the preceding words end with (`More realistic tales of doom (AN
    #50)`, the longest such title); None when nothing says (`our recent paper (AN #45)`)."""
    if not candidates:
        return None
    tail = before[-1000:]
    last = _LAST_LINK.search(tail)
    link = MD_LINK.match(tail, last.start()) if last is not None else None
    if link is not None:
        url = link_target(link)
        for candidate in candidates:
            if candidate.link and _same_url(candidate.link, url):
                return candidate
    lead = _words(render_cross_refs(MD_LINK.sub(lambda m: m.group(1), tail)))[-LEAD_WORDS:]
    best: Referenced | None = None
    best_len = 0
    for candidate in candidates:
        title = _words(MD_LINK.sub(lambda m: m.group(1), candidate.title))
        if title and len(title) > best_len and lead[-len(title) :] == title:
            best, best_len = candidate, len(title)
    return best
