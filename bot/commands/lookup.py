"""Embeds for the lookup commands (search results, a summary, an issue, latest issues).

Pure functions of stored rows plus a thread map; links to threads are channel mentions
(`<#id>`), which Discord renders as clickable thread names for members who can see them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import discord

from bot.publish.render import cut, summary_body
from feeds.markdown import split_message
from storage.models import Issue, Summary
from storage.search import SearchHit

EMBED_DESCRIPTION = 4096
EMBED_TITLE = 256
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
    title = cut(summary.title or "(untitled)", 150)
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
    sizes: Sizes | None = None,
) -> discord.Embed:
    count = (
        f"{total:,}+ results" if total_is_estimate else f"{total} result{'s' if total != 1 else ''}"
    )
    embed = discord.Embed(
        title=cut(f"Search: {query_text}", EMBED_TITLE),
        colour=COLOUR,
        description=count,
    )
    for number, hit in enumerate(hits, start=offset + 1):
        summary = hit.summary
        where = " · ".join(p for p in (hit.issue_label, summary.section) if p)
        value = "\n".join(
            part
            for part in (
                f"-# {cut(where, 200)}" if where else "",
                cut(hit.snippet, 600),
                "Thread: "
                + _with_size(
                    thread_ref(threads.get(summary.id or 0)), threads.get(summary.id or 0), sizes
                ),
            )
            if part
        )
        name = cut(f"{number}. {summary.title or '(untitled)'}", EMBED_TITLE)
        embed.add_field(name=name, value=value[:1024], inline=False)
    return embed


def summary_embeds(
    issue: Issue | None, summary: Summary, thread_id: int | None, sizes: Sizes | None = None
) -> list[discord.Embed]:
    """The whole summary, split at the embed limit; the thread link is on the last embed."""
    body = summary_body(issue or Issue(title=""), summary, links={})
    body += f"\n\nDiscussion: {_with_size(thread_ref(thread_id), thread_id, sizes)}"
    chunks = split_message(body, EMBED_DESCRIPTION) or [body[:EMBED_DESCRIPTION]]
    embeds = []
    for index, chunk in enumerate(chunks):
        embed = discord.Embed(description=chunk, colour=COLOUR)
        if index == 0:
            embed.title = cut(summary.title or "(untitled)", EMBED_TITLE)
            if summary.link:
                embed.url = summary.link
        embeds.append(embed)
    return embeds


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
    header = f"{len(summaries)} summar{'y' if len(summaries) == 1 else 'ies'}"
    if issue_thread:
        header += f" · thread {thread_ref(issue_thread)}"
    description = "\n".join([header, "", *lines])
    title = issue_label(issue)
    if issue.title and issue.title not in title:
        title = f"{title}: {issue.title}"
    embed = discord.Embed(title=cut(title, EMBED_TITLE), colour=COLOUR)
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
        name = f" — {cut(issue.title, 120)}" if issue.title and issue.title != label else ""
        extra = f" · {thread_ref(thread_id)}" if thread_id else ""
        lines.append(f"**{title}**{name} · {count} summaries{extra}")
    embed = discord.Embed(title="Latest issues", colour=COLOUR)
    embed.description = "\n".join(lines)[:EMBED_DESCRIPTION] or "No issues stored yet."
    return embed
