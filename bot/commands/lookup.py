"""Embeds for the lookup commands (search results, a summary, an issue, latest issues).

Pure functions of stored rows plus a thread map; links to threads are channel mentions
(`<#id>`), which Discord renders as clickable thread names for members who can see them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import discord

from bot.publish.render import (
    cut,
    cut_markdown,
    issue_title,
    plain_title,
    plural,
    summary_body,
    title_links,
)
from feeds.crossref import render_cross_refs
from feeds.markdown import split_message
from storage.models import Issue, Summary
from storage.search import SearchHit

EMBED_DESCRIPTION = 4096
EMBED_TITLE = 256
EMBED_FIELD_VALUE = 1024
COLOUR = discord.Colour.blurple()
SEARCH_PAGE = 5
ISSUE_PAGE = 15


Sizes = Mapping[int, tuple[int, datetime | None]]  # thread → (comments, newest comment)


def discussion_size(size: tuple[int, datetime | None] | None, now: datetime | None = None) -> str:
    """ "12 comments, last 2 days ago" ("" for a thread without replies)."""
    if not size or size[0] <= 0:
        return ""
    count, last = size
    text = f"{count} comment{'s' if count != 1 else ''}"
    if last is not None:
        seconds = max(((now or datetime.now(UTC)) - last).total_seconds(), 0)
        for unit, length in (("day", 86400), ("hour", 3600), ("minute", 60)):
            if seconds >= length:
                n = int(seconds // length)
                return f"{text}, last {n} {unit}{'s' if n != 1 else ''} ago"
        return f"{text}, last just now"
    return text


def _with_size(ref: str, thread_id: int | None, sizes: Sizes | None) -> str:
    size = discussion_size(sizes.get(thread_id)) if sizes and thread_id else ""
    return f"{ref} ({size})" if size else ref


def thread_ref(thread_id: int | None) -> str:
    return f"<#{thread_id}>" if thread_id else "not posted yet"


def summary_line(summary: Summary, thread_id: int | None) -> str:
    title = cut(plain_title(summary.title or "(untitled)"), 150)
    head = f"[{title}](<{summary.link}>)" if summary.link else title
    by = f" — {summary.summarizer}" if summary.summarizer else ""
    return f"**{head}**{by} · {thread_ref(thread_id)}"


def search_page(
    query_text: str,
    hits: Sequence[SearchHit],
    *,
    total: int,
    offset: int,
    threads: Mapping[int, int],
    total_is_estimate: bool = False,
    refs: Mapping[str, str] | None = None,
    sizes: Sizes | None = None,
) -> discord.Embed:
    """One page of hits. Field names do not render links, so a name is the plain title and
    the links (paper, thread) are in the value; `refs` links the snippets' cross references."""
    count = f"{total:,}+ results" if total_is_estimate else plural(total, "result")
    embed = discord.Embed(
        title=cut(f"Search: {query_text}", EMBED_TITLE),
        colour=COLOUR,
        description=count,
    )
    for number, hit in enumerate(hits, start=offset + 1):
        summary = hit.summary
        where = " · ".join(p for p in (hit.issue_label, summary.section) if p)
        links = title_links(summary.title) or (
            [f"[paper](<{summary.link}>)"] if summary.link else []
        )
        thread_id = threads.get(summary.id or 0)
        links.append(f"thread {_with_size(thread_ref(thread_id), thread_id, sizes)}")
        head = "\n".join(
            part for part in (f"-# {cut(where, 200)}" if where else "", " · ".join(links)) if part
        )
        snippet = render_cross_refs(hit.snippet, refs or {})
        room = EMBED_FIELD_VALUE - len(head) - 1
        value = "\n".join(p for p in (cut_markdown(snippet, min(600, room)), head) if p)
        name = cut(f"{number}. {plain_title(summary.title or '(untitled)')}", EMBED_TITLE)
        embed.add_field(name=name, value=value, inline=False)
    return embed


LEAD_CHARS = 600  # of the summary in the public answer; the rest behind "More"


def summary_card(
    issue: Issue | None,
    summary: Summary,
    thread_id: int | None,
    *,
    refs: Mapping[str, str] | None = None,
    sizes: Sizes | None = None,
) -> tuple[discord.Embed, list[discord.Embed]]:
    """The public answer (title, paper and discussion links first, then the summary's start)
    and, when there is more to read, the whole summary as embeds for the "More" button."""
    body = summary_body(issue or Issue(title=""), summary, links={}, refs=refs, headline=False)
    card = discord.Embed(title=cut(plain_title(summary.title or "(untitled)"), EMBED_TITLE))
    card.colour = COLOUR
    if summary.link:
        card.url = summary.link
    facts = [f"**Discussion:** {_with_size(thread_ref(thread_id), thread_id, sizes)}"]
    if summary.link:
        facts.append(f"**Paper:** [{cut(_host(summary.link), 60)}](<{summary.link}>)")
    people = [p for p in (summary.authors, summary.venue, summary.year) if p]
    if people:
        facts.append(cut(", ".join(people), 300))
    if summary.summarizer:
        facts.append(f"-# summarized by {summary.summarizer}")
    text = summary.summary.strip()
    lead = cut_markdown(render_cross_refs(text, refs or {}), LEAD_CHARS) if text else ""
    card.description = "\n".join([*facts, "", lead]).strip()[:EMBED_DESCRIPTION]
    chunks = split_message(body, EMBED_DESCRIPTION) or [body[:EMBED_DESCRIPTION]]
    full = [discord.Embed(description=chunk, colour=COLOUR) for chunk in chunks]
    full[0].title = card.title
    full[0].url = card.url
    more = lead.endswith("…") or bool(
        summary.opinions or summary.prerequisites or summary.read_more
    )
    return card, full if more else []


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    try:
        return urlsplit(url).netloc.removeprefix("www.") or url
    except ValueError:
        return url


def issue_label(issue: Issue) -> str:
    return issue.label or (f"AN #{issue.number}" if issue.number else issue.title or "issue")


def issue_page(
    issue: Issue,
    summaries: Sequence[Summary],
    *,
    page: int,
    threads: Mapping[int, int],
    issue_thread: int | None,
) -> discord.Embed:
    start = page * ISSUE_PAGE
    lines = [
        f"{n}. {summary_line(s, threads.get(s.id or 0, issue_thread))}"
        for n, s in enumerate(summaries[start : start + ISSUE_PAGE], start=start + 1)
    ]
    header = plural(len(summaries), "summary", "summaries")
    if issue_thread:
        header += f" · thread {thread_ref(issue_thread)}"
    description = "\n".join([header, "", *lines])
    embed = discord.Embed(title=cut(issue_title(issue), EMBED_TITLE), colour=COLOUR)
    embed.description = description[:EMBED_DESCRIPTION]
    if issue.link:
        embed.url = issue.link
    return embed


def latest_embed(rows: Sequence[tuple[Issue, int, int | None]]) -> discord.Embed:
    """(issue, summary count, thread) rows, newest first."""
    lines = []
    for issue, count, thread_id in rows:
        label = issue_label(issue)
        title = f"[{label}](<{issue.link}>)" if issue.link else label
        shown = issue_title(issue).removeprefix(f"{label}: ")
        name = f" — {cut(shown, 120)}" if shown and shown != label else ""
        extra = f" · {thread_ref(thread_id)}" if thread_id else ""
        lines.append(f"**{title}**{name} · {plural(count, 'summary', 'summaries')}{extra}")
    embed = discord.Embed(title="Latest issues", colour=COLOUR)
    embed.description = "\n".join(lines)[:EMBED_DESCRIPTION] or "No issues stored yet."
    return embed
