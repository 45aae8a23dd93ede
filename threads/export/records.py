"""The JSON text of one comment, shared by the JSON and JSONL exports (see schema.json).

Ids are strings: snowflakes exceed the 2**53 integers JavaScript can hold exactly, which is why
Discord's own API sends them as strings too. The object is assembled from pieces encoded by the
json module's C string encoder: building a dict and calling json.dumps per comment cost about
three times as much at 100k comments.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring  # C-accelerated
from typing import Any

from threads.export._common import shown
from threads.model import CommentNode
from threads.timeutil import iso


def dumps(value: Any) -> str:
    """json.dumps(ensure_ascii=False) made safe for line-based readers (see line_safe)."""
    return line_safe(json.dumps(value, ensure_ascii=False))


def line_safe(text: str) -> str:
    """Escape NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR.

    The json module leaves them raw, but str.splitlines() and pre-2019 JavaScript treat them as
    line breaks: a JSONL line holding one would split in two.
    """
    if "\x85" in text or "\u2028" in text or "\u2029" in text:
        text = text.replace("\x85", "\\u0085").replace("\u2028", "\\u2028")
        text = text.replace("\u2029", "\\u2029")
    return text


def _str(value: str | None) -> str:
    return "null" if value is None else encode_basestring(value)


def _sid(value: int | None) -> str:
    return "null" if value is None else f'"{value}"'


def _bool(value: bool) -> str:
    return "true" if value else "false"


def comment_json_open(node: CommentNode, parent: CommentNode | None, prefix: str = "") -> str:
    """The comment's JSON object without its closing brace; `prefix` is raw leading members."""
    record = node.record
    view = shown(record)
    if view.author is None and view.author_id is None:
        author = "null"
    else:
        author = f'{{"id": {_sid(view.author_id)}, "name": {_str(view.author)}}}'
    attachments = ", ".join(encode_basestring(url) for url in view.attachments)
    revisions = (
        ", ".join(
            f'{{"content": {encode_basestring(r.content)}, "edited_at": "{iso(r.edited_at)}"}}'
            for r in record.revisions
        )
        if view.revisions_visible
        else ""
    )
    edited = iso(record.edited_at)
    return line_safe(
        f'{{{prefix}"id": "{record.id}", '
        f'"parent_id": {"null" if parent is None else _sid(parent.record.id)}, '
        f'"depth": {node.depth}, "author": {author}, "content": {_str(view.content)}, '
        f'"created_at": "{iso(record.created_at)}", '
        f'"edited_at": {"null" if edited is None else f"{chr(34)}{edited}{chr(34)}"}, '
        f'"deleted": {_bool(record.deleted)}, "score": {int(record.score)}, '
        f'"attachments": [{attachments}], "revisions": [{revisions}], '
        f'"is_starter": {_bool(record.is_starter)}, "is_new": {_bool(node.is_new)}, '
        f'"edited_since": {_bool(node.edited_since)}'
    )
