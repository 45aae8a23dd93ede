"""`python -m sandbox`: listens where --host and --port say (it used a random port before)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@contextmanager
def _sandbox(*args: str) -> Iterator[dict[str, str]]:
    """Start `python -m sandbox ARGS`; yield the settings it printed; stop it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        printed: dict[str, str] = {}
        for _ in range(3):  # API base, gateway URL, token: then it is listening
            name, _, value = process.stdout.readline().strip().partition("=")
            printed[name] = value
        yield printed
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2"])
def test_listens_on_the_host_and_port_asked_for(host: str) -> None:
    port = _free_port(host)
    with _sandbox("--host", host, "--port", str(port)) as printed:
        api = printed["ANBOT_DISCORD_API_BASE"]
        assert api == f"http://{host}:{port}/api/v10"
        assert printed["ANBOT_DISCORD_GATEWAY_URL"] == f"ws://{host}:{port}/gateway"
        token = printed["DISCORD_TOKEN"]
        request = urllib.request.Request(
            f"{api}/gateway", headers={"Authorization": f"Bot {token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert json.load(answer)["url"].startswith(f"ws://{host}:{port}")
