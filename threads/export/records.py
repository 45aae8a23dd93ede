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

from threads.export._common import iso_z
from threads.model import CommentNode


def dumps(value: Any) -> str:
    """json.dumps(ensure_ascii=False) made safe for line-based readers (see line_safe)."""
    return line_safe(json.dumps(value, ensure_ascii=False))


def line_safe(text: str) -> str:
    """Escape NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR.

    The json module leaves them raw, but str.splitlines() and pre-2019 JavaScript treat them as
    line breaks: a JSONL line holding one would split in two. Outside strings JSON text never
    holds them, so this may run on any stretch of JSON text: renderers run it once per chunk.
    """
    if "\x85" in text or "\u2028" in text or "\u2029" in text:
        text = text.replace("\x85", "\\u0085").replace("\u2028", "\\u2028")
        text = text.replace("\u2029", "\\u2029")
    return text


_BOOL = ("false", "true")  # indexed by a bool


def comment_json_open(node: CommentNode, parent: CommentNode | None, prefix: str = "") -> str:
    """The comment's JSON object without its closing brace; `prefix` is raw leading members.

    Not yet line_safe: callers pass the text through line_safe (per chunk, which is cheaper).
    A tombstone (deleted) shows no author, text, attachments or revisions.
    """
    record = node.record
    enc = encode_basestring
    if record.deleted:
        author = content = "null"
        attachments = revisions = ""
    else:
        author_id, name = record.author_id, record.author_name
        if author_id is None and name is None:
            author = "null"
        else:
            author = (
                '{"id": '
                + ("null" if author_id is None else f'"{author_id}"')
                + ', "name": '
                + ("null" if name is None else enc(name))
                + "}"
            )
        content = '""' if record.content is None else enc(record.content)
        attachments = ", ".join(map(enc, record.attachments)) if record.attachments else ""
        revisions = (
            ", ".join(
                f'{{"content": {enc(r.content)}, "edited_at": "{iso_z(r.edited_at)}"}}'
                for r in record.revisions
            )
            if record.revisions
            else ""
        )
    edited = "null" if record.edited_at is None else f'"{iso_z(record.edited_at)}"'
    parent_id = "null" if parent is None else f'"{parent.record.id}"'
    return (
        f'{{{prefix}"id": "{record.id}", "parent_id": {parent_id}, "depth": {node.depth}, '
        f'"author": {author}, "content": {content}, '
        f'"created_at": "{iso_z(record.created_at)}", "edited_at": {edited}, '
        f'"deleted": {_BOOL[record.deleted]}, "score": {int(record.score)}, '
        f'"attachments": [{attachments}], "revisions": [{revisions}], '
        f'"is_starter": {_BOOL[record.is_starter]}, "is_new": {_BOOL[node.is_new]}, '
        f'"edited_since": {_BOOL[node.edited_since]}'
    )
