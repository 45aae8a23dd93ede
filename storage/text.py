"""The one text cleaner at the storage boundary: what PostgreSQL refuses never reaches a table.

PostgreSQL's text and jsonb refuse NUL (U+0000); neither backend can encode a lone surrogate
(U+D800–U+DFFF, which feedparser yields for `&#xD800;`) as UTF-8. SQLite would store a NUL and
cut the text at it in some functions, so both backends get the same cleaned text: NULs removed,
lone surrogates replaced by U+FFFD. Feed entries and database rows are cleaned as they enter
storage (before their content hashes are compared, so a cleaned entry is not "changed" on every
poll), and every ORM row is cleaned again on flush as a safety net for the rest.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapper

T = TypeVar("T")

_REFUSED = re.compile("[\x00\ud800-\udfff]")


def _replacement(match: re.Match[str]) -> str:
    return "" if match.group() == "\x00" else "\ufffd"


def clean_text(text: str) -> str:
    """`text` without NULs, its lone surrogates replaced by U+FFFD."""
    return _REFUSED.sub(_replacement, text) if _REFUSED.search(text) else text


def clean(value: T) -> T:
    """`value` with every string in it cleaned: str, list, tuple, dict, dataclass (a copy)."""
    cleaned: T = _clean(value)
    return cleaned


# Values with no text in them, returned as they are without further tests (most of a row).
_PLAIN = frozenset({int, float, bool, type(None), datetime, date, bytes})


def _clean(value: Any) -> Any:
    kind = type(value)
    if kind is str:
        return _REFUSED.sub(_replacement, value) if _REFUSED.search(value) else value
    if kind in _PLAIN:
        return value
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_clean(v) for v in value)
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for f in dataclasses.fields(value):
            if not f.init:
                continue
            old = getattr(value, f.name)
            new = _clean(old)
            if new is not old and new != old:
                changes[f.name] = new
        return dataclasses.replace(value, **changes) if changes else value
    return value


def _clean_row(_mapper: Mapper[Any], _connection: sa.Connection, target: Any) -> None:
    for attr in sa.inspect(target).mapper.column_attrs:
        value = getattr(target, attr.key, None)
        if isinstance(value, str | list | dict):
            cleaned = _clean(value)
            if cleaned != value:
                setattr(target, attr.key, cleaned)


def clean_on_flush(base: type) -> None:
    """Clean every string column (and JSON value) of every mapped subclass of `base` on
    INSERT and UPDATE."""
    event.listen(base, "before_insert", _clean_row, propagate=True)
    event.listen(base, "before_update", _clean_row, propagate=True)
