"""The gateway WebSocket: HELLO, IDENTIFY/READY/GUILD_CREATE, heartbeats, dispatches with
sequence numbers, RESUME with replay of missed events, op 7 reconnect and op 9 invalid session.

A session outlives its connection: while detached it keeps buffering events so a RESUME can
replay them; a fresh IDENTIFY starts a new session that sees only what happens from then on
(events that happened while no session existed are not replayed, as on Discord).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from sandbox import payloads
from sandbox.permissions import P
from sandbox.state import Event, World

log = logging.getLogger(__name__)

JsonDict = dict[str, Any]

GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_MESSAGES = 1 << 9
GUILD_MESSAGE_REACTIONS = 1 << 10
MESSAGE_CONTENT = 1 << 15

DISPATCH_OBSERVERS: list[Callable[[str, JsonDict], None]] = []
"""Called with each dispatch (t, d) any session sends (tests/conftest.py checks its shape)."""

_EVENT_INTENTS = {
    "MESSAGE_CREATE": GUILD_MESSAGES,
    "MESSAGE_UPDATE": GUILD_MESSAGES,
    "MESSAGE_DELETE": GUILD_MESSAGES,
    "MESSAGE_DELETE_BULK": GUILD_MESSAGES,
    "MESSAGE_REACTION_ADD": GUILD_MESSAGE_REACTIONS,
    "MESSAGE_REACTION_REMOVE": GUILD_MESSAGE_REACTIONS,
    "THREAD_CREATE": GUILDS,
    "THREAD_UPDATE": GUILDS,
    "THREAD_DELETE": GUILDS,
    "CHANNEL_CREATE": GUILDS,
    "CHANNEL_UPDATE": GUILDS,
    "CHANNEL_DELETE": GUILDS,
    "GUILD_ROLE_CREATE": GUILDS,
}


class Connection:
    """One WebSocket; frames go out in order through a queue drained by one writer task."""

    def __init__(
        self, ws: web.WebSocketResponse, request: web.Request, compress: str | None
    ) -> None:
        self.ws = ws
        self.transport = request.transport
        self.compress = compress
        self._zlib = zlib.compressobj() if compress == "zlib-stream" else None
        self.queue: asyncio.Queue[JsonDict | None] = asyncio.Queue()
        self.session: GatewaySession | None = None
        self.writer = asyncio.create_task(self._write())
        self.frames_sent = 0

    def send(self, frame: JsonDict) -> None:
        self.queue.put_nowait(frame)

    async def _write(self) -> None:
        while True:
            frame = await self.queue.get()
            if frame is None or self.ws.closed:
                return
            text = json.dumps(frame, separators=(",", ":"))
            try:
                if self._zlib is not None:
                    data = self._zlib.compress(text.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
                    await self.ws.send_bytes(data)
                else:
                    await self.ws.send_str(text)
            except ConnectionError:
                return
            self.frames_sent += 1

    async def close(self, code: int, message: str = "") -> None:
        """Send the queued frames, then close with ``code``."""
        self.queue.put_nowait(None)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.writer, 2)
        await self.ws.close(code=code, message=message.encode())

    def abort(self) -> None:
        """Drop the TCP connection without a close frame (what a network failure looks like)."""
        self.writer.cancel()
        if self.transport is not None:
            self.transport.abort()


@dataclass
class GatewaySession:
    session_id: str
    user_id: int
    intents: int
    shard_id: int
    shard_count: int
    seq: int = 0
    buffer: deque[JsonDict] = field(default_factory=lambda: deque(maxlen=10_000))
    connection: Connection | None = None
    detached_at: float | None = None
    resumes: int = 0

    @property
    def compress(self) -> str | None:
        return self.connection.compress if self.connection else None

    def handles_guild(self, guild_id: int | None) -> bool:
        if guild_id is None:
            return self.shard_id == 0
        return (guild_id >> 22) % self.shard_count == self.shard_id

    def push(self, name: str, data: JsonDict) -> None:
        self.seq += 1
        frame = {"op": 0, "t": name, "s": self.seq, "d": data}
        for observer in DISPATCH_OBSERVERS:
            observer(name, data)
        self.buffer.append(frame)
        if self.connection is not None:
            self.connection.send(frame)


class GatewayHub:
    def __init__(
        self,
        world: World,
        token: str,
        gateway_url: Callable[[], str],
        *,
        heartbeat_interval_ms: int = 41_250,
        resume_window: float = 300.0,
    ) -> None:
        self.world = world
        self.token = token
        self._gateway_url = gateway_url
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.resume_window = resume_window
        self.all_sessions: dict[str, GatewaySession] = {}
        self.connections: set[Connection] = set()
        self.identifies = 0
        self.ready = asyncio.Event()
        world.subscribe(self.on_event)

    @property
    def sessions(self) -> list[GatewaySession]:
        """Sessions with a live connection."""
        return [s for s in self.all_sessions.values() if s.connection is not None]

    # -- event fan-out ------------------------------------------------------------------
    def on_event(self, event: Event) -> None:
        self._expire()
        for session in list(self.all_sessions.values()):
            if not session.handles_guild(event.guild_id):
                continue
            needed = _EVENT_INTENTS.get(event.name, 0)
            if needed and not session.intents & needed:
                continue
            if (
                event.channel_id is not None
                and event.channel_id in self.world.channels
                and not self.world.can(session.user_id, event.channel_id, P.VIEW_CHANNEL)
            ):
                continue
            session.push(event.name, self._shape_for(session, event))

    def _shape_for(self, session: GatewaySession, event: Event) -> JsonDict:
        if (
            event.name not in ("MESSAGE_CREATE", "MESSAGE_UPDATE")
            or session.intents & MESSAGE_CONTENT
        ):
            return event.data
        return _without_content(event.data, session.user_id)

    def _expire(self) -> None:
        now = time.monotonic()
        for sid, s in list(self.all_sessions.items()):
            if (
                s.connection is None
                and s.detached_at is not None
                and now - s.detached_at > self.resume_window
            ):
                del self.all_sessions[sid]

    # -- websocket ----------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        compress = request.query.get("compress")
        if compress not in (None, "zlib-stream"):
            compress = None  # zstd-stream is not offered; the client then gets plain text frames
        conn = Connection(ws, request, compress)
        self.connections.add(conn)
        conn.send(
            {
                "op": 10,
                "s": None,
                "t": None,
                "d": {"heartbeat_interval": self.heartbeat_interval_ms},
            }
        )
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    await conn.close(4002, "Decode error")
                    break
                try:
                    frame = json.loads(msg.data)
                except ValueError:
                    await conn.close(4002, "Decode error")
                    break
                await self._on_frame(conn, frame)
        finally:
            self.connections.discard(conn)
            self._detach(conn)
            if not conn.writer.done():
                conn.queue.put_nowait(None)
        return ws

    def _detach(self, conn: Connection) -> None:
        session = conn.session
        if session is not None and session.connection is conn:
            session.connection = None
            session.detached_at = time.monotonic()

    async def _on_frame(self, conn: Connection, frame: JsonDict) -> None:
        op = frame.get("op")
        data = frame.get("d")
        if op == 1:
            conn.send({"op": 11, "s": None, "t": None, "d": None})
        elif op == 2:
            await self._identify(conn, data or {})
        elif op == 6:
            await self._resume(conn, data or {})
        elif op == 8:
            self._request_members(conn, data or {})
        elif op in (3, 4):
            return  # presence / voice state: accepted, nothing to simulate
        else:
            await conn.close(4001, "Unknown opcode")

    async def _identify(self, conn: Connection, data: JsonDict) -> None:
        if conn.session is not None:
            await conn.close(4005, "Already authenticated")
            return
        if data.get("token") != self.token:
            await conn.close(4004, "Authentication failed")
            return
        shard = data.get("shard") or [0, 1]
        shard_id, shard_count = int(shard[0]), int(shard[1])
        if shard_count < 1 or not 0 <= shard_id < shard_count:
            await conn.close(4010, "Invalid shard")
            return
        if "intents" not in data:
            await conn.close(4013, "Invalid intent(s)")
            return
        self.identifies += 1
        session = GatewaySession(
            session_id=secrets.token_hex(16),
            user_id=self.world.bot_user_id,
            intents=int(data["intents"]),
            shard_id=shard_id,
            shard_count=shard_count,
            connection=conn,
        )
        conn.session = session
        self.all_sessions[session.session_id] = session
        guilds = [g for g in self.world.guilds.values() if session.handles_guild(g.id)]
        session.push("READY", self._ready(session, [g.id for g in guilds]))
        for g in guilds:
            with_members = bool(session.intents & GUILD_MEMBERS)
            session.push(
                "GUILD_CREATE", payloads.guild_create(self.world, g, with_members=with_members)
            )
        self.ready.set()

    def _ready(self, session: GatewaySession, guild_ids: list[int]) -> JsonDict:
        return {
            "v": 10,
            "user": payloads.user(self.world.users[session.user_id]),
            "guilds": [{"id": str(gid), "unavailable": True} for gid in guild_ids],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": self._gateway_url(),
            "shard": [session.shard_id, session.shard_count],
            "application": {"id": str(self.world.application_id), "flags": 1 << 18 | 1 << 14},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "user_settings": {},
            "geo_ordered_rtc_regions": [],
            "_trace": ["sandbox"],
        }

    async def _resume(self, conn: Connection, data: JsonDict) -> None:
        session = self.all_sessions.get(str(data.get("session_id")))
        if data.get("token") != self.token:
            await conn.close(4004, "Authentication failed")
            return
        last_seq = int(data.get("seq") or 0)
        oldest = session.buffer[0]["s"] if session and session.buffer else 1
        if session is None or last_seq > session.seq or oldest > last_seq + 1:
            # unknown session or events lost beyond the buffer: the client must IDENTIFY anew
            conn.send({"op": 9, "s": None, "t": None, "d": False})
            return
        old = session.connection
        if old is not None and old is not conn:
            old.session = None
            old.abort()
        session.connection = conn
        session.detached_at = None
        session.resumes += 1
        conn.session = session
        for frame in session.buffer:
            if frame["s"] > last_seq:
                conn.send(frame)
        session.push("RESUMED", {"_trace": ["sandbox"]})

    def _request_members(self, conn: Connection, data: JsonDict) -> None:
        session = conn.session
        if session is None:
            return
        guild = self.world.guilds.get(int(data.get("guild_id") or 0))
        if guild is None:
            return
        query = (data.get("query") or "").lower()
        wanted = {int(u) for u in data.get("user_ids") or []}
        members = [
            payloads.member(self.world, m)
            for m in guild.members.values()
            if (not wanted or m.user_id in wanted)
            and self.world.users[m.user_id].username.lower().startswith(query)
        ]
        limit = int(data.get("limit") or 0)
        if limit:
            members = members[:limit]
        chunk: JsonDict = {
            "guild_id": str(guild.id),
            "members": members,
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if data.get("nonce") is not None:
            chunk["nonce"] = data["nonce"]
        session.push("GUILD_MEMBERS_CHUNK", chunk)

    # -- faults -------------------------------------------------------------------------
    def drop(self) -> int:
        """Abort every connection (no close frame); sessions stay resumable."""
        conns = list(self.connections)
        for conn in conns:
            self._detach(conn)
            conn.abort()
        return len(conns)

    def send_reconnect(self) -> None:
        for conn in list(self.connections):
            conn.send({"op": 7, "s": None, "t": None, "d": None})

    def invalidate(self, *, resumable: bool = False) -> None:
        for conn in list(self.connections):
            if not resumable and conn.session is not None:
                self.all_sessions.pop(conn.session.session_id, None)
            conn.send({"op": 9, "s": None, "t": None, "d": resumable})

    async def close(self) -> None:
        for conn in list(self.connections):
            with contextlib.suppress(Exception):
                await conn.close(1001, "Server shutting down")
        self.world.unsubscribe(self.on_event)


def _without_content(data: JsonDict, user_id: int) -> JsonDict:
    """Blank what the MESSAGE_CONTENT intent gates, unless the message is the bot's own or
    mentions it (Discord's rule)."""
    author = data.get("author") or {}
    mentioned = any(m.get("id") == str(user_id) for m in data.get("mentions", []))
    if author.get("id") == str(user_id) or mentioned:
        return data
    blanked = dict(data)
    blanked.update(content="", embeds=[], attachments=[], components=[])
    return blanked
