"""`anbot web build`: the same pages as the server, as files; a rebuild writes only changes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from storage.comments import apply_events
from storage.comments.events import MessageUpsert
from tests.web.conftest import Served
from web.build import MANIFEST, build_site
from web.search_index import DOC_SHARDS, KEY_SHARDS, STATE_DIR, comment_doc, shard_of

BASE = "https://archive.example.org"


async def test_build_matches_server_and_rebuilds_only_changes(
    served: Served, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    first = await build_site(served.db, out, base_url=BASE)
    hark = next((out / "summaries").glob(f"{served.seeded.hark_summary}-*"))
    files = {
        p.relative_to(out).as_posix()
        for p in out.rglob("*")
        if p.is_file() and STATE_DIR not in p.parts  # the search index's own bookkeeping
    }
    assert {"search/index.html", "static/search.js"} <= files
    assert {f"search/k/{n}.json" for n in range(KEY_SHARDS)} <= files
    assert {"index.html", "issues/index.html", "issues/56/index.html", "feed.xml"} <= files
    assert {"sitemap.xml", "404.html", "static/site.css", "static/site.js", MANIFEST} <= files
    for sort in ("", "new/", "top/"):
        assert (hark / sort / "index.html").exists()
    assert len(first.written) == len(files) - 1  # every file but the manifest
    # The static page is the server's page, but for the search form and the CSP meta tag.
    page = (hark / "index.html").read_text()
    assert "Content-Security-Policy" in page and 'action="/search"' not in page
    _status, live, _ = await served.get(f"/summaries/{hark.name}/")
    assert page.split('<div class="comments">')[1] == live.split('<div class="comments">')[1]

    again = await build_site(served.db, out, base_url=BASE)
    assert again.written == [] and again.removed == []

    async with served.db.session() as session:
        event = MessageUpsert(
            990_002, served.seeded.hark_thread, 31, "Newcomer", "one more comment",
            datetime.now(UTC),
        )  # fmt: skip
        await apply_events(session, [event])
        await session.commit()
    third = await build_site(served.db, out, base_url=BASE)
    changed = set(third.written)
    # The search index: only the shards holding the new comment's keys and its document.
    shards = {rel for rel in changed if rel.startswith("search/")}
    new_keys = comment_doc(
        author="Newcomer", content="one more comment", created_at="", path="", title=""
    ).keys
    expected = {f"search/k/{shard_of(k, KEY_SHARDS)}.json" for k in new_keys}
    expected.add(f"search/d/{shard_of('c990002', DOC_SHARDS)}.json")
    lexicon = {
        f"search/k/{shard_of('l:' + w, KEY_SHARDS)}.json" for w in ("one", "more", "comment")
    }
    assert expected <= shards <= expected | lexicon, shards
    changed -= shards
    summary_pages = {f"summaries/{hark.name}/{s}index.html" for s in ("", "new/", "top/")}
    assert summary_pages <= changed
    assert "issues/56/index.html" in changed  # comment count and last activity
    assert changed <= summary_pages | {
        "issues/56/index.html",
        "index.html",
        "feed.xml",
    }, changed
    assert "one more comment" in (hark / "index.html").read_text()
    manifest = json.loads((out / MANIFEST).read_text())
    assert set(manifest["pages"]) == files - {MANIFEST}


def test_cli_build_and_bad_outdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    runner = CliRunner()
    done = runner.invoke(app, ["web", "build", str(tmp_path / "out")])
    assert done.exit_code == 0, done.output
    assert "wrote" in done.output and (tmp_path / "out" / "index.html").exists()
    (tmp_path / "f").write_text("x")
    done = runner.invoke(app, ["web", "build", str(tmp_path / "f")])
    assert done.exit_code == 1
    assert done.output.strip().startswith("error:") and "not a directory" in done.output
    assert "Traceback" not in done.output
    done = runner.invoke(app, ["web", "build", str(tmp_path / "o2"), "--base-url", "ftp://x"])
    assert done.exit_code == 1 and "not an http(s) URL" in done.output


async def test_manifest_cannot_point_outside(served: Served, tmp_path: Path) -> None:
    out = tmp_path / "site"
    await build_site(served.db, out, base_url=BASE)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    manifest = json.loads((out / MANIFEST).read_text())
    manifest["pages"]["../victim.txt"] = {"version": "x", "sha256": "y"}
    manifest["pages"]["summaries/../../victim.txt"] = {"version": "x", "sha256": "y"}
    (out / MANIFEST).write_text(json.dumps(manifest))
    await build_site(served.db, out, base_url=BASE)
    assert victim.read_text() == "keep"
