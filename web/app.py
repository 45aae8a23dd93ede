"""`anbot web`: the archive served live by aiohttp from the database the bot writes.

Read-only: only GET/HEAD routes exist (anything else is 405 from aiohttp's router). Every page
is rendered per request (a comment mirrored a second ago is on the next load). Security headers
on every response: a Content-Security-Policy allowing only the site's own CSS and JS, no
framing, no referrer to other sites, no MIME sniffing. Errors are pages with one sentence:
unknown ids 404, malformed input 400, never a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from importlib.resources import files
from pathlib import Path

from aiohttp import web

from storage.db import Database
from web.site import CSP, Page, PageError, Site
from web.urls import BadPath, parse_issue_number, parse_order, parse_summary_key

log = logging.getLogger(__name__)
STATIC = Path(str(files("web") / "static"))
SITE_KEY: web.AppKey[Site] = web.AppKey("site", Site)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# aiohttp refuses request lines over 8190 bytes with a bare 400 of its own; a 10k-character
# query deserves the sentence the search page gives, so the parser takes up to MAX_URL.
MAX_URL = 32_768


def respond(page: Page) -> web.Response:
    return web.Response(
        body=page.data, status=page.status, content_type=page.content_type, charset="utf-8"
    )


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Security headers everywhere; PageError/BadPath and unknown routes as sentence pages."""
    site = request.app[SITE_KEY]
    try:
        if len(str(request.rel_url)) > MAX_URL:
            raise PageError(400, "That address is too long.")
        response = await handler(request)
    except PageError as exc:
        response = respond(site.error(exc.status, exc.message))
    except BadPath as exc:
        response = respond(site.error(404, str(exc)))
    except web.HTTPNotFound:
        response = respond(site.error(404, "There is no page at this address."))
    except web.HTTPMethodNotAllowed:
        response = respond(site.error(405, "This site is read-only: only GET requests."))
        response.set_status(405)
    except web.HTTPException:
        raise
    except Exception:
        log.exception("page failed: %s", request.path)
        response = respond(site.error(500, "Something went wrong building this page."))
        response.set_status(500)
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP + "; frame-ancestors 'none'")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    return response


def _site(request: web.Request) -> Site:
    site = request.app[SITE_KEY]
    site.forget()
    return site


async def home(request: web.Request) -> web.Response:
    return respond(await _site(request).home())


async def issues(request: web.Request) -> web.Response:
    return respond(await _site(request).issues_index())


async def issue(request: web.Request) -> web.Response:
    number = parse_issue_number(request.match_info["number"])
    return respond(await _site(request).issue(number))


async def summary(request: web.Request) -> web.Response:
    summary_id, _slug = parse_summary_key(request.match_info["key"])
    order = parse_order(request.match_info.get("sort") or request.query.get("sort"))
    site = _site(request)
    page = await site.summary(summary_id, order)
    return respond(page)


async def search(request: web.Request) -> web.Response:
    query = request.query
    try:
        page = int(query.get("page", "1"))
        before = int(query["before"]) if "before" in query else None
    except ValueError:
        raise PageError(400, "page and before are whole numbers.") from None
    if before is not None and not 0 < before < 2**63:
        raise PageError(400, "before is a comment number.")
    return respond(
        await _site(request).search(
            query.get("q"), scope=query.get("scope", "all"), page=page, before=before
        )
    )


async def feed(request: web.Request) -> web.Response:
    return respond(await _site(request).feed())


async def sitemap(request: web.Request) -> web.Response:
    return respond(await _site(request).sitemap())


async def robots(request: web.Request) -> web.Response:
    site = _site(request)
    return web.Response(text=f"User-agent: *\nAllow: /\nSitemap: {site.url('/sitemap.xml')}\n")


def make_app(db: Database, *, base_url: str) -> web.Application:
    app = web.Application(middlewares=[guard], handler_args={"max_line_size": MAX_URL})
    app[SITE_KEY] = Site(db, base_url=base_url, live=True)
    app.router.add_get("/", home)
    app.router.add_get("/issues/", issues)
    app.router.add_get("/issues/{number}", issue)
    app.router.add_get("/issues/{number}/", issue)
    app.router.add_get("/summaries/{key}", summary)
    app.router.add_get("/summaries/{key}/", summary)
    app.router.add_get("/summaries/{key}/{sort}/", summary)
    app.router.add_get("/search", search)
    app.router.add_get("/feed.xml", feed)
    app.router.add_get("/sitemap.xml", sitemap)
    app.router.add_get("/robots.txt", robots)
    app.router.add_static("/static/", STATIC, follow_symlinks=False, show_index=False)
    return app
