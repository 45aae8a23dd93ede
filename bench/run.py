"""Run every bench/bench_*.py module's run() and print one table of ratios.

    python -m bench.run            # all benchmarks
    python -m bench.run export     # only bench_export.py

Exit status 1 when a result misses its target.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.common import Result, human_value, ratio_text, write_results

BENCH_DIR = Path(__file__).resolve().parent


def discover(only: list[str]) -> list[str]:
    names = sorted(path.stem for path in BENCH_DIR.glob("bench_*.py"))
    if only:
        names = [n for n in names if n.removeprefix("bench_") in only or n in only]
    return names


def table(results: list[Result]) -> Table:
    out = Table(title="anbot benchmarks (ratios to a baseline measured in the same run)")
    for column in ("name", "metric", "value", "baseline", "ratio", "target", "verdict"):
        out.add_column(column, justify="right" if column in ("ratio", "target") else "left")
    for r in results:
        verdict = {True: "[green]pass[/]", False: "[red]FAIL[/]", None: "info"}[r.passed]
        target = "—" if r.target is None else f"≤ {ratio_text(r.target)}"
        out.add_row(
            r.name,
            r.metric,
            human_value(r.value, r.unit),
            human_value(r.baseline, r.unit),
            ratio_text(r.ratio),
            target,
            verdict,
        )
    return out


def main(argv: list[str]) -> int:
    console = Console(width=150)
    every: list[Result] = []
    for name in discover(argv):
        module = importlib.import_module(f"bench.{name}")
        console.print(f"running {name} …")
        results: list[Result] = module.run()
        path = write_results(name.removeprefix("bench_"), results)
        console.print(f"  wrote {path.relative_to(BENCH_DIR.parent)}")
        every.extend(results)
    console.print(table(every))
    for r in every:  # what a ratio does not say: counts, the slowest queries, import times
        if r.note:
            console.print(f"{r.name}: {r.note}", highlight=False)
    return 1 if any(r.passed is False for r in every) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
