"""Generated Alignment-Newsletter-style feeds for the reliability tests.

One Atom entry holds an issue of `summaries` entries under a few top-level sections (each a
forum tag the bot creates), every `long_every`-th summary long enough to need follow-up
messages. Each summary ends with a sentinel sentence naming its index, so a test can tell that
a post's last chunk arrived.
"""

from __future__ import annotations

import html
import random

from feeds.issue import TOP_LEVEL_SECTIONS

# Every known top-level section but Highlights (each a forum tag), plus one the parser does not
# know.
SECTIONS = (*TOP_LEVEL_SECTIONS[1:], "Forecasting")
WORDS = ("agents", "learn", "reward", "models", "from", "human", "feedback", "in", "tasks")


def sentinel(index: int) -> str:
    return f"End of summary number {index}."


def summary_text(index: int, rng: random.Random, *, long: bool) -> str:
    sentences = 60 if long else 4
    parts = []
    for _ in range(sentences):
        words = rng.choices(WORDS, k=rng.randrange(8, 14))
        parts.append(" ".join(words).capitalize() + ".")
    return " ".join(parts) + " " + sentinel(index)


def issue_html(number: int, summaries: int, *, long_every: int = 5, seed: int = 7) -> str:
    rng = random.Random(seed)
    per_section = -(-summaries // len(SECTIONS))
    parts = ["<p>Find all Alignment Newsletter resources here.</p>"]
    for i in range(summaries):
        if i % per_section == 0:
            parts.append(f"<h1>{SECTIONS[i // per_section]}</h1>")
        text = summary_text(i, rng, long=long_every > 0 and i % long_every == long_every - 1)
        parts.append(
            f'<p><a href="https://example.org/an{number}/{i}"><b>Paper {i} of issue {number}'
            f"</b></a> <i>(Author {i} et al)</i> (summarized by Rohin): {text}</p>"
        )
    return "\n".join(parts)


def an_feed(number: int, summaries: int, *, long_every: int = 5) -> str:
    """An Atom feed with one AN issue entry."""
    body = html.escape(issue_html(number, summaries, long_every=long_every))
    when = "2024-03-04T09:00:00+00:00"
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>Alignment Newsletter</title>'
        "<id>tag:reliability,2024:feed</id><updated>2024-03-04T09:00:00Z</updated>"
        f"<entry><id>tag:reliability,2024:an-{number}</id>"
        f"<title>[AN #{number}]: Reliability issue {number}</title>"
        f'<link rel="alternate" href="https://example.org/an-{number}"/>'
        f"<published>{when}</published><updated>{when}</updated>"
        f'<content type="html">{body}</content></entry></feed>'
    )


def generic_rss(items: list[tuple[str, str, str]], title: str = "Generic") -> str:
    """An RSS 2.0 feed of (guid, title, description) items, escaped as XML text."""
    entries = "".join(
        f"<item><title>{html.escape(t)}</title><link>https://generic.example/{html.escape(g)}"
        f"</link><guid>{html.escape(g)}</guid>"
        f"<pubDate>Tue, 02 Jan 2024 09:{n:02d}:00 GMT</pubDate>"
        f"<description>{html.escape(d)}</description></item>"
        for n, (g, t, d) in enumerate(items)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{html.escape(title)}</title><link>https://generic.example/</link>"
        f"{entries}</channel></rss>"
    )
