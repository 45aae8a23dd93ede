"""Fixtures of the web tests: the seeded archive on both backends, served on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp import web

from storage.db import Database
from tests.web.seed import Seeded, seed_site
from web.app import make_app


@dataclass(slots=True)
class Served:
    db: Database
    seeded: Seeded
    url: str  # http://127.0.0.1:<port>, no trailing slash
    http: aiohttp.ClientSession

    async def get(self, path: str) -> tuple[int, str, dict[str, str]]:
        async with self.http.get(self.url + path, allow_redirects=False) as response:
            return response.status, await response.text(), dict(response.headers)


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}"


@pytest.fixture
async def seeded(db: Database) -> tuple[Database, Seeded]:
    return db, await seed_site(db)


@pytest.fixture
async def served(seeded: tuple[Database, Seeded]) -> AsyncIterator[Served]:
    db, ids = seeded
    runner, url = await serve(make_app(db, base_url="https://archive.example.org"))
    try:
        async with aiohttp.ClientSession() as http:
            yield Served(db, ids, url, http)
    finally:
        await runner.cleanup()
