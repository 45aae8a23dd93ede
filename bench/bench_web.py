"""The web archive: page rendering, serving, discussion search and the incremental build.

Every figure is a ratio to a baseline measured in the same run:
- a summary page with a 10k-comment discussion (web.discussion + the page template), time ÷
  json.dumps of the same rows (bench_export's synthetic thread), first render (every comment's
  Markdown rendered) and again (rendered texts remembered): target ≤ 3×;
- 50 concurrent clients on summary pages of 200 comments through `anbot web`'s app on
  127.0.0.1: throughput ÷ the same client against aiohttp serving the same bytes from memory
  (target ≥ 0.3, printed as the inverse ≤ 3.33), p99 latency printed;
- discussion search over N comments (ANBOT_BENCH_WEB_COMMENTS on SQLite,
  ANBOT_BENCH_WEB_PG_COMMENTS on PostgreSQL, default 1,000,000 each; snowflake ids over three
  years, loaded in big batches, by COPY on PostgreSQL): p99 ÷ 10 ms (≤ 1) and p50 ÷ a LIKE
  scan answering the same question (every match counted and the first page, same public rules
  and filters; ILIKE on PostgreSQL) (≤ 0.05, i.e. ≥ 20× faster);
- `anbot web build` of 1,956 summaries and 100k comments, then one new comment: the rebuild's
  time ÷ the full build's (≤ 0.05), with the number of files it wrote.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import sqlalchemy as sa
from aiohttp import web

from bench.bench_export import plain_rows, synthetic_thread
from bench.common import Result, best_of
from storage import web_archive as wa
from storage.comments import write_events
from storage.comments.batch import message_row
from storage.comments.events import MessageUpsert
from storage.comments.executemany import UPSERT_COMMENT, executemany
from storage.db import Database
from storage.search.discussions import search_discussions
from storage.search.filters import folded_equals
from storage.search.query import SearchQuery, parse_query
from storage.search.text import words
from web.app import make_app
from web.build import build_site
from web.discussion import _article, _body, render_discussion
from web.site import Site

POSTGRES_URL = os.environ.get(
    "ANBOT_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
GUILD, CHANNEL = 1, 2
T0 = datetime(2020, 1, 1, tzinfo=UTC)
VOCAB = [f"w{n}" for n in range(5000)] + [
    "alignment",
    "reward",
    "model",
    "agent",
    "the",
    "of",
    "and",
    "to",
    "is",
    "that",
]
NAMES = [f"Member {n}" for n in range(300)]


# --- seeding -----------------------------------------------------------------------------------


def _text(rng: random.Random) -> str:
    # Zipf-like: a few very common words, a long tail of rare ones.
    k = rng.choice((6, 12, 25, 40))
    return " ".join(VOCAB[min(int(rng.paretovariate(0.9)) - 1, len(VOCAB) - 1)] for _ in range(k))


async def seed(
    db: Database, *, summaries: int, threads: int, comments: int, seed_value: int = 16
) -> list[int]:
    """Issues of 12 summaries, `threads` of them with a public thread sharing `comments`
    comments evenly; returns the summary ids that have a thread."""
    rng = random.Random(seed_value)
    issues = max(1, summaries // 12)
    async with db.connect() as conn:
        await conn.execute(
            sa.insert(wa.ISSUES),
            [
                {
                    "id": n + 1,
                    "number": n + 1,
                    "label": f"AN #{n + 1}",
                    "title": f"AN #{n + 1}",
                    "layout": "an",
                    "publish": True,
                    "created_at": T0,
                    "published_at": T0 + timedelta(days=7 * n),
                }
                for n in range(issues)
            ],
        )
        await conn.execute(
            sa.insert(wa.SUMMARIES),
            [
                {
                    "id": n + 1,
                    "issue_id": n % issues + 1,
                    "position": n // issues,
                    "dedupe_key": f"s{n}",
                    "section": "Technical AI alignment",
                    "title": f"Summary {n} on {_text(rng)[:40]}",
                    "authors": "A. Author",
                    "summarizer": "Rohin",
                    "summary": "**Bold** claim. See AN #1. " + _text(rng),
                    "opinions": [],
                    "cross_refs": [],
                    "highlight": False,
                    "source": "feed",
                    "content_hash": f"h{n}",
                    "updated_at": T0,
                }
                for n in range(summaries)
            ],
        )
        with_thread = list(range(1, threads + 1))
        await conn.execute(
            sa.insert(wa.PUBS),
            [
                {
                    "id": sid,
                    "issue_id": (sid - 1) % issues + 1,
                    "summary_id": sid,
                    "channel_id": CHANNEL,
                    "mode": "forum",
                    "status": "posted",
                    "marker": f"m{sid}",
                    "thread_id": 10_000 + sid,
                    "attempts": 0,
                    "error_reported": False,
                    "created_at": T0,
                    "updated_at": T0,
                }
                for sid in with_thread
            ],
        )
        await conn.execute(
            sa.insert(wa.THREADS),
            [
                {
                    "id": 10_000 + sid,
                    "guild_id": GUILD,
                    "channel_id": CHANNEL,
                    "name": f"t{sid}",
                    "publication_id": sid,
                    "tracked": True,
                    "created_at": T0,
                }
                for sid in with_thread
            ],
        )
        await conn.execute(
            sa.insert(wa.CHANNELS).values(
                channel_id=CHANNEL,
                guild_id=GUILD,
                name="papers",
                everyone_can_read=True,
                published=True,
                updated_at=T0,
            )
        )
        await conn.commit()
    await load_comments(db, comment_rows(rng, with_thread, comments))
    return with_thread


DISCORD_EPOCH_MS = 1_420_070_400_000
SPAN = timedelta(days=3 * 365)  # the comments' dates: three years from T0
LOAD_BATCH = 50_000


def comment_rows(rng: random.Random, summary_ids: list[int], count: int) -> list[dict[str, Any]]:
    """`count` comments spread over the threads of `summary_ids` and over three years, oldest
    first, with Discord snowflake ids (the date's milliseconds in the bits above 22), as the
    mirror stores them."""
    rows: list[dict[str, Any]] = []
    last: dict[int, int] = {}
    step = SPAN / max(1, count)
    for n in range(count):
        created = T0 + step * n
        ms = int(created.timestamp() * 1000) - DISCORD_EPOCH_MS
        cid = (ms << 22) | (n & 0x3FFFFF)
        thread = 10_000 + summary_ids[rng.randrange(len(summary_ids))]
        parent = last.get(thread) if rng.random() < 0.7 else None
        last[thread] = cid
        author = rng.randrange(len(NAMES))
        event = MessageUpsert(
            cid, thread, 100 + author, NAMES[author], _text(rng), created, parent_id=parent
        )
        rows.append(message_row(event))
    return rows


async def load_comments(db: Database, rows: list[dict[str, Any]]) -> None:
    """The rows, loaded fast: on SQLite the mirror's own fixed executemany
    (storage.comments.executemany; the FTS5 trigger indexes each row), in big batches; on
    PostgreSQL COPY on two connections at once (the generated keys are computed per row, one
    core each) with the GIN index dropped meanwhile and built again at the end in one sort."""
    if db.url.get_backend_name() == "sqlite":
        for i in range(0, len(rows), LOAD_BATCH * 4):
            chunk = rows[i : i + LOAD_BATCH * 4]
            await db.run_sync(
                lambda conn, c=chunk: executemany(conn, UPSERT_COMMENT, c), write=True
            )
        return
    columns = list(rows[0])
    records = [
        tuple(json.dumps(r[c]) if c == "attachments" else r[c] for c in columns) for r in rows
    ]
    async with db.connect() as conn:
        definition = (
            await conn.execute(
                sa.text(
                    "SELECT indexdef FROM pg_indexes"
                    " WHERE indexname = :name AND schemaname = current_schema()"
                ),
                {"name": COMMENT_GIN},
            )
        ).scalar_one()
        await conn.execute(sa.text(f"DROP INDEX {COMMENT_GIN}"))
        await conn.commit()

    async def copy(part: list[tuple[Any, ...]]) -> None:
        async with db.connect() as conn:
            raw = (await conn.get_raw_connection()).driver_connection
            assert raw is not None
            for i in range(0, len(part), LOAD_BATCH):
                await raw.copy_records_to_table(
                    "comment", records=part[i : i + LOAD_BATCH], columns=columns
                )
            await conn.commit()

    half = len(records) // 2
    await asyncio.gather(copy(records[:half]), copy(records[half:]))
    async with db.connect() as conn:
        await conn.execute(sa.text("SET maintenance_work_mem = '512MB'"))
        await conn.execute(sa.text(definition))
        await conn.commit()


COMMENT_GIN = "ix_comment_search_keys"


async def _write(db: Database, events: list[Any]) -> None:
    await db.run_sync(lambda conn: write_events(conn, events), write=True)


# --- 1. rendering a 10k-comment page ------------------------------------------------------------


def bench_render(n: int = 10_000) -> list[Result]:
    records = synthetic_thread(n)
    rows = plain_rows(records)

    def baseline() -> None:
        json.dumps(rows)

    def render() -> None:
        render_discussion(records, order="old", hidden_authors=set())

    def cold() -> None:
        _body.cache_clear()
        _article.cache_clear()
        render()

    base = best_of(baseline, 5)
    first = best_of(cold, 3)
    render()
    again = best_of(render, 5)
    note = f"{n:,} comments; first render includes every comment's Markdown"
    return [
        Result(
            "web page 10k comments, first render", "time / json.dumps", first, base, "s", None, note
        ),
        Result(
            "web page 10k comments",
            "time / json.dumps",
            again,
            base,
            "s",
            3.0,
            "comments' HTML remembered (web.discussion._article/_body)",
        ),
    ]


# --- 2. serving ----------------------------------------------------------------------------------


async def _hammer(url: str, paths: list[str], clients: int, total: int) -> tuple[float, float]:
    """(requests per second, p99 latency in s) of `clients` concurrent loops."""
    latencies: list[float] = []
    remaining = total
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def client(k: int) -> None:
            nonlocal remaining
            i = k
            while remaining > 0:
                remaining -= 1
                start = time.perf_counter()
                async with http.get(url + paths[i % len(paths)]) as response:
                    await response.read()
                    assert response.status == 200
                latencies.append(time.perf_counter() - start)
                i += 1

        began = time.perf_counter()
        await asyncio.gather(*(client(k) for k in range(clients)))
        elapsed = time.perf_counter() - began
    latencies.sort()
    return len(latencies) / elapsed, latencies[int(len(latencies) * 0.99) - 1]


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


async def bench_serve(clients: int = 50, pages: int = 20, total: int = 3000) -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{tmp}/serve.db")
        await db.upgrade()
        try:
            ids = await seed(db, summaries=pages, threads=pages, comments=pages * 200)
            site = Site(db)
            paths = [f"/summaries/{sid}-x/" for sid in ids]
            bodies = {}
            for sid, path in zip(ids, paths, strict=True):
                bodies[path] = (await site.summary(sid)).body.encode()
            runner, url = await _serve(make_app(db, base_url="http://127.0.0.1"))

            async def memory(request: web.Request) -> web.Response:
                return web.Response(body=bodies[request.path], content_type="text/html")

            plain = web.Application()
            plain.router.add_get("/summaries/{key}/", memory)
            runner2, url2 = await _serve(plain)
            try:
                await _hammer(url, paths, clients, 200)  # warm up both
                await _hammer(url2, paths, clients, 200)
                rate, p99 = await _hammer(url, paths, clients, total)
                base_rate, base_p99 = await _hammer(url2, paths, clients, total)
            finally:
                await runner.cleanup()
                await runner2.cleanup()
        finally:
            await db.dispose()
    note = (
        f"{clients} clients, {pages} pages of 200 comments: {rate:,.0f} req/s (p99 "
        f"{p99 * 1000:.1f} ms) vs memory {base_rate:,.0f} req/s (p99 {base_p99 * 1000:.1f} ms); "
        f"throughput ratio {rate / base_rate:.2f} (target ≥ 0.3)"
    )
    return [
        Result(
            "web serve 200-comment pages",
            "1/throughput vs memory",
            1 / rate,
            1 / base_rate,
            "s",
            1 / 0.3,
            note,
        ),
        Result("web serve p99 latency", "p99 / memory p99", p99, base_p99, "s", None, note),
    ]


# --- 3. discussion search ---------------------------------------------------------------------


def search_queries(count: int = 200, seed_value: int = 200) -> list[str]:
    rng = random.Random(seed_value)
    out: list[str] = []
    for i in range(count):
        a, b = _text(rng).split()[:2]
        kind = i % 4
        if kind == 0:
            out.append(a)
        elif kind == 1:
            out.append(f"{a} {b}")
        elif kind == 2:
            out.append(f'"{a} {b}"')
        else:
            out.append(f'{a} by:"{NAMES[rng.randrange(len(NAMES))]}"')
    return out


async def like_search(
    db: Database, query: SearchQuery, *, limit: int = 20
) -> tuple[int, list[int]]:
    """The baseline: the same question without the index, as bench_search asks it. Every word
    and phrase as case-insensitive LIKE '%…%' on the text (ILIKE on PostgreSQL), the same
    public rules and filters; all matches counted, and the first page, newest first."""
    c = wa.COMMENTS.c
    where: list[Any] = [
        c.deleted.is_(False),
        c.is_starter.is_(False),
        wa.public_thread(c.thread_id),
        ~wa.hidden_author(c.author_id),
        sa.exists().where(wa.PUBS.c.thread_id == c.thread_id, wa.PUBS.c.summary_id.is_not(None)),
    ]
    for text in (*query.terms, *query.phrases):
        where.append(c.content.ilike("%" + " ".join(words(text)) + "%"))
    if query.summarizer:
        where.append(folded_equals(c.author_name, query.summarizer))
    async with db.connect() as conn:
        total = (await conn.execute(sa.select(sa.func.count()).where(*where))).scalar_one()
        rows = await conn.execute(sa.select(c.id).where(*where).order_by(c.id.desc()).limit(limit))
        return total, [r.id for r in rows]


async def _timed_search(db: Database, query: SearchQuery) -> float:
    start = time.perf_counter()
    await search_discussions(db, query)
    return time.perf_counter() - start


async def _timed_like(db: Database, query: SearchQuery) -> float:
    start = time.perf_counter()
    await like_search(db, query)
    return time.perf_counter() - start


async def bench_search(db: Database, label: str, n: int, like_sample: int = 20) -> list[Result]:
    began = time.perf_counter()
    await seed(db, summaries=2000, threads=2000, comments=n)
    await db.analyze()
    load = time.perf_counter() - began
    return await measure_search(db, label, n, load, like_sample)


async def measure_search(
    db: Database, label: str, n: int, load: float, like_sample: int = 20
) -> list[Result]:
    """The timing half of bench_search, on a database already seeded with `n` comments."""
    texts = search_queries()
    parsed = [parse_query(t, discussions=True) for t in texts]
    for q in parsed:  # warm-up pass
        await search_discussions(db, q)
    times: list[float] = []
    for q in parsed:
        runs = [await _timed_search(db, q) for _ in range(3)]
        times.append(statistics.median(runs))
    slowest = sorted(zip(times, texts, strict=True), reverse=True)[:5]
    print(f"{label}: slowest queries: " + "; ".join(f"{t * 1000:.1f} ms {q}" for t, q in slowest))
    times.sort()
    p50, p99 = times[len(times) // 2], times[int(len(times) * 0.99) - 1]
    like_times = sorted([await _timed_like(db, q) for q in parsed[:like_sample]])
    like_p50 = like_times[len(like_times) // 2]
    sample_p50 = sorted(times[:like_sample])[like_sample // 2]
    note = f"{n:,} comments (loaded in {load:.0f} s), 200 queries; LIKE on {like_sample}"
    return [
        Result(f"discussion search {label} p99", "p99 / 10 ms", p99, 0.010, "s", 1.0, note),
        Result(
            f"discussion search {label}",
            "p50 / LIKE p50",
            p50,
            like_p50,
            "s",
            0.05,
            f"{note}; index p50 on the LIKE sample {sample_p50 * 1000:.1f} ms",
        ),
    ]


# --- 4. incremental build ------------------------------------------------------------------------


async def bench_build(summaries: int = 1956, comments: int = 100_000) -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{tmp}/build.db")
        await db.upgrade()
        try:
            ids = await seed(db, summaries=summaries, threads=500, comments=comments)
            out = Path(tmp) / "site"
            start = time.perf_counter()
            first = await build_site(db, out, base_url="https://example.org")
            full = time.perf_counter() - start
            event = MessageUpsert(
                10**13, 10_000 + ids[0], 5, "Newcomer", "one new comment", datetime.now(UTC)
            )
            await _write(db, [event])
            start = time.perf_counter()
            again = await build_site(db, out, base_url="https://example.org")
            rebuild = time.perf_counter() - start
        finally:
            await db.dispose()
    note = (
        f"{summaries:,} summaries, {comments:,} comments: full build wrote "
        f"{len(first.written):,} files; after one new comment the rebuild rendered "
        f"{again.rendered} pages and wrote {len(again.written)}: {', '.join(again.written)}"
    )
    return [
        Result("web build, one new comment", "rebuild / full build", rebuild, full, "s", 0.05, note)
    ]


# --- entry -----------------------------------------------------------------------------------


async def _seeded_or_seed(db: Database, label: str, n: int) -> list[Result]:
    """bench_search, or only its timing half when `db` already holds `n` comments (a database
    kept from an earlier run: loading 1M comments takes 6-16 minutes)."""
    async with db.connect() as conn:
        count = (await conn.execute(sa.select(sa.func.count()).select_from(wa.COMMENTS))).scalar()
    if count == n:
        print(f"{label}: reusing {n:,} comments")
        return await measure_search(db, label, n, 0.0)
    if count:
        raise SystemExit(f"{label}: the kept database holds {count:,} comments, not {n:,}")
    return await bench_search(db, label, n)


async def _search_both(sqlite_n: int, pg_n: int) -> list[Result]:
    """Each backend on a fresh database, dropped at the end; or kept and reused across runs:
    ANBOT_BENCH_WEB_SQLITE_FILE (a path) and ANBOT_BENCH_WEB_PG_SCHEMA (a schema name)."""
    results: list[Result] = []
    kept_file = os.environ.get("ANBOT_BENCH_WEB_SQLITE_FILE")
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{kept_file or f'{tmp}/search.db'}")
        await db.upgrade()
        try:
            results += await _seeded_or_seed(db, "SQLite", sqlite_n)
        finally:
            await db.dispose()
    if pg_n:
        kept_schema = os.environ.get("ANBOT_BENCH_WEB_PG_SCHEMA")
        db = Database(POSTGRES_URL, schema=kept_schema or f"bench_web_{os.getpid()}")
        try:
            await db.create_schema()
            await db.upgrade()
            results += await _seeded_or_seed(db, "PostgreSQL", pg_n)
        except OSError as exc:
            print(f"PostgreSQL skipped: {exc}")
        finally:
            if not kept_schema:
                await db.drop_schema()
            await db.dispose()
    return results


def run() -> list[Result]:
    sqlite_n = int(os.environ.get("ANBOT_BENCH_WEB_COMMENTS", "1000000"))
    pg_n = int(os.environ.get("ANBOT_BENCH_WEB_PG_COMMENTS", "1000000"))
    only = os.environ.get("ANBOT_BENCH_WEB_ONLY", "render,serve,build,search").split(",")
    results: list[Result] = []
    if "render" in only:
        results += bench_render()
    if "serve" in only:
        results += asyncio.run(bench_serve())
    if "build" in only:
        results += asyncio.run(bench_build())
    if "search" in only:
        results += asyncio.run(_search_both(sqlite_n, pg_n))
    for r in results:
        print(f"{r.name}: {r.value:.4f} / {r.baseline:.4f} = {r.ratio:.3f} ≤ {r.target} {r.note}")
    return results
