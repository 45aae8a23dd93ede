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

BASE = "https://archive.example.org"


async def test_build_matches_server_and_rebuilds_only_changes(
    served: Served, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    first = await build_site(served.db, out, base_url=BASE)
    hark = next((out / "summaries").glob(f"{served.seeded.hark_summary}-*"))
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
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
