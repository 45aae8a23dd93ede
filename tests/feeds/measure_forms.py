"""Per-form field accuracy of the issue parser over every issue of the summaries database.

Run: python -m tests.feeds.measure_forms. Renders all issues in each form (an_render), parses
them back and prints, per form, the share of entries found with each field right, the share
with every field right, and the paragraphs lost (must be 0).
"""

from __future__ import annotations

from collections import Counter

from feeds.issue import parse_issue_text
from tests.feeds.an_render import (
    expected_for,
    render_csv_issue,
    render_csv_mail,
    render_csv_markdown,
    render_csv_plain,
    rows_by_issue,
)
from tests.feeds.issue_check import (
    html_paragraphs,
    lost_paragraphs,
    markdown_paragraphs,
    norm,
    text_paragraphs,
)

FORMS = {
    "html": (render_csv_issue, html_paragraphs),
    "markdown": (render_csv_markdown, markdown_paragraphs),
    "text": (render_csv_plain, text_paragraphs),  # the forum's text copy: no links
    # the e-mail's text version: links; paragraphs between blank lines, as in Markdown
    "mail": (render_csv_mail, markdown_paragraphs),
}
FIELDS = ("title", "section_path", "authors", "summarizer", "hat_tip", "link", "summary",
          "opinions", "prerequisites", "read_more")  # fmt: skip


def measure(form: str) -> tuple[int, Counter[str], int, int]:
    render, paragraphs = FORMS[form]
    right: Counter[str] = Counter()
    total = lost = 0
    for label, rows in sorted(rows_by_issue().items()):
        body = render(label, rows, style=sum(map(ord, label)))
        issue = parse_issue_text(body, title=f"[{label}]: x")
        links = form == "mail"  # link targets after their words: "(http://…)"
        lost += len(lost_paragraphs(paragraphs(body), issue, text_links=links))
        by_title = {norm(s.title): s for s in issue.summaries}
        for e in expected_for(rows):
            total += 1
            s = by_title.get(norm(e.title))
            if s is None:
                continue
            ok = {
                "title": True,
                "section_path": s.section_path == e.section_path,
                "authors": s.authors == e.authors,
                "summarizer": s.summarizer == e.summarizer,
                "hat_tip": s.hat_tip == e.hat_tip,
                "link": form == "text" or s.link == e.link,  # the forum's text copy has no links
                "summary": norm(s.summary, text_links=links) == norm(e.summary, text_links=links),
                "opinions": [(o.by, norm(o.text, text_links=links)) for o in s.opinions]
                == [(by, norm(t, text_links=links)) for by, t in e.opinions],
                "prerequisites": norm(s.prerequisites, text_links=links)
                == norm(e.prerequisites, text_links=links),
                "read_more": norm(s.read_more, text_links=links)
                == norm(e.read_more, text_links=links),
            }
            right.update(name for name, good in ok.items() if good)
            right["all"] += all(ok.values())
    return total, right, lost, len(rows_by_issue())


def main() -> None:
    for form in FORMS:
        total, right, lost, issues = measure(form)
        fields = " ".join(f"{f}={right[f] / total:.1%}" for f in FIELDS)
        print(
            f"{form}: {issues} issues, {total} entries; all fields right {right['all'] / total:.2%}"
        )
        print(f"  {fields}; paragraphs lost: {lost}")


if __name__ == "__main__":
    main()
