"""The summaries database's cross-reference syntax, `<@text@>(@Title@)` or `<@Title@>`, rendered.

The AN summaries database links one summary to another with `<@shown text@>(@Referenced
title@)` (or `<@Referenced title@>` when the shown text is the title). The stored text keeps
that syntax; whatever a reader sees passes through `render_cross_refs` first, so the slash
commands, search snippets, forum posts and exports all show the same thing: a link to the
referenced summary's discussion thread when there is one, else to its paper, else the shown
text alone. Pure: the caller looks the targets up (`titles_in`) and passes a resolver.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

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
