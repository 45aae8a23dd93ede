"""The archive in a real browser: Debian's chromium driven by Playwright (never downloaded).

Against the live server on 127.0.0.1 with the seeded archive (the demo's AN #56 with the seed
issue's real forum comments, plus hostile data): navigation home → issue → summary → comment
permalink (with and without JavaScript), the three sorts, search by phrase and by commenter,
the new-since highlight on a second visit, and XSS payloads in titles, comments, author names
and URLs that must never run (checked with the page's CSP bypassed, so escaping alone is
tested; a control page with the same payloads unescaped proves the check notices). Every
request the pages make must go to the site itself. A screenshot is saved under artifacts/.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from playwright.async_api import Browser, Page, async_playwright

from storage.comments import apply_events
from storage.comments.events import MessageUpsert
from storage.db import Database
from tests.threads.payloads import PAYLOADS
from tests.web.conftest import Served, serve
from tests.web.seed import seed_site
from web.app import make_app

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FOUND = Path(CHROMIUM).exists()
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
async def live(sqlite_db: Database) -> AsyncIterator[Served]:
    ids = await seed_site(sqlite_db)
    runner, url = await serve(make_app(sqlite_db, base_url="https://archive.example.org"))
    try:
        async with aiohttp.ClientSession() as http:
            yield Served(sqlite_db, ids, url, http)
    finally:
        await runner.cleanup()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM_FOUND:
        pytest.fail("chromium not found at /usr/bin/chromium: apt-get install -y chromium")
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield b
        finally:
            await b.close()


class Watch:
    """What a page did that it must not: dialogs, requests elsewhere, script errors."""

    def __init__(self, page: Page, origin: str) -> None:
        self.dialogs: list[str] = []
        self.foreign: list[str] = []
        page.on("dialog", self._dialog)
        page.on(
            "request", lambda r: None if r.url.startswith(origin) else self.foreign.append(r.url)
        )

    async def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        await dialog.dismiss()


async def pwned(page: Page) -> list[str]:
    """Signs that a payload ran: the title or body changed by script, an injected element."""
    signs: list[str] = []
    if await page.title() == "PWNED":  # what the payloads set (titles also hold them as text)
        signs.append("title")
    if await page.evaluate("document.body && document.body.hasAttribute('data-pwned')"):
        signs.append("data-pwned")
    if await page.query_selector("#pwned"):
        signs.append("#pwned element")
    if await page.query_selector("script:not([src])"):
        signs.append("inline script element")
    if await page.query_selector("iframe, img[onerror], svg[onload], meta[http-equiv=refresh]"):
        signs.append("injected element")
    return signs


async def test_navigation_sorts_permalink_search_new_since(live: Served, browser: Browser) -> None:
    context = await browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    page = await context.new_page()
    watch = Watch(page, live.url)
    ids = live.seeded.comment_ids

    await page.goto(live.url + "/")
    await page.click("text=AN #56")
    assert page.url.endswith("/issues/56/")
    await page.click("text=HARKing: hypothesizing after the results are known")
    assert "/summaries/" in page.url and "HARKing" in await page.title()
    summary_url = page.url.split("#")[0]
    assert await page.is_visible("text=Preregistration")
    assert await page.is_visible("a[href='/issues/55/']")  # the cross reference is a link
    # A deep comment sits in a closed branch until its permalink is followed.
    deep = f"#c{ids['certainly']}"
    assert not await page.is_visible(deep)
    await page.goto(summary_url + deep)
    assert await page.is_visible(deep)
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "web-summary-permalink.png"), full_page=True)
    # Tombstone with its reply kept, hidden member, edit history one click away.
    assert await page.is_visible(f"#c{live.seeded.tombstone} >> text=This comment was deleted.")
    assert await page.is_visible("text=a reply that outlives its parent")
    assert await page.is_visible(f"#c{live.seeded.hidden_comment} >> text=hidden by its author")
    edited = f"#c{live.seeded.edited} details.edited"
    assert not await page.is_visible(f"{edited} ol")
    await page.click(f"{edited} > summary")
    assert await page.is_visible(f"{edited} ol >> text=Gelman blog post")

    async def first_root() -> str | None:
        return await page.get_attribute(".comments > article.c", "id")

    assert await first_root() == f"c{ids['agency']}"
    await page.click("nav.sort >> text=new")
    assert page.url.endswith("/new/")
    assert await first_root() == f"c{live.seeded.hidden_comment}"
    await page.click("nav.sort >> text=top")
    assert page.url.endswith("/top/")
    assert await first_root() == f"c{ids['yay']}"

    await page.fill("form.search input[name=q]", '"garden of forking paths"')
    await page.press("form.search input[name=q]", "Enter")
    await page.wait_for_load_state()
    results = await page.inner_text("main")
    assert "Rohin Shah on HARKing" in results
    await page.click("ol.hits >> text=Rohin Shah on HARKing")
    assert page.url.endswith(f"#c{ids['terminology']}")
    assert await page.is_visible(f"#c{ids['terminology']}")
    await page.goto(live.url + '/search?q=by:"Charlie Steiner"&scope=discussions')
    names = await page.locator("ol.hits li > a").all_inner_texts()
    assert len(names) == 2 and all(n.startswith("Charlie Steiner on ") for n in names)

    # New since the last visit: the first visit remembers, a comment arrives, the second shows it.
    await page.goto(summary_url)
    assert await page.locator("article.c.new").count() == 0
    new_id = 990_001
    async with live.db.session() as session:
        event = MessageUpsert(
            new_id, live.seeded.hark_thread, 31, "Newcomer", "A fresh thought arrives",
            datetime.now(UTC), parent_id=ids["replicate"],
        )  # fmt: skip
        await apply_events(session, [event])
        await session.commit()
    await page.goto(summary_url)
    assert await page.locator("article.c.new").count() == 1
    assert await page.get_attribute("article.c.new", "id") == f"c{new_id}"
    bar = page.locator(".newbar a")
    assert "1 new since your last visit" in await bar.inner_text()
    await bar.click()
    assert await page.is_visible(f"#c{new_id}")  # opened although its branch starts closed
    await page.screenshot(path=str(ARTIFACTS / "web-summary-new-since.png"), full_page=True)
    assert watch.dialogs == [] and watch.foreign == []
    await context.close()


async def test_permalink_opens_branch_without_javascript(live: Served, browser: Browser) -> None:
    context = await browser.new_context(java_script_enabled=False)
    page = await context.new_page()
    await page.goto(live.url + "/issues/56/")
    await page.click("text=HARKing: hypothesizing after the results are known")
    deep = f"#c{live.seeded.comment_ids['certainly']}"
    assert not await page.is_visible(deep)
    await page.goto(page.url + deep)
    assert await page.is_visible(deep)
    await context.close()


async def control_server(payload_html: str) -> tuple[web.AppRunner, str]:
    """A page carrying the payloads unescaped and without CSP: the detector must fire here."""

    async def control(_request: web.Request) -> web.Response:
        return web.Response(text=payload_html, content_type="text/html")

    app = web.Application()
    app.router.add_get("/", control)
    return await serve(app)


async def test_xss_payloads_never_run(live: Served, browser: Browser) -> None:
    context = await browser.new_context(bypass_csp=True)  # escaping alone must hold
    page = await context.new_page()
    watch = Watch(page, live.url)
    hostile_id = live.seeded.hostile_summary
    paths = [
        "/issues/56/",
        f"/summaries/{hostile_id}-hostile/",
        f"/summaries/{hostile_id}-hostile/top/",
        "/search?q=before+after",
        "/search?q=" + aiohttp.helpers.quote(PAYLOADS[0], safe=""),
        "/",
    ]
    for path in paths:
        await page.goto(live.url + path)
        await page.wait_for_timeout(300)  # timers, onload, ontoggle
        assert await pwned(page) == [], path
        for link in await page.locator("a[href]").evaluate_all("as => as.map(a => a.href)"):
            assert not link.lower().startswith(("javascript:", "data:", "vbscript:")), link
    body = await page.content()
    assert "&lt;script&gt;" in body or "script" not in body.lower().split("</head>")[1]
    await page.goto(live.url + f"/summaries/{hostile_id}-hostile/")
    assert await page.locator("article.c").count() == len(PAYLOADS)  # they are shown, as text
    assert watch.dialogs == [] and watch.foreign == [], (watch.dialogs, watch.foreign)

    control_html = (
        f"<html><head><title>{escape('control')}</title></head><body>"
        + "".join(f"<div>{p}</div>" for p in PAYLOADS)
        + "</body></html>"
    )
    runner, url = await control_server(control_html)
    try:
        await page.goto(url + "/")
        await page.wait_for_timeout(300)
        assert await pwned(page) != []  # the check can fail
    finally:
        await runner.cleanup()
    await context.close()
