"""Search on the static build (`anbot web build`), in Debian's chromium driven by Playwright.

The built site is served by a plain static file server (Python's http.server) on 127.0.0.1; its
/search/ page answers from the index the build wrote (web.search_index) with
web/static/search.js. A phrase and a by: filter must find the same hits, in the same order, as
the live server on the same database; the page makes no request elsewhere, runs no inline
script, and says in a sentence that it needs JavaScript when there is none. The index holds
nothing the site must not show (private, unpublished or deleted threads, a hidden member).
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import aiohttp
import pytest
from playwright.async_api import Browser, Page

from storage.db import Database
from tests.web.conftest import Served, serve
from tests.web.seed import HIDDEN_MEMBER_TEXT, SECRETS, seed_site
from tests.web.test_browser import ARTIFACTS, Watch, browser, pwned
from web.app import make_app
from web.build import build_site
from web.search_index import STATE_DIR

__all__ = ["browser"]  # the fixture, shared with test_browser

BASE = "https://archive.example.org"


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def static_dir(tmp_path: Path) -> Path:
    return tmp_path / "site"


def _static_server(root: Path) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
async def both(sqlite_db: Database, static_dir: Path) -> AsyncIterator[tuple[Served, str]]:
    """The live server and the static build of the same seeded database."""
    ids = await seed_site(sqlite_db)
    await build_site(sqlite_db, static_dir, base_url=BASE)
    runner, url = await serve(make_app(sqlite_db, base_url=BASE))
    static = _static_server(static_dir)
    try:
        async with aiohttp.ClientSession() as http:
            yield Served(sqlite_db, ids, url, http), next(static)
    finally:
        static.close()
        await runner.cleanup()


async def _hits(page: Page, url: str, *, static: bool) -> list[str]:
    await page.goto(url)
    if static:
        await page.wait_for_selector("#static-search[data-done]", state="attached")
    return await page.locator("ol.hits li > a").evaluate_all(
        "links => links.map(a => a.getAttribute('href') + ' ' + a.textContent)"
    )


QUERIES = [
    ('"garden of forking paths"', "discussions"),
    ('by:"Charlie Steiner"', "discussions"),
    ('by:"Rohin Shah"', "discussions"),
    ('"results are known"', "summaries"),
    ("forking -garden", "discussions"),
]


async def test_static_search_finds_what_the_live_server_finds(
    both: tuple[Served, str], browser: Browser
) -> None:
    live, static = both
    context = await browser.new_context()
    page = await context.new_page()
    live_page = await context.new_page()  # the live server's answers, on a page of their own
    watch = Watch(page, static)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    for q, scope in QUERIES:
        path = f"?q={quote(q)}&scope={scope}"
        want = await _hits(live_page, f"{live.url}/search{path}", static=False)
        got = await _hits(page, f"{static}/search/{path}", static=True)
        assert [h for h in want if not h.startswith("No ")] == got, (q, want, got)
        if scope == "summaries":
            assert got, q  # a query that finds something: the comparison can fail
    # The phrase finds Rohin's comment, and its link opens the comment on the static page.
    got = await _hits(
        page,
        f"{static}/search/?q={quote(chr(34) + 'garden of forking paths' + chr(34))}",
        static=True,
    )
    assert any("Rohin Shah on HARKing" in h for h in got), got
    await page.click("ol.hits >> text=Rohin Shah on HARKing")
    terminology = live.seeded.comment_ids["terminology"]
    assert page.url.endswith(f"#c{terminology}")
    assert await page.is_visible(f"#c{terminology}")
    # The header's form searches the static index too.
    await page.goto(static + "/")
    await page.fill("form.search input[name=q]", 'by:"Charlie Steiner"')
    await page.press("form.search input[name=q]", "Enter")
    await page.wait_for_selector("#static-search[data-done]", state="attached")
    names = await page.locator("ol.hits li > a").all_inner_texts()
    assert len(names) == 2 and all(n.startswith("Charlie Steiner on ") for n in names)
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "web-static-search.png"), full_page=True)
    # A filter only the live archive has, and a malformed query: a sentence, no results.
    await page.goto(f"{static}/search/?q={quote('in:12 forking')}")
    await page.wait_for_selector("#static-search .note")
    assert "live archive" in await page.inner_text("#static-search .note")
    await page.goto(f"{static}/search/?q={quote(chr(34) + 'unclosed')}")
    assert "unclosed quote" in await page.inner_text("#static-search .note")
    # Hostile text in the hits stays text.
    hostile = await _hits(page, f"{static}/search/?q=pwned&scope=all", static=True)
    assert hostile  # the seeded payloads hold the word
    assert await pwned(page) == []
    assert watch.dialogs == [] and watch.foreign == [] and errors == []
    await context.close()


async def test_static_search_without_javascript_says_so(
    both: tuple[Served, str], browser: Browser
) -> None:
    _live, static = both
    context = await browser.new_context(java_script_enabled=False)
    page = await context.new_page()
    await page.goto(f"{static}/search/?q=forking")
    text = await page.inner_text("main")
    assert "needs JavaScript" in text
    assert await page.locator("ol.hits").count() == 0
    await context.close()


async def test_static_index_holds_nothing_private(
    both: tuple[Served, str], static_dir: Path
) -> None:
    live, _static = both
    index = "\n".join(
        p.read_text("utf-8")
        for root in (static_dir / "search", static_dir / STATE_DIR)
        for p in root.rglob("*.json")
    ).casefold()
    assert "garden" in index and "charlie steiner" in index  # the public thread is there
    for key, word in SECRETS.items():
        assert word not in index, key
        assert f"c{live.seeded.secret_comments[key]}" not in index, key
    assert HIDDEN_MEMBER_TEXT.split()[-1] not in index  # the hidden member's own word
    assert f"c{live.seeded.tombstone}" not in index
    assert "shy member" not in index
    assert f"c{live.seeded.hidden_comment}" not in index
