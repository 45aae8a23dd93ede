"""Catch a tracked thread up with Discord after the bot was offline (or the gateway dropped).

What is recovered, per thread:
- every message newer than the last stored one (`history(after=…)`, paged by discord.py);
- the starter message, refetched (the publisher may have edited it);
- edits and deletes made while offline, for the newest `recheck` stored comments only: each of
  them missing from history becomes a tombstone, each with a newer `edited_at` gets a revision.
  Older comments are not re-read (that would mean paging a thread's whole history on every
  reconnect); their offline edits/deletes are picked up only if an event arrives later.
- authors named as live comments are: a message read over REST has a `User` author (no
  nickname; the bot has no members intent), so each author's server nickname is fetched once
  per catch-up (`MemberNames`) and stored like the live path's `Member.display_name`.
- reactions added or removed while offline, on every message history returns (the starter
  too): where a message's count for an emoji differs from the stored votes, the users of that
  emoji are fetched and the difference is written as votes added and removed. A swap that
  keeps the count (one member removes, another adds) is not noticed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import discord

from bot.mirror.convert import to_upsert
from storage.comments import recent_comments, stored_votes
from storage.comments.events import MessageDelete, ReactionAdd, ReactionRemove
from storage.comments.writer import CommentWriter
from storage.db import Database
from storage.threads import get_thread

log = logging.getLogger(__name__)


@dataclass(slots=True)
class CatchUpResult:
    thread_id: int
    seen: int = 0  # messages read from history
    tombstoned: int = 0  # stored comments missing from history
    votes_changed: int = 0  # votes added or removed to match the reactions on Discord


class MemberNames:
    """Authors' names as members see them (server nickname, else global name, else username)
    for messages read over REST; one member fetch per author, remembered."""

    def __init__(self, guild: discord.Guild) -> None:
        self.guild = guild
        self._names: dict[int, str] = {}

    async def of(self, message: discord.Message) -> str:
        author = message.author
        if isinstance(author, discord.Member) or message.webhook_id is not None:
            return author.display_name
        if author.id not in self._names:
            member = self.guild.get_member(author.id)
            if member is None:
                try:
                    member = await self.guild.fetch_member(author.id)
                except discord.NotFound:  # left the server: no nickname any more
                    member = None
                except discord.HTTPException as exc:  # transient: fall back, retry next time
                    log.info("member %s of %s not fetched: %s", author.id, self.guild.id, exc)
                    return author.display_name
            self._names[author.id] = (member or author).display_name
        return self._names[author.id]


async def fetch_starter(thread: discord.Thread) -> discord.Message | None:
    """A forum post's starter lives in the thread; a text-channel thread's in its parent."""
    try:
        return await thread.fetch_message(thread.id)
    except discord.NotFound:
        pass
    parent = thread.parent
    if isinstance(parent, discord.TextChannel):
        try:
            return await parent.fetch_message(thread.id)
        except discord.NotFound:
            return None
    return None


async def catch_up_thread(
    thread: discord.Thread,
    db: Database,
    writer: CommentWriter,
    *,
    recheck: int,
    own_id: int | None = None,
) -> CatchUpResult:
    result = CatchUpResult(thread.id)
    await writer.flush()  # compare with what is really stored, not what is still queued
    async with db.session() as session:
        row = await get_thread(session, thread.id)
        recent = await recent_comments(session, thread.id, recheck) if recheck > 0 else []
        votes = await stored_votes(session, thread.id)
    last_id = row.last_message_id if row else None
    # Re-read from the oldest re-checked comment (or the last stored one) onwards.
    starts = [s.message_id for s in recent if not s.deleted] + ([last_id] if last_id else [])
    after = discord.Object(min(starts) - 1) if starts else None

    names = MemberNames(thread.guild)
    starter = await fetch_starter(thread)
    if starter is not None and (
        event := to_upsert(
            starter, thread.id, starter=True, own_id=own_id, author_name=await names.of(starter)
        )
    ):
        writer.submit(event)
        result.votes_changed += await _sync_votes(starter, votes.get(starter.id, {}), writer)

    seen: set[int] = set()
    async for message in thread.history(limit=None, after=after, oldest_first=True):
        seen.add(message.id)
        event = to_upsert(message, thread.id, own_id=own_id, author_name=await names.of(message))
        if event is not None:
            writer.submit(event)
            result.votes_changed += await _sync_votes(message, votes.get(message.id, {}), writer)
    result.seen = len(seen)

    # Everything in `recent` existed before history was read, so absence means deletion.
    now = datetime.now(UTC)
    for state in recent:
        if not state.deleted and state.message_id not in seen:
            writer.submit(MessageDelete(state.message_id, thread.id, now))
            result.tombstoned += 1
    return result


async def _sync_votes(
    message: discord.Message, stored: dict[str, set[int]], writer: CommentWriter
) -> int:
    """Votes added/removed so that `message`'s stored votes equal its reactions on Discord.

    History gives each emoji's count; only an emoji whose count differs costs a request for
    its users, so a thread whose reactions did not change costs nothing more.
    """
    changed = 0
    on_discord = {str(reaction.emoji): reaction for reaction in message.reactions}
    for emoji in stored.keys() | on_discord.keys():
        before = stored.get(emoji, set())
        reaction = on_discord.get(emoji)
        if reaction is not None and reaction.count == len(before):
            continue
        now = {user.id async for user in reaction.users()} if reaction is not None else set()
        for user_id in sorted(now - before):
            writer.submit(ReactionAdd(message.id, user_id, emoji))
        for user_id in sorted(before - now):
            writer.submit(ReactionRemove(message.id, user_id, emoji))
        changed += len(now ^ before)
    return changed


async def resolve_thread(client: discord.Client, thread_id: int) -> discord.Thread | None:
    """The thread from the cache or the API (archived threads are not cached)."""
    channel = client.get_channel(thread_id)
    if channel is None:
        try:
            channel = await client.fetch_channel(thread_id)
        except (discord.NotFound, discord.Forbidden) as exc:
            log.warning("tracked thread %s is not reachable: %s", thread_id, exc)
            return None
    return channel if isinstance(channel, discord.Thread) else None
