"""feedparser's own test corpus through `ingest_file`, the path of `anbot ingest FILE` (issue 12,
defect 4): every file is either ingested as a feed or refused with one line; none is stored as
plain text (raw XML in a summary); nothing raises. Each file is ingested as it ships (most
start with a comment describing the test, some with a DOCTYPE, a BOM or in UTF-16) and again
with that comment removed (a cut or broken feed must be refused, not raise FeedParseError).

In process, into one SQLite file: about 4,400 files (with the variants), some 70 ms each on a
loaded 2-core machine, so the test is marked slow; tests/storage/test_ingest.py checks each
shape (comment first, DOCTYPE, UTF-16, a cut feed) quickly.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlmodel import col, select

from storage.db import Database
from storage.ingest import ingest_file
from storage.models import Feed, Issue, Summary
from tests.feeds.test_feedparser_corpus import corpus  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

_LEADING_COMMENT = re.compile(rb"\A(\xef\xbb\xbf)?(<\?xml[^>]*\?>\s*)?<!--.*?-->\s*", re.S)


async def test_feedparser_corpus_through_ingest(
    sqlite_db: Database,
    tmp_path: Path,
    corpus: list[tuple[str, bytes]],  # noqa: F811
) -> None:
    files: list[Path] = []
    for index, (name, body) in enumerate(corpus):
        stem = name.replace("/", "_")
        path = tmp_path / f"{index}-{stem}"
        path.write_bytes(body)
        files.append(path)
        stripped = _LEADING_COMMENT.sub(lambda m: (m.group(1) or b"") + (m.group(2) or b""), body)
        if stripped != body:
            bare = tmp_path / f"{index}-bare-{stem}"
            bare.write_bytes(stripped)
            files.append(bare)
    ingested = refused = 0
    refusals: list[str] = []
    for path in files:
        report = await ingest_file(sqlite_db, path)  # raising fails the test: no traceback
        if report.error is not None:
            assert report.error.strip() and "\n" not in report.error, path.name
            refused += 1
            refusals.append(f"{path.name}: {report.error}")
        else:
            ingested += 1
    async with sqlite_db.session() as session:
        feeds = {f.id: f.url for f in (await session.exec(select(Feed))).all()}
        issues = list((await session.exec(select(Issue))).all())
        as_text = [i for i in issues if i.entry_id == feeds.get(i.feed_id or 0)]
        raw = (
            await session.exec(
                select(Summary.title).where(
                    col(Summary.summary).contains("<?xml")
                    | col(Summary.summary).contains("<!--")
                    | col(Summary.summary).startswith("<rss")
                    | col(Summary.summary).startswith("<feed")
                )
            )
        ).all()
    print(f"\n{len(files)} files: {ingested} ingested as feeds, {refused} refused")
    print("\n".join(refusals[:20]))
    assert [i.entry_id for i in as_text] == []  # no file stored as one plain-text issue
    assert list(raw) == []
    assert ingested + refused == len(files) > 2000
    assert ingested > refused
