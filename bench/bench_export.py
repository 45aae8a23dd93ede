"""Export a synthetic 100k-comment thread to every format.

Time: streaming the export to a file, as a ratio to json.dumps of the same rows (plain dicts
prepared beforehand, written to a file the same way) — the cheapest possible serialization of
the data, done in C. Target ≤ 3× (build tree + sort + render, in Python).

Memory: tracemalloc peak while rendering from an already built tree, as a ratio to the size of
the output: a streamed export holds one comment's chunk at a time, so the ratio is tiny; the
same output joined into one string first (shown as a contrast) costs more than the whole output.
"""

from __future__ import annotations

import json
import os
import random
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from bench.common import Result, peak_memory, timed
from threads.export import FORMATS, Format, export, format_info
from threads.model import CommentRecord, Revision, ThreadInfo
from threads.timeutil import iso
from threads.tree import build_tree

INFO = ThreadInfo(id=1_200_000_000_000_000_000, title="Synthetic 100k thread", url=None)
# Plain prose with some markup-like and non-ASCII words; about one link per comment.
WORDS = [
    *[
        "alignment",
        "reward",
        "model",
        "agent",
        "preference",
        "inverse",
        "learning",
        "safety",
        "robustness",
        "human",
    ],
    *[
        "value",
        "interpretability",
        "optimization",
        "the",
        "of",
        "and",
        "to",
        "a",
        "in",
        "is",
        "that",
        "for",
        "it",
        "as",
        "with",
    ],
    *["<b>markup</b>", "&", '"quotes"', "café", "—"],
]
LINK = "https://example.org/paper?id=56&x=1"
STREAMED: tuple[Format, ...] = ("markdown", "csv", "jsonl")


def synthetic_thread(n: int = 100_000, seed: int = 56) -> list[CommentRecord]:
    """A deep and wide mix: a 10k-deep reply chain, a few 2k-reply fans, a random reply tree."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    first = 1_200_000_000_000_000_001
    parents: list[int | None] = []
    chain, fans = n // 10, 5
    fan_roots = [rng.randrange(chain, n // 2) for _ in range(fans)]
    for i in range(n):
        if i == 0 or rng.random() < 0.02:
            parents.append(None)
        elif i < chain:
            parents.append(first + i - 1)  # one long chain
        elif rng.random() < 0.1:
            parents.append(first + rng.choice(fan_roots[: max(1, (i * fans) // n)]))
        else:
            parents.append(first + rng.randrange(i))  # random earlier comment
    rows = []
    for i, parent in enumerate(parents):
        deleted = rng.random() < 0.03
        size = rng.choice((8, 30, 60, 120))
        words = rng.choices(WORDS, k=size)
        words[rng.randrange(size)] = LINK if rng.random() < 0.8 else words[0]
        text = " ".join(words)
        created = start + timedelta(seconds=i * 7)
        edited = created + timedelta(minutes=5) if rng.random() < 0.1 else None
        rows.append(
            CommentRecord(
                id=first + i,
                parent_id=parent,
                author_id=None if deleted else 10_000 + rng.randrange(500),
                author_name=None if deleted else f"user_{rng.randrange(500)}",
                content=None if deleted else text,
                created_at=created,
                edited_at=None if deleted else edited,
                deleted=deleted,
                score=rng.randrange(-2, 40),
                attachments=(f"https://cdn.example.org/{i}.png",) if rng.random() < 0.05 else (),
                revisions=(Revision("first draft", edited),) if edited and not deleted else (),
            )
        )
    rng.shuffle(rows)  # storage gives no particular order
    return rows


def plain_rows(records: list[CommentRecord]) -> list[dict[str, Any]]:
    return [
        {
            "id": str(r.id),
            "parent_id": None if r.parent_id is None else str(r.parent_id),
            "author": None
            if r.author_id is None
            else {"id": str(r.author_id), "name": r.author_name},
            "content": r.content,
            "created_at": iso(r.created_at),
            "edited_at": iso(r.edited_at),
            "deleted": r.deleted,
            "score": r.score,
            "attachments": list(r.attachments),
            "revisions": [
                {"content": v.content, "edited_at": iso(v.edited_at)} for v in r.revisions
            ],
        }
        for r in records
    ]


def write(path: Path, chunks: Iterator[str] | list[str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.writelines(chunks)


def export_to(path: Path, fmt: Format, records: list[CommentRecord]) -> None:
    write(path, export(fmt, INFO, records))


def run(n: int = 100_000, repeat: int = 3) -> list[Result]:
    records = synthetic_thread(n)
    rows = plain_rows(records)
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        base_path = Path(tmp) / "baseline.json"
        paths = {fmt: Path(tmp) / f"out.{format_info(fmt).extension}" for fmt in FORMATS}
        # Rounds of baseline then every format, best of each: on a shared machine a burst of
        # load then slows one run of each, not every run of the format measured during it.
        base: list[tuple[float, float]] = []
        runs: dict[str, list[tuple[float, float]]] = {fmt: [] for fmt in FORMATS}
        for _ in range(repeat):
            base.append(timed(lambda: write(base_path, [json.dumps(rows, ensure_ascii=False)])))
            for fmt in FORMATS:
                runs[fmt].append(timed(partial(export_to, paths[fmt], fmt, records)))
        baseline, base_cpu = min(w for w, _ in base), min(c for _, c in base)
        sizes: dict[str, int] = {}
        for fmt in FORMATS:
            seconds, cpu = min(w for w, _ in runs[fmt]), min(c for _, c in runs[fmt])
            sizes[fmt] = paths[fmt].stat().st_size
            results.append(
                Result(
                    f"export {fmt} ({n // 1000}k)",
                    "time / json.dumps same rows",
                    seconds,
                    baseline,
                    "s",
                    3.0,
                    f"{sizes[fmt] / 2**20:.1f} MiB output; CPU time ÷ json.dumps CPU time "
                    f"{cpu / base_cpu:.2f}×",
                )
            )
        roots = build_tree(records)
        renderer = {fmt: format_info(fmt).render for fmt in FORMATS}
        for fmt in FORMATS:
            path = Path(tmp) / f"mem.{format_info(fmt).extension}"
            _, peak = peak_memory(partial(write, path, renderer[fmt](INFO, roots)))
            results.append(
                Result(
                    f"export {fmt} streamed",
                    "render peak mem / output size",
                    peak,
                    sizes[fmt],
                    "bytes",
                    0.05 if fmt in STREAMED else None,
                    "tree built beforehand",
                )
            )
        joined = Path(tmp) / "joined.md"
        _, joined_peak = peak_memory(
            lambda: write(joined, ["".join(renderer["markdown"](INFO, roots))])
        )
        results.append(
            Result(
                "export markdown joined (contrast)",
                "peak mem / output size",
                joined_peak,
                sizes["markdown"],
                "bytes",
                None,
                "what streaming avoids",
            )
        )
        _, tree_peak = peak_memory(lambda: build_tree(records))
        results.append(
            Result(
                f"build_tree ({n // 1000}k)",
                "peak mem / json output size",
                tree_peak,
                os.path.getsize(base_path),
                "bytes",
                None,
                "held while exporting",
            )
        )
    return results
