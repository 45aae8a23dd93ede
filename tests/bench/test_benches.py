"""Each benchmark run at a tiny size so its code cannot rot: the result structure, never timings."""

from __future__ import annotations

import asyncio
import math

from bench import bench_mirror, bench_publish, bench_search
from bench.common import Result
from storage.db import Database


def check(results: list[Result]) -> None:
    assert results
    for r in results:
        assert isinstance(r, Result)
        assert r.name and r.metric and r.unit in ("s", "bytes")
        assert math.isfinite(r.value) and r.value > 0, r
        assert math.isfinite(r.baseline) and r.baseline > 0, r
        assert r.ratio == r.value / r.baseline


def test_mirror_bench_writes_the_same_rows_three_ways() -> None:
    results = bench_mirror.run(n=300, repeat=1)  # raises if the three databases disagree
    check(results)
    assert [r.name for r in results] == ["mirror writer (300)", "mirror via Mirror cog listeners"]
    assert results[0].target == 2.0
    assert "comments" in results[0].note and "votes" in results[0].note


def test_mirror_workload_has_every_kind_of_event() -> None:
    kinds = {name for name, _ in bench_mirror.workload(400)}
    assert kinds == {k for k, _ in bench_mirror.KINDS}


def test_mirror_events_come_from_discord_objects() -> None:
    objects, events = asyncio.run(bench_mirror.build_workload(200))
    assert len(objects) == len(events) == 200


def test_search_bench_on_sqlite() -> None:
    results = bench_search.run(n=300, query_count=16, postgres_url=None)
    check(results)
    assert [r.metric for r in results] == [
        "full-text p50 / LIKE p50",
        "full-text p99 / 5 ms budget",
    ]
    assert "16 queries" in results[0].name


def test_search_queries_use_every_filter() -> None:
    texts = bench_search.queries(40)
    for needle in ('"', "section:", "author:", "by:", "issue:"):
        assert any(needle in t for t in texts), needle


def test_search_corpus_reaches_the_size_asked() -> None:
    issues, summaries = bench_search.corpus(2_500)
    assert len(summaries) == 2_500
    assert len({s["id"] for s in summaries}) == 2_500
    assert {s["issue_id"] for s in summaries} <= {i["id"] for i in issues}
    assert len({i["number"] for i in issues if i["number"]}) == len(
        [i for i in issues if i["number"]]
    )


def test_search_bench_on_postgres(pg_db: Database) -> None:
    url = pg_db.url.render_as_string(hide_password=False)
    results = bench_search.run(n=300, query_count=16, postgres_url=url)
    check(results)
    assert [r.name.split(" (")[0] for r in results] == [
        "search SQLite FTS5 p50",
        "search SQLite FTS5 p99",
        "search PostgreSQL tsvector p50",
        "search PostgreSQL tsvector p99",
    ]


def test_publish_bench_through_the_sandbox() -> None:
    results = bench_publish.run(poll=0.5, pace=0.05, summaries=3, trials=1)
    check(results)
    assert [r.metric for r in results] == [
        "latency / (poll + 1 s)",
        "time / (writes × pace)",
        "time / (writes × pace)",
    ]
    assert "3× 429" in results[2].note  # the injected rate limits were met and waited out


def test_publish_feed_has_the_issues_asked() -> None:
    body = bench_publish.feed_xml([(1, 2), (2, 5)]).decode()
    assert body.count("<entry>") == 2
    assert body.count("summarized by Rohin") == 7


def test_interactions_bench_in_the_sandbox() -> None:
    from bench import bench_interactions

    results = bench_interactions.run(n=300, count=12)
    check(results)
    assert [r.metric for r in results] == [
        "first response p99 / 3 s",
        "first response p99 / no-op p99",
    ]
    assert results[0].target == 0.05 and "no-op p99" in results[0].note
