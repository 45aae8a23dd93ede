"""Fault injection for REST calls: 429s (with Discord's headers), 5xx, slow answers.

Rules match an HTTP method ("*" for any) and a regex searched in the path after
``/api/v10`` (e.g. ``r"/channels/\\d+/messages$"``); each fires ``times`` times.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Literal

from aiohttp import web

from sandbox.rest.common import json_response


@dataclass
class FaultRule:
    kind: Literal["rate_limit", "fail", "delay"]
    method: str
    pattern: re.Pattern[str]
    times: int
    retry_after: float = 0.0
    scope: str = "user"
    status: int = 500
    seconds: float = 0.0
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        return (
            self.fired < self.times
            and self.method in ("*", method.upper())
            and self.pattern.search(path) is not None
        )


class Faults:
    def __init__(self) -> None:
        self.rules: list[FaultRule] = []

    def _add(self, rule: FaultRule) -> FaultRule:
        self.rules.append(rule)
        return rule

    def rate_limit(
        self,
        method: str,
        path_regex: str,
        times: int = 1,
        retry_after: float = 0.2,
        scope: Literal["user", "global", "shared"] = "user",
    ) -> FaultRule:
        return self._add(
            FaultRule(
                "rate_limit",
                method.upper(),
                re.compile(path_regex),
                times,
                retry_after=retry_after,
                scope=scope,
            )
        )

    def fail(self, method: str, path_regex: str, status: int = 500, times: int = 1) -> FaultRule:
        return self._add(
            FaultRule("fail", method.upper(), re.compile(path_regex), times, status=status)
        )

    def delay(self, method: str, path_regex: str, seconds: float, times: int = 1) -> FaultRule:
        return self._add(
            FaultRule("delay", method.upper(), re.compile(path_regex), times, seconds=seconds)
        )

    def clear(self) -> None:
        self.rules.clear()

    def take(self, method: str, path: str) -> list[FaultRule]:
        """The rules that fire for this call: every matching delay, then at most one error
        (rules queue up: the next call gets the next error)."""
        fired = []
        error_fired = False
        for rule in self.rules:
            if not rule.matches(method, path) or (rule.kind != "delay" and error_fired):
                continue
            rule.fired += 1
            fired.append(rule)
            error_fired = error_fired or rule.kind != "delay"
        return fired


def rate_limited_response(rule: FaultRule) -> web.Response:
    """A 429 as Discord sends it; ``Via`` is what tells discord.py it is not a Cloudflare ban."""
    is_global = rule.scope == "global"
    body = {
        "message": "You are being rate limited.",
        "retry_after": rule.retry_after,
        "global": is_global,
        "code": 0,
    }
    headers = {
        "Via": "1.1 google",
        "Retry-After": str(max(1, int(rule.retry_after + 0.999))),
        "X-RateLimit-Limit": "5",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": f"{time.time() + rule.retry_after:.3f}",
        "X-RateLimit-Reset-After": f"{rule.retry_after:.3f}",
        "X-RateLimit-Bucket": "sandbox-fault",
        "X-RateLimit-Scope": rule.scope,
    }
    if is_global:
        headers["X-RateLimit-Global"] = "true"
    return json_response(body, status=429, headers=headers)


def failure_response(rule: FaultRule) -> web.Response:
    return json_response(
        {"message": f"{rule.status}: injected failure", "code": 0}, status=rule.status
    )
