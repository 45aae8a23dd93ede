"""The record of every REST call the bot made, for tests to assert on, and the hook that
lets a test suite see every call of every sandbox (``OBSERVERS``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class LoggedCall:
    method: str
    path: str  # after /api/v10, with the query string
    status: int
    request_json: Any
    response_json: Any
    at: datetime


OBSERVERS: list[Callable[[LoggedCall], None]] = []
"""Called with each call any sandbox records (tests/conftest.py checks them against the spec)."""


class CallLog(list[LoggedCall]):
    """A list of LoggedCall with small finders; appending tells ``OBSERVERS``."""

    def append(self, call: LoggedCall) -> None:
        super().append(call)
        for observer in OBSERVERS:
            observer(call)

    def find(
        self, method: str | None = None, path_regex: str | None = None, status: int | None = None
    ) -> list[LoggedCall]:
        pattern = re.compile(path_regex) if path_regex else None
        return [
            c
            for c in self
            if (method is None or c.method == method.upper())
            and (pattern is None or pattern.search(c.path))
            and (status is None or c.status == status)
        ]
