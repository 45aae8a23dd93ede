"""Timing and memory helpers shared by the benchmarks; results are ratios to a baseline
measured in the same run, so they mean the same on any machine."""

from __future__ import annotations

import gc
import json
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TypeVar

RESULTS_DIR = Path(__file__).resolve().parent / "results"
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Result:
    name: str  # what was measured, e.g. "export markdown"
    metric: str  # what the ratio compares, e.g. "time / json.dumps"
    value: float  # measured figure, in `unit`
    baseline: float  # the same-run reference, in `unit`
    unit: str  # "s" or "bytes"
    target: float | None  # the ratio must be at most this; None = informational
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.baseline else float("inf")

    @property
    def passed(self) -> bool | None:
        return None if self.target is None else self.ratio <= self.target


def best_of(function: Callable[[], object], repeat: int = 3) -> float:
    """Fastest wall time in seconds of `repeat` runs (the least disturbed by other load)."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def timed(function: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of one run, after a full collection."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    function()
    return time.perf_counter() - wall, time.process_time() - cpu


def peak_memory(function: Callable[[], T]) -> tuple[T, int]:
    """(result, peak bytes allocated by Python while it ran), measured with tracemalloc."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        result = function()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return result, peak - before


def ratio_text(ratio: float) -> str:
    return f"{ratio:.2f}×" if ratio >= 0.01 else f"{ratio:.4f}×"


def human_value(value: float, unit: str) -> str:
    if unit == "bytes":
        for scale, suffix in ((2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
            if value >= scale:
                return f"{value / scale:.1f} {suffix}"
        return f"{value:.0f} B"
    if unit == "s":
        return f"{value * 1000:.0f} ms" if value < 10 else f"{value:.1f} s"
    return f"{value:g} {unit}"


def write_results(name: str, results: list[Result]) -> Path:
    """bench/results/<name>.json with every figure and its ratio and verdict."""
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    rows = [{**asdict(r), "ratio": r.ratio, "passed": r.passed} for r in results]
    path.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return path
