"""Render Alignment Newsletter issues as Mailchimp-style HTML, for parser tests.

Two sources: rows of tests/data/an-summaries-database.csv grouped by their "Email" label, and
the plain-text seed issue (AN #56). The HTML follows the real AN e-mails: headings as <h1>/<h3>
or <p><strong>, entries as <p><a href><b>Title</b></a> <i>(Authors)</i> (summarized by X): …
"""

from __future__ import annotations

import csv
import html
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"
CSV_PATH = DATA / "an-summaries-database.csv"
SEED_PATH = DATA / "seed-issue-with-comments.txt"

# Where each CSV category sits in an issue (test data: mirrors the AN e-mails' structure).
STRATEGY = {"AI governance", "Forecasting", "Field building", "Privacy and security", "Security"}
NEAR_TERM = {"Fairness and bias", "Machine ethics", "Recommender systems"}
CAPABILITIES = {
    "Reinforcement learning", "Deep learning", "Meta learning", "Hierarchical RL",
    "Unsupervised learning", "Exploration", "Applications", "Machine learning",
    "Miscellaneous (AI)", "Multiagent RL", "Critiques (AI)", "Miscellaneous (Capabilities)",
    "AGI theory",
}  # fmt: skip
OPINION_SPLIT = re.compile(r"\n\s*\n(?=\*\*[^*\n]{1,40}['’]s opinion:?\*\*)")
OPINION_HEAD = re.compile(r"^\*\*(?P<by>[^*\n]{1,40})['’]s opinion(?::\*\*|\*\*:)\s*")


@dataclass
class Expected:
    title: str
    section_path: tuple[str, ...]
    highlight: bool
    authors: str | None
    summarizer: str | None
    link: str | None
    summary: str
    opinions: list[tuple[str, str]] = field(default_factory=list)


def load_rows() -> list[dict[str, str]]:
    with CSV_PATH.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def rows_by_issue() -> dict[str, list[dict[str, str]]]:
    issues: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in load_rows():
        if row["Email"].strip():
            issues[row["Email"].strip()].append(row)
    return dict(issues)


def collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def section_for(row: dict[str, str]) -> tuple[str, ...]:
    if row["Highlight?"].strip():
        return ("Highlights",)
    cat = collapse(row["Category"]) or "Miscellaneous (Alignment)"
    if cat == "News":
        return ("News",)
    if cat in STRATEGY:
        return ("AI strategy and policy", cat)
    if cat in NEAR_TERM:
        return ("Near-term concerns", cat)
    if cat in CAPABILITIES:
        return ("Other progress in AI", cat)
    return ("Technical AI alignment", cat)


def inline(md: str) -> str:
    """The CSV's light Markdown (**b**, _i_, [t](u), <@ref@>) as HTML."""
    out = html.escape(md, quote=False)
    out = re.sub(r"&lt;@(.+?)@&gt;", r"<a href='https://example.org/ref'>\1</a>", out)
    out = re.sub(r"\[([^\]\n]+)\]\(([^)\s]+)\)", r"<a href='\2'>\1</a>", out)
    out = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", out)
    out = re.sub(r"(?<![\w/])_(\S.*?\S|\S)_(?!\w)", r"<em>\1</em>", out)
    return out


def paragraphs(text: str) -> list[str]:
    return [collapse(p) for p in re.split(r"\n\s*\n", text.strip()) if collapse(p)]


def split_opinions(row: dict[str, str]) -> list[tuple[str, str]]:
    text = row["My opinion"].strip()
    if not text:
        return []
    parts = OPINION_SPLIT.split(text)
    first_by = collapse(row["Summarizer"]) or "editor"
    opinions = [(first_by, parts[0].strip())]
    for part in parts[1:]:
        m = OPINION_HEAD.match(part)
        assert m is not None
        opinions.append((collapse(m.group("by")), part[m.end() :].strip()))
    return opinions


def render_entry(row: dict[str, str], *, style: int) -> str:
    title = html.escape(collapse(row["Title"]))
    url = html.escape(row["URL"].strip(), quote=True)
    if url:
        head = (
            f'<a href="{url}"><b>{title}</b></a>'
            if style % 2 == 0
            else f'<strong><a href="{url}">{title}</a></strong>'
        )
    else:
        head = f"<b>{title}</b>"
    authors = collapse(row["Authors"])
    if authors:
        head += f" <i>({html.escape(authors)})</i>"
    by = collapse(row["Summarizer"])
    if by:
        head += f" (summarized by {html.escape(by)})"
    paras = paragraphs(row["Summary"])
    out = []
    if paras:
        out.append(f"<p>{head}: {inline(paras[0])}</p>")
        out.extend(f"<p>{inline(p)}</p>" for p in paras[1:])
    else:
        out.append(f"<p>{head}</p>")
    for i, (who, text) in enumerate(split_opinions(row)):
        label = f"{who}'s opinion:" if (who != "editor" or i) else "My opinion:"
        ops = paragraphs(text)
        out.append(f"<p><b>{html.escape(label)}</b> {inline(ops[0]) if ops else ''}</p>")
        out.extend(f"<p>{inline(p)}</p>" for p in ops[1:])
    return "\n".join(out)


def render_heading(text: str, *, top: bool, style: int) -> str:
    level = (1 if style % 2 == 0 else 2) if top else 3
    return f"<h{level}>{html.escape(text)}</h{level}>"


def render_csv_issue(label: str, rows: list[dict[str, str]], *, style: int = 0) -> str:
    """An issue's HTML with entries grouped by section; returns the HTML text."""
    order = ["Highlights", "Technical AI alignment", "Near-term concerns",
             "AI strategy and policy", "Other progress in AI", "News"]  # fmt: skip
    grouped: dict[tuple[str, ...], list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        grouped[section_for(row)].append(row)
    body = [
        "<p>Find all Alignment Newsletter resources "
        "<a href='http://rohinshah.com/alignment-newsletter/'>here</a>.</p>"
    ]
    for top in order:
        keys = sorted(k for k in grouped if k[0] == top)
        if not keys:
            continue
        body.append(render_heading(top, top=True, style=style))
        for key in keys:
            if len(key) > 1:
                body.append(render_heading(key[1], top=False, style=style))
            body.extend(render_entry(r, style=style + i) for i, r in enumerate(grouped[key]))
    return wrap_email(f"[{label}]", "\n".join(body))


def expected_for(rows: list[dict[str, str]]) -> list[Expected]:
    """What parsing render_csv_issue's output must give back, in rendered order."""
    order = ["Highlights", "Technical AI alignment", "Near-term concerns",
             "AI strategy and policy", "Other progress in AI", "News"]  # fmt: skip
    grouped: dict[tuple[str, ...], list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        grouped[section_for(row)].append(row)
    out = []
    for top in order:
        for key in sorted(k for k in grouped if k[0] == top):
            for r in grouped[key]:
                out.append(
                    Expected(
                        title=collapse(r["Title"]),
                        section_path=key,
                        highlight=key == ("Highlights",),
                        authors=collapse(r["Authors"]) or None,
                        summarizer=collapse(r["Summarizer"]) or None,
                        link=r["URL"].strip() or None,
                        summary=r["Summary"],
                        opinions=split_opinions(r),
                    )
                )
    return out


def wrap_email(title: str, inner: str) -> str:
    """Mailchimp's nested layout tables, a style block and the usual footer."""
    return f"""<!DOCTYPE html>
<html><head><meta charset="UTF-8"><title>{html.escape(title)}</title>
<style type="text/css">p{{margin:10px 0;padding:0;}} h1{{display:block;}}</style></head>
<body><center><table class="bodyTable" width="100%"><tr><td class="bodyCell">
<table class="templateContainer"><tr><td class="mcnTextContent" valign="top">
{inner}
</td></tr></table>
<table class="templateFooter"><tr><td class="mcnTextContent">
<em>Copyright © 2019 Alignment Newsletter, All rights reserved.</em><br><br>
<p>Want to change how you receive these emails?<br>You can <a href="*|UPDATE_PROFILE|*">update
your preferences</a> or <a href="*|UNSUB|*">unsubscribe from this list</a>.</p>
</td></tr></table></td></tr></table></center></body></html>
"""


# ---------------------------------------------------------------- AN #56 from the seed text

SEED_TOP = {"Technical AI alignment", "Other progress in AI"}
SEED_SUB = {"Learning human intent", "Reinforcement learning", "Deep learning",
            "Meta learning", "Hierarchical RL"}  # fmt: skip
MARKERS = re.compile(r"^(Rohin's opinion:|Cody's opinion:|My opinion:|Prerequisities:|Read more:)")


def render_seed_issue() -> str:
    """AN #56 as the e-mail looked: built line by line from the seed text and CSV links."""
    rows = rows_by_issue()["AN #56"]
    urls = {collapse(r["Title"]): r["URL"].strip() for r in rows}
    body = ["<h1>Highlights</h1>"]
    for line in SEED_PATH.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("New Comment"):
            break
        if not line:
            continue
        if line.startswith("Find all Alignment Newsletter resources"):
            body.insert(0, "<p>" + inline(line).replace(
                "here", "<a href='http://rohinshah.com/alignment-newsletter/'>here</a>", 1
            ) + "</p>")  # fmt: skip
            continue
        if line in SEED_TOP:
            body.append(f"<h1>{line}</h1>")
            continue
        if line in SEED_SUB:
            body.append(f"<h3>{line}</h3>")
            continue
        m = MARKERS.match(line)
        if m:
            rest = inline(line[m.end() :].strip())
            if m.group(1) == "Read more:":
                rest = f"<a href='https://www.alignmentforum.org/posts/cody-longer'>{rest}</a>"
            if m.group(1) == "Prerequisities:":
                rest = re.sub(
                    r"^(.*?) \(", r"<a href='https://arxiv.org/abs/1711.03247'>\1</a> (", rest
                )
            body.append(f"<p><strong>{m.group(1)}</strong> {rest}</p>")
            continue
        title = next((t for t in urls if line.startswith(t + " (")), None)
        if title is None:
            body.append(f"<p>{inline(line)}</p>")
            continue
        rest = line[len(title) :]
        head = (
            f'<a href="{html.escape(urls[title])}" target="_blank"><b>{html.escape(title)}</b></a>'
        )
        m2 = re.match(r"^ \(([^()]+)\)( \(summarized by [^()]+\))?(: )?", rest)
        assert m2 is not None, line
        tail = rest[m2.end() :]
        head += f" <i>({html.escape(m2.group(1))})</i>{m2.group(2) or ''}"
        body.append(f"<p>{head}{': ' + inline(tail) if m2.group(3) else ''}</p>")
    return wrap_email(
        "[AN #56]: Should ML researchers stop running experiments before making hypotheses?",
        "\n".join(body),
    )
