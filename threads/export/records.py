"""The JSON shape of one comment, shared by the JSON and JSONL exports (see schema.json).

Ids are strings: snowflakes exceed the 2**53 integers JavaScript can hold exactly, which is why
Discord's own API sends them as strings too.
"""

from __future__ import annotations

import json
from typing import Any

from threads.export._common import shown
from threads.model import CommentNode
from threads.timeutil import iso


def _sid(value: int | None) -> str | None:
    return None if value is None else str(value)


def comment_fields(node: CommentNode, parent: CommentNode | None) -> dict[str, Any]:
    """Every field of a comment except ``replies``; `parent` is its parent in the tree."""
    record = node.record
    view = shown(record)
    return {
        "id": str(record.id),
        "parent_id": None if parent is None else str(parent.record.id),
        "depth": node.depth,
        "author": None
        if view.author is None and view.author_id is None
        else {"id": _sid(view.author_id), "name": view.author},
        "content": view.content,
        "created_at": iso(record.created_at),
        "edited_at": iso(record.edited_at),
        "deleted": record.deleted,
        "score": record.score,
        "attachments": list(view.attachments),
        "revisions": [
            {"content": revision.content, "edited_at": iso(revision.edited_at)}
            for revision in record.revisions
        ]
        if view.revisions_visible
        else [],
        "is_starter": record.is_starter,
        "is_new": node.is_new,
        "edited_since": node.edited_since,
    }


def dumps(value: Any) -> str:
    """Compact-ish UTF-8 JSON that never contains a character some reader takes for a line end.

    json.dumps escapes the C0 controls but leaves NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR,
    which str.splitlines() and pre-2019 JavaScript treat as line breaks: a JSONL line would split.
    """
    text = json.dumps(value, ensure_ascii=False)
    if "\x85" in text or "\u2028" in text or "\u2029" in text:
        text = text.replace("\x85", "\\u0085").replace("\u2028", "\\u2028")
        text = text.replace("\u2029", "\\u2029")
    return text
