"""Summary search at 100k rows: storage.search.search_summaries against a LIKE scan.

Corpus: the 1,956 rows of tests/data/an-summaries-database.csv, copied until there are N (by
default 100,000): every copy after the first gets other issue numbers and labels, a changed
title, and (half of the rows) its summary's words shuffled. Inserted with multi-row INSERTs
(the FTS5 triggers / generated tsvector fill themselves).

Queries: 200 mixed ones drawn from the corpus — words, two words, "phrases", and words with
section:, author:, by:, issue: filters. Each is timed as a bot command runs it
(storage.search.search_summaries: the count up to 200, the order, the first page with its
snippets), after one warm-up pass, in three passes: a query's latency is its median of the
three (the p99 of all 600 timings and the slowest queries are printed beside it).

Baseline: the same words as case-insensitive `LIKE '%word%'` on title or summary (ILIKE on
PostgreSQL), with the same filters, count + first page. Ratios: FTS p50 / LIKE p50 (target
≤ 0.05, i.e. ≥ 20× faster) and p99 / 5 ms (the latency budget a slash command answer has).

PostgreSQL (postgresql+asyncpg://postgres@127.0.0.1:5432/test, own schema, dropped after) runs
too when it is reachable; an unreachable server is reported as an informational row.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import sqlalchemy as sa

from bench.common import Result
from storage.db import Database, DatabaseUnavailable
from storage.importer import read_database_csv
from storage.search import search_summaries
from storage.search.filters import filter_conditions
from storage.search.query import SearchQuery, parse_query
from storage.search.text import words
from storage.tables import ISSUE, SUMMARY

CSV = Path(__file__).resolve().parents[1] / "tests" / "data" / "an-summaries-database.csv"
PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
INSERT_BATCH = 2_000
BUDGET_P99 = 0.005  # seconds
PASSES = 3  # timed passes over the queries (after the warm-up pass)
NOW = datetime(2024, 3, 1, tzinfo=UTC)
STOPWORDS = frozenset(
    (
        "about", "after", "also", "because", "been", "being", "between", "could", "does",
        "from", "have", "into", "more", "most", "other", "over", "some", "such", "than",
        "that", "their", "them", "then", "there", "these", "they", "this", "those", "through",
        "very", "what", "when", "where", "which", "while", "will", "with", "would", "your",
    )
)  # fmt: skip


def corpus(n: int, seed: int = 1956) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(issue rows, summary rows) with explicit ids: N summaries from the CSV and its variants."""
    rng = random.Random(seed)
    rows = read_database_csv(CSV)
    labels = list(dict.fromkeys((r.label, r.number) for r in rows))
    issues: list[dict[str, Any]] = []
    summaries: list[dict[str, Any]] = []
    copy = 0
    while len(summaries) < n:
        issue_ids: dict[tuple[str | None, int | None], int] = {}
        for label, number in labels:
            new_number = None if number is None else number + 1000 * copy
            new_label = f"AN #{new_number}" if new_number else f"{label or 'No issue'} v{copy}"
            issue_ids[(label, number)] = len(issues) + 1
            issues.append(
                {
                    "id": len(issues) + 1,
                    "number": new_number,
                    "label": new_label,
                    "title": new_label,
                    "layout": "database",
                    "publish": False,
                    "created_at": NOW,
                }
            )
        positions: dict[int, int] = {}
        for row in rows:
            if len(summaries) >= n:
                break
            issue_id = issue_ids[(row.label, row.number)]
            positions[issue_id] = positions.get(issue_id, -1) + 1
            values = dict(row.values)
            if copy:
                title = values["title"].split()
                rng.shuffle(title)
                values["title"] = " ".join(title) + f" (variant {copy})"
                if rng.random() < 0.5:
                    text = values["summary"].split()
                    rng.shuffle(text)
                    values["summary"] = " ".join(text)
            summaries.append(
                {
                    **values,
                    "id": len(summaries) + 1,
                    "issue_id": issue_id,
                    "position": positions[issue_id],
                    "dedupe_key": f"bench-{len(summaries) + 1}",
                    "source": "database",
                    "updated_at": NOW,
                }
            )
        copy += 1
    return issues, summaries


def queries(count: int, seed: int = 200) -> list[str]:
    """Mixed queries drawn from the original rows (so most of them find something)."""
    rng = random.Random(seed)
    rows = [r.values for r in read_database_csv(CSV)]

    def word(values: dict[str, Any]) -> str:
        found = [w for w in words(values["summary"] + " " + values["title"]) if _usable(w)]
        return rng.choice(found) if found else "learning"

    out: list[str] = []
    while len(out) < count:
        values = rng.choice(rows)
        kind = len(out) % 8
        if kind in (0, 1):
            out.append(word(values))
        elif kind == 2:
            out.append(f"{word(values)} {word(values)}")
        elif kind == 3:
            text = [w for w in words(values["summary"]) if w.isalpha()]
            if len(text) < 3:
                continue
            start = rng.randrange(len(text) - 1)
            out.append(f'"{text[start]} {text[start + 1]}"')
        elif kind == 4 and values["section"]:
            section = values["section"].split(":")[-1].strip()
            out.append(f'{word(values)} section:"{section}"')
        elif kind == 5 and values["authors"]:
            surname = words(values["authors"].split(",")[0])[-1:]
            if surname:
                out.append(f"author:{surname[0]} {word(values)}")
        elif kind == 6 and values["summarizer"] and values["summarizer"].isalpha():
            out.append(f"{word(values)} by:{values['summarizer']}")
        elif kind == 7:
            out.append(f"{word(values)} issue:{rng.randrange(1, 174)}")
    return out


def _usable(word: str) -> bool:
    return word.isalpha() and len(word) >= 4 and word.lower() not in STOPWORDS


async def load(db: Database, issues: list[dict[str, Any]], summaries: list[dict[str, Any]]) -> None:
    async with db.bulk_load(), db.connect() as conn:
        await conn.execute(sa.insert(ISSUE), issues)
        for i in range(0, len(summaries), INSERT_BATCH):
            await conn.execute(sa.insert(SUMMARY), summaries[i : i + INSERT_BATCH])


async def like_search(db: Database, query: SearchQuery, *, limit: int = 5) -> tuple[int, list[int]]:
    """The baseline: every word and phrase as ILIKE '%…%' on title or summary, same filters."""
    conditions: list[Any] = []
    for text in (*query.terms, *query.phrases):
        pattern = " ".join(words(text))
        conditions.append(
            sa.or_(
                SUMMARY.c.title.icontains(pattern, autoescape=True),
                SUMMARY.c.summary.icontains(pattern, autoescape=True),
            )
        )
    conditions.extend(filter_conditions(query))  # the same filters as the real search
    if query.issue is not None:
        conditions.append(ISSUE.c.number == query.issue)

    def from_(select: Any) -> Any:
        return select.join(ISSUE, SUMMARY.c.issue_id == ISSUE.c.id, isouter=True).where(*conditions)

    async with db.session() as session:
        conn = await session.connection()
        total = (await conn.execute(from_(sa.select(sa.func.count(SUMMARY.c.id))))).scalar_one()
        page = await conn.execute(
            from_(sa.select(SUMMARY.c.id, SUMMARY.c.title)).order_by(SUMMARY.c.id).limit(limit)
        )
        return total, [row.id for row in page]


async def fts_search(db: Database, query: SearchQuery) -> tuple[int, list[int]]:
    page = await search_summaries(db, query)
    return page.total, [hit.summary.id or 0 for hit in page.hits]


async def latencies(
    db: Database,
    parsed: list[SearchQuery],
    search: Callable[[Database, SearchQuery], Awaitable[tuple[int, list[int]]]],
) -> tuple[list[float], int]:
    """Seconds per query, and how many queries found something."""
    out: list[float] = []
    found = 0
    for query in parsed:
        start = time.perf_counter()
        total, _ = await search(db, query)
        out.append(time.perf_counter() - start)
        found += total > 0
    return out, found


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


async def measure(
    db: Database, n: int, texts: list[str], backend: str, like: str, like_sample: int
) -> list[Result]:
    issues, summaries = corpus(n)
    await db.upgrade()
    start = time.perf_counter()
    await load(db, issues, summaries)
    await db.analyze()  # as `anbot import-database` does after its bulk load
    loaded = time.perf_counter() - start
    # The bot holds no corpus in memory: 100k row dicts left alive would make every garbage
    # collection during the timings walk them.
    del issues, summaries
    gc.collect()
    parsed = [parse_query(text) for text in texts]
    await latencies(db, parsed, fts_search)  # warm-up: page cache, statement cache
    passes = [await latencies(db, parsed, fts_search) for _ in range(PASSES)]
    fts_found = passes[0][1]
    # A query's latency is its median over the passes: a stall of the (virtual) machine lands
    # on one pass, and one stall on two queries of a single pass would be this run's p99.
    fts = [statistics.median(times) for times in zip(*(p[0] for p in passes), strict=True)]
    every = [t for p in passes for t in p[0]]
    slowest = sorted(zip(fts, texts, strict=True), reverse=True)[:3]
    # A scan costs seconds per query at 100k rows: a seeded sample of the same queries.
    sample = random.Random(7).sample(parsed, min(like_sample, len(parsed)))
    await latencies(db, sample[:2], like_search)
    scan, like_found = await latencies(db, sample, like_search)
    size = f"{n // 1000}k" if n >= 1000 else str(n)
    fts_p50, fts_p99 = percentile(fts, 50), percentile(fts, 99)
    like_p50, like_p99 = percentile(scan, 50), percentile(scan, 99)
    found = f"{fts_found}/{len(texts)} found hits ({like}: {like_found}/{len(sample)})"
    return [
        Result(
            f"search {backend} p50 ({size}, {len(texts)} queries)",
            f"full-text p50 / {like} p50",
            fts_p50,
            like_p50,
            "s",
            0.05,
            f"{like} is {like_p50 / fts_p50:.0f}× slower; {found}; loaded in {loaded:.1f} s",
        ),
        Result(
            f"search {backend} p99 ({size})",
            "full-text p99 / 5 ms budget",
            fts_p99,
            BUDGET_P99,
            "s",
            1.0,
            f"{like} p99 {like_p99 * 1000:.0f} ms; p99 of all {len(every)} timings "
            f"{percentile(every, 99) * 1000:.1f} ms, max {max(every) * 1000:.1f} ms; slowest: "
            + ", ".join(f"{text} {t * 1000:.1f} ms" for t, text in slowest),
        ),
    ]


async def _sqlite(n: int, texts: list[str], like_sample: int) -> list[Result]:
    with TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{tmp}/search.db")
        try:
            return await measure(db, n, texts, "SQLite FTS5", "LIKE", like_sample)
        finally:
            await db.dispose()


async def _postgres(n: int, texts: list[str], url: str, like_sample: int) -> list[Result]:
    db = Database(url, schema=f"bench_search_{uuid.uuid4().hex[:10]}")
    try:
        await db.create_schema()
    except DatabaseUnavailable as exc:
        await db.dispose()
        note = f"not measured: {exc}"
        return [Result("search PostgreSQL", "skipped: unreachable", 0, 1, "s", None, note)]
    try:
        return await measure(db, n, texts, "PostgreSQL tsvector", "ILIKE", like_sample)
    finally:
        await db.drop_schema()
        await db.dispose()


def run(
    n: int = 100_000,
    query_count: int = 200,
    postgres_url: str | None = PG_URL,
    like_sample: int = 50,
    sqlite: bool = True,
) -> list[Result]:
    texts = queries(query_count)
    results = asyncio.run(_sqlite(n, texts, like_sample)) if sqlite else []
    if postgres_url:
        results += asyncio.run(_postgres(n, texts, postgres_url, like_sample))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100_000, help="summaries (default 100,000)")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="5,000 summaries, 40 queries")
    parser.add_argument("--like-sample", type=int, default=50, help="queries the scan runs")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    n, count = (5_000, 40) if args.quick else (args.n, args.queries)
    postgres = None if args.no_postgres else PG_URL
    results = run(n, count, postgres, args.like_sample, sqlite=not args.no_sqlite)
    for r in results:
        print(f"{r.name}: {r.metric} = {r.ratio:.3f}× (target ≤ {r.target}); {r.note}")


if __name__ == "__main__":
    main()
