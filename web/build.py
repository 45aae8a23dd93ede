"""`anbot web build OUTDIR`: the archive as static files, rebuilding only what changed.

The pages are web.site's, rendered with live=False (CSP as a meta tag, the search form pointing
at /search/) and written as `<path>/index.html` so any static host serves the same URLs as
`anbot web`. Search works in the browser from the index web.search_index keeps (`search/k/`,
`search/d/`, answered by web/static/search.js); only its changed shards are written.

Incremental: OUTDIR/.anbot-web-manifest.json keeps, per written file, the version of its inputs
and the SHA-256 of its bytes. A summary page's version is its summary row, its public thread's
version (storage.web_archive.thread_versions: comment count, newest id, last edit, last delete,
votes) and the hidden members' version, all read for every page in a few grouped queries: a page
whose version is unchanged is not rendered at all. Pages that list others (home, issues, feed,
sitemap) are re-rendered each build; any page is written only when its bytes changed. Files the
manifest lists but this build no longer makes (a summary gone, a thread made private) are
removed. Each file is written to a temporary name and renamed: an interrupted build leaves the
old file or the new one, never half of one; the manifest is written last.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from storage import web_archive as wa
from storage.db import Database
from storage.search.discussions import public_comments_on
from threads.order import ORDERS
from web.files import write_atomic
from web.search_index import FORMAT, Doc, IndexState, comment_doc, summary_doc
from web.site import Page, PageError, Site
from web.urls import issue_path, summary_path

MANIFEST = ".anbot-web-manifest.json"
_SAFE_NAME = re.compile(r"(?:[a-z0-9][a-z0-9._-]*/)*[a-z0-9][a-z0-9._-]*")
# Bump when templates or rendering change: every page is then rebuilt once.
RENDER_VERSION = "1"
STATIC = Path(str(files("web") / "static"))


class BuildError(Exception):
    """Reported as one line by the CLI; nothing of the output directory was changed."""


@dataclass(slots=True)
class BuildReport:
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    rendered: int = 0
    unchanged: int = 0


def _file_for(path: str) -> str:
    """Site path → file inside OUTDIR ("/issues/56/" → "issues/56/index.html")."""
    if path.endswith("/"):
        return (path.lstrip("/") + "index.html") if path != "/" else "index.html"
    return path.lstrip("/")


def check_outdir(outdir: Path) -> Path:
    """The resolved output directory; BuildError when it cannot be one."""
    out = outdir.expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise BuildError(f"{outdir} exists and is not a directory")
    if out == Path(out.anchor):
        raise BuildError("refusing to build into the filesystem root")
    if out.exists() and any(out.iterdir()) and not (out / MANIFEST).exists():
        raise BuildError(
            f"{outdir} is not empty and holds no earlier build ({MANIFEST}): "
            "choose an empty or new directory"
        )
    return out


class Builder:
    def __init__(self, db: Database, outdir: Path, *, base_url: str) -> None:
        self.out = check_outdir(outdir)
        self.site = Site(db, base_url=base_url, live=False)
        self.manifest: dict[str, dict[str, str]] = {}
        self.new_manifest: dict[str, dict[str, str]] = {}
        self.report = BuildReport()

    def _target(self, rel: str) -> Path:
        target = (self.out / rel).resolve()
        if not target.is_relative_to(self.out):  # names come from ids and slugs; belt and braces
            raise BuildError(f"refusing to write outside {self.out}: {rel!r}")
        return target

    def _load_manifest(self) -> None:
        path = self.out / MANIFEST
        if not path.exists():
            return
        try:
            data = json.loads(path.read_text("utf-8"))
            pages = data["pages"] if data.get("render") == RENDER_VERSION else {}
        except (ValueError, KeyError, TypeError):
            pages = {}  # unreadable: rebuild everything
        # Only names this builder could have written: a hand-edited manifest naming "../x"
        # must not make the stale-file cleanup delete anything outside OUTDIR.
        self.manifest = {
            k: v
            for k, v in pages.items()
            if isinstance(v, dict) and isinstance(k, str) and _SAFE_NAME.fullmatch(k)
        }

    def _write(self, rel: str, data: bytes, version: str) -> None:
        digest = hashlib.sha256(data).hexdigest()
        self.new_manifest[rel] = {"version": version, "sha256": digest}
        target = self._target(rel)
        old = self.manifest.get(rel)
        if old and old.get("sha256") == digest and target.exists():
            self.report.unchanged += 1
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, data)
        self.report.written.append(rel)

    def _keep(self, rel: str, version: str) -> bool:
        """Whether the file for `rel` is current for `version` (then it is carried over).

        os.path.exists, not _target: resolving every path cost a third of a rebuild, and a
        kept file is never written (only the manifest's own names are looked at)."""
        old = self.manifest.get(rel)
        if old and old.get("version") == version and os.path.exists(self.out / rel):
            self.new_manifest[rel] = old
            self.report.unchanged += 1
            return True
        return False

    async def _page(self, path: str, version: str, render: Callable[[], Awaitable[Page]]) -> None:
        rel = _file_for(path)
        if version and self._keep(rel, version):
            return
        try:
            page = await render()
        except PageError:
            return  # nothing to show at this path any more
        self.report.rendered += 1
        self._write(rel, page.body.encode("utf-8"), version)

    async def build(self) -> BuildReport:
        self._load_manifest()
        self.out.mkdir(parents=True, exist_ok=True)
        db = self.site.db
        async with db.session() as session:
            summaries = await wa.all_summaries(session)
            threads = await wa.public_threads_of(session)
            versions = await wa.thread_versions(session)
            hidden = await wa.hidden_version(session)
            issues = await wa.numbered_issues(session)
        summary_versions: dict[int, str] = {}
        for summary in summaries:
            sid = summary.id
            thread = threads.get(sid)
            summary_versions[sid] = _digest(
                RENDER_VERSION,
                sid,
                summary.issue_number,
                summary.title,
                summary.content_hash,
                str(summary.updated_at),
                thread,
                versions.get(thread) if thread else None,
                hidden,
            )
        by_issue: dict[int | None, list[int]] = {}
        for summary in summaries:
            by_issue.setdefault(summary.issue_number, []).append(summary.id)
        for summary in summaries:
            sid = summary.id
            for order in ORDERS:
                await self._page(
                    summary_path(sid, summary.title, order),
                    summary_versions[sid] + order,
                    lambda sid=sid, order=order: self.site.summary(sid, order),  # type: ignore[misc]
                )
        for issue in issues:
            number = issue.number or 0
            members = by_issue.get(number, [])
            version = _digest(
                RENDER_VERSION, number, issue.label, issue.title, str(issue.published_at),
                *(summary_versions[s] for s in members),
            )  # fmt: skip
            await self._page(
                issue_path(number),
                version,
                lambda n=number: self.site.issue(n),  # type: ignore[misc]
            )
        for path, render in (
            ("/", self.site.home),
            ("/issues/", self.site.issues_index),
            ("/feed.xml", self.site.feed),
            ("/sitemap.xml", self.site.sitemap),
        ):
            await self._page(path, "", render)
        await self._search_index(summaries, threads, versions, hidden)
        missing = self.site.error(404, "There is no page at this address.")
        self._write("404.html", missing.body.encode("utf-8"), "")
        self._write_static()
        self._remove_stale()
        self._save_manifest()
        return self.report

    async def _search_index(
        self,
        summaries: list[wa.SummaryHead],
        threads: dict[int, int],
        versions: dict[int, wa.ThreadVersion],
        hidden: str,
    ) -> None:
        """The search page and its index (web.search_index): only changed units are read again,
        only changed shards written; the others are carried over."""
        index = IndexState(self.out)
        index.load()
        if not index.versions or not self.manifest or not (self.out / "search").is_dir():
            index.start_fresh()
        titles = {s.id: s.title for s in summaries}
        units: dict[str, str] = {}
        for summary in summaries:
            units[f"s{summary.id}"] = _digest(
                FORMAT, summary.title, summary.content_hash, str(summary.updated_at),
                summary.issue_number,
            )  # fmt: skip
        thread_summary: dict[int, int] = {}
        for sid, thread in threads.items():
            if sid in titles:
                thread_summary[thread] = sid
                units[f"t{thread}"] = _digest(
                    FORMAT, versions.get(thread), hidden, sid, titles[sid]
                )
        changed = {u for u, v in units.items() if index.versions.get(u) != v}
        gone = set(index.versions) - set(units)
        summary_ids = [int(u[1:]) for u in changed if u.startswith("s")]
        thread_ids = [int(u[1:]) for u in changed if u.startswith("t")]
        docs: dict[str, dict[str, Doc]] = {u: {} for u in changed}
        for row in await self._summary_rows(summary_ids):
            docs[f"s{row.id}"][f"s{row.id}"] = summary_doc(
                title=row.title,
                authors=row.authors,
                summarizer=row.summarizer,
                section=row.section,
                summary=row.summary or "",
                opinions=row.opinions or [],
                path=summary_path(row.id, row.title),
                issue=row.label or "",
            )
        rows = await self.site.db.run_sync(public_comments_on, thread_ids)
        for row in rows:
            sid = thread_summary[row.thread_id]
            created = wa.as_utc(row.created_at)
            docs[f"t{row.thread_id}"][f"c{row.id}"] = comment_doc(
                author=row.author_name,
                content=row.content or "",
                created_at=created.date().isoformat() if created else "",
                path=summary_path(sid, titles[sid]) + f"#c{row.id}",
                title=titles[sid],
            )
        for unit in sorted(changed):
            index.update(unit, units[unit], docs[unit])
        for unit in sorted(gone):
            index.update(unit, None, {})
        written = set()
        for rel, data in index.shards():
            self._write(rel, data, "")
            written.add(rel)
        self._carry_shards(written)
        index.save()
        page = self.site.search_page()
        self._write("search/index.html", page.body.encode("utf-8"), "")

    def _carry_shards(self, written: set[str]) -> None:
        """Keep the index shards this build did not touch (and their manifest entries)."""
        for rel, entry in self.manifest.items():
            shard = rel.startswith("search/") and rel.endswith(".json")
            if shard and rel not in written and os.path.exists(self.out / rel):
                self.new_manifest[rel] = entry

    async def _summary_rows(self, ids: list[int]) -> list[Any]:
        if not ids:
            return []
        s = wa.SUMMARIES.c
        statement = (
            sa.select(
                s.id, s.title, s.authors, s.summarizer, s.section, s.summary, s.opinions,
                wa.ISSUES.c.label,
            )
            .outerjoin(wa.ISSUES, wa.ISSUES.c.id == s.issue_id)
            .where(s.id.in_(ids))
        )  # fmt: skip
        async with self.site.db.connect() as conn:
            return list(await conn.execute(statement))

    def _write_static(self) -> None:
        for item in sorted(STATIC.iterdir()):
            if item.is_file():
                self._write(f"static/{item.name}", item.read_bytes(), "")

    def _remove_stale(self) -> None:
        for rel in sorted(set(self.manifest) - set(self.new_manifest)):
            target = self._target(rel)
            if target.is_file():
                target.unlink()
                self.report.removed.append(rel)
            parent = target.parent
            while parent != self.out and parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent

    def _save_manifest(self) -> None:
        data = json.dumps(
            {"render": RENDER_VERSION, "pages": self.new_manifest}, sort_keys=True
        ).encode()
        write_atomic(self.out / MANIFEST, data)


def _digest(*parts: Any) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


async def build_site(db: Database, outdir: Path, *, base_url: str) -> BuildReport:
    return await Builder(db, outdir, base_url=base_url).build()
