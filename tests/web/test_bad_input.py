"""Bad input gets a page with one sentence (404 names nothing, 400 cannot be understood),
never a traceback; the site has no write endpoint; `web build` refuses unsafe output dirs."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests.web.conftest import Served
from web.build import BuildError, build_site

CASES = [
    ("/summaries/999999-nothing/", 404, "There is no summary 999999"),
    ("/summaries/99999999999999999999999-x/", 404, "A summary address"),
    ("/summaries/..%2F..%2Fetc%2Fpasswd/", 404, "A summary address"),
    ("/summaries/1-x/sideways/", 404, "Sort by one of old, new, top."),
    ("/summaries/1-x/?sort=../../x", 404, "Sort by one of"),
    ("/issues/4000/", 404, "There is no issue 4000"),
    ("/issues/abc/", 404, "An issue address is its number"),
    ("/issues/99999999999999999999/", 404, "An issue address is its number"),
    ("/nothing/here", 404, "There is no page at this address."),
    ("/static/../storage/db.py", 404, "There is no page at this address."),
    ("/search?q=x&page=99999999", 400, "past the last page"),
    ("/search?q=x&page=-1", 400, "past the last page"),
    ("/search?q=x&page=abc", 400, "whole numbers"),
    ("/search?q=x&before=-5", 400, "before is a comment number"),
    ("/search?q=x&scope=everything", 400, "scope is one of"),
    ('/search?q="unclosed', 400, "unclosed quote"),
    ("/search?q=author:x&scope=discussions", 400, "unknown filter author:"),
    ("/search?q=" + "a" * 10_000, 400, "keep it under 500"),
]


@pytest.mark.parametrize(("path", "status", "sentence"), CASES)
async def test_bad_input_is_a_sentence(
    served: Served, path: str, status: int, sentence: str
) -> None:
    got, body, headers = await served.get(path)
    assert got == status, body[:300]
    message = BeautifulSoup(body, "html.parser").select_one("p.error")
    assert message is not None and sentence in message.get_text(), body[:500]
    assert "Traceback" not in body
    assert "script-src 'self'" in headers["Content-Security-Policy"]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
async def test_no_write_endpoint(served: Served, method: str) -> None:
    for path in ("/", "/search", "/summaries/1-x/", "/issues/56/"):
        async with served.http.request(method, served.url + path, data=b"x") as response:
            assert response.status == 405
            assert "read-only" in await response.text()


async def test_security_headers_everywhere(served: Served) -> None:
    for path in ("/", "/static/site.css", "/feed.xml", "/nothing"):
        _status, _body, headers = await served.get(path)
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "default-src 'none'" in headers["Content-Security-Policy"]


async def test_build_refuses_unsafe_outdirs(served: Served, tmp_path: Path) -> None:
    a_file = tmp_path / "file.txt"
    a_file.write_text("keep me")
    with pytest.raises(BuildError, match="not a directory"):
        await build_site(served.db, a_file, base_url="https://x.test")
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    with pytest.raises(BuildError, match="not empty"):
        await build_site(served.db, busy, base_url="https://x.test")
    assert a_file.read_text() == "keep me" and (busy / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in busy.iterdir()) == ["notes.txt"]
