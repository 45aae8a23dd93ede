"""`anbot feeds …`: add, list, test, pause, remove, enable against real feeds on 127.0.0.1.

The feeds are served by http.server in a thread (the CLI runs its own event loop); every refusal
is one line on stderr and saves nothing.
"""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from tests.bot.cli.outcome import one_line_error
from tests.bot.feeds.badservers import bad_servers

FEEDS = Path(__file__).resolve().parents[2] / "data" / "feeds"


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "www"
    root.mkdir()
    shutil.copy(FEEDS / "an.atom", root / "an.atom")
    shutil.copy(FEEDS / "an-56.html", root / "page.html")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'feeds.db'}"
    return str(request.getfixturevalue("pg_cli_url"))


def _env(db_url: str, private: bool = True) -> dict[str, str]:
    return {
        "ANBOT_DATABASE_URL": db_url,
        "ANBOT_ALLOW_PRIVATE_FEEDS": "true" if private else "false",
        "ANBOT_FETCH_TIMEOUT": "5",
    }


def test_add_list_test_pause_remove_enable(served: tuple[str, Path], db_url: str) -> None:
    base, root = served
    runner = CliRunner()
    env = _env(db_url)
    url = f"{base}/an.atom"

    added = runner.invoke(app, ["feeds", "add", url, "--channel", "55"], env=env)
    assert added.exit_code == 0, added.output
    entries = (root / "an.atom").read_text().count("<entry>")
    assert re.search(
        rf"AN feed: {entries} items, newest AN #56; \d+ summaries in the newest", added.output
    ), added.output
    assert "<#55> (forum)" in added.output

    listed = runner.invoke(app, ["feeds", "list"], env=env)
    assert listed.exit_code == 0, listed.output
    assert url in listed.output and "<#55> forum" in listed.output
    assert "state: ok" in listed.output and "next poll: at the next poll" in listed.output

    tested = runner.invoke(app, ["feeds", "test", url], env=env)
    assert tested.exit_code == 0, tested.output
    assert "Newest: AN #56" in tested.output
    assert "→ <#55>" in tested.output and "(tag: " in tested.output

    paused = runner.invoke(app, ["feeds", "pause", url], env=env)
    assert paused.exit_code == 0 and "Paused" in paused.output
    listed = runner.invoke(app, ["feeds", "list"], env=env)
    assert "state: paused" in listed.output and "not polled" in listed.output
    resumed = runner.invoke(app, ["feeds", "resume", url], env=env)
    assert resumed.exit_code == 0 and "Resumed" in resumed.output

    enabled = runner.invoke(app, ["feeds", "enable", url], env=env)
    assert enabled.exit_code == 0, enabled.output
    assert "Already enabled; checked" in enabled.output

    removed = runner.invoke(app, ["feeds", "remove", url], env=env)
    assert removed.exit_code == 0, removed.output
    assert "Removed" in removed.output and "0 pending posts dropped" in removed.output
    listed = runner.invoke(app, ["feeds", "list"], env=env)
    assert "No feeds yet" in listed.output

    gone = runner.invoke(app, ["feeds", "remove", url], env=env)
    assert "No feed with the address" in one_line_error(gone)


@pytest.mark.parametrize(
    ("path", "private", "expected"),
    [
        ("missing.atom", True, "answered 404 (not found)"),
        ("page.html", True, "is a web page, not a feed"),
        ("an.atom", False, "points to a private or local address"),
    ],
)
def test_bad_feeds_are_refused_and_nothing_is_saved(
    served: tuple[str, Path], tmp_path: Path, path: str, private: bool, expected: str
) -> None:
    base, _root = served
    runner = CliRunner()
    env = _env(f"sqlite+aiosqlite:///{tmp_path / 'bad.db'}", private=private)
    result = runner.invoke(app, ["feeds", "add", f"{base}/{path}", "--channel", "55"], env=env)
    assert expected in one_line_error(result)
    listed = runner.invoke(app, ["feeds", "list"], env=env)
    assert "No feeds yet" in listed.output


def test_not_http_and_bad_mode_are_refused(tmp_path: Path) -> None:
    runner = CliRunner()
    env = _env(f"sqlite+aiosqlite:///{tmp_path / 'bad.db'}")
    ftp = runner.invoke(app, ["feeds", "add", "ftp://example.org/x", "--channel", "5"], env=env)
    assert "is not an http(s) address" in one_line_error(ftp)
    mode = runner.invoke(
        app, ["feeds", "add", "https://example.org/x", "--channel", "5", "--mode", "x"], env=env
    )
    assert "mode `x` is not one of: forum, thread" in one_line_error(mode)


@pytest.mark.parametrize(
    ("which", "path", "expected"),
    [
        ("https", "/an.atom", "the TLS (https) connection failed: certificate verify failed"),
        ("http", "/big", "is too large: the body passed 65,536 bytes (ANBOT_FETCH_MAX_BYTES)."),
        ("http", "/stall", "did not answer in time: the fetch took longer than 0.5 s"),
    ],
)
def test_tls_too_large_and_timeout_are_refused_and_nothing_is_saved(
    tmp_path: Path, which: str, path: str, expected: str
) -> None:
    runner = CliRunner()
    env = {
        **_env(f"sqlite+aiosqlite:///{tmp_path / 'bad.db'}"),
        "ANBOT_FETCH_TIMEOUT": "0.5",
        "ANBOT_FETCH_MAX_BYTES": "65536",
    }
    with bad_servers() as servers:
        url = getattr(servers, which) + path
        result = runner.invoke(app, ["feeds", "add", url, "--channel", "55"], env=env)
    assert f"{url}" in one_line_error(result) and expected in one_line_error(result)
    listed = runner.invoke(app, ["feeds", "list"], env=env)
    assert "No feeds yet" in listed.output
