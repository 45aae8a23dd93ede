"""What the publisher posts, as plain text: titles, starter messages, tags, cross-reference links.

Pure functions of the stored Issue/Summary rows (used as plain data: no queries here) and of a
label → URL map the caller looked up. Nothing here talks to Discord.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from feeds.crossref import (
    MD_LINK,
    Referenced,
    link_target,
    named_summary,
    render_cross_refs,
    titles_in,
)
from feeds.markdown import split_message
from storage.models import Issue, Summary
from storage.summaries import CrossRefTarget

MESSAGE_LIMIT = 2000  # Discord's content limit per message
TITLE_LIMIT = 100  # thread / forum post name
TAG_LIMIT = 20  # forum tag name
HIGHLIGHTS = "Highlights"

# Known AN top-level sections longer than a tag name may be; others are cut at a word.
_TAG_ABBREVIATIONS = {
    "technical ai alignment": "AI alignment",
    "ai strategy and policy": "AI strategy & policy",
    "other progress in ai": "Other progress in AI",
}
# An issue mention, bare ("AN #45") or already the text of a link ("[AN #45](url)").
_CROSS_REF = re.compile(
    r"\[(?P<linked>(?:AN|Recon) #\d+)\]\((?:<[^>\n]*>|[^()\s]*)\)|\b(?:AN|Recon) #\d+\b"
)


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


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """ "1 summary", "2 summaries", "0 comments": the count with its noun in the right number."""
    if count == 1:
        return f"{count} {noun}"
    return f"{count:,} {nouns or noun + 's'}"


_LABEL_PREFIX = re.compile(r"^\s*\[?(?:AN|Recon) #\d+\]?\s*[:·—-]?\s*")


def issue_title(issue: Issue) -> str:
    """`AN #56: Should ML researchers…`: the label once, though the feed's title repeats it."""
    label = issue.label or (f"AN #{issue.number}" if issue.number else "")
    title = issue.title.strip()
    if label and title.lower().lstrip("[").startswith(label.lower()):
        title = _LABEL_PREFIX.sub("", title, count=1)
    if label and title:
        return f"{label}: {title}"
    return label or title or "(untitled)"


def plain_title(title: str) -> str:
    """A title with its Markdown links as their text (for places links do not render)."""
    return MD_LINK.sub(lambda m: m.group(1), title) if "](" in title else title


def title_links(title: str) -> list[str]:
    """The Markdown links a title holds ("[A](url) and [B](url)"), each as `[A](<url>)`."""
    found = []
    for match in MD_LINK.finditer(title):
        target = link_target(match)
        found.append(f"[{cut(match.group(1), 80)}](<{target}>)")
    return found


# Pairs that must be closed in a shortened text, longest first ("**" before "*").
_PAIRS = ("**", "__", "~~", "||", "*", "`")
_REGION = re.compile(
    r"\[(?:[^\[\]\\]|\\.)*\]\((?:<[^>\n]*>|[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)\)"
    r"|<[^<>\s]+>|https?://\S+|`[^`]*`"
)


def cut_markdown(text: str, limit: int) -> str:
    """`text` at most `limit` characters, shortened at a space outside any link, URL, mention
    or code span and where every **, __, ~~, ||, * and ` opened before is closed; "…" ends it."""
    text = text.strip()
    if len(text) <= limit:
        return text
    regions = [m.span() for m in _REGION.finditer(text, 0, limit + 200)]
    for pos in range(limit - 1, 0, -1):
        if not text[pos].isspace() or any(a < pos < b for a, b in regions):
            continue
        head = text[:pos].rstrip()
        if _balanced(head, regions):
            return head.rstrip(" ,;:·-") + "…"
    return ""  # nothing could be kept whole: better no text than broken markup


def _balanced(head: str, regions: list[tuple[int, int]]) -> bool:
    outside = head
    for a, b in reversed(regions):
        if b <= len(head):
            outside = outside[:a] + outside[b:]
    for pair in _PAIRS:
        count = outside.count(pair)
        if count % 2:
            return False
        outside = outside.replace(pair, "")
    return True


def jump_url(guild_id: int, channel_id: int) -> str:
    return f"https://discord.com/channels/{guild_id}/{channel_id}"


def referenced_titles(summary: Summary) -> list[str]:
    """Titles the summary's database cross references (`<@…@>(@Title@)`) point at."""
    texts = [summary.summary, summary.prerequisites, summary.read_more]
    texts += [opinion.get("text", "") for opinion in summary.opinions]
    return titles_in(*texts)


def discussion_url(target: CrossRefTarget, *, guild_id: int | None = None) -> str | None:
    """Where a summary is discussed: its own post, or its message in its issue's thread."""
    guild = target.guild_id or guild_id
    if target.thread_id is None or guild is None:
        return None
    url = jump_url(guild, target.thread_id)
    return f"{url}/{target.message_id}" if target.message_id else url


def cross_ref_urls(
    targets: Mapping[str, CrossRefTarget], *, guild_id: int | None = None
) -> dict[str, str]:
    """Referenced title (casefolded) → its discussion's URL when posted, else its paper link.

    `guild_id` stands in for a thread whose guild is not stored (an adopted old thread).
    """
    urls = {}
    for title, target in targets.items():
        url = discussion_url(target, guild_id=guild_id) or target.link
        if url:
            urls[title] = url
    return urls


def referenced(
    found: Mapping[str, Sequence[tuple[str, str | None, CrossRefTarget]]],
    *,
    guild_id: int | None = None,
) -> dict[str, list[Referenced]]:
    """Issue label → its summaries as `Referenced` (plain title, paper, discussion URL), from
    storage.summaries.label_targets, for link_cross_refs."""
    return {
        label: [
            Referenced(plain_title(title), link, discussion_url(target, guild_id=guild_id))
            for title, link, target in rows
        ]
        for label, rows in found.items()
    }


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


def link_cross_refs(
    text: str,
    links: Mapping[str, str],
    summaries: Mapping[str, Sequence[Referenced]] | None = None,
) -> str:
    """Link the issue mentions ("AN #45") in `text`.

    A mention that names one of that issue's `summaries` (feeds.crossref.named_summary: the
    link or title just before it) links that summary's discussion, else its paper; any other
    mention links `links[label]` (the issue's own thread or page) when there is one, else stays
    text. A mention that is already a link (`[AN #45](newsletter)`) is re-pointed only at the
    named summary's discussion; one inside another link's text is left alone.
    """
    if not links and not summaries:
        return text

    def replace(match: re.Match[str]) -> str:
        linked = match.group("linked")
        label = linked or match.group(0)
        before = text[: match.start()]
        named = named_summary(before, summaries.get(label, ())) if summaries else None
        if linked:
            url = named.discussion if named is not None else None
            return f"[{label}](<{url}>)" if url else match.group(0)
        if before.rfind("[") > before.rfind("]"):
            return label  # inside a link's text
        url = (named.discussion or named.link) if named is not None else None
        url = url or links.get(label)
        return f"[{label}](<{url}>)" if url else label

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


def summary_body(
    issue: Issue,
    summary: Summary,
    *,
    links: Mapping[str, str],
    refs: Mapping[str, str] | None = None,
    summaries: Mapping[str, Sequence[Referenced]] | None = None,
    headline: bool = True,
) -> str:
    """A summary as Markdown: headline, where it is from, summary, opinions, further links.

    `links` maps issue labels ("AN #45") to the issue's thread or page, `summaries` labels to
    the issue's summaries (a mention naming one links its discussion: `link_cross_refs`),
    `refs` referenced summary titles (casefolded) to URLs (`cross_ref_urls`); database cross
    references without one show as their text. `headline=False` leaves out the title line (an
    embed has its own).
    """

    def shown(text: str) -> str:
        return link_cross_refs(render_cross_refs(text, refs or {}), links, summaries)

    context = [part for part in (issue.label, summary.section.replace(" / ", " › ")) if part]
    parts = [_headline(summary)] if headline else []
    if context:
        parts.append("-# " + " · ".join(context))
    if summary.summary.strip():
        parts.append(shown(summary.summary.strip()))
    for opinion in summary.opinions:
        text = shown(opinion.get("text", "").strip())
        by = opinion.get("by", "").strip()
        parts.append(f"**{by}'s opinion:** {text}" if by else text)
    extra = []
    if summary.prerequisites:
        extra.append(f"**Prerequisites:** {shown(summary.prerequisites)}")
    if summary.read_more:
        extra.append(f"**Read more:** {shown(summary.read_more)}")
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
    title = issue_title(issue)
    head = f"**[{title}](<{issue.link}>)**" if issue.link else f"**{title}**"
    return f"{head}\n-# {plural(summary_count, 'summary', 'summaries')} in the thread below"


def starter_chunks(body: str, *, ping_role_id: int | None = None) -> list[str]:
    """`body` split into Discord messages; the first carries the ping (if any).

    Nothing internal is written: a crashed post is recognised by the hash of its first message
    (storage.publications.start_post), not by a marker readers would see.
    """
    prefix = f"<@&{ping_role_id}>\n" if ping_role_id else ""
    first_chunks = split_message(body, MESSAGE_LIMIT - len(prefix)) if body.strip() else [""]
    first, rest = first_chunks[0], first_chunks[1:]
    remaining = "\n\n".join(rest)
    tail = split_message(remaining, MESSAGE_LIMIT) if remaining.strip() else []
    return [f"{prefix}{first}".strip("\n"), *tail]


def content_marker(content: str) -> str | None:
    """The publication marker a post made before migration 0008 carries, if any (last wins)."""
    found = re.findall(r"anbot:pub:[\w.:-]+", content)
    return found[-1] if found else None
