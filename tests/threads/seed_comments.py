"""The forum comments at the end of tests/data/seed-issue-with-comments.txt, as a fixture.

The text file is a copy of the page: after the "New Comment" line and the "N comments, sorted
by …" line, comments follow in page order, paragraphs separated by blank lines, with neither
author names nor reply structure. Both are restored here from the original forum thread:
each comment is identified by the opening of its first paragraph, and its text runs up to the
next comment's first paragraph. Author names are not in the file; they come from the original
thread as the task described it ("commenter A/B" where the name was not given). Reply quotes
(a paragraph repeating the parent's words) are part of the reply's text, as on the page.

SEED_COMMENTS is a list of (key, parent_key, author, text) in page order, parents before
replies; the bot tests replay it in the sandbox, the threads tests build records from it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from threads.model import CommentRecord

SEED_FILE = Path(__file__).resolve().parents[1] / "data" / "seed-issue-with-comments.txt"

# (key, parent key, author, opening of the comment's first paragraph), in page order.
LAYOUT: list[tuple[str, str | None, str, str]] = [
    ("agency", None, "Stuart Armstrong", "Relevant to Robin Hanson's point"),
    ("yay", None, "Charlie Steiner", "Yay, I'm in the thing!"),
    ("fyi", "yay", "Rohin Shah", "Fyi, I included it because"),
    ("thanks", "fyi", "Charlie Steiner", "Thanks, this is actually really useful feedback"),
    ("prereg", None, "commenter A", "Instead of preregistering all experiments"),
    ("terminology", "prereg", "Rohin Shah", "So I don't really like the terminology"),
    ("replicate", "terminology", "commenter A", "It seems to me that if you expect"),
    ("certainly", "replicate", "Rohin Shah", "Or to put it another way, if the principle"),
    ("gelman", None, "commenter B", "Relevant recent Andrew Gelman blog post"),
]


def comment_paragraphs(text: str) -> list[str]:
    """The paragraphs after the page's "New Comment" / "N comments, sorted by" lines."""
    lines = text.splitlines()
    start = lines.index("New Comment") + 1
    if not lines[start].split(" ", 1)[0].isdigit():
        raise ValueError(
            f"expected the comment-count line after 'New Comment', got {lines[start]!r}"
        )
    body = "\n".join(lines[start + 1 :])
    return [paragraph.strip() for paragraph in body.split("\n\n") if paragraph.strip()]


def split_comments(text: str) -> list[tuple[str, str | None, str, str]]:
    paragraphs = comment_paragraphs(text)
    starts: list[int] = []
    for key, _parent, _author, opening in LAYOUT:
        found = [i for i, p in enumerate(paragraphs) if p.startswith(opening)]
        if len(found) != 1:
            raise ValueError(f"comment {key!r}: {len(found)} paragraphs start with {opening!r}")
        starts.append(found[0])
    if starts != sorted(starts) or starts[0] != 0:
        raise ValueError(f"comment openings out of page order: {starts}")
    ends = [*starts[1:], len(paragraphs)]
    return [
        (key, parent, author, "\n\n".join(paragraphs[begin:end]))
        for (key, parent, author, _opening), begin, end in zip(LAYOUT, starts, ends, strict=True)
    ]


SEED_COMMENTS: list[tuple[str, str | None, str, str]] = split_comments(
    SEED_FILE.read_text(encoding="utf-8")
)

# The page was captured 2019-06-05; times are spaced an hour apart in page order.
SEED_START = datetime.fromisoformat("2019-06-05T20:01:00+00:00")
SEED_FIRST_ID = 590_000_000_000_000_000


def seed_records(
    start: datetime = SEED_START, first_id: int = SEED_FIRST_ID
) -> tuple[list[CommentRecord], dict[str, int]]:
    """CommentRecords for SEED_COMMENTS (ids and times increasing in page order), and key→id."""
    ids = {key: first_id + n for n, (key, _p, _a, _t) in enumerate(SEED_COMMENTS)}
    authors = {
        name: 1000 + n for n, name in enumerate(sorted({a for _k, _p, a, _t in SEED_COMMENTS}))
    }
    records = [
        CommentRecord(
            id=ids[key],
            parent_id=None if parent is None else ids[parent],
            author_id=authors[author],
            author_name=author,
            content=text,
            created_at=start + timedelta(hours=n),
        )
        for n, (key, parent, author, text) in enumerate(SEED_COMMENTS)
    ]
    return records, ids
