"""Serve fixed feed files on 127.0.0.1 (for `anbot sandbox` demos and tests)."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable

from aiohttp import web

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def serve_feed_files(
    routes: dict[str, tuple[bytes, str]], *, host: str = "127.0.0.1", port: int = 0
) -> tuple[web.AppRunner, str]:
    """Start a server answering GET `path` with (body, content type); returns (runner, base URL).

    Port 0 picks a free port. Responses carry an ETag so conditional polling works. Stop the
    server with `await runner.cleanup()`.
    """
    app = web.Application()
    for path, (body, content_type) in routes.items():
        app.router.add_get(_route(path), _handler(body, content_type))
    return await serve_app(app, host=host, port=port)


async def serve_app(
    app: web.Application, *, host: str = "127.0.0.1", port: int = 0
) -> tuple[web.AppRunner, str]:
    """Start `app` on host:port (0 = a free port); returns (runner, base URL)."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0]
    return runner, f"http://{bound[0]}:{bound[1]}"


def _route(path: str) -> str:
    return path if path.startswith("/") else f"/{path}"


def _handler(body: bytes, content_type: str) -> _Handler:
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'

    async def handle(request: web.Request) -> web.StreamResponse:
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(body=body, headers={"Content-Type": content_type, "ETag": etag})

    return handle
