"""`anbot` start-up as a user meets it: whole processes, against `python -c pass`.

Commands (each a fresh `python -c "from bot.cli import main; main()" ARGS` process, as the
`anbot` script runs): `--help`; `search HARKing` and `issue 56` on an SQLite database holding the
imported summaries database (1,956 summaries); `export` of a 1,000-comment thread to stdout.
Each is run `runs` times (10) alternately with `python -c pass`, so both see the same machine
load; the figure is the median of each, the ratio command ÷ pass. Targets: --help ≤ 10×
(Typer alone is ~5×), search and issue ≤ 20×, export ≤ 25×.

A busy machine stretches the wall time of a long process more than that of a short one, so the
ratio of CPU times (user + system, from the children's rusage) is printed beside it: the load
stretches it much less. Beside it too, the import-time top 5 (`python -X importtime`, self time
summed per top-level package): where a start-up still goes.
"""

from __future__ import annotations

import asyncio
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

from bench.common import Result

ROOT = Path(__file__).resolve().parent.parent
CSV = ROOT / "tests" / "data" / "an-summaries-database.csv"
SEED = ROOT / "tests" / "data" / "seed-issue-with-comments.txt"
CLI = "from bot.cli import main; main()"
THREAD = 4242
TARGETS = {"help": 10.0, "search": 20.0, "issue": 20.0, "export": 25.0}
_IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)")


async def _prepare(url: str, *, summaries_csv: Path | None, comments: int) -> None:
    from storage.comments import apply_events
    from storage.comments.events import MessageUpsert
    from storage.db import Database
    from storage.importer import import_database
    from storage.ingest import ingest_file
    from storage.threads import upsert_thread

    db = Database(url)
    try:
        await db.upgrade()
        if summaries_csv is not None:
            await import_database(db, summaries_csv)
        else:  # the tests' small variant: one issue, AN #56
            await ingest_file(db, SEED, number=56)
        t0 = datetime(2024, 5, 1, tzinfo=UTC)
        events = [
            MessageUpsert(
                message_id=10_000 + n,
                thread_id=THREAD,
                author_id=1 + n % 7,
                author_name=f"user{n % 7}",
                content=f"comment {n}: a reply about reward modelling and its failure modes",
                created_at=t0 + timedelta(seconds=n),
                parent_id=10_000 + (n - 1) // 3 if n else None,  # a tree three wide
            )
            for n in range(comments)
        ]
        async with db.session() as session:
            await upsert_thread(session, thread_id=THREAD, guild_id=1, channel_id=2, name="bench")
            await apply_events(session, events)
            await session.commit()
    finally:
        await db.dispose()


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(argv: Sequence[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one process."""
    cpu = _children_cpu()
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{argv[3:]} failed: {done.stderr.decode(errors='replace')[-500:]}")
    return elapsed, _children_cpu() - cpu


def import_top(args: Sequence[str], env: dict[str, str], cwd: Path, count: int = 5) -> str:
    """ "sqlalchemy 310 ms, storage 90 ms, …": self import time summed per top-level package."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", CLI, *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    per_package: Counter[str] = Counter()
    for match in _IMPORT_LINE.finditer(done.stderr):
        per_package[match.group(2).split(".")[0]] += int(match.group(1))
    total = sum(per_package.values())
    top = ", ".join(f"{name} {us / 1000:.0f} ms" for name, us in per_package.most_common(count))
    return f"imports {total / 1000:.0f} ms: {top}"


def run(runs: int = 10, comments: int = 1_000, summaries_csv: Path | None = CSV) -> list[Result]:
    commands = {
        "help": ["--help"],
        "search": ["search", "HARKing"],
        "issue": ["issue", "56"],
        "export": ["export", str(THREAD)],
    }
    results: list[Result] = []
    with TemporaryDirectory(prefix="anbot-bench-cli-") as tmp:
        folder = Path(tmp)
        url = f"sqlite+aiosqlite:///{folder / 'anbot.db'}"
        asyncio.run(_prepare(url, summaries_csv=summaries_csv, comments=comments))
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("ANBOT_")},
            "ANBOT_DATABASE_URL": url,
            "PYTHONPATH": str(ROOT),
            "XDG_STATE_HOME": str(folder / "state"),
        }
        baseline_argv = [sys.executable, "-c", "pass"]
        for key, args in commands.items():
            argv = [sys.executable, "-c", CLI, *args]
            _timed(argv, env, folder)  # warm the OS caches and the bytecode once
            own: list[tuple[float, float]] = []
            base: list[tuple[float, float]] = []
            for _ in range(runs):
                base.append(_timed(baseline_argv, env, folder))
                own.append(_timed(argv, env, folder))
            cpu_ratio = statistics.median(c for _, c in own) / max(
                statistics.median(c for _, c in base), 1e-6
            )
            label = {"export": f"export {comments:,}-comment thread"}.get(key, " ".join(args))
            results.append(
                Result(
                    name=f"anbot {label}",
                    metric=f"process median of {runs} / python -c pass",
                    value=statistics.median(w for w, _ in own),
                    baseline=statistics.median(w for w, _ in base),
                    unit="s",
                    target=TARGETS[key],
                    note=f"CPU time {cpu_ratio:.1f}×; {import_top(args, env, folder)}",
                )
            )
    return results


if __name__ == "__main__":
    for result in run():
        print(f"{result.name}: {result.ratio:.1f}× (target ≤ {result.target}×) — {result.note}")
