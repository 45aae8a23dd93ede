"""Discord writes of the publisher: posts, follow-up messages, tags, edits, and finding a post.

Every write waits for the pacer and passes `allowed_mentions` explicitly (the client default
is `none()` too: a feed's `@everyone` must never ping, whatever path the text takes).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import discord

from bot.logging import get_logger
from bot.publish.pacing import Pacer
from bot.publish.render import TAG_LIMIT

log = get_logger(__name__)

MAX_FORUM_TAGS = 20
HISTORY_SEARCH_LIMIT = 500  # messages scanned for an interrupted post after a crash
StarterMatch = Callable[[int, str], bool]  # (message id, text) is the starter looked for

PostChannel = discord.ForumChannel | discord.TextChannel
Messageable = discord.Thread | discord.TextChannel


class Poster:
    def __init__(self, client: discord.Client, pacer: Pacer, *, ping_role_id: int | None) -> None:
        self.client = client
        self.pacer = pacer
        self.quiet = discord.AllowedMentions.none()
        # With a ping role set, the starter may mention exactly that role and nothing else.
        self.starter_mentions = self.mentions_for(ping_role_id)
        self._tags: dict[int, dict[str, discord.ForumTag]] = {}
        self._no_tag_creation: set[int] = set()

    def mentions_for(self, ping_role_id: int | None) -> discord.AllowedMentions:
        """Exactly that role may be mentioned (a feed route's ping), or nothing."""
        if not ping_role_id:
            return self.quiet
        return discord.AllowedMentions(
            everyone=False, users=False, replied_user=False, roles=[discord.Object(ping_role_id)]
        )

    @property
    def me(self) -> discord.ClientUser:
        assert self.client.user is not None, "the client is not logged in"
        return self.client.user

    # --- lookups -----------------------------------------------------------------------

    async def channel(self, channel_id: int) -> Any:
        """A channel or thread by id: from the cache, else from the API (NotFound propagates)."""
        cached = self.client.get_channel(channel_id)
        if cached is not None:
            return cached
        return await self.client.fetch_channel(channel_id)

    # --- creating ----------------------------------------------------------------------

    async def create_post(
        self,
        channel: PostChannel,
        *,
        name: str,
        chunks: Sequence[str],
        tags: Sequence[discord.ForumTag] = (),
        mentions: discord.AllowedMentions | None = None,
    ) -> tuple[discord.Thread, int]:
        """A forum post, or in a text channel a message with a thread on it; (thread, starter).
        `mentions`: what the starter may ping (default: ANBOT_PING_ROLE_ID's role)."""
        mentions = mentions or self.starter_mentions
        if isinstance(channel, discord.ForumChannel):
            async with self.pacer:
                created = await channel.create_thread(
                    name=name,
                    content=chunks[0],
                    applied_tags=list(tags),
                    allowed_mentions=mentions,
                )
            thread, starter_id = created.thread, created.message.id
        else:
            async with self.pacer:
                message = await channel.send(chunks[0], allowed_mentions=mentions)
            thread = await self._thread_on(message, name=name)
            starter_id = message.id
        await self.send_rest(thread, chunks, after=starter_id, resume=False)
        return thread, starter_id

    async def _thread_on(self, message: discord.Message, *, name: str) -> discord.Thread:
        async with self.pacer:
            return await message.create_thread(name=name)

    async def send_chunks(self, thread: discord.Thread, chunks: Sequence[str]) -> int:
        """Messages in a thread (thread mode); the id of the first one, which has the marker."""
        async with self.pacer:
            first = await thread.send(chunks[0], allowed_mentions=self.quiet)
        await self.send_rest(thread, chunks, after=first.id, resume=False)
        return first.id

    async def send_rest(
        self, thread: discord.Thread, chunks: Sequence[str], *, after: int, resume: bool
    ) -> None:
        """Send chunks[1:] after message `after`; resuming, skip those already there."""
        rest = list(chunks[1:])
        if not rest:
            return
        if resume:
            sent = {m.content async for m in self._own_messages(thread, after=after)}
            rest = [chunk for chunk in rest if chunk not in sent]
        for chunk in rest:
            async with self.pacer:
                await thread.send(chunk, allowed_mentions=self.quiet)

    async def _own_messages(self, where: Messageable, *, after: int) -> Any:
        async for message in where.history(
            after=discord.Object(after), limit=HISTORY_SEARCH_LIMIT, oldest_first=True
        ):
            if message.author.id == self.me.id and message.interaction_metadata is None:
                yield message

    # --- finding what an interrupted attempt created ----------------------------------

    async def find_post(
        self, channel: PostChannel, *, matches: StarterMatch, since: datetime, name: str
    ) -> tuple[discord.Thread, int] | None:
        """The bot's post created after `since` whose starter `matches`, with the starter's id."""
        if isinstance(channel, discord.ForumChannel):
            for thread in await self._own_threads(channel, since=since):
                try:
                    starter = thread.starter_message or await thread.fetch_message(thread.id)
                except discord.NotFound:
                    continue  # starter deleted: not ours to adopt
                if matches(starter.id, starter.content):
                    return thread, starter.id
            return None
        since_id = discord.utils.time_snowflake(since)
        async for message in self._own_messages(channel, after=since_id):
            if matches(message.id, message.content):
                existing = message.thread or await self._existing_thread(message.id)
                # None: the message was sent but the thread not yet created on it.
                thread = existing or await self._thread_on(message, name=name)
                return thread, message.id
        return None

    async def find_message(
        self, thread: discord.Thread, *, matches: StarterMatch, since: datetime
    ) -> int | None:
        since_id = discord.utils.time_snowflake(since)
        async for message in self._own_messages(thread, after=since_id):
            if matches(message.id, message.content):
                return message.id
        return None

    async def _own_threads(
        self, channel: discord.ForumChannel, *, since: datetime
    ) -> list[discord.Thread]:
        since_id = discord.utils.time_snowflake(since)
        threads = [
            t
            for t in await channel.guild.active_threads()
            if t.parent_id == channel.id and t.owner_id == self.me.id and t.id >= since_id
        ]
        async for thread in channel.archived_threads(limit=100):
            if thread.id < since_id:
                break  # newest first: the rest are older still
            if thread.owner_id == self.me.id and all(t.id != thread.id for t in threads):
                threads.append(thread)
        return sorted(threads, key=lambda t: t.id)

    async def _existing_thread(self, thread_id: int) -> discord.Thread | None:
        try:
            found = await self.client.fetch_channel(thread_id)
        except discord.NotFound:
            return None
        return found if isinstance(found, discord.Thread) else None

    # --- tags -------------------------------------------------------------------------

    async def tags_for(
        self, forum: discord.ForumChannel, names: Sequence[str], *, create: bool
    ) -> list[discord.ForumTag]:
        """The forum's tags with these names, creating missing ones when allowed and room.

        The tag list is kept here as well as in discord.py's cache, because the cache only
        learns of a new tag from the gateway, and two quick creations must not undo each other.
        """
        known = self._tags.setdefault(forum.id, {})
        for existing in forum.available_tags:
            known.setdefault(existing.name.lower(), existing)
        out: list[discord.ForumTag] = []
        for name in names:
            tag: discord.ForumTag | None = known.get(name.lower())
            if tag is None and create and self._may_create_tag(forum, len(known)):
                tag = await self._create_tag(forum, name, known)
            if tag is not None and tag not in out:
                out.append(tag)
        return out

    def _may_create_tag(self, forum: discord.ForumChannel, count: int) -> bool:
        if forum.id in self._no_tag_creation or count >= MAX_FORUM_TAGS:
            return False
        me = forum.guild.me
        if me is None:
            # The guild lives on another shard (this process leads publishing but does not
            # cache that guild): just try; a Forbidden answer turns tag creation off.
            return True
        return forum.permissions_for(me).manage_channels

    async def _create_tag(
        self, forum: discord.ForumChannel, name: str, known: dict[str, discord.ForumTag]
    ) -> discord.ForumTag | None:
        wanted = [*known.values(), discord.ForumTag(name=name[:TAG_LIMIT])]
        try:
            async with self.pacer:
                edited = await forum.edit(available_tags=wanted)
        except discord.Forbidden as exc:
            log.warning("cannot create tags in forum %s (%s); posting untagged", forum.id, exc)
            self._no_tag_creation.add(forum.id)
            return None
        for tag in edited.available_tags if edited is not None else []:
            known[tag.name.lower()] = tag
        return known.get(name.lower())

    # --- editing ----------------------------------------------------------------------

    async def edit_message(
        self,
        where: Messageable,
        message_id: int,
        content: str,
        *,
        starter: bool,
        mentions: discord.AllowedMentions | None = None,
    ) -> None:
        mentions = (mentions or self.starter_mentions) if starter else self.quiet
        async with self.pacer:
            await where.get_partial_message(message_id).edit(
                content=content, allowed_mentions=mentions
            )

    async def edit_follow_ups(
        self, thread: discord.Thread, *, starter_id: int, chunks: Sequence[str]
    ) -> None:
        """Bring the messages after the starter in line with chunks[1:] (edit, add, remove)."""
        existing = [m async for m in self._own_messages(thread, after=starter_id)]
        wanted = list(chunks[1:])
        for message, chunk in zip(existing, wanted, strict=False):
            if message.content != chunk:
                async with self.pacer:
                    await message.edit(content=chunk, allowed_mentions=self.quiet)
        for chunk in wanted[len(existing) :]:
            async with self.pacer:
                await thread.send(chunk, allowed_mentions=self.quiet)
        for message in existing[len(wanted) :]:
            async with self.pacer:
                await message.delete()

    async def send_notice(self, channel_id: int, text: str) -> None:
        """A plain message (the mod log); never pings."""
        channel = await self.channel(channel_id)
        async with self.pacer:
            await channel.send(text[:2000], allowed_mentions=self.quiet)
