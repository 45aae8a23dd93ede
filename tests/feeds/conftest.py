"""A real aiohttp server on 127.0.0.1 whose routes each test sets up."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import ClientSession, web

from feeds.localserve import serve_app

FEED_DATA = Path(__file__).resolve().parents[1] / "data" / "feeds"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class FeedServer:
    """Routes are plain handlers; every request is recorded with its headers."""

    base_url: str = ""
    routes: dict[str, Handler] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def add(self, path: str, handler: Handler) -> str:
        self.routes[path] = handler
        return self.url(path)

    def add_file(self, path: str, name: str, content_type: str, **headers: str) -> str:
        body = (FEED_DATA / name).read_bytes()
        return self.add_bytes(path, body, content_type, **headers)

    def add_bytes(self, path: str, body: bytes, content_type: str, **headers: str) -> str:
        async def handle(request: web.Request) -> web.StreamResponse:
            return web.Response(
                body=body, headers={"Content-Type": content_type, **_http_headers(headers)}
            )

        return self.add(path, handle)

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        self.requests.append((request.path_qs, dict(request.headers)))
        handler = self.routes.get(request.path)
        if handler is None:
            return web.Response(status=404, text=f"no route {request.path}")
        return await handler(request)


def _http_headers(kwargs: dict[str, str]) -> dict[str, str]:
    return {k.replace("_", "-"): v for k, v in kwargs.items()}


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    server = FeedServer()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", server.dispatch)
    runner, server.base_url = await serve_app(app)
    try:
        yield server
    finally:
        await runner.cleanup()


@pytest.fixture
async def http_session() -> AsyncIterator[ClientSession]:
    async with ClientSession() as session:
        yield session
