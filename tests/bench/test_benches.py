"""Each benchmark run at a tiny size so its code cannot rot: the result structure, never timings."""

from __future__ import annotations

import asyncio
import math
import re

from bench import bench_cli, bench_mirror, bench_publish, bench_search
from bench.common import Result
from storage.db import Database


def check(results: list[Result]) -> None:
    assert results
    for r in results:
        assert isinstance(r, Result)
        assert r.name and r.metric and r.unit in ("s", "bytes")
        assert math.isfinite(r.value) and r.value > 0, r
        assert math.isfinite(r.baseline) and r.baseline > 0, r
        # The verdict the runner prints and exits on: pass exactly when value ≤ target × baseline.
        if r.target is None:
            assert r.passed is None, r
        else:
            assert r.target > 0 and r.passed == (r.value <= r.target * r.baseline), r


def number_after(pattern: str, text: str) -> float:
    found = re.search(pattern, text)
    assert found, (pattern, text)
    return float(found.group(1))


def test_mirror_bench_writes_the_same_rows_three_ways() -> None:
    results = bench_mirror.run(n=300, repeat=1)  # raises if the three databases disagree
    check(results)
    assert [r.name for r in results] == ["mirror writer (300)", "mirror via Mirror cog listeners"]
    assert results[0].target == 2.0
    assert "comments" in results[0].note and "votes" in results[0].note
    # Both are compared with the one raw executemany measured in this run, and the throughput
    # ratio in the note is the inverse of the time ratio (the same events in both).
    assert results[0].baseline == results[1].baseline
    throughput = number_after(r"throughput ratio ([\d.]+)", results[0].note)
    assert abs(throughput - 1 / results[0].ratio) < 0.006


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
    assert results[1].baseline == bench_search.BUDGET_P99  # p99 against the 5 ms budget
    # The note's "LIKE is N× slower" is the inverse of the p50 ratio.
    slower = number_after(r"LIKE is (\d+)× slower", results[0].note)
    assert abs(slower - 1 / results[0].ratio) <= 0.5


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
    assert results[0].baseline == 0.5 + 1.0  # poll + 1 s
    for r in results[1:]:
        # from the first write to the last: (writes − 1) × pace, at least one write per post
        writes = number_after(r"(\d+) writes,", r.note)
        assert writes >= 3 and r.baseline == (writes - 1) * 0.05, r


def test_publish_feed_has_the_issues_asked() -> None:
    body = bench_publish.feed_xml([(1, 2), (2, 5)]).decode()
    assert body.count("<entry>") == 2
    assert body.count("summarized by Rohin") == 7


def test_cli_bench_runs_every_command_as_a_process() -> None:
    results = bench_cli.run(runs=1, comments=30, summaries_csv=None)
    check(results)
    assert [r.name for r in results] == [
        "anbot --help",
        "anbot search HARKing",
        "anbot issue 56",
        "anbot export 30-comment thread",
    ]
    assert [r.target for r in results] == [10.0, 20.0, 20.0, 25.0]
    for r in results:
        assert r.note.startswith("CPU time ") and r.note.count(" ms") == 6, r.note
    # The import-time list is real: the database commands load SQLAlchemy, --help does not.
    assert "sqlalchemy" not in results[0].note
    assert all("sqlalchemy" in r.note for r in results[1:])


def test_interactions_bench_in_the_sandbox() -> None:
    from bench import bench_interactions

    results = bench_interactions.run(n=300, count=12)
    check(results)
    assert [r.metric for r in results] == [
        "first response p99 / 3 s",
        "first response p99 / no-op p99",
    ]
    assert results[0].target == 0.05 and "no-op p99" in results[0].note
