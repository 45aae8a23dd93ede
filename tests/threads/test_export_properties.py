"""Property tests: any forest, every order, every format — each comment exactly once, depths
consistent with the tree, JSON valid against the published schema."""

from __future__ import annotations

import json
from datetime import timedelta
from importlib.resources import files
from typing import Any

import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.threads.helpers import (
    csv_facts,
    html_articles,
    json_facts,
    jsonl_facts,
    markdown_ids,
    visual,
)
from tests.threads.strategies import BASE, records
from threads.export import export
from threads.model import CommentRecord, ThreadInfo
from threads.order import ORDERS, Order
from threads.tree import build_tree, prune_deleted, walk_with_parent

INFO = ThreadInfo(id=42, title="a thread", url="https://discord.com/channels/1/2/42")


def schema() -> dict[str, Any]:
    text = files("threads.export").joinpath("schema.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


SCHEMA = schema()
DOC_VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
LINE_VALIDATOR = jsonschema.Draft202012Validator(
    {"$defs": SCHEMA["$defs"], "$ref": "#/$defs/flat_comment"}
)


def expected(
    rows: list[CommentRecord], order: Order, *, pruned: bool = True
) -> list[tuple[int, int | None, int]]:
    """(id, parent, depth) in walk order; exports leave out tombstones with nothing live below."""
    roots = build_tree(rows)
    return [
        (n.record.id, None if p is None else p.record.id, n.depth)
        for n, p in walk_with_parent(prune_deleted(roots) if pruned else roots, order)
    ]


def render(fmt: str, rows: list[CommentRecord], order: Order, since: int | None) -> str:
    moment = None if since is None else BASE + timedelta(minutes=since)
    return "".join(export(fmt, INFO, rows, order=order, since=moment))  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(rows=records(), order=st.sampled_from(ORDERS))
def test_tree_holds_every_record_once_with_consistent_depths(
    rows: list[CommentRecord], order: Order
) -> None:
    by_id = {r.id: r for r in rows}
    facts = expected(rows, order, pruned=False)
    assert sorted(i for i, _p, _d in facts) == sorted(by_id)
    depth = {i: d for i, _p, d in facts}
    parent_of = {i: p for i, p, _d in facts}
    for cid, parent, d in facts:
        assert d == (0 if parent is None else depth[parent] + 1)
        claimed = by_id[cid].parent_id
        if parent != claimed:
            # Only repairs: no such parent, itself, or a loop (claimed parent lies below it).
            assert parent is None
            ancestor = parent_of.get(claimed) if claimed in by_id else None
            chain = set()
            while ancestor is not None and ancestor not in chain:
                chain.add(ancestor)
                ancestor = parent_of[ancestor]
            assert claimed not in by_id or claimed == cid or cid in chain | {claimed}


@settings(max_examples=100, deadline=None)
@given(
    rows=records(),
    order=st.sampled_from(ORDERS),
    since=st.none() | st.integers(0, 10_000),
)
def test_every_format_holds_every_comment_once(
    rows: list[CommentRecord], order: Order, since: int | None
) -> None:
    facts = expected(rows, order)

    assert csv_facts(render("csv", rows, order, since)) == facts
    assert jsonl_facts(render("jsonl", rows, order, since)) == facts

    document = json.loads(render("json", rows, order, since))
    DOC_VALIDATOR.validate(document)
    assert json_facts(json.dumps(document)) == facts
    shown = {i for i, _p, _d in facts}
    assert document["comment_count"] == sum(1 for r in rows if r.id in shown and not r.is_starter)

    for line in render("jsonl", rows, order, since).splitlines():
        LINE_VALIDATOR.validate(json.loads(line))

    assert markdown_ids(render("markdown", rows, order, since)) == [
        (i, visual(d)) for i, _p, d in facts
    ]
    assert html_articles(render("html", rows, order, since)) == [
        (i, visual(d)) for i, _p, d in facts
    ]


def test_a_20k_deep_chain_exports_in_every_format_with_capped_indentation() -> None:
    n = 20_000
    rows = [
        CommentRecord(i, i - 1 if i > 1 else None, 1, "u", "t", BASE + timedelta(seconds=i))
        for i in range(1, n + 1)
    ]
    facts = [(i, i - 1 if i > 1 else None, i - 1) for i in range(1, n + 1)]
    assert csv_facts(render("csv", rows, "old", None)) == facts
    assert jsonl_facts(render("jsonl", rows, "old", None)) == facts
    document = render("json", rows, "old", None)
    assert document.count('"parent_id": ') == n
    assert document.endswith("]}" * (n + 1) + "\n")
    markdown = markdown_ids(render("markdown", rows, "old", None))
    assert markdown == [(i, visual(d)) for i, _p, d in facts]
    assert html_articles(render("html", rows, "old", None)) == markdown
