"""HTTP fetching of feeds: conditional GET, size and time limits, redirects, backoff."""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import aiohttp
from yarl import URL

_REDIRECTS = {301, 302, 303, 307, 308}
_TRANSIENT_4XX = {408, 425, 429}
_CHUNK = 64 * 1024
_HTML_SNIFF = (b"<!doctype html", b"<html")
_FEED_SNIFF = (b"<?xml", b"<rss", b"<feed", b"<rdf")


class FetchError(Exception):
    """A fetch that failed; `permanent` says retrying the same URL is pointless."""

    def __init__(self, message: str, *, permanent: bool, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.status = status


@dataclass(frozen=True, slots=True)
class FetchResult:
    status: Literal["ok", "not_modified", "unchanged"]
    url: str  # after redirects
    body: bytes | None  # only when status == "ok"
    etag: str | None
    last_modified: str | None
    content_hash: str | None  # sha256 hex of the body ("ok" and "unchanged")
    content_type: str | None


def backoff_delay(
    failures: int,
    *,
    base: float = 60,
    cap: float = 6 * 3600,
    rng: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait after `failures` consecutive failures: doubling, capped, jittered.

    Half the delay is fixed and half random, so many feeds failing together spread out
    without any of them retrying almost at once.
    """
    if failures <= 0:
        return 0.0
    ceiling = min(cap, base * 2 ** min(failures - 1, 64))
    return ceiling / 2 + ceiling / 2 * rng()


def should_disable(failures: int, max_failures: int) -> bool:
    """True once a feed has failed `max_failures` polls in a row (0 means never)."""
    return max_failures > 0 and failures >= max_failures


class FeedFetcher:
    """Fetches feed URLs over a shared aiohttp session; one instance per poller."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        timeout: float = 20,
        max_bytes: int = 5_000_000,
        max_redirects: int = 5,
        user_agent: str = "anbot/0.1 (+feed reader)",
    ) -> None:
        self._session = session
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._max_redirects = max_redirects
        self._user_agent = user_agent

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        previous_hash: str | None = None,
    ) -> FetchResult:
        headers = {
            "User-Agent": self._user_agent,
            "Accept": "application/atom+xml, application/rss+xml, application/xml;q=0.9, "
            "text/xml;q=0.9, */*;q=0.5",
        }
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            async with asyncio.timeout(self._timeout):
                return await self._follow(_parse_url(url), headers, previous_hash)
        except TimeoutError:
            raise FetchError(
                f"timed out after {self._timeout:g}s fetching {url}", permanent=False
            ) from None
        except aiohttp.ClientConnectorError as exc:
            raise FetchError(f"cannot connect to {url}: {exc.os_error}", permanent=False) from exc
        except aiohttp.ClientPayloadError as exc:
            raise FetchError(f"broken response body from {url}: {exc}", permanent=False) from exc
        except aiohttp.ClientError as exc:
            raise FetchError(f"request to {url} failed: {exc!r}", permanent=False) from exc

    async def _follow(
        self, url: URL, headers: dict[str, str], previous_hash: str | None
    ) -> FetchResult:
        seen = [url]
        while True:
            async with self._session.get(url, headers=headers, allow_redirects=False) as resp:
                if resp.status in _REDIRECTS:
                    url = self._next_hop(resp, url, seen)
                    continue
                return await self._finish(resp, url, previous_hash)

    def _next_hop(self, resp: aiohttp.ClientResponse, url: URL, seen: list[URL]) -> URL:
        location = resp.headers.get("Location")
        if not location:
            raise FetchError(
                f"HTTP {resp.status} redirect without a Location from {url}",
                permanent=True,
                status=resp.status,
            )
        target = url.join(URL(location))
        if target in seen:
            path = " -> ".join(str(u) for u in [*seen, target])
            raise FetchError(f"redirect loop: {path}", permanent=True, status=resp.status)
        if len(seen) > self._max_redirects:
            raise FetchError(
                f"too many redirects (more than {self._max_redirects}) starting at {seen[0]}",
                permanent=True,
                status=resp.status,
            )
        if target.scheme not in ("http", "https"):
            raise FetchError(f"redirect to unsupported URL {target}", permanent=True)
        seen.append(target)
        return target

    async def _finish(
        self, resp: aiohttp.ClientResponse, url: URL, previous_hash: str | None
    ) -> FetchResult:
        etag = resp.headers.get("ETag")
        last_modified = resp.headers.get("Last-Modified")
        content_type = resp.headers.get("Content-Type")
        if resp.status == 304:
            return FetchResult("not_modified", str(url), None, etag, last_modified, None, None)
        if resp.status != 200:
            raise _status_error(resp.status, url)
        body = await self._read_capped(resp)
        if _is_html_page(content_type, body):
            raise FetchError(
                f"not a feed: got {(content_type or 'text/html').split(';')[0]} page from {url}",
                permanent=True,
                status=200,
            )
        digest = hashlib.sha256(body).hexdigest()
        if previous_hash is not None and digest == previous_hash:
            return FetchResult(
                "unchanged", str(url), None, etag, last_modified, digest, content_type
            )
        return FetchResult("ok", str(url), body, etag, last_modified, digest, content_type)

    async def _read_capped(self, resp: aiohttp.ClientResponse) -> bytes:
        limit = self._max_bytes
        too_big = f"body larger than {limit:,} bytes from {resp.url}"
        declared = resp.content_length
        if declared is not None and declared > limit and "Content-Encoding" not in resp.headers:
            raise FetchError(too_big, permanent=False, status=resp.status)
        chunks: list[bytes] = []
        size = 0
        # iter_chunked yields decoded bytes, so the cap applies to the decompressed body.
        async for chunk in resp.content.iter_chunked(_CHUNK):
            size += len(chunk)
            if size > limit:
                raise FetchError(too_big, permanent=False, status=resp.status)
            chunks.append(chunk)
        return b"".join(chunks)


def _parse_url(url: str) -> URL:
    try:
        parsed = URL(url)
    except (ValueError, TypeError) as exc:
        raise FetchError(f"invalid feed URL {url!r}: {exc}", permanent=True) from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise FetchError(f"invalid feed URL {url!r}: need http(s)://host/…", permanent=True)
    return parsed


def _status_error(status: int, url: URL) -> FetchError:
    permanent = 400 <= status < 500 and status not in _TRANSIENT_4XX
    return FetchError(f"HTTP {status} from {url}", permanent=permanent, status=status)


def _is_html_page(content_type: str | None, body: bytes) -> bool:
    """An HTML page, not a feed mislabelled as text/html (common and harmless)."""
    head = body[:1024].lstrip().lower()
    if head.startswith(_FEED_SNIFF):
        return False
    html_type = bool(content_type) and "html" in (content_type or "").lower()
    return head.startswith(_HTML_SNIFF) or (html_type and b"<html" in head)
