"""Feed servers on 127.0.0.1 that fail the ways real ones do: a TLS server whose certificate is
self-signed (tests/data/tls, loaded with the ssl module), a server that streams more than the
size cap, and one that stalls. Threads of the standard library's http.server, so the same
servers serve the bot (an asyncio loop) and the command line (its own loop).

`stall` waits for `release` (set when the fixture ends), never for a fixed time: the client's
configured timeout is what ends the request.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "data"
TLS = DATA / "tls"
AN_ATOM = (DATA / "feeds" / "an.atom").read_bytes()
STREAMED = 256 * 1024  # what /big sends, in 16 KiB pieces, with no Content-Length


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/big":
            # No Content-Length: the body ends when the connection closes, so only counting
            # what arrives can stop it.
            self.send_response(200)
            self.send_header("Content-Type", "application/atom+xml")
            self.send_header("Connection", "close")
            self.end_headers()
            piece = b"<!-- " + b"x" * (16 * 1024 - 9) + b" -->"
            try:
                self.wfile.write(b'<?xml version="1.0"?><feed>')
                for _ in range(STREAMED // len(piece)):
                    self.wfile.write(piece)
            except OSError:
                pass  # the client hung up at its cap, as it should
            return
        if self.path == "/stall":
            self.server.release.wait()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/atom+xml")
        self.send_header("Content-Length", str(len(AN_ATOM)))
        self.end_headers()
        self.wfile.write(AN_ATOM)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    release: threading.Event


@dataclass(frozen=True)
class BadServers:
    http: str  # http://127.0.0.1:port: /big and /stall
    https: str  # https://127.0.0.1:port: the AN feed behind a self-signed certificate


def _start(server: _Server) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread


@contextmanager
def bad_servers() -> Iterator[BadServers]:
    release = threading.Event()
    plain = _Server(("127.0.0.1", 0), _Handler)
    tls = _Server(("127.0.0.1", 0), _Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(TLS / "selfsigned-cert.pem", TLS / "selfsigned-key.pem")
    tls.socket = context.wrap_socket(tls.socket, server_side=True)
    for server in (plain, tls):
        server.release = release
        _start(server)
    try:
        yield BadServers(
            http=f"http://127.0.0.1:{plain.server_address[1]}",
            https=f"https://127.0.0.1:{tls.server_address[1]}",
        )
    finally:
        release.set()
        for server in (plain, tls):
            server.shutdown()
            server.server_close()
