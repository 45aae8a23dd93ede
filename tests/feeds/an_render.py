"""Render Alignment Newsletter issues in the forms they come in, for parser tests.

Two sources: rows of tests/data/an-summaries-database.csv grouped by their "Email" label, and
the plain-text seed issue (AN #56). Three forms, each with the grammar variants real issues
use (`style` picks them):
- HTML as the AN e-mails: headings as <h1>/<h3>, entries as
  <p><a href><b>Title</b></a> <i>(Authors)</i> (summarized by X) (H/T Y): …
- Markdown as the forum cross-posts: setext headings (`**Highlights**` over dashes or
  `HIGHLIGHTS` over `=`), `### **Subsection**`, `**[Title](url)** *(Authors)* …`, a bold
  title with no link, titles of several links, `**Nicholas' opinion:**`;
- plain text as the forum's text copy: one paragraph per line, headings as lines (some in
  capitals), "Title (Authors) (summarized by X): …", no links;
- plain text as the e-mail's text version (what a reader of the text/plain part sees):
  blank lines between paragraphs, headings as "** NAME" over a rule or underlined, every
  link as its words then "(http://…)" or "<http://…>": "Title (http://…) (Authors): …".
"""

from __future__ import annotations

import csv
import html
import re
import textwrap
from collections import defaultdict
from collections.abc import Callable
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
ORDER = ["Highlights", "Technical AI alignment", "Near-term concerns", "AI strategy and policy",
         "Other progress in AI", "News", "Previous newsletters"]  # fmt: skip
OPINION_SPLIT = re.compile(r"\n\s*\n(?=\*{1,2}[^*\n]{1,40}['’]s opinion:?\*{1,2})")
OPINION_HEAD = re.compile(r"^\*{1,2}(?P<by>[^*\n]{1,40})['’]s opinion(?::\*{1,2}|\*{1,2}:)\s*")


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
    hat_tip: str | None = None
    prerequisites: str | None = None
    read_more: str | None = None


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
    if cat in ("News", "Previous newsletters"):
        return (cat,)
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
    title = collapse(row["Title"])
    # a title of several links ("[A](…) and [B](…)") keeps its links
    title = inline(title) if "](" in title else html.escape(title)
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
    if row["H/T"].strip():
        head += f" (H/T {html.escape(collapse(row['H/T']))})"
    paras = paragraphs(row["Summary"])
    out = []
    if paras:
        out.append(f"<p>{head}: {inline(paras[0])}</p>")
        out.extend(f"<p>{inline(p)}</p>" for p in paras[1:])
    else:
        out.append(f"<p>{head}</p>")
    for label, text in tail_parts(row, style=style):
        ops = paragraphs(text)
        out.append(f"<p><b>{html.escape(label)}</b> {inline(ops[0]) if ops else ''}</p>")
        out.extend(f"<p>{inline(p)}</p>" for p in ops[1:])
    return "\n".join(out)


def opinion_label(who: str, index: int, *, style: int) -> str:
    if who == "editor" and index == 0:
        return "My opinion:"
    if who.endswith("s") and style % 2:
        return f"{who}' opinion:"  # "Nicholas' opinion:", as AN #95 writes it
    return f"{who}'s opinion:"


def tail_parts(row: dict[str, str], *, style: int) -> list[tuple[str, str]]:
    """(label, text) of the paragraphs after the summary: prerequisites, read more, opinions."""
    parts = []
    if row["Prerequisites"].strip():
        parts.append(("Prerequisites:", row["Prerequisites"].strip()))
    if row["Read more"].strip():
        parts.append(("Read more:", row["Read more"].strip()))
    for i, (who, text) in enumerate(split_opinions(row)):
        parts.append((opinion_label(who, i, style=style), text))
    return parts


def render_heading(text: str, *, top: bool, style: int) -> str:
    level = (1 if style % 2 == 0 else 2) if top else 3
    return f"<h{level}>{html.escape(text)}</h{level}>"


def render_csv_issue(label: str, rows: list[dict[str, str]], *, style: int = 0) -> str:
    """An issue's HTML with entries grouped by section; returns the HTML text."""
    order = ORDER
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
    order = ORDER
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
                        hat_tip=collapse(r["H/T"]) or None,
                        prerequisites=r["Prerequisites"].strip() or None,
                        read_more=r["Read more"].strip() or None,
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


# ---------------------------------------------------------------- Markdown and plain text


def grouped_rows(rows: list[dict[str, str]]) -> list[tuple[tuple[str, ...], list[dict[str, str]]]]:
    """(section path, rows) in the order render_csv_issue and expected_for use."""
    grouped: dict[tuple[str, ...], list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        grouped[section_for(row)].append(row)
    return [(k, grouped[k]) for top in ORDER for k in sorted(k for k in grouped if k[0] == top)]


def md_inline(text: str) -> str:
    """The CSV's light Markdown as forum Markdown: <@ref@> becomes a link."""
    text = re.sub(r"<(?!@)", r"\<", text)  # "<GRAPHS HERE>" is text, not an HTML tag
    return re.sub(r"<@(.+?)@>", r"[\1](https://example.org/ref)", text)


def plain_inline(text: str) -> str:
    """The CSV's light Markdown as the text a reader sees."""
    text = re.sub(r"<@(.+?)@>", r"\1", text)
    text = re.sub(r"\[([^\]\n]+)\]\(([^)\s]+)\)", r"\1", text)
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text)
    return re.sub(r"(?<![\w/])_(\S.*?\S|\S)_(?!\w)", r"\1", text)


def _md_escape(text: str) -> str:
    return re.sub(r"([*_\[\]<>`\\])", r"\\\1", text)


def _entry(
    head: str, row: dict[str, str], *, style: int, inline: Callable[[str], str], label: str = "{}"
) -> list[str]:
    """An entry's paragraphs in a text form, after its title and authors (`head`): the byline's
    summarizer and H/T, the summary, then opinions, prerequisites and read more (`label`
    formats their labels), each paragraph through the form's `inline`."""
    if collapse(row["Summarizer"]):
        head += f" (summarized by {collapse(row['Summarizer'])})"
    if row["H/T"].strip():
        head += f" (H/T {collapse(row['H/T'])})"
    paras = paragraphs(row["Summary"])
    out = [f"{head}: {inline(paras[0])}" if paras else head]
    out.extend(inline(p) for p in paras[1:])
    for name, text in tail_parts(row, style=style):
        ops = paragraphs(text)
        out.append(f"{label.format(name)} {inline(ops[0]) if ops else ''}".rstrip())
        out.extend(inline(p) for p in ops[1:])
    return out


def md_entry(row: dict[str, str], *, style: int) -> list[str]:
    title, url = collapse(row["Title"]), row["URL"].strip()
    if "](" in title:  # several links: "[A](…) and [B](…)", bold or not
        head = f"**{title}**" if style % 2 == 0 else title
    elif url:
        link = f"[{_md_escape(title)}]({url})"
        # AN #92 bolds linked titles, AN #82 not (there every entry has a byline: a lone
        # unbolded link is a paragraph of the summary before it)
        byline = collapse(row["Authors"]) or collapse(row["Summarizer"]) or row["H/T"].strip()
        head = f"**{link}**" if style % 3 or not byline else link
    else:
        head = f"**{_md_escape(title)}**"  # a bold title with no link
    if collapse(row["Authors"]):
        head += f" *({_md_escape(collapse(row['Authors']))})*"
    return _entry(head, row, style=style, inline=md_inline, label="**{}**")


def md_heading(text: str, *, top: bool, style: int) -> str:
    if style % 2:  # AN #92: capitals over a setext underline
        return f"{text.upper()}\n{('=' if top else '-') * len(text)}"
    if top:  # AN #82: bold over a setext underline
        return f"**{text}**\n{'=' * (len(text) + 4)}"
    return f"### **{text}**"


def render_csv_markdown(label: str, rows: list[dict[str, str]], *, style: int = 0) -> str:
    """An issue as the forum's Markdown cross-post (title not included, as in the corpora)."""
    out = [
        f"**Newsletter #{label.split('#')[-1]}**" if style % 2 else "",
        "Find all Alignment Newsletter resources [here](http://rohinshah.com/alignment-newsletter/).",
    ]
    top = None
    for key, group in grouped_rows(rows):
        if key[0] != top:
            top = key[0]
            out.append(md_heading(top, top=True, style=style))
        if len(key) > 1:
            out.append(md_heading(key[1], top=False, style=style))
        for i, row in enumerate(group):
            out.extend(md_entry(row, style=style + i))
    out += [
        "#### **FEEDBACK**",
        "I'm always happy to hear feedback; you can send it to me by **replying to this email**.",
    ]
    return "\n\n".join(p for p in out if p) + "\n"


def plain_entry(row: dict[str, str], *, style: int) -> list[str]:
    head = plain_inline(collapse(row["Title"]))
    if collapse(row["Authors"]):
        head += f" ({collapse(row['Authors'])})"
    return _entry(head, row, style=style, inline=plain_inline)


def render_csv_plain(label: str, rows: list[dict[str, str]], *, style: int = 0) -> str:
    """An issue as the forum's plain-text copy: one paragraph per line."""
    out = ["Find all Alignment Newsletter resources here."]
    top = None
    for key, group in grouped_rows(rows):
        if key[0] != top:
            top = key[0]
            out.append(top.upper() if style % 2 else top)
        if len(key) > 1:
            out.append(key[1].upper() if style % 2 else key[1])
        for i, row in enumerate(group):
            out.extend(plain_entry(row, style=style + i))
    return ("\n\n" if style % 3 == 0 else "\n").join(out) + "\n"


# ---------------------------------------------------------------- the e-mail's text version

RULE = "-" * 60


def mail_links(text: str, *, angle: bool) -> str:
    """The CSV's light Markdown as an e-mail's text version writes it: each link's words
    followed by its URL in parentheses (or angle brackets), emphasis dropped."""
    text = re.sub(r"<@(.+?)@>", r"[\1](https://example.org/ref)", text)
    fmt = r"\1 <\2>" if angle else r"\1 (\2)"
    text = re.sub(r"\[([^\]\n]+)\]\(([^)\s]+)\)", fmt, text)
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text)
    text = re.sub(r"^#{1,6}\s+", "", text)  # a heading in a summary: its words on a line
    return re.sub(r"(?<![\w/])_(\S.*?\S|\S)_(?!\w)", r"\1", text)


def mail_entry(row: dict[str, str], *, style: int, angle: bool) -> list[str]:
    head = mail_links(collapse(row["Title"]), angle=angle)
    url = row["URL"].strip()
    if url and "](" not in row["Title"]:
        head += f" <{url}>" if angle else f" ({url})"
    if collapse(row["Authors"]):
        head += f" ({collapse(row['Authors'])})"
    return _entry(head, row, style=style, inline=lambda text: mail_links(text, angle=angle))


def mail_heading(text: str, *, style: int) -> str:
    """Mailchimp's text version: "** NAME" over a rule; some converters only underline."""
    if style % 2:
        return f"** {text.upper()}\n{RULE}"
    return f"{text}\n{'=' * len(text)}"


def render_csv_mail(label: str, rows: list[dict[str, str]], *, style: int = 0) -> str:
    """An issue as the e-mail's text version: blank lines between paragraphs, headings
    marked, links as "Title (http://…)" (or "<http://…>"), the mail footer after a rule;
    some issues hard-wrapped, as a mail client may show them."""
    out = [
        "View this email in your browser (https://mailchi.mp/example/an)",
        "Find all Alignment Newsletter resources here (http://rohinshah.com/alignment-newsletter/).",
    ]
    top = None
    for key, group in grouped_rows(rows):
        if key[0] != top:
            top = key[0]
            out.append(mail_heading(top, style=style))
        if len(key) > 1:
            out.append(mail_heading(key[1], style=style))
        for i, row in enumerate(group):
            out.extend(mail_entry(row, style=style + i, angle=style % 3 == 1))
    if style % 4 == 3:  # as a mail client shows it: paragraphs wrapped at 76 columns
        out = [p if "\n" in p else _wrap(p) for p in out]
    out += [
        "=" * 60,
        "Copyright © 2020 Alignment Newsletter, All rights reserved.",
        "Want to change how you receive these emails?\nYou can update your preferences "
        "(https://example.org/profile) or unsubscribe from this list (https://example.org/u).",
    ]
    return "\n\n".join(out) + "\n"


def _wrap(paragraph: str) -> str:
    return "\n".join(textwrap.wrap(paragraph, 76, break_long_words=False, break_on_hyphens=False))


def html_to_mail_text(html_text: str, *, angle: bool = False, wrap: bool = False) -> str:
    """A rendered issue's HTML as its e-mail text version (links after their words,
    headings marked, `wrap`ped at 76 columns or not), for the real issues: read with
    BeautifulSoup, not the parser."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html_text, "lxml")
    for a in soup.find_all("a"):
        href = str(a.get("href") or "")
        a.replace_with(f"{a.get_text()} <{href}>" if angle else f"{a.get_text()} ({href})")
    out = []
    for el in soup.find_all(("p", "h1", "h2", "h3", "h4", "h5", "h6", "li")):
        if el.find(("p", "li")):
            continue
        text = collapse(el.get_text())
        if not text:
            continue
        heading = el.name.startswith("h")
        out.append(f"** {text}\n{RULE}" if heading else _wrap(text) if wrap else text)
    return "\n\n".join(out) + "\n"
