"""The HTML export in a real browser: hostile comments must not run, restyle or navigate.

Headless Chromium loads the export from a file, runs whatever it would run (with virtual time
so timers and load events fire), and dumps the resulting DOM. A control page that carries the
same payloads unescaped proves the harness notices when a payload does run.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests.threads.payloads import (
    MARKDOWN_PAYLOADS,
    PAYLOADS,
    PWN,
    SAFE_TITLE,
    hostile_markdown_thread,
    hostile_thread,
)
from tests.threads.seed_comments import seed_records
from threads.export import export
from threads.export.html_page import CSP
from threads.model import ThreadInfo

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


@pytest.fixture(scope="module")
def chromium() -> str:
    path = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )
    if path is None:
        pytest.fail(
            "chromium not found: the HTML export security test needs a real browser. "
            "Install Debian's package: apt-get install -y chromium (scripts/test does this)."
        )
    return path


def run_browser(chromium: str, page: Path, profile: Path, *mode: str) -> str:
    command = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=3000",
        *mode,
        page.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, f"chromium failed ({done.returncode}): {done.stderr[-2000:]}"
    return done.stdout


def dump_dom(chromium: str, html: str, tmp_path: Path, name: str) -> BeautifulSoup:
    page = tmp_path / f"{name}.html"
    page.write_text(html, encoding="utf-8")
    dom = run_browser(chromium, page, tmp_path / f"profile-{name}", "--dump-dom")
    assert "<html" in dom, f"no DOM dumped for {name}: {dom[:500]!r}"
    return BeautifulSoup(dom, "html.parser")


def hostile_export() -> tuple[str, int]:
    info, rows = hostile_thread()
    return "".join(export("html", info, rows)), len(rows)


def assert_untouched(soup: BeautifulSoup, comments: int) -> None:
    assert soup.title is not None and soup.title.string == SAFE_TITLE
    assert soup.body is not None and soup.body.get("data-pwned") is None
    assert soup.find(id="pwned") is None
    assert not soup.find_all(["script", "img", "svg", "iframe", "details"])
    assert len(soup.find_all("article")) == comments
    text = soup.get_text()
    for payload in PAYLOADS:
        assert f"before {payload} after" in text  # shown to the reader, as text


def test_control_page_shows_the_harness_detects_a_running_payload(
    chromium: str, tmp_path: Path
) -> None:
    control = f"<!DOCTYPE html><title>{SAFE_TITLE}</title><body>{PAYLOADS[1]}</body>"
    soup = dump_dom(chromium, control, tmp_path, "control")
    assert soup.title is not None and soup.title.string == "PWNED"
    assert soup.body is not None and soup.body.get("data-pwned") == "1"
    assert "document.title='PWNED'" in PWN


def test_hostile_comments_do_not_run_in_chromium(chromium: str, tmp_path: Path) -> None:
    html, comments = hostile_export()
    assert_untouched(dump_dom(chromium, html, tmp_path, "export"), comments)


def test_escaping_alone_holds_without_the_csp_meta(chromium: str, tmp_path: Path) -> None:
    html, comments = hostile_export()
    meta = f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
    assert meta in html
    bare = html.replace(meta, "")
    assert_untouched(dump_dom(chromium, bare, tmp_path, "no-csp"), comments)


def test_payloads_inside_markdown_do_not_run_in_chromium(chromium: str, tmp_path: Path) -> None:
    info, rows = hostile_markdown_thread()
    html = "".join(export("html", info, rows))
    for name, page in (("markdown", html), ("markdown-no-csp", _without_csp(html))):
        soup = dump_dom(chromium, page, tmp_path, name)
        assert soup.title is not None and soup.title.string == SAFE_TITLE
        assert soup.body is not None and soup.body.get("data-pwned") is None
        assert not soup.find_all(["script", "img", "svg", "iframe", "details"])
        assert len(soup.find_all("article")) == len(MARKDOWN_PAYLOADS)
        for tag in soup.find_all(True):
            assert not any(attr.lower().startswith("on") for attr in tag.attrs), tag
        for link in soup.find_all("a"):
            assert link["href"].startswith(("https://", "http://", "#c")), link
    # Rendered, not shown as Markdown: the spoiler, the code block, the quote.
    assert soup.find("span", class_="spoiler") is not None
    assert soup.find("pre") is not None and "<script>" in soup.find("pre").get_text()
    assert soup.find("blockquote") is not None


def _without_csp(html: str) -> str:
    meta = f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
    assert meta in html
    return html.replace(meta, "")


def test_a_live_reply_under_a_deleted_comment_looks_live(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from playwright.sync_api import sync_playwright

    from threads.model import CommentRecord

    at = datetime(2024, 6, 1, tzinfo=UTC)
    rows = [
        CommentRecord(1, None, None, None, None, at, deleted=True),
        CommentRecord(2, 1, 5, "bob", "I am a live reply", at),
    ]
    page_file = tmp_path / "deleted.html"
    page_file.write_text("".join(export("html", ThreadInfo(1, "t"), rows)), encoding="utf-8")
    with sync_playwright() as play:
        browser = play.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(page_file.as_uri())
            style = "e => [getComputedStyle(e).fontStyle, getComputedStyle(e).color]"
            dead = page.eval_on_selector("#c1 > .content", style)
            live = page.eval_on_selector("#c2 > .content", style)
            plain = page.eval_on_selector("header h1", style)
        finally:
            browser.close()
    assert dead[0] == "italic"
    assert live[0] == "normal" and live[1] == plain[1]


def test_screenshots_are_kept_in_artifacts(chromium: str, tmp_path: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    records, _ids = seed_records()
    pages = {
        "html-export": hostile_export()[0],
        "html-export-seed": "".join(
            export("html", ThreadInfo(1, "[AN #56] comments"), records, order="old")
        ),
    }
    for name, html in pages.items():
        page = tmp_path / f"{name}.html"
        page.write_text(html, encoding="utf-8")
        shot = ARTIFACTS / f"{name}.png"
        shot.unlink(missing_ok=True)
        run_browser(
            chromium,
            page,
            tmp_path / f"profile-{name}",
            f"--screenshot={shot}",
            "--window-size=1000,1400",
        )
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{shot} is not a PNG"
