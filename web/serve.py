"""Entry points of the `anbot web` commands: open the configured database, serve or build."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

from bot.config import Settings
from storage.db import Database
from web.app import make_app
from web.build import BuildError, BuildReport, build_site


def check_base_url(base_url: str) -> str:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise BuildError(f"--base-url {base_url!r} is not an http(s) URL like https://example.org")
    return base_url.rstrip("/")


async def serve_forever(host: str, port: int, base_url: str) -> None:
    base = check_base_url(base_url)
    db = Database(Settings().database_url)
    try:
        await db.upgrade()
        runner = web.AppRunner(make_app(db, base_url=base), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        print(f"serving the archive on http://{host}:{port}/ (Ctrl-C stops)", flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()
    finally:
        await db.dispose()


async def build_once(outdir: Path, base_url: str) -> BuildReport:
    base = check_base_url(base_url)
    db = Database(Settings().database_url)
    try:
        await db.upgrade()
        return await build_site(db, outdir, base_url=base)
    finally:
        await db.dispose()
