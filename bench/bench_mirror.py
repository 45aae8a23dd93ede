"""Mirror ingest: a burst of gateway events through the batching writer into a fresh SQLite file.

Workload: N events on a few threads — message creates (most of them replies), full edits,
deletes, reaction adds and removes — built as Discord gateway payload dicts and turned into
discord.py objects (Message, RawMessageUpdateEvent, …) before the clock starts.

Measured (each on its own fresh, migrated SQLite file in WAL mode, best of `repeat`):
- writer: the comment events (from bot.mirror.convert.to_upsert and the raw payloads) submitted
  to storage.comments.writer.CommentWriter, then `flush()`;
- mirror handler: the discord.py objects handed to the Mirror cog's listeners (the cog loaded
  into a real, unconnected AnBot) which submit to its writer;
- baseline: the same events written with stdlib sqlite3 `executemany`, one statement kind per
  run of consecutive events, one transaction per `batch` events, same file and pragmas — the
  least SQL that does the same work. Both databases must end up identical in counts.

Ratio: time / baseline time (= raw throughput / writer throughput); target ≤ 2 (the writer
keeps at least half the raw throughput).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import discord
from discord.http import HTTPClient
from discord.state import ConnectionState

from bench.common import Result
from bot.app import AnBot
from bot.config import Settings
from bot.mirror.convert import to_upsert
from storage.comments.events import (
    CommentEvent,
    MessageDelete,
    MessageUpsert,
    ReactionAdd,
    ReactionRemove,
)
from storage.comments.writer import CommentWriter
from storage.db import Database
from storage.search.index import prepare_sqlite
from storage.threads import upsert_thread

GUILD_ID = 1_100_000_000_000_000_000
FORUM_ID = GUILD_ID + 1
THREADS = 5
BATCH = 500  # the writer's default batch (Settings.writer_batch)
START = datetime(2024, 3, 1, tzinfo=UTC)
WORDS = [
    "alignment",
    "reward",
    "model",
    "agent",
    "human",
    "value",
    "learning",
    "safety",
    "robust",
    "paper",
    "idea",
]
EMOJI = ("👍", "🎉", "🤔", "❤️")
# (gateway event, weight): most traffic is new messages, then reactions, then edits/deletes.
KINDS = (
    ("MESSAGE_CREATE", 70),
    ("MESSAGE_UPDATE", 10),
    ("MESSAGE_DELETE", 4),
    ("MESSAGE_REACTION_ADD", 13),
    ("MESSAGE_REACTION_REMOVE", 3),
)

Payload = dict[str, Any]


def snowflake(at: datetime, sequence: int) -> int:
    return discord.utils.time_snowflake(at) + (sequence % 4096)


def _stamp(at: datetime) -> str:
    return at.isoformat(timespec="microseconds")


@dataclass(slots=True)
class _Msg:
    payload: Payload
    thread_id: int


def workload(n: int, seed: int = 20) -> list[tuple[str, Payload]]:
    """N gateway events (name, payload) in arrival order; ids are real snowflakes."""
    rng = random.Random(seed)
    names = [k for k, _ in KINDS]
    weights = [w for _, w in KINDS]
    threads = [snowflake(START, i) for i in range(THREADS)]
    live: list[_Msg] = []
    votes: list[tuple[int, int, int, str]] = []  # (thread, message, user, emoji)
    out: list[tuple[str, Payload]] = []
    for i in range(n):
        now = START + timedelta(milliseconds=50 * (i + 1))
        kind = rng.choices(names, weights)[0] if live else "MESSAGE_CREATE"
        if kind == "MESSAGE_REACTION_REMOVE" and not votes:
            kind = "MESSAGE_REACTION_ADD"
        if kind == "MESSAGE_CREATE":
            thread = rng.choice(threads)
            siblings = [m for m in live[-200:] if m.thread_id == thread]
            parent = rng.choice(siblings).payload if siblings and rng.random() < 0.7 else None
            msg = _message(snowflake(now, i), thread, rng, now, parent)
            live.append(_Msg(msg, thread))
            out.append((kind, msg))
        elif kind == "MESSAGE_UPDATE":
            target = rng.choice(live)
            target.payload = {
                **target.payload,
                "content": _text(rng),
                "edited_timestamp": _stamp(now),
            }
            out.append((kind, target.payload))
        elif kind == "MESSAGE_DELETE":
            target = live.pop(rng.randrange(len(live)))
            mid = int(target.payload["id"])
            votes = [v for v in votes if v[1] != mid]
            out.append((kind, _where(target.thread_id, {"id": str(mid)})))
        elif kind == "MESSAGE_REACTION_ADD":
            target = rng.choice(live)
            vote = (target.thread_id, int(target.payload["id"]), rng.randrange(1, 300), "")
            vote = (*vote[:3], rng.choice(EMOJI))
            votes.append(vote)
            out.append((kind, _reaction(*vote)))
        else:
            vote = votes.pop(rng.randrange(len(votes)))
            out.append((kind, _reaction(*vote)))
    return out


def _text(rng: random.Random) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randrange(5, 60)))


def _where(thread: int, payload: Payload) -> Payload:
    return {**payload, "channel_id": str(thread), "guild_id": str(GUILD_ID)}


def _message(
    mid: int, thread: int, rng: random.Random, at: datetime, parent: Payload | None
) -> Payload:
    user = rng.randrange(1, 300)
    payload: Payload = _where(
        thread,
        {
            "id": str(mid),
            "type": 19 if parent else 0,
            "content": _text(rng),
            "author": {
                "id": str(user),
                "username": f"user{user}",
                "discriminator": "0",
                "global_name": f"User {user}",
                "avatar": None,
            },
            "member": {"roles": [], "joined_at": _stamp(START), "deaf": False, "mute": False},
            "timestamp": _stamp(at),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
        },
    )
    if parent is not None:
        payload["message_reference"] = {
            "type": 0,
            "message_id": parent["id"],
            "channel_id": str(thread),
            "guild_id": str(GUILD_ID),
        }
    return payload


def _reaction(thread: int, message: int, user: int, emoji: str) -> Payload:
    return _where(
        thread,
        {
            "message_id": str(message),
            "user_id": str(user),
            "emoji": {"id": None, "name": emoji},
            "type": 0,
            "burst": False,
        },
    )


# --- discord.py objects ------------------------------------------------------------------


class _Objects:
    """discord.py's own classes built from the payload dicts, as its gateway parser does."""

    def __init__(self, http: HTTPClient) -> None:
        self.state = ConnectionState(
            dispatch=lambda *_a, **_k: None, handlers={}, hooks={}, http=http
        )
        self.guild = discord.Guild(
            data={"id": str(GUILD_ID), "name": "bench", "roles": [], "channels": []},  # type: ignore[typeddict-item]
            state=self.state,
        )
        self.threads: dict[int, discord.Thread] = {}

    def thread(self, thread_id: int) -> discord.Thread:
        if thread_id not in self.threads:
            data: Any = {
                "id": str(thread_id),
                "type": 11,
                "guild_id": str(GUILD_ID),
                "parent_id": str(FORUM_ID),
                "owner_id": "1",
                "name": f"thread {thread_id}",
                "message_count": 0,
                "member_count": 0,
                "thread_metadata": {
                    "archived": False,
                    "auto_archive_duration": 1440,
                    "archive_timestamp": _stamp(START),
                    "locked": False,
                },
            }
            self.threads[thread_id] = discord.Thread(guild=self.guild, state=self.state, data=data)
        return self.threads[thread_id]

    def build(self, name: str, payload: Payload) -> object:
        data: Any = payload
        if name == "MESSAGE_CREATE":
            thread = self.thread(int(payload["channel_id"]))
            return discord.Message(state=self.state, channel=thread, data=data)
        if name == "MESSAGE_UPDATE":
            thread = self.thread(int(payload["channel_id"]))
            message = discord.Message(state=self.state, channel=thread, data=data)
            return discord.RawMessageUpdateEvent(data, message)
        if name == "MESSAGE_DELETE":
            return discord.RawMessageDeleteEvent(data)
        emoji = discord.PartialEmoji(name=payload["emoji"]["name"])
        if name == "MESSAGE_REACTION_ADD":
            return discord.RawReactionActionEvent(data, emoji, "REACTION_ADD")
        return discord.RawReactionActionEvent(data, emoji, "REACTION_REMOVE")


def comment_events(objects: Sequence[object]) -> list[CommentEvent]:
    """What the Mirror cog submits for each object (deletes stamped at a fixed time)."""
    out: list[CommentEvent] = []
    for obj in objects:
        event: CommentEvent | None
        if isinstance(obj, discord.Message):
            event = to_upsert(obj, obj.channel.id)
        elif isinstance(obj, discord.RawMessageUpdateEvent):
            event = to_upsert(obj.message, obj.channel_id)
        elif isinstance(obj, discord.RawMessageDeleteEvent):
            event = MessageDelete(obj.message_id, obj.channel_id, START)
        elif isinstance(obj, discord.RawReactionActionEvent):
            kind = ReactionAdd if obj.event_type == "REACTION_ADD" else ReactionRemove
            event = kind(obj.message_id, obj.user_id, str(obj.emoji))
        else:
            raise TypeError(f"unexpected object {obj!r}")
        if event is not None:
            out.append(event)
    return out


# --- the three ways of writing -----------------------------------------------------------


async def _fresh_db(path: Path) -> Database:
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.upgrade()
    async with db.session() as session:
        for i in range(THREADS):
            await upsert_thread(
                session,
                thread_id=snowflake(START, i),
                guild_id=GUILD_ID,
                channel_id=FORUM_ID,
                name=f"thread {i}",
                tracked=True,
            )
        await session.commit()
    return db


async def time_writer(path: Path, events: Sequence[CommentEvent]) -> float:
    db = await _fresh_db(path)
    try:
        writer = CommentWriter(db, batch=BATCH)
        writer.start()
        start = time.perf_counter()
        for event in events:
            writer.submit(event)
        await writer.flush()
        seconds = time.perf_counter() - start
        await writer.close()
        if writer.stats.dropped:
            raise RuntimeError(f"writer dropped {writer.stats.dropped} events")
        return seconds
    finally:
        await db.dispose()


async def time_mirror_cog(path: Path, objects: Sequence[object]) -> float:
    db = await _fresh_db(path)
    settings = Settings(_env_file=None, database_url=str(db.url), writer_batch=BATCH)
    try:
        async with aiohttp.ClientSession() as session:
            bot = AnBot(settings, db, session, extensions=())
            await bot.load_extension("bot.mirror")  # cog_load: tracked threads, writer
            cog: Any = bot.get_cog("Mirror")
            handlers: dict[type, Callable[[Any], Any]] = {
                discord.Message: cog.on_message,
                discord.RawMessageUpdateEvent: cog.on_raw_message_edit,
                discord.RawMessageDeleteEvent: cog.on_raw_message_delete,
            }
            start = time.perf_counter()
            for obj in objects:
                if isinstance(obj, discord.RawReactionActionEvent):
                    add = obj.event_type == "REACTION_ADD"
                    await (cog.on_raw_reaction_add if add else cog.on_raw_reaction_remove)(obj)
                else:
                    await handlers[type(obj)](obj)
            await cog.writer.flush()
            seconds = time.perf_counter() - start
            await bot.unload_extension("bot.mirror")
            return seconds
    finally:
        await db.dispose()


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


_SQL: dict[type, list[tuple[str, Callable[[Any], tuple[Any, ...]]]]] = {
    MessageUpsert: [
        (
            "INSERT INTO comment (id, thread_id, parent_id, reference_id, author_id, author_name,"
            " content, attachments, is_starter, deleted, created_at, edited_at, deleted_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, '[]', 0, 0, ?, ?, NULL) ON CONFLICT (id) DO NOTHING",
            lambda e: (
                e.message_id,
                e.thread_id,
                e.parent_id,
                e.reference_id,
                e.author_id,
                e.author_name,
                e.content,
                _iso(e.created_at),
                _iso(e.edited_at),
            ),
        ),
    ],
}


def _edit_sql() -> list[tuple[str, Callable[[Any], tuple[Any, ...]]]]:
    return [
        (
            "INSERT OR IGNORE INTO comment_revision (comment_id, content, replaced_at)"
            " SELECT id, content, ? FROM comment"
            " WHERE id = ? AND deleted = 0 AND content IS NOT NULL AND content != ?",
            lambda e: (_iso(e.edited_at), e.message_id, e.content),
        ),
        (
            "UPDATE comment SET content = ?, edited_at = ? WHERE id = ? AND deleted = 0",
            lambda e: (e.content, _iso(e.edited_at), e.message_id),
        ),
    ]


_DELETE_SQL: list[tuple[str, Callable[[Any], tuple[Any, ...]]]] = [
    (
        "UPDATE comment SET deleted = 1, deleted_at = ?, author_id = NULL, author_name = NULL,"
        " content = NULL, attachments = '[]' WHERE id = ? AND deleted = 0",
        lambda e: (_iso(e.deleted_at), e.message_id),
    ),
    ("DELETE FROM comment_revision WHERE comment_id = ?", lambda e: (e.message_id,)),
    ("DELETE FROM vote WHERE comment_id = ?", lambda e: (e.message_id,)),
]
_VOTE_SQL: list[tuple[str, Callable[[Any], tuple[Any, ...]]]] = [
    (
        "INSERT OR IGNORE INTO vote (comment_id, user_id, emoji) SELECT ?, ?, ?"
        " WHERE EXISTS (SELECT 1 FROM comment WHERE id = ? AND deleted = 0)",
        lambda e: (e.message_id, e.user_id, e.emoji, e.message_id),
    )
]
_UNVOTE_SQL: list[tuple[str, Callable[[Any], tuple[Any, ...]]]] = [
    (
        "DELETE FROM vote WHERE comment_id = ? AND user_id = ? AND emoji = ?",
        lambda e: (e.message_id, e.user_id, e.emoji),
    )
]


def _runs(events: Sequence[CommentEvent]) -> Iterator[list[CommentEvent]]:
    """Consecutive events of one kind; a second edit of one message starts a new run, since the
    revision it stores is the text the previous edit wrote."""
    run: list[CommentEvent] = []
    edited: set[int] = set()
    for event in events:
        is_edit = isinstance(event, MessageUpsert) and event.edited_at is not None
        if run and (_kind(run[-1]) != _kind(event) or (is_edit and _id(event) in edited)):
            yield run
            run, edited = [], set()
        run.append(event)
        if is_edit:
            edited.add(_id(event))
    if run:
        yield run


def _kind(event: CommentEvent) -> str:
    if isinstance(event, MessageUpsert):
        return "create" if event.edited_at is None else "edit"
    return type(event).__name__


def _id(event: CommentEvent) -> int:
    return int(getattr(event, "message_id", 0))


def _statements(run: list[CommentEvent]) -> list[tuple[str, Callable[[Any], tuple[Any, ...]]]]:
    first = run[0]
    if isinstance(first, MessageUpsert):
        return _edit_sql() if first.edited_at is not None else _SQL[MessageUpsert]
    if isinstance(first, MessageDelete):
        return _DELETE_SQL
    if isinstance(first, ReactionAdd):
        return _VOTE_SQL
    if isinstance(first, ReactionRemove):
        return _UNVOTE_SQL
    raise TypeError(f"no baseline SQL for {type(first).__name__}")


def time_raw(path: Path, events: Sequence[CommentEvent]) -> float:
    asyncio.run(_prepare_file(path))
    conn = sqlite3.connect(path, isolation_level=None)
    # The comment index's triggers call the SQL functions every anbot connection registers.
    prepare_sqlite(conn)
    try:
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL"):
            conn.execute(f"PRAGMA {pragma}")
        start = time.perf_counter()
        for i in range(0, len(events), BATCH):
            batch = events[i : i + BATCH]
            conn.execute("BEGIN")
            for run in _runs(batch):
                for sql, params in _statements(run):
                    conn.executemany(sql, [params(e) for e in run])
            newest: dict[int, int] = {}
            for e in batch:
                if isinstance(e, MessageUpsert):
                    newest[e.thread_id] = max(newest.get(e.thread_id, 0), e.message_id)
            conn.executemany(
                "UPDATE discord_thread SET last_message_id = ?"
                " WHERE id = ? AND coalesce(last_message_id, 0) < ?",
                [(mid, tid, mid) for tid, mid in newest.items()],
            )
            conn.execute("COMMIT")
        return time.perf_counter() - start
    finally:
        conn.close()


async def _prepare_file(path: Path) -> None:
    db = await _fresh_db(path)
    await db.dispose()


def table_counts(path: Path) -> dict[str, int]:
    """What must agree between the writer's file and the baseline's."""
    queries = {
        "comments": "SELECT count(*) FROM comment",
        "deleted": "SELECT count(*) FROM comment WHERE deleted",
        "edited": "SELECT count(*) FROM comment WHERE edited_at IS NOT NULL",
        "replies": "SELECT count(*) FROM comment WHERE parent_id IS NOT NULL",
        "revisions": "SELECT count(*) FROM comment_revision",
        "votes": "SELECT count(*) FROM vote",
    }
    conn = sqlite3.connect(path)
    try:
        return {name: conn.execute(sql).fetchone()[0] for name, sql in queries.items()}
    finally:
        conn.close()


# --- the benchmark ------------------------------------------------------------------------


async def build_workload(n: int) -> tuple[list[object], list[CommentEvent]]:
    http = HTTPClient(asyncio.get_running_loop())
    try:
        factory = _Objects(http)
        objects = [factory.build(name, payload) for name, payload in workload(n)]
    finally:
        await http.close()
    return objects, comment_events(objects)


def run(n: int = 20_000, repeat: int = 3) -> list[Result]:
    objects, events = asyncio.run(build_workload(n))
    times: dict[str, float] = {"writer": float("inf"), "cog": float("inf"), "raw": float("inf")}
    counts: dict[str, dict[str, int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for attempt in range(repeat):
            paths = {name: Path(tmp) / f"{name}{attempt}.db" for name in times}
            measured = {
                "raw": time_raw(paths["raw"], events),
                "writer": asyncio.run(time_writer(paths["writer"], events)),
                "cog": asyncio.run(time_mirror_cog(paths["cog"], objects)),
            }
            for name, seconds in measured.items():
                times[name] = min(times[name], seconds)
                counts[name] = table_counts(paths[name])
    if not counts["writer"] == counts["raw"] == counts["cog"]:
        raise RuntimeError(f"the three writers disagree: {counts}")
    raw = times["raw"]
    rate = {name: len(events) / seconds for name, seconds in times.items()}
    summary = ", ".join(f"{k} {v}" for k, v in counts["raw"].items())
    return [
        Result(
            f"mirror writer ({n // 1000}k events)" if n >= 1000 else f"mirror writer ({n})",
            "time / raw executemany",
            times["writer"],
            raw,
            "s",
            2.0,
            f"{rate['writer']:,.0f} vs {rate['raw']:,.0f} events/s"
            f" (throughput ratio {rate['writer'] / rate['raw']:.2f}, target ≥ 0.5); {summary}",
        ),
        Result(
            "mirror via Mirror cog listeners",
            "time / raw executemany",
            times["cog"],
            raw,
            "s",
            None,
            f"{rate['cog']:,.0f} events/s (discord.py objects → cog → writer)",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20_000, help="events (default 20,000)")
    parser.add_argument("--quick", action="store_true", help="2,000 events, one repeat")
    args = parser.parse_args()
    results = run(2_000, 1) if args.quick else run(args.n)
    for r in results:
        print(f"{r.name}: {r.metric} = {r.ratio:.2f}× (target {r.target}); {r.note}")


if __name__ == "__main__":
    main()
