"""Readers that parse each export format back into (id, parent id, depth) facts."""

from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser
from typing import Any

from threads.export._common import MAX_VISUAL_DEPTH

Fact = tuple[int, int | None, int]  # id, parent id, depth

MD_HEADER = re.compile(
    r"^(?P<quotes>(?:> )*)(?:\*\*.*\*\*|\*\\\[deleted\\\]\*) · \d{4}-\d\d-\d\d \d\d:\d\d UTC"
    r" · score -?\d+(?: · .*)? · id (?P<id>\d+)(?: · ↪ reply to id (?P<parent>\d+))?$",
    re.MULTILINE,
)


def csv_facts(text: str) -> list[Fact]:
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    return [
        (int(r["id"]), int(r["parent_id"]) if r["parent_id"] else None, int(r["depth"]))
        for r in rows
    ]


def json_comments(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Comments of a JSON export in document (pre-)order, walking `replies` iteratively."""
    out: list[dict[str, Any]] = []
    stack = list(reversed(document["comments"]))
    while stack:
        comment = stack.pop()
        out.append(comment)
        stack.extend(reversed(comment["replies"]))
    return out


def json_facts(text: str) -> list[Fact]:
    return [
        (int(c["id"]), int(c["parent_id"]) if c["parent_id"] else None, c["depth"])
        for c in json_comments(json.loads(text))
    ]


def jsonl_facts(text: str) -> list[Fact]:
    lines = [json.loads(line) for line in text.splitlines()]
    return [
        (int(c["id"]), int(c["parent_id"]) if c["parent_id"] else None, c["depth"]) for c in lines
    ]


def markdown_ids(text: str) -> list[tuple[int, int]]:
    """(id, quote depth) of every comment header line."""
    return [(int(m["id"]), len(m["quotes"]) // 2) for m in MD_HEADER.finditer(text)]


class ArticleNesting(HTMLParser):
    """(comment id, number of enclosing <article>s) for every <article id="c…">."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.articles: list[tuple[int, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "article":
            ident = dict(attrs).get("id") or ""
            self.articles.append((int(ident[1:]), self.stack.count("article")))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()


VOID = {"meta", "br", "img", "input", "link", "hr"}


def html_articles(text: str) -> list[tuple[int, int]]:
    parser = ArticleNesting()
    parser.feed(text)
    parser.close()
    assert parser.stack == [], f"unclosed elements: {parser.stack}"
    return parser.articles


def visual(depth: int) -> int:
    return min(depth, MAX_VISUAL_DEPTH)
