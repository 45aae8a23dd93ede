"""The publisher's pacer on a fake clock: spacing is counted from the end of each write."""

from __future__ import annotations

import pytest

from bot.publish import pacing
from bot.publish.pacing import Pacer


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(pacing.time, "monotonic", fake.monotonic)
    monkeypatch.setattr(pacing.asyncio, "sleep", fake.sleep)
    return fake


async def test_a_slow_write_still_leaves_a_full_interval_before_the_next(clock: FakeClock) -> None:
    pacer = Pacer(1.0)
    async with pacer:
        clock.now += 5.0  # the write waited out a 429 inside discord.py
    async with pacer:
        pass
    assert clock.sleeps == [1.0]


async def test_quick_writes_are_spaced_by_the_interval(clock: FakeClock) -> None:
    pacer = Pacer(0.5)
    for _ in range(3):
        async with pacer:
            clock.now += 0.1
    assert clock.sleeps == [0.5, 0.5]


async def test_time_already_passed_counts(clock: FakeClock) -> None:
    pacer = Pacer(1.0)
    async with pacer:
        pass
    clock.now += 3.0  # nothing to write for a while
    async with pacer:
        pass
    assert clock.sleeps == []
