"""Feed ingest: the entries of a long feed stored by storage.ingest, against raw executemany.

Workload: an RSS feed of N generic entries (one summary each), split into issues by
feeds.issue.parse_source before the clock starts (the split is measured on its own, below).

Measured (each on a fresh, migrated database; best of `repeat`):
- store: storage.ingest.store_entries, the path of `anbot ingest FILE` and of a feed poll: short
  transactions sized to BATCH_SECONDS, each a few set-based statements;
- baseline: the same issue and summary rows with the driver's own executemany (stdlib sqlite3;
  asyncpg on PostgreSQL), one transaction for all, the search index kept by the same triggers
  or generated column: the least SQL that stores the same rows;
- split: parse_source of the document (feedparser, then the issue parser per entry), shown
  against the store time (informational: CPU-bound, the same on both backends).

PostgreSQL runs when ANBOT_BENCH_POSTGRES_URL (or the test URL, 127.0.0.1:5432/test) answers.
Ratio: time / baseline time; target ≤ 3 (ingest keeps a third of the raw throughput).
"""

from __future__ import annotations

import asyncio
import html
import json
import os
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import Result
from feeds.issue import parse_source
from feeds.types import FeedItem, ParsedIssue
from storage.db import Database
from storage.feeds import get_or_create_feed
from storage.ingest import PollReport, store_entries
from storage.issues import entry_hash
from storage.search.index import prepare_sqlite
from storage.summaries import fields_from_parsed, unique_keys

POSTGRES_URL = os.environ.get(
    "ANBOT_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
URL = "file:///bench/feed.rss"


def feed(n: int) -> bytes:
    items = "".join(
        f"<item><title>Entry {i}</title><link>https://bench.example/{i}</link>"
        f"<guid>e{i}</guid><description>{html.escape(f'<p>Text of entry {i}.</p>')}"
        "</description></item>"
        for i in range(n)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Bench</title>'
        f"<link>https://bench.example/</link>{items}</channel></rss>"
    ).encode()


Entries = Sequence[tuple[FeedItem, ParsedIssue, bool]]


def _rows(entries: Entries) -> tuple[list[tuple[object, ...]], list[list[dict[str, Any]]]]:
    issues: list[tuple[object, ...]] = [
        (item.entry_id, item.title, item.link, entry_hash(item), parsed.layout, parsed.notes)
        for item, parsed, _ in entries
    ]
    summaries = []
    for _, parsed, _ in entries:
        keys = unique_keys([s.title for s in parsed.summaries])
        rows = []
        for position, (key, summary) in enumerate(zip(keys, parsed.summaries, strict=True)):
            values = fields_from_parsed(summary)
            values.update(position=position, dedupe_key=key)
            rows.append(values)
        summaries.append(rows)
    return issues, summaries


_SUMMARY_COLUMNS = (
    "issue_id, position, dedupe_key, section, title, link, authors, summarizer, summary,"
    " opinions, prerequisites, read_more, cross_refs, highlight, source, content_hash, updated_at"
)


def _summary_params(issue_id: object, v: dict[str, Any], now: object) -> tuple[object, ...]:
    return (
        issue_id, v["position"], v["dedupe_key"], v["section"], v["title"], v["link"],
        v["authors"], v["summarizer"], v["summary"], json.dumps(v["opinions"]),
        v["prerequisites"], v["read_more"], json.dumps(v["cross_refs"]), v["highlight"], "feed",
        v["content_hash"], now,
    )  # fmt: skip


async def _fresh(url: str, path: Path | None) -> Database:
    if path is not None:
        db = Database(f"sqlite+aiosqlite:///{path}")
    else:
        db = Database(url, schema=f"b_{uuid.uuid4().hex[:12]}")
        await db.create_schema()
    await db.upgrade()
    return db


async def _drop(db: Database) -> None:
    if db.dialect == "postgresql":
        await db.drop_schema()
    await db.dispose()


async def time_store(db: Database, entries: Entries) -> float:
    report = PollReport()

    async def finish(*_: object) -> None:
        return None

    start = time.perf_counter()
    await store_entries(db, URL, entries, report, finish)
    seconds = time.perf_counter() - start
    if len(report.new) != len(entries):
        raise RuntimeError(f"stored {len(report.new)} of {len(entries)} entries")
    return seconds


async def _feed_id(db: Database) -> int:
    """The feed row, made before the clock starts (the baselines insert entries only)."""
    async with db.session() as session:
        feed = await get_or_create_feed(session, url=URL)
        await session.commit()
    assert feed.id is not None
    return feed.id


def time_raw_sqlite(path: Path, feed_id: int, entries: Entries) -> float:
    issues, summaries = _rows(entries)
    conn = sqlite3.connect(path, isolation_level=None)
    prepare_sqlite(conn)  # the summary index's triggers call anbot's SQL functions
    try:
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL"):
            conn.execute(f"PRAGMA {pragma}")
        now = "2024-01-01 00:00:00.000000"
        start = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO issue (feed_id, entry_id, title, link, content_hash, layout, intro,"
            " publish, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
            [(feed_id, *row, now, now) for row in issues],
        )
        ids = dict(conn.execute("SELECT entry_id, id FROM issue").fetchall())
        conn.executemany(
            f"INSERT INTO summary ({_SUMMARY_COLUMNS})"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                _summary_params(ids[issue[0]], values, now)
                for issue, rows in zip(issues, summaries, strict=True)
                for values in rows
            ],
        )
        conn.execute("COMMIT")
        return time.perf_counter() - start
    finally:
        conn.close()


async def time_raw_postgres(db: Database, feed_id: int, entries: Entries) -> float:
    from datetime import UTC, datetime

    import asyncpg

    issues, summaries = _rows(entries)
    dsn = db.url.render_as_string(hide_password=False).replace("+asyncpg", "")
    conn = await asyncpg.connect(dsn, server_settings={"search_path": f"{db.schema},public"})
    try:
        now = datetime(2024, 1, 1, tzinfo=UTC)
        start = time.perf_counter()
        async with conn.transaction():
            await conn.executemany(
                "INSERT INTO issue (feed_id, entry_id, title, link, content_hash, layout,"
                " intro, publish, created_at, updated_at)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, false, $8, $8)",
                [(feed_id, *row, now) for row in issues],
            )
            ids = dict(await conn.fetch("SELECT entry_id, id FROM issue"))
            await conn.executemany(
                f"INSERT INTO summary ({_SUMMARY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7,"
                " $8, $9, $10::json, $11, $12, $13::json, $14, $15, $16, $17)",
                [
                    _summary_params(ids[issue[0]], values, now)
                    for issue, rows in zip(issues, summaries, strict=True)
                    for values in rows
                ],
            )
        return time.perf_counter() - start
    finally:
        await conn.close()


async def _postgres_answers() -> bool:
    try:
        db = Database(POSTGRES_URL)
        await db.ping()
        await db.dispose()
    except Exception:  # no PostgreSQL here: the SQLite rows only
        return False
    return True


async def _measure(n: int, repeat: int) -> list[Result]:
    body = feed(n)
    start = time.perf_counter()
    _, pairs = await asyncio.to_thread(parse_source, body, uri=URL)
    split = time.perf_counter() - start
    entries = [(item, parsed, False) for item, parsed in pairs]
    backends = ["sqlite"] + (["postgresql"] if await _postgres_answers() else [])
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            best = {"store": float("inf"), "raw": float("inf")}
            for attempt in range(repeat):
                for name in best:
                    path = Path(tmp) / f"{name}{attempt}.db" if backend == "sqlite" else None
                    db = await _fresh(POSTGRES_URL, path)
                    try:
                        if name == "store":
                            seconds = await time_store(db, entries)
                        elif path is not None:
                            feed_id = await _feed_id(db)
                            await db.dispose()
                            seconds = await asyncio.to_thread(
                                time_raw_sqlite, path, feed_id, entries
                            )
                        else:
                            seconds = await time_raw_postgres(db, await _feed_id(db), entries)
                    finally:
                        await _drop(db)
                    best[name] = min(best[name], seconds)
            rate = {k: n / v for k, v in best.items()}
            results.append(
                Result(
                    f"ingest store {backend} ({n // 1000}k entries)",
                    "time / raw executemany",
                    best["store"],
                    best["raw"],
                    "s",
                    3.0,
                    f"{rate['store']:,.0f} vs {rate['raw']:,.0f} entries/s",
                )
            )
            if backend == "sqlite":
                results.append(
                    Result(
                        f"ingest split ({n // 1000}k entries)",
                        "parse time / SQLite store time",
                        split,
                        best["store"],
                        "s",
                        None,
                        f"{n / split:,.0f} entries/s: feedparser and the issue parser, CPU-bound",
                    )
                )
    return results


def run(n: int = 5_000, repeat: int = 2) -> list[Result]:
    return asyncio.run(_measure(n, repeat))


if __name__ == "__main__":
    for result in run():
        print(result)
