"""Nothing that is not public reaches the site: not by URL, search, sitemap, feed or build.

A thread is public only in a published channel @everyone can read, and not deleted or private;
a member who hid their comments shows as "hidden by its author". Runs on both backends against
the live server, and against a static build.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from storage import web_archive as wa
from tests.web.conftest import Served
from tests.web.seed import HIDDEN_MEMBER_TEXT, SECRETS
from web.build import build_site
from web.urls import summary_path


def hits(body: str) -> str:
    """The text of a search page's result lists (the query itself is echoed elsewhere)."""
    soup = BeautifulSoup(body, "html.parser")
    return "\n".join(ol.get_text() for ol in soup.select("ol.hits"))


async def everything_public(served: Served) -> str:
    """Every page a visitor or crawler can reach from the site's own lists, concatenated."""
    pages = []
    for path in ("/", "/issues/", "/issues/56/", "/issues/55/", "/feed.xml", "/sitemap.xml"):
        status, body, _ = await served.get(path)
        assert status == 200, path
        pages.append(body)
    _status, sitemap, _ = await served.get("/sitemap.xml")
    for loc in sitemap.split("<loc>")[1:]:
        path = loc.split("</loc>")[0].removeprefix("https://archive.example.org")
        suffixes = ("", "new/", "top/") if path.startswith("/summaries/") else ("",)
        for suffix in suffixes:
            status, body, _ = await served.get(path + suffix)
            assert status == 200, path
            pages.append(body)
    return "\n".join(pages)


async def test_private_threads_and_hidden_member_reach_nothing(served: Served) -> None:
    site = await everything_public(served)
    assert "Preregistering" in site or "preregistering" in site  # the public thread is there
    for key, word in SECRETS.items():
        assert word not in site, key
        assert f"c{served.seeded.secret_comments[key]}" not in site, key
        for scope in ("all", "discussions"):
            status, body, _ = await served.get(f"/search?q={word}&scope={scope}")
            assert status == 200
            found = hits(body)
            assert word not in found, (key, scope)
            assert "No comments match." in found
        # The summary itself is public newsletter text; its discussion is not.
        sid = served.seeded.secret_summaries[key]
        status, body, _ = await served.get(summary_path(sid, f"Summary with a {key} thread"))
        assert status == 200
        assert "No public discussion of this summary." in body
    assert HIDDEN_MEMBER_TEXT not in site
    assert "Shy Member" not in site
    assert "hidden by its author" in site
    status, body, _ = await served.get("/search?q=zanzibarite")
    assert "zanzibarite" not in hits(body)
    assert "No comments match." in hits(body)


async def test_hidden_and_public_by_author_filter(served: Served) -> None:
    status, body, _ = await served.get('/search?q=by:"Shy Member"&scope=discussions')
    assert status == 200
    assert "No comments match." in body
    status, body, _ = await served.get('/search?q=by:"Rohin Shah"&scope=discussions')
    assert "No comments match." not in body
    assert body.count("Rohin Shah on ") == 3


async def test_no_ids_or_avatars_in_pages(served: Served) -> None:
    status, body, _ = await served.get(summary_path(served.seeded.hark_summary, "x"))
    assert status == 200
    for author_id in ("1000", "1001", "4242", "77", "78"):
        assert f'"{author_id}"' not in body and f">{author_id}<" not in body
    assert "avatar" not in body
    assert str(served.seeded.hark_thread) not in body  # no Discord thread id either


@pytest.mark.parametrize("change", ["private_channel", "unpublish", "deleted", "private_thread"])
async def test_thread_disappears_on_next_build(served: Served, tmp_path: Path, change: str) -> None:
    out = tmp_path / "site"
    await build_site(served.db, out, base_url="https://archive.example.org")
    page = next((out / "summaries").glob(f"{served.seeded.hark_summary}-*")) / "index.html"
    assert "Charlie Steiner" in page.read_text()
    async with served.db.session() as session:
        if change == "private_channel":
            await wa.set_channel_access(
                session, channel_id=9100, guild_id=9000, name="papers", everyone_can_read=False
            )
        elif change == "unpublish":
            await wa.set_published(
                session,
                channel_id=9100,
                guild_id=9000,
                name="papers",
                published=False,
                everyone_can_read=True,
            )
        else:
            await wa.set_thread_state(
                session,
                thread_id=served.seeded.hark_thread,
                deleted=change == "deleted",
                private=change == "private_thread",
            )
        await session.commit()
    report = await build_site(served.db, out, base_url="https://archive.example.org")
    assert any(str(served.seeded.hark_summary) in rel for rel in report.written)
    built = "\n".join(p.read_text() for p in out.rglob("*") if p.is_file())
    assert "Charlie Steiner" not in built
    assert "preregistering all experiments" not in built
    # and live, at once
    status, body, _ = await served.get(summary_path(served.seeded.hark_summary, "x"))
    assert status == 200 and "Charlie Steiner" not in body
    status, body, _ = await served.get("/search?q=preregistering&scope=discussions")
    assert status == 200
    assert "No comments match." in body
