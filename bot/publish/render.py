"""What the publisher posts, as plain text: titles, starter messages, tags, cross-reference links.

Pure functions of the stored Issue/Summary rows (used as plain data: no queries here) and of a
label → URL map the caller looked up. Nothing here talks to Discord.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from feeds.markdown import split_message
from storage.models import Issue, Summary

MESSAGE_LIMIT = 2000  # Discord's content limit per message
TITLE_LIMIT = 100  # thread / forum post name
TAG_LIMIT = 20  # forum tag name
HIGHLIGHTS = "Highlights"
MARKER_PREFIX = "anbot:pub:"

# Known AN top-level sections longer than a tag name may be; others are cut at a word.
_TAG_ABBREVIATIONS = {
    "technical ai alignment": "AI alignment",
    "ai strategy and policy": "AI strategy & policy",
    "other progress in ai": "Other progress in AI",
}
_CROSS_REF = re.compile(r"\b(?:AN|Recon) #\d+\b")


def cut(text: str, limit: int) -> str:
    """`text` on one line, at most `limit` characters, ending in "…" when shortened."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    space = head.rfind(" ")
    if space >= limit // 2:  # cut at a word when that does not lose too much
        head = head[:space]
    return head.rstrip(" ,;:·-") + "…"


def jump_url(guild_id: int, channel_id: int) -> str:
    return f"https://discord.com/channels/{guild_id}/{channel_id}"


def marker_line(marker: str) -> str:
    """The small subtext line that lets the bot recognise its own post after a crash."""
    return f"-# {marker}"


def post_title(issue: Issue, summary: Summary | None) -> str:
    """Forum post / thread name: `AN #56 · <summary title>`, or the item or issue title."""
    title = (summary.title if summary is not None else issue.title).strip() or "(untitled)"
    if issue.label and issue.label not in title:
        title = f"{issue.label} · {title}"
    return cut(title, TITLE_LIMIT)


def tag_name(summary: Summary) -> str | None:
    """The forum tag of a summary: its top-level section (highlights have none of their own)."""
    top = summary.section.split(" / ", 1)[0].strip()
    if not top:
        return HIGHLIGHTS if summary.highlight else None
    short = _TAG_ABBREVIATIONS.get(top.lower(), top)
    return cut(short, TAG_LIMIT)


def link_cross_refs(text: str, links: Mapping[str, str]) -> str:
    """Turn "AN #45" into a link to that issue's thread when one is known; else leave it.

    Mentions already inside a Markdown link's text (`[AN #45](...)`) are left alone.
    """
    if not links:
        return text

    def replace(match: re.Match[str]) -> str:
        label = match.group(0)
        url = links.get(label)
        before = text[: match.start()]
        inside_link_text = before.rfind("[") > before.rfind("]")
        if url is None or inside_link_text:
            return label
        return f"[{label}](<{url}>)"

    return _CROSS_REF.sub(replace, text)


def _headline(summary: Summary) -> str:
    title = summary.title.strip() or "(untitled)"
    head = f"**[{title}](<{summary.link}>)**" if summary.link else f"**{title}**"
    extras = [part for part in (summary.authors, summary.venue, summary.year) if part]
    if extras:
        head += f" ({', '.join(extras)})"
    if summary.summarizer:
        head += f" — *summarized by {summary.summarizer}*"
    return head


def summary_body(issue: Issue, summary: Summary, *, links: Mapping[str, str]) -> str:
    """A summary as Markdown: headline, where it is from, summary, opinions, further links."""
    context = [part for part in (issue.label, summary.section.replace(" / ", " › ")) if part]
    parts = [_headline(summary)]
    if context:
        parts.append("-# " + " · ".join(context))
    if summary.summary.strip():
        parts.append(link_cross_refs(summary.summary.strip(), links))
    for opinion in summary.opinions:
        text = link_cross_refs(opinion.get("text", "").strip(), links)
        by = opinion.get("by", "").strip()
        parts.append(f"**{by}'s opinion:** {text}" if by else text)
    extra = []
    if summary.prerequisites:
        extra.append(f"**Prerequisites:** {link_cross_refs(summary.prerequisites, links)}")
    if summary.read_more:
        extra.append(f"**Read more:** {link_cross_refs(summary.read_more, links)}")
    if extra:
        parts.append("\n".join(extra))
    return "\n\n".join(parts)


def provenance(issue: Issue, summary: Summary) -> str:
    """ "AN #45 · 2019-02-11 · summarized by Rohin": where a summary of the back catalog is from."""
    when = issue.published_at.date().isoformat() if issue.published_at else None
    by = f"summarized by {summary.summarizer}" if summary.summarizer else None
    return " · ".join(part for part in (issue.label or issue.title, when, by) if part)


def issue_header(issue: Issue, summary_count: int) -> str:
    """Starter of a thread-per-issue: the issue, linked, and how many summaries follow."""
    title = issue.title.strip() or issue.label or "(untitled)"
    if issue.label and issue.label not in title:
        title = f"{issue.label}: {title}"
    head = f"**[{title}](<{issue.link}>)**" if issue.link else f"**{title}**"
    noun = "summary" if summary_count == 1 else "summaries"
    return f"{head}\n-# {summary_count} {noun} in the thread below"


def starter_chunks(
    body: str, *, marker: str | None = None, ping_role_id: int | None = None
) -> list[str]:
    """`body` split into Discord messages; the first carries the ping (if any) and the marker.

    The marker goes at the end of the first message, so whichever messages follow, the one
    that creates the post is the one that identifies it.
    """
    prefix = f"<@&{ping_role_id}>\n" if ping_role_id else ""
    suffix = f"\n{marker_line(marker)}" if marker else ""
    reserved = len(prefix) + len(suffix)
    first_chunks = split_message(body, MESSAGE_LIMIT - reserved) if body.strip() else [""]
    first, rest = first_chunks[0], first_chunks[1:]
    remaining = "\n\n".join(rest)
    tail = split_message(remaining, MESSAGE_LIMIT) if remaining.strip() else []
    return [f"{prefix}{first}{suffix}".strip("\n"), *tail]


def content_marker(content: str) -> str | None:
    """The publication marker written in a message, if any (the last one wins)."""
    found = re.findall(r"anbot:pub:[\w.:-]+", content)
    return found[-1] if found else None
