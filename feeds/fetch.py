"""HTTP fetching of feeds: conditional GET, size and time limits, redirects, backoff, and
the refusal of internal addresses.

A feed URL is chosen by whoever configures the bot, but its host answers redirects: a hostile
host could send the bot to 127.0.0.1, a private network or a cloud metadata address. Unless
`allow_private` (ANBOT_ALLOW_PRIVATE_FEEDS) is set, every hop's address must be public: an IP
literal is checked before the request, a host name by the session's resolver
(`PublicOnlyResolver`, installed by `feed_session`), which hands the connector only the public
addresses it resolved, so the address checked is the address connected to (no gap for a DNS
answer that changes between a check and the connect).
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import random
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from yarl import URL

_REDIRECTS = {301, 302, 303, 307, 308}
_TRANSIENT_4XX = {408, 425, 429}
_CHUNK = 64 * 1024
_HTML_SNIFF = (b"<!doctype html", b"<html")
_FEED_SNIFF = (b"<?xml", b"<rss", b"<feed", b"<rdf")


class RefusedAddress(OSError):
    """A feed host resolved only to addresses feeds may not reach (loopback, private, …)."""


def is_public_address(address: str) -> bool:
    """True for a globally routable unicast address; False for loopback, private, link-local,
    multicast, reserved, unspecified and shared (CGNAT) ones, also inside IPv4-mapped IPv6."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (
        ip.is_multicast or ip.is_reserved or ip.is_loopback or ip.is_link_local or ip.is_private
    )


class PublicOnlyResolver(AbstractResolver):
    """aiohttp resolver that drops every non-public address from the answer, and refuses a host
    with none left. The connector connects only to what this returns."""

    def __init__(
        self,
        inner: AbstractResolver | None = None,
        *,
        allowed: Callable[[str], bool] = is_public_address,
    ) -> None:
        self._inner = inner or DefaultResolver()
        self.allowed = allowed  # the policy; FeedFetcher applies it to IP-literal hosts too

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        answers = await self._inner.resolve(host, port, family)
        public = [a for a in answers if self.allowed(a["host"])]
        if not public:
            found = ", ".join(sorted({a["host"] for a in answers})) or "nothing"
            raise RefusedAddress(
                f"{host} resolves to {found}: not a public address "
                "(set ANBOT_ALLOW_PRIVATE_FEEDS=true to allow local feeds)"
            )
        return public

    async def close(self) -> None:
        await self._inner.close()


def feed_session(*, allow_private: bool = False, **kwargs: Any) -> aiohttp.ClientSession:
    """A ClientSession for FeedFetcher: unless `allow_private`, its resolver refuses
    non-public addresses."""
    if allow_private:
        return aiohttp.ClientSession(**kwargs)
    connector = aiohttp.TCPConnector(resolver=PublicOnlyResolver())
    return aiohttp.ClientSession(connector=connector, **kwargs)


FetchErrorKind = Literal[
    "status", "not_feed", "refused", "tls", "too_large", "timeout", "connect", "other"
]


class FetchError(Exception):
    """A fetch that failed; `permanent` says retrying the same URL is pointless, `kind` what
    went wrong (for an answer that says what to do), `limit` the cap or timeout it ran into,
    `detail` the cause in a few words (a TLS failure's reason)."""

    def __init__(
        self,
        message: str,
        *,
        permanent: bool,
        status: int | None = None,
        kind: FetchErrorKind = "other",
        limit: float | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.status = status
        self.kind: FetchErrorKind = kind
        self.limit = limit
        self.detail = detail


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
        allow_private: bool = False,
    ) -> None:
        # The resolver is the only place where the connected address can be checked, so a
        # fetcher that must refuse internal addresses needs a session made by feed_session.
        resolver = getattr(session.connector, "_resolver", None)
        if not allow_private and not isinstance(resolver, PublicOnlyResolver):
            raise ValueError(
                "FeedFetcher needs a session from feeds.fetch.feed_session() unless allow_private"
            )
        self._allowed: Callable[[str], bool] | None = (
            None if allow_private else resolver.allowed  # type: ignore[union-attr]
        )
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
                f"timed out after {self._timeout:g}s fetching {url}",
                permanent=False,
                kind="timeout",
                limit=self._timeout,
            ) from None
        except (aiohttp.ClientSSLError, aiohttp.ServerFingerprintMismatch) as exc:
            reason = _tls_reason(exc)
            raise FetchError(
                f"TLS (https) connection to {url} failed: {reason}",
                permanent=False,
                kind="tls",
                detail=reason,
            ) from exc
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, RefusedAddress):
                raise FetchError(
                    f"refused {url}: {exc.os_error}", permanent=True, kind="refused"
                ) from exc
            raise FetchError(
                f"cannot connect to {url}: {exc.os_error}", permanent=False, kind="connect"
            ) from exc
        except aiohttp.ClientPayloadError as exc:
            raise FetchError(f"broken response body from {url}: {exc}", permanent=False) from exc
        except aiohttp.ClientError as exc:
            raise FetchError(f"request to {url} failed: {exc!r}", permanent=False) from exc

    async def _follow(
        self, url: URL, headers: dict[str, str], previous_hash: str | None
    ) -> FetchResult:
        seen = [url]
        while True:
            self._check_literal(url)
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
        try:
            target = url.join(URL(location))
            _ = target.host  # yarl parses the authority lazily: "http://[::1" fails here
        except (ValueError, TypeError) as exc:
            raise FetchError(
                f"HTTP {resp.status} redirect from {url} to an invalid URL {location!r}: {exc}",
                permanent=True,
                status=resp.status,
            ) from exc
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

    def _check_literal(self, url: URL) -> None:
        """An IP-literal host never reaches the resolver: check it here, before the request."""
        host = (url.host or "").strip("[]")
        if self._allowed is None or not _is_ip(host) or self._allowed(host):
            return
        raise FetchError(
            f"refused {url}: {host} is not a public address "
            "(set ANBOT_ALLOW_PRIVATE_FEEDS=true to allow local feeds)",
            permanent=True,
            kind="refused",
        )

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
                kind="not_feed",
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
            raise FetchError(
                too_big, permanent=False, status=resp.status, kind="too_large", limit=limit
            )
        chunks: list[bytes] = []
        size = 0
        # iter_chunked yields decoded bytes, so the cap applies to the decompressed body.
        async for chunk in resp.content.iter_chunked(_CHUNK):
            size += len(chunk)
            if size > limit:
                raise FetchError(
                    too_big, permanent=False, status=resp.status, kind="too_large", limit=limit
                )
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


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _status_error(status: int, url: URL) -> FetchError:
    permanent = 400 <= status < 500 and status not in _TRANSIENT_4XX
    return FetchError(
        f"HTTP {status} from {url}", permanent=permanent, status=status, kind="status"
    )


def _tls_reason(exc: aiohttp.ClientError) -> str:
    """Why a TLS connection failed, in the words of the certificate check or the ssl module
    ("certificate verify failed: self-signed certificate"), without aiohttp's wrapping."""
    if isinstance(exc, aiohttp.ServerFingerprintMismatch):
        return "the certificate's fingerprint does not match"
    inner = getattr(exc, "certificate_error", None) or getattr(exc, "os_error", None)
    if isinstance(inner, ssl.SSLCertVerificationError) and inner.verify_message:
        return f"certificate verify failed: {inner.verify_message}"
    if isinstance(inner, ssl.SSLError) and inner.reason:
        return inner.reason.replace("_", " ").lower()
    return str(inner or exc)


def _is_html_page(content_type: str | None, body: bytes) -> bool:
    """An HTML page, not a feed mislabelled as text/html (common and harmless)."""
    head = body[:1024].lstrip().lower()
    if head.startswith(_FEED_SNIFF):
        return False
    html_type = bool(content_type) and "html" in (content_type or "").lower()
    return head.startswith(_HTML_SNIFF) or (html_type and b"<html" in head)
