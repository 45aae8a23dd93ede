"""Every feed in feedparser's own test corpus either parses or is refused with a message.

The corpus ships in feedparser's source distribution; it is downloaded once into
tests/.cache/feedparser (git-ignored). Without network the test fails: a skipped corpus would
hide a regression.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import feedparser
import pytest

from feeds.parse import FeedParseError, ParsedFeed, parse_feed

CACHE = Path(__file__).resolve().parents[1] / ".cache" / "feedparser"
CORPUS_DIRS = ("illformed", "wellformed")


def _sdist() -> Path:
    version = feedparser.__version__
    found = sorted(CACHE.glob(f"feedparser-{version}.tar.gz"))
    if found:
        return found[0]
    CACHE.mkdir(parents=True, exist_ok=True)
    # Downloaded beside the cache and renamed in: test workers running at once (pytest-xdist)
    # never see a half-written archive.
    with tempfile.TemporaryDirectory(dir=CACHE) as scratch:
        cmd = [sys.executable, "-m", "pip", "download", f"feedparser=={version}",
               "--no-binary", ":all:", "--no-deps", "-d", scratch]  # fmt: skip
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
        got = sorted(Path(scratch).glob(f"feedparser-{version}.tar.gz"))
        if done.returncode != 0 or not got:
            pytest.fail(
                f"could not download the feedparser {version} sdist for its test corpus "
                f"(exit {done.returncode}): {done.stderr.strip()[-800:]}"
            )
        os.replace(got[0], CACHE / got[0].name)
    found = sorted(CACHE.glob(f"feedparser-{version}.tar.gz"))
    return found[0]


@pytest.fixture(scope="module")
def corpus() -> list[tuple[str, bytes]]:
    files: list[tuple[str, bytes]] = []
    with tarfile.open(_sdist()) as tar:
        for member in tar.getmembers():
            parts = Path(member.name).parts
            if (
                member.isfile()
                and len(parts) > 3
                and parts[1:3] in (("tests", d) for d in CORPUS_DIRS)
            ):
                handle = tar.extractfile(member)
                assert handle is not None
                files.append(("/".join(parts[2:]), handle.read()))
    return files


async def test_feedparser_corpus(corpus: list[tuple[str, bytes]]) -> None:
    assert len(corpus) > 1000, "the sdist no longer ships the corpus where expected"
    parsed = refused = 0
    for name, body in corpus:
        try:
            result = await parse_feed(body, url=f"http://127.0.0.1/{name}")
        except FeedParseError as exc:
            assert str(exc).strip(), name
            refused += 1
            print(f"refused {name}: {exc}")
        else:
            assert isinstance(result, ParsedFeed), name
            parsed += 1
    print(f"\nfeedparser corpus: {len(corpus)} files, {parsed} parsed, {refused} refused")
    assert parsed + refused == len(corpus)
    assert parsed > refused  # most of the corpus is well-formed
