"""Every page of the web archive, rendered from the database: shared by `anbot web` and the build.

Each page function reads through storage.web_archive (which applies the public rule: published,
readable by @everyone, not deleted, hidden members hidden) and renders a Jinja2 template with
autoescape on; summary and comment texts are Markdown rendered by threads.render.discord_html
(allow-list sanitized) and handed to templates as Markup only from there.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from bot.publish.render import link_cross_refs
from storage import web_archive as wa
from storage.comments import records_for_thread
from storage.db import Database
from storage.models import Issue, Summary
from storage.search import CANDIDATES, search_summaries
from storage.search.discussions import MAX_PAGE, search_discussions
from storage.search.query import MAX_QUERY_LENGTH, QuerySyntaxError, parse_query
from threads.order import ORDERS, Order
from threads.render.discord_html import discord_html
from threads.timeutil import human, iso
from web.discussion import render_discussion
from web.urls import issue_path, summary_path

SITE_NAME = "Alignment Newsletter discussions"
HOME_ISSUES = 30
HOME_DISCUSSIONS = 10
SEARCH_PAGE = 20
PAGE_CACHE = 256  # rendered summary pages kept by the live server, each with its version
SUMMARY_HITS_ON_ALL = 5
MAX_SEARCH_PAGE = CANDIDATES // SEARCH_PAGE + 50
CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
    "form-action 'self'; base-uri 'none'"
)
_BOLD = re.compile(r"\*\*(.+?)\*\*")


@dataclass
class Page:
    body: str
    status: int = 200
    content_type: str = "text/html"

    @cached_property
    def data(self) -> bytes:
        """The body as UTF-8, encoded once (a cached page is served many times)."""
        return self.body.encode("utf-8")


class PageError(Exception):
    """Answered as an error page: 404 (names nothing) or 400 (cannot be understood)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(slots=True)
class SummaryRow:
    """A summary as an issue page lists it."""

    summary: Summary
    path: str
    comments: int = 0
    last_at: str | None = None


@dataclass
class Site:
    db: Database
    base_url: str = "http://127.0.0.1:8080"
    live: bool = True  # False: the static build (search runs in the browser, web/static/search.js)
    _issues: set[int] | None = field(default=None, repr=False)
    _pages: OrderedDict[tuple[int, str], tuple[tuple[Any, ...], Page]] = field(
        default_factory=OrderedDict, repr=False
    )

    @cached_property
    def env(self) -> Environment:
        env = Environment(
            loader=PackageLoader("web", "templates"),
            autoescape=select_autoescape(["html", "xml"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.globals.update(
            site_name=SITE_NAME,
            live=self.live,
            base_url=self.base_url.rstrip("/"),
            # The static site's search page is a directory (search/index.html): a static host
            # answers /search/?q=…, which web/static/search.js reads.
            search_action="/search" if self.live else "/search/",
        )
        env.filters["human"] = human
        env.filters["iso"] = iso
        env.filters["snippet"] = snippet_html
        return env

    def render(self, template: str, *, status: int = 200, **context: Any) -> Page:
        html = self.env.get_template(template).render(**context)
        content_type = "application/xml" if template.endswith(".xml") else "text/html"
        if template == "feed.xml":
            content_type = "application/atom+xml"
        return Page(html, status, content_type)

    def error(self, status: int, message: str) -> Page:
        title = "Not found" if status == 404 else "Bad request"
        return self.render("error.html", status=status, title=title, message=message)

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    # --- pages -----------------------------------------------------------------------------

    async def home(self) -> Page:
        async with self.db.session() as session:
            issues = await wa.numbered_issues(session, limit=HOME_ISSUES)
            counts = await wa.summary_counts(session, [i.id for i in issues if i.id])
            recent = await wa.recent_discussions(session, HOME_DISCUSSIONS)
            summaries = await _summaries(session, [r.summary_id for r in recent])
        discussions = [
            {"title": r.title, "path": summary_path(r.summary_id, r.title), "last_at": r.last_at}
            for r in recent
            if r.summary_id in summaries
        ]
        return self.render(
            "home.html",
            canonical=self.url("/"),
            description="The Alignment Newsletter's summaries and their community discussions.",
            issues=[(i, counts.get(i.id or 0, 0)) for i in issues],
            discussions=discussions,
        )

    async def issues_index(self) -> Page:
        async with self.db.session() as session:
            issues = await wa.numbered_issues(session)
        return self.render(
            "issues.html",
            canonical=self.url("/issues/"),
            description=f"All {len(issues)} issues of the Alignment Newsletter.",
            issues=issues,
        )

    async def issue(self, number: int) -> Page:
        async with self.db.session() as session:
            found = await wa.numbered_issues(session, limit=1, below=number + 1)
            if not found or found[0].number != number:
                raise PageError(404, f"There is no issue {number} in this archive.")
            issue = found[0]
            rows = await _issue_summaries(session, issue)
        return self.render(
            "issue.html",
            canonical=self.url(issue_path(number)),
            description=f"{issue.label or issue.title}: {len(rows)} summaries and discussions.",
            issue=issue,
            rows=rows,
        )

    async def summary(self, summary_id: int, order: Order = "old") -> Page:
        """The summary page; live, an unchanged page comes from a small cache (its version,
        storage.web_archive.summary_version_on, is read on every request)."""
        if not self.live:
            return await self._summary(summary_id, order)
        version = await self.db.run_sync(wa.summary_version_on, summary_id, snapshot=False)
        key = (summary_id, order)
        cached = self._pages.get(key)
        if version is not None and cached is not None and cached[0] == version:
            self._pages.move_to_end(key)
            return cached[1]
        page = await self._summary(summary_id, order)
        if version is not None:
            self._pages[key] = (version, page)
            while len(self._pages) > PAGE_CACHE:
                self._pages.popitem(last=False)
        return page

    async def _summary(self, summary_id: int, order: Order) -> Page:
        async with self.db.session() as session:
            summary = await session.get(Summary, summary_id)
            if summary is None:
                raise PageError(404, f"There is no summary {summary_id} in this archive.")
            issue = await session.get(Issue, summary.issue_id) if summary.issue_id else None
            if issue is None or issue.number is None:
                raise PageError(404, f"There is no summary {summary_id} in this archive.")
            threads = await wa.public_threads_of(session, [summary_id])
            thread_id = threads.get(summary_id)
            records = await records_for_thread(session, thread_id) if thread_id else []
            hidden = await wa.hidden_members(session, [r.author_id for r in records])
            known = await self.known_issues(session)
        discussion = render_discussion(records, order=order, hidden_authors=hidden)
        links = {f"AN #{n}": issue_path(n) for n in known}
        return self.render(
            "summary.html",
            canonical=self.url(summary_path(summary_id, summary.title)),
            description=_describe(summary),
            summary=summary,
            issue=issue,
            text=_markdown(summary.summary, links),
            opinions=[
                {"by": o.get("by", ""), "html": _markdown(o.get("text", ""), links)}
                for o in summary.opinions
            ],
            prerequisites=_markdown(summary.prerequisites or "", links),
            read_more=_markdown(summary.read_more or "", links),
            link=summary.link if _web_url(summary.link) else None,
            has_thread=thread_id is not None,
            discussion=Markup(discussion.html),  # built escaped by web.discussion
            comments=discussion.comments,
            newest=discussion.newest,
            order=order,
            orders=[(o, summary_path(summary_id, summary.title, o)) for o in ORDERS],
            summary_id=summary_id,
        )

    def search_page(self) -> Page:
        """The static site's search page (`anbot web build`): web/static/search.js answers
        /search/?q= from the index web.search_index writes; without JavaScript, a sentence."""
        return self.render(
            "search.html", canonical=self.url("/search/"), q="", description="Search", hits=None
        )

    async def search(
        self, q: str | None, *, scope: str = "all", page: int = 1, before: int | None = None
    ) -> Page:
        if q is None or not q.strip():
            return self.render(
                "search.html", canonical=self.url("/search"), q="", description="Search", hits=None
            )
        if len(q) > MAX_QUERY_LENGTH:
            raise PageError(
                400, f"That query is {len(q):,} characters long; keep it under {MAX_QUERY_LENGTH}."
            )
        if scope not in ("all", "summaries", "discussions"):
            raise PageError(400, "scope is one of all, summaries, discussions.")
        if not 1 <= page <= MAX_SEARCH_PAGE:
            raise PageError(400, f"Page {page} is past the last page of any search.")
        summaries_page = comments_page = None
        errors: list[str] = []
        if scope in ("all", "summaries"):
            try:
                query = parse_query(q)
            except QuerySyntaxError as exc:
                errors.append(f"Summaries: {exc}.")
            else:
                size = SUMMARY_HITS_ON_ALL if scope == "all" else SEARCH_PAGE
                summaries_page = await search_summaries(
                    self.db, query, limit=size, offset=(page - 1) * size
                )
        if scope in ("all", "discussions"):
            try:
                dquery = parse_query(q, discussions=True)
            except QuerySyntaxError as exc:
                errors.append(f"Discussions: {exc}.")
            else:
                comments_page = await search_discussions(
                    self.db, dquery, limit=min(SEARCH_PAGE, MAX_PAGE), before=before
                )
        if summaries_page is None and comments_page is None:
            raise PageError(400, " ".join(errors))
        summary_hits = []
        if summaries_page is not None:
            summary_hits = [
                {
                    "title": h.summary.title,
                    "path": summary_path(h.summary.id or 0, h.summary.title),
                    "issue": h.issue_label,
                    "snippet": h.snippet,
                }
                for h in summaries_page.hits
            ]
        comment_hits = []
        if comments_page is not None:
            comment_hits = [
                {
                    "title": h.summary_title,
                    "path": summary_path(h.summary_id, h.summary_title) + f"#c{h.comment_id}",
                    "who": h.author_name,
                    "when": h.created_at,
                    "snippet": h.snippet,
                }
                for h in comments_page.hits
            ]
        return self.render(
            "search.html",
            canonical=self.url("/search"),
            description=f"Search results for {q[:80]}",
            q=q,
            scope=scope,
            page=page,
            errors=errors,
            hits=True,
            summary_hits=summary_hits,
            summary_total=summaries_page.total_text if summaries_page else None,
            summary_more=bool(
                summaries_page and page * (len(summary_hits) or 1) < summaries_page.total
            ),
            comment_hits=comment_hits,
            next_before=comments_page.next_before if comments_page else None,
        )

    async def feed(self) -> Page:
        async with self.db.session() as session:
            issues = await wa.numbered_issues(session, limit=5)
            summary_rows: list[tuple[Summary, Issue]] = []
            for issue in issues:
                for row in await _issue_summaries(session, issue):
                    summary_rows.append((row.summary, issue))
            recent = await wa.recent_discussions(session, 20)
        entries: list[dict[str, Any]] = []
        for summary, issue in summary_rows[:40]:
            when = issue.published_at or summary.updated_at
            entries.append(
                {
                    "title": f"{issue.label or ''} {summary.title}".strip(),
                    "url": self.url(summary_path(summary.id or 0, summary.title)),
                    "id": self.url(summary_path(summary.id or 0, summary.title)),
                    "updated": when,
                    "summary": _plain(summary.summary)[:300],
                }
            )
        for r in recent:
            url = self.url(summary_path(r.summary_id, r.title))
            entries.append(
                {
                    "title": f"New comments: {r.title}",
                    "url": url,
                    "id": f"{url}#discussion-{int(r.last_at.timestamp())}",
                    "updated": r.last_at,
                    "summary": "New comments in the discussion.",
                }
            )
        entries.sort(key=lambda e: e["updated"], reverse=True)
        updated = entries[0]["updated"] if entries else datetime(2018, 1, 1, tzinfo=UTC)
        return self.render(
            "feed.xml", entries=entries, updated=updated, self_url=self.url("/feed.xml")
        )

    async def sitemap(self) -> Page:
        async with self.db.session() as session:
            issues = await wa.numbered_issues(session)
            summaries = await wa.all_summaries(session)
        urls = [self.url("/"), self.url("/issues/")]
        urls += [self.url(issue_path(i.number)) for i in issues if i.number is not None]
        urls += [self.url(summary_path(s.id, s.title)) for s in summaries]
        return self.render("sitemap.xml", urls=urls)

    async def known_issues(self, session: Any) -> set[int]:
        if self._issues is None:
            rows = await wa.run(
                session, sa.select(wa.ISSUES.c.number).where(wa.ISSUES.c.number.is_not(None))
            )
            self._issues = {int(r.number) for r in rows}
        return self._issues

    def forget(self) -> None:
        """Drop what a page render remembers across pages (the live server calls this per
        request: new issues appear at once; a build keeps it for all its pages)."""
        self._issues = None


async def _summaries(session: Any, ids: Sequence[int]) -> dict[int, Summary]:
    if not ids:
        return {}
    rows = await wa.run(session, sa.select(wa.SUMMARIES).where(wa.SUMMARIES.c.id.in_(list(ids))))
    return {row.id: Summary(**row._mapping) for row in rows}


async def _issue_summaries(session: Any, issue: Issue) -> list[SummaryRow]:
    rows = await wa.run(
        session,
        sa.select(wa.SUMMARIES)
        .where(wa.SUMMARIES.c.issue_id == issue.id)
        .order_by(wa.SUMMARIES.c.position, wa.SUMMARIES.c.id),
    )
    summaries = [Summary(**row._mapping) for row in rows]
    threads = await wa.public_threads_of(session, [s.id for s in summaries if s.id])
    active = await wa.activity(session, list(threads.values()))
    out: list[SummaryRow] = []
    for s in summaries:
        row = SummaryRow(s, summary_path(s.id or 0, s.title))
        found = active.get(threads.get(s.id or 0, -1))
        if found:
            row.comments = found.comments
            row.last_at = human(found.last_at) if found.last_at else None
        out.append(row)
    return out


def _markdown(text: str, links: dict[str, str]) -> Markup:
    return Markup(discord_html(link_cross_refs(text.strip(), links)))


def snippet_html(text: str) -> Markup:
    """A search snippet (matches in **bold**) as escaped HTML with <mark> around matches."""
    escaped = str(Markup.escape(text))
    return Markup(_BOLD.sub(r"<mark>\1</mark>", escaped))  # escaped above


def _plain(text: str) -> str:
    return " ".join(re.sub(r"[*_`>#\[\]()|~]", "", text).split())


def _describe(summary: Summary) -> str:
    people = f" by {summary.authors}" if summary.authors else ""
    return f"{summary.title}{people}: {_plain(summary.summary)[:200]}"


def _web_url(url: str | None) -> bool:
    return bool(url) and str(url).startswith(("https://", "http://"))
