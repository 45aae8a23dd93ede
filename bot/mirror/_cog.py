"""Mirror tracked Discord threads into the comment tree.

Only raw gateway events are used for edits, deletes and reactions, so nothing depends on
discord.py's message cache (a message posted before the bot started is handled the same way).
Every event becomes a small dataclass handed to the one batching writer. On start and on every
reconnect (READY again or RESUMED) each tracked thread is caught up (bot/mirror/catchup.py).

A thread is mirrored when its row says tracked=True (publisher posts, `/an-mod track`) or, before
the publisher's row lands, when the bot itself owns the thread.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.logging import get_logger
from bot.mirror.catchup import CatchUpResult, catch_up_thread, resolve_thread
from bot.mirror.convert import to_upsert
from storage.comments.events import (
    BulkDelete,
    CommentEvent,
    MessageDelete,
    ReactionAdd,
    ReactionClear,
    ReactionRemove,
)
from storage.comments.writer import CommentWriter, journal_path
from storage.threads import set_tracked, tracked_threads, upsert_thread

if TYPE_CHECKING:
    from bot.app import AnBot

log = get_logger(__name__)


class Mirror(commands.Cog):
    def __init__(self, bot: AnBot) -> None:
        self.bot = bot
        settings = bot.settings
        shard = settings.shard_id() if settings.shard_count is not None else None
        self.writer = CommentWriter(
            bot.db,
            flush_ms=settings.writer_flush_ms,
            batch=settings.writer_batch,
            journal=journal_path(settings.writer_journal, bot.db, shard),
        )
        self.recheck = settings.mirror_recheck
        self._tracked: set[int] = set()
        self._untracked: set[int] = set()
        self._catchup_lock = asyncio.Lock()
        self._catchup_again = False
        self._catchup_task: asyncio.Task[None] | None = None
        self.catchups = 0  # completed catch-up rounds (tests wait on it)
        self.caught_up = asyncio.Event()

    async def cog_load(self) -> None:
        await self._load_tracking()
        self.writer.start()

    async def cog_unload(self) -> None:
        task = self._catchup_task
        if task is not None and not task.done():
            # Wait for the cancelled round to unwind: left pending, it would be cancelled again
            # at event-loop shutdown inside a database call, after the engine is disposed, and
            # SQLAlchemy's shielded connection close then never completes (a hung shutdown).
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.writer.close()

    async def _load_tracking(self) -> None:
        async with self.bot.db.session() as session:
            rows = await tracked_threads(session)
        self._tracked = {row.id for row in rows}

    def _own_id(self) -> int | None:
        return self.bot.user.id if self.bot.user is not None else None

    # --- which threads ----------------------------------------------------------------------

    def is_tracked(self, channel_id: int) -> bool:
        if channel_id in self._tracked:
            return True
        if channel_id in self._untracked or self.bot.user is None:
            return False
        channel = self.bot.get_channel(channel_id)
        if isinstance(channel, discord.Thread) and channel.owner_id == self.bot.user.id:
            self._tracked.add(channel_id)  # the writer creates its row; the publisher names it
            return True
        return False

    async def track(self, thread: discord.Thread) -> CatchUpResult:
        """Start mirroring `thread` and read its whole history now."""
        async with self.bot.db.session() as session:
            await upsert_thread(
                session,
                thread_id=thread.id,
                guild_id=thread.guild.id,
                channel_id=thread.parent_id,
                name=thread.name,
                tracked=True,
            )
            await session.commit()
        self._untracked.discard(thread.id)
        self._tracked.add(thread.id)
        result = await catch_up_thread(
            thread, self.bot.db, self.writer, recheck=self.recheck, own_id=self._own_id()
        )
        await self.writer.flush()
        return result

    async def untrack(self, thread_id: int) -> bool:
        """Stop mirroring; stored comments stay. False when the thread was never tracked."""
        async with self.bot.db.session() as session:
            known = await set_tracked(session, thread_id=thread_id, tracked=False)
            await session.commit()
        self._tracked.discard(thread_id)
        self._untracked.add(thread_id)
        return known

    # --- catch-up ---------------------------------------------------------------------------

    def schedule_catch_up(self) -> None:
        """Run a catch-up round now, or once more right after the one in progress."""
        if self._catchup_task is not None and not self._catchup_task.done():
            self._catchup_again = True
            return
        self.caught_up.clear()
        self._catchup_task = asyncio.create_task(self._catch_up_loop(), name="mirror-catch-up")

    async def _catch_up_loop(self) -> None:
        while True:
            self._catchup_again = False
            try:
                await self.catch_up_all()
            except Exception:
                log.exception("catch-up round failed; the next reconnect retries")
            if not self._catchup_again:
                break
        self.catchups += 1
        self.caught_up.set()

    async def catch_up_all(self) -> list[CatchUpResult]:
        async with self._catchup_lock:
            await self._load_tracking()
            results: list[CatchUpResult] = []
            for thread_id in sorted(self._tracked):
                thread = await resolve_thread(self.bot, thread_id)
                if thread is None:
                    continue
                try:
                    results.append(
                        await catch_up_thread(
                            thread,
                            self.bot.db,
                            self.writer,
                            recheck=self.recheck,
                            own_id=self._own_id(),
                        )
                    )
                except discord.HTTPException as exc:
                    log.warning("catch-up of thread %s failed: %s", thread_id, exc)
            await self.writer.flush()
            log.info("caught up %d threads", len(results))
            return results

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        self.schedule_catch_up()

    @commands.Cog.listener()
    async def on_resumed(self) -> None:
        self.schedule_catch_up()

    # --- live events --------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        channel = message.channel
        if not isinstance(channel, discord.Thread) or not self.is_tracked(channel.id):
            return
        event = to_upsert(message, channel.id, own_id=self._own_id())
        if event is not None:
            self._submit(event)

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        if not self.is_tracked(payload.channel_id):
            return
        event = to_upsert(payload.message, payload.channel_id, own_id=self._own_id())
        if event is not None:
            self._submit(event)

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        if self.is_tracked(payload.channel_id):
            self._submit(MessageDelete(payload.message_id, payload.channel_id, _now()))

    @commands.Cog.listener()
    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        if self.is_tracked(payload.channel_id):
            ids = tuple(sorted(payload.message_ids))
            self._submit(BulkDelete(ids, payload.channel_id, _now()))

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        if self.is_tracked(payload.channel_id):
            self._submit(ReactionAdd(payload.message_id, payload.user_id, str(payload.emoji)))

    @commands.Cog.listener()
    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        if self.is_tracked(payload.channel_id):
            self._submit(ReactionRemove(payload.message_id, payload.user_id, str(payload.emoji)))

    @commands.Cog.listener()
    async def on_raw_reaction_clear(self, payload: discord.RawReactionClearEvent) -> None:
        if self.is_tracked(payload.channel_id):
            self._submit(ReactionClear(payload.message_id))

    @commands.Cog.listener()
    async def on_raw_reaction_clear_emoji(
        self, payload: discord.RawReactionClearEmojiEvent
    ) -> None:
        if self.is_tracked(payload.channel_id):
            self._submit(ReactionClear(payload.message_id, str(payload.emoji)))

    def _submit(self, event: CommentEvent) -> None:
        try:
            self.writer.submit(event)
        except RuntimeError:
            # Shutting down: the next start's catch-up re-reads what this event described.
            log.info("writer closed; %r left to catch-up", type(event).__name__)


def _now() -> datetime:
    return datetime.now(UTC)
