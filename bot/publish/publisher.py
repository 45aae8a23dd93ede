"""One publishing cycle: heal interrupted posts, enqueue, post pending rows, apply edits, report.

Exactly once: a row is committed as `posting` before its Discord call and as `posted` after.
A row found in `posting` (a crash, or a new leader) or retried after a transient error is first
looked for on Discord: the bot's post in that channel made since the attempt started whose
starter text has the hash recorded before the call (or, posted before migration 0008, the row's
marker); only when absent is it posted again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord

from bot.logging import get_logger
from bot.publish import render
from bot.publish.pacing import Pacer, is_permanent, is_transient, with_retries
from bot.publish.poster import Poster
from storage import publications as pubs
from storage.feeds import delete_setting, get_setting, route_for, set_setting
from storage.models import Publication, utcnow
from storage.summaries import cross_ref_targets, label_targets
from storage.threads import upsert_thread

if TYPE_CHECKING:
    from bot.app import AnBot

log = get_logger(__name__)

MAX_ATTEMPTS = 8  # claims of one row (each with its own retries) before it is failed
SEARCH_SLACK = timedelta(minutes=5)  # clock skew allowance when searching by time


@dataclass(frozen=True, slots=True)
class CrossLinks:
    labels: dict[str, str]  # "AN #45" → the issue's own thread or page
    refs: dict[str, str]  # referenced summary title (casefolded) → its thread or paper URL
    summaries: dict[str, list[render.Referenced]]  # "AN #45" → its summaries, for mentions


@dataclass
class CycleReport:
    healed: int = 0
    requeued: int = 0
    enqueued: int = 0
    posted: int = 0
    failed: int = 0
    edited: int = 0
    deferred: int = 0  # transient failures left for the next cycle
    errors: list[str] = field(default_factory=list)


class Publisher:
    def __init__(self, bot: AnBot) -> None:
        self.bot = bot
        self.settings = bot.settings
        self.db = bot.db
        self.poster = Poster(
            bot, Pacer(bot.settings.publish_pace), ping_role_id=bot.settings.ping_role_id
        )
        self.healed_since_leader = False
        # Channels found missing or forbidden in this cycle: their rows wait for the next one.
        self._blocked: dict[int, str] = {}

    async def cycle(self) -> CycleReport:
        """Everything the leader does after a poll; other processes return at once."""
        report = CycleReport()
        self._blocked = {}
        if not await self.bot.leader.acquire():
            self.healed_since_leader = False
            return report
        if not self.healed_since_leader:
            await self.heal(report)
            self.healed_since_leader = True
        async with self.db.session() as session:
            report.enqueued = await pubs.enqueue_pending(
                session, channels=self.settings.channel_modes()
            )
            await session.commit()
        while await self.publish_next(report):
            pass
        await self.apply_edits(report)
        await self.report_failures()
        return report

    # --- healing ----------------------------------------------------------------------

    async def heal(self, report: CycleReport) -> None:
        """Rows left in `posting`: adopt what reached Discord, put the rest back in the queue."""
        async with self.db.session() as session:
            stuck = await pubs.posting_rows(session)
        for pub in stuck:
            try:
                found = await self._find_existing(pub)
            except discord.HTTPException as exc:
                log.warning("publication %s: cannot search for its post yet: %s", pub.id, exc)
                continue
            async with self.db.session() as session:
                if found is None:
                    await pubs.release(session, publication_id=_id(pub), error=None)
                    report.requeued += 1
                else:
                    await self._record_posted(session, pub, *found)
                    report.healed += 1
                await session.commit()
        if stuck:
            log.info("healed %d interrupted posts, requeued %d", report.healed, report.requeued)

    async def _find_existing(self, pub: Publication) -> tuple[Any, int] | None:
        """(thread, starter id) of the row's post on Discord, finishing it if half-made."""
        async with self.db.session() as session:
            target = await pubs.load_target(session, publication=pub)
            links = await self._cross_ref_links(session, target)
            summaries = await self._summary_count(session, target)
            taken = await pubs.posted_starters(session, channel_id=pub.channel_id)
            ping = await self._ping_for(session, target)
        chunks = self._chunks(target, links, summaries, ping)
        since = (pub.post_started_at or pub.created_at) - SEARCH_SLACK
        matches = _starter_matcher(pub, taken)
        if _is_message_row(pub):
            thread = await self.poster.channel(_thread_id(pub))
            message_id = await self.poster.find_message(thread, matches=matches, since=since)
            if message_id is None:
                return None
            await self.poster.send_rest(thread, chunks, after=message_id, resume=True)
            return thread, message_id
        channel = await self.poster.channel(pub.channel_id)
        name = render.post_title(target.issue, target.summary)
        found = await self.poster.find_post(channel, matches=matches, since=since, name=name)
        if found is None:
            return None
        thread, starter_id = found
        await self.poster.send_rest(thread, chunks, after=starter_id, resume=True)
        return thread, starter_id

    # --- posting ----------------------------------------------------------------------

    async def publish_next(self, report: CycleReport) -> bool:
        """Claim and publish one row; False when nothing is claimable or Discord is unwell."""
        async with self.db.session() as session:
            pub = await pubs.claim_next(session, skip_channels=list(self._blocked))
            await session.commit()
        if pub is None:
            return False
        try:
            thread, starter_id = await with_retries(lambda n: self._post(pub, n))
        except Exception as exc:
            return await self._post_failed(pub, exc, report)
        async with self.db.session() as session:
            await self._record_posted(session, pub, thread, starter_id)
            await session.commit()
        await self._channel_works(pub.channel_id)
        report.posted += 1
        return True

    async def publish_row(self, publication_id: int) -> bool:
        """Post one row now (a member opened a summary's discussion), outside the cycle.

        The row is claimed by compare-and-set, so a second press or the leader's cycle never
        posts it again: False when someone else holds it. A crash after Discord's answer
        leaves the row `posting`, healed by its starter's hash like any other."""
        async with self.db.session() as session:
            pub = await pubs.claim(session, publication_id=publication_id)
            await session.commit()
        if pub is None:
            return False
        try:
            thread, starter_id = await with_retries(lambda n: self._post(pub, n))
        except Exception as exc:
            await self._post_failed(pub, exc, CycleReport())
            raise
        async with self.db.session() as session:
            await self._record_posted(session, pub, thread, starter_id)
            await session.commit()
        return True

    async def _post(self, pub: Publication, attempt: int) -> tuple[Any, int]:
        # A repeated claim or retry may follow a call that reached Discord: look first.
        if pub.attempts > 1 or attempt > 1:
            found = await self._find_existing(pub)
            if found is not None:
                return found
        async with self.db.session() as session:
            target = await pubs.load_target(session, publication=pub)
            links = await self._cross_ref_links(session, target)
            summaries = await self._summary_count(session, target)
            ping = await self._ping_for(session, target)
        chunks = self._chunks(target, links, summaries, ping)
        # What is about to be posted, and since when, is committed before the call: a crash
        # after Discord's answer leaves a row a later search recognises the post by.
        started = utcnow()
        async with self.db.session() as session:
            await pubs.start_post(
                session, publication_id=_id(pub), content=chunks[0], started_at=started
            )
            await session.commit()
        pub.starter_hash, pub.post_started_at = pubs.starter_hash(chunks[0]), started
        if _is_message_row(pub):
            thread = await self.poster.channel(_thread_id(pub))
            return thread, await self.poster.send_chunks(thread, chunks)
        channel = await self.poster.channel(pub.channel_id)
        if not isinstance(channel, discord.ForumChannel | discord.TextChannel):
            raise TypeError(f"channel {pub.channel_id} is neither a forum nor a text channel")
        tags: list[discord.ForumTag] = []
        if isinstance(channel, discord.ForumChannel) and target.summary is not None:
            name = render.tag_name(target.summary)
            if name:
                tags = await self.poster.tags_for(channel, [name], create=self.settings.create_tags)
        return await self.poster.create_post(
            channel,
            name=render.post_title(target.issue, target.summary),
            chunks=chunks,
            tags=tags,
            mentions=self.poster.mentions_for(ping),
        )

    async def _post_failed(self, pub: Publication, exc: Exception, report: CycleReport) -> bool:
        text = _describe(exc)
        if _channel_problem(exc) and not _is_message_row(pub):
            # The channel is gone or the bot lost its permissions there: the row (and the
            # channel's other rows) wait, pending, and go out once a moderator fixes it.
            async with self.db.session() as session:
                await pubs.release(session, publication_id=_id(pub), error=text)
                await session.commit()
            self._blocked[pub.channel_id] = text
            log.warning("channel %s cannot be posted to: %s", pub.channel_id, text)
            report.deferred += 1
            report.errors.append(text)
            await self._channel_blocked(pub.channel_id, text)
            return True
        async with self.db.session() as session:
            if is_transient(exc) and pub.attempts < MAX_ATTEMPTS:
                # Leave Discord alone until the next cycle; the row keeps its place in line.
                await pubs.release(session, publication_id=_id(pub), error=text)
                await session.commit()
                log.warning("publication %s deferred after retries: %s", pub.id, text)
                report.deferred += 1
                report.errors.append(text)
                return False
            await pubs.mark_failed(session, publication_id=_id(pub), error=text)
            await session.commit()
        log.error("publication %s to channel %s failed: %s", pub.id, pub.channel_id, text)
        if not (is_permanent(exc) or is_transient(exc) or isinstance(exc, LookupError | TypeError)):
            log.error("unexpected publishing error", exc_info=exc)
        report.failed += 1
        report.errors.append(text)
        return True

    async def _record_posted(
        self, session: Any, pub: Publication, thread: Any, starter_id: int
    ) -> None:
        target = await pubs.load_target(session, publication=pub)
        await pubs.mark_posted(
            session,
            publication_id=_id(pub),
            thread_id=thread.id,
            starter_message_id=starter_id,
            posted_hash=pubs.source_hash(target),
        )
        if not _is_message_row(pub):
            guild = getattr(thread, "guild", None)
            await upsert_thread(
                session,
                thread_id=thread.id,
                guild_id=guild.id if guild is not None else None,
                channel_id=pub.channel_id,
                name=getattr(thread, "name", ""),
                publication_id=pub.id,
            )

    # --- channels that cannot be posted to ---------------------------------------------

    async def _channel_blocked(self, channel_id: int, error: str) -> None:
        """One mod-log notice when a channel becomes unusable (not one per row or cycle)."""
        key = f"channel_blocked:{channel_id}"
        async with self.db.session() as session:
            if await get_setting(session, key) is not None:
                return
            waiting = await pubs.pending_count(session, channel_id=channel_id)
        noun = "post waits" if waiting == 1 else "posts wait"
        text = (
            f"Cannot post to <#{channel_id}>: {error}. {waiting} {noun} and will go out once "
            "it is fixed: check that the channel exists and the bot's permissions there (View "
            "Channel, Send Messages, Create Public Threads, Send Messages in Threads)."
        )
        if await self._notify(text):
            async with self.db.session() as session:
                await set_setting(session, key, error[:500])
                await session.commit()

    async def _channel_works(self, channel_id: int) -> None:
        key = f"channel_blocked:{channel_id}"
        async with self.db.session() as session:
            if await get_setting(session, key) is None:
                return
        if await self._notify(f"Posting to <#{channel_id}> works again; waiting posts go out."):
            async with self.db.session() as session:
                await delete_setting(session, key)
                await session.commit()

    async def _notify(self, text: str) -> bool:
        """Tell the mod-log; False when it could not be told (told at the next change)."""
        if not self.settings.mod_log_channel_id:
            return True
        try:
            await self.poster.send_notice(self.settings.mod_log_channel_id, text)
        except discord.HTTPException as exc:
            log.error("cannot write to the mod-log channel: %s", _describe(exc))
            return False
        return True

    # --- rendering --------------------------------------------------------------------

    async def _ping_for(self, session: Any, target: pubs.Target) -> int | None:
        """The role a new post pings: its feed route's (storage.feeds), else
        ANBOT_PING_ROLE_ID for a feed without routes; never for a member's /an discuss."""
        pub = target.publication
        if pub.mode == pubs.DISCUSS or _is_message_row(pub):
            return None
        if target.issue.feed_id is not None:
            route = await route_for(
                session, feed_id=target.issue.feed_id, channel_id=pub.channel_id
            )
            if route is not None:
                return route.ping_role_id
        return self.settings.ping_role_id

    def _chunks(
        self,
        target: pubs.Target,
        links: CrossLinks,
        summaries: int,
        ping_role_id: int | None = None,
    ) -> list[str]:
        pub = target.publication
        if target.summary is None and pub.mode == "thread":
            body = render.issue_header(target.issue, summaries)
        elif target.summary is None:
            body = render.issue_header(target.issue, 0).split("\n", 1)[0]
        else:
            body = render.summary_body(
                target.issue,
                target.summary,
                links=links.labels,
                refs=links.refs,
                summaries=links.summaries,
            )
        if pub.mode == pubs.DISCUSS and target.summary is not None:
            # Opened from the back catalog: say where the summary came from.
            head, _, rest = body.partition("\n\n")
            origin = render.provenance(target.issue, target.summary)
            body = f"{head}\n-# From {origin}\n\n{rest}".rstrip()
        return render.starter_chunks(body, ping_role_id=ping_role_id)

    async def _cross_ref_links(self, session: Any, target: pubs.Target) -> CrossLinks:
        """Links for the summary's issue mentions ("AN #45") and database cross references: each
        named summary's own discussion (else its paper); an issue mention that names none, the
        issue's own thread (a thread per issue), else its page."""
        if target.summary is None:
            return CrossLinks({}, {}, {})
        home = getattr(self.bot.get_channel(target.publication.channel_id), "guild", None)
        guild_id = home.id if home is not None else None
        labels = list(dict.fromkeys(target.summary.cross_refs))
        links: dict[str, str] = {}
        for label in labels:
            where = await pubs.thread_for_label(session, label=label)
            guild = getattr(self.bot.get_channel(where[0]), "guild", None) if where else None
            if where is not None and guild is not None:
                links[label] = render.jump_url(guild.id, where[1])
            elif (page := await pubs.issue_page(session, label=label)) is not None:
                links[label] = page
        named = render.referenced(await label_targets(session, labels), guild_id=guild_id)
        titles = render.referenced_titles(target.summary)
        targets = await cross_ref_targets(session, titles) if titles else {}
        refs = render.cross_ref_urls(targets, guild_id=guild_id)
        return CrossLinks(links, refs, named)

    async def _summary_count(self, session: Any, target: pubs.Target) -> int:
        if target.summary is not None or target.publication.mode != "thread":
            return 0
        return len(await pubs.issue_summaries(session, issue_id=target.issue.id or 0))

    # --- edits ------------------------------------------------------------------------

    async def apply_edits(self, report: CycleReport) -> None:
        """Feed entries that changed since they were posted: edit the posts in place."""
        async with self.db.session() as session:
            targets = await pubs.rows_needing_edit(session)
        for target in targets:
            pub = target.publication
            try:
                await with_retries(lambda _n, t=target: self._edit(t))  # type: ignore[misc]
            except discord.HTTPException as exc:
                log.warning("publication %s: edit failed: %s", pub.id, _describe(exc))
                report.errors.append(_describe(exc))
                continue
            async with self.db.session() as session:
                await pubs.mark_edited(
                    session, publication_id=_id(pub), posted_hash=pubs.source_hash(target)
                )
                await session.commit()
            report.edited += 1

    async def _edit(self, target: pubs.Target) -> None:
        pub = target.publication
        async with self.db.session() as session:
            links = await self._cross_ref_links(session, target)
            summaries = await self._summary_count(session, target)
            ping = await self._ping_for(session, target)
        chunks = self._chunks(target, links, summaries, ping)
        thread = await self.poster.channel(_thread_id(pub))
        starter_id = pub.starter_message_id or _thread_id(pub)
        if _is_message_row(pub):
            # Thread mode: summaries share the thread, so only the marked message is edited.
            await self.poster.edit_message(thread, starter_id, chunks[0], starter=False)
            return
        parent = await self.poster.channel(pub.channel_id)
        # A forum post's starter lives in the thread; a text channel's in the channel itself.
        where = thread if isinstance(parent, discord.ForumChannel) else parent
        await self.poster.edit_message(
            where, starter_id, chunks[0], starter=True, mentions=self.poster.mentions_for(ping)
        )
        await self.poster.edit_follow_ups(thread, starter_id=starter_id, chunks=chunks)

    # --- reporting --------------------------------------------------------------------

    async def report_failures(self) -> None:
        """One mod-log message per channel and error, however many rows share it."""
        async with self.db.session() as session:
            failed = await pubs.unreported_failures(session)
        groups: dict[tuple[int, str], list[Publication]] = {}
        for pub in failed:
            groups.setdefault((pub.channel_id, pub.error or ""), []).append(pub)
        for (channel_id, error), rows in groups.items():
            async with self.db.session() as session:
                seen = await pubs.already_reported(session, channel_id=channel_id, error=error)
            if not seen and self.settings.mod_log_channel_id:
                noun = "post" if len(rows) == 1 else "posts"
                text = (
                    f"Could not publish {len(rows)} {noun} to <#{channel_id}>: {error}. "
                    "Check the bot's permissions in that channel (View Channel, Send Messages, "
                    "Create Public Threads, Send Messages in Threads)."
                )
                try:
                    await self.poster.send_notice(self.settings.mod_log_channel_id, text)
                except discord.HTTPException as exc:
                    log.error("cannot write to the mod-log channel: %s", _describe(exc))
                    continue
            async with self.db.session() as session:
                await pubs.mark_reported(session, publication_ids=[_id(p) for p in rows])
                await session.commit()


def _starter_matcher(pub: Publication, taken: set[int]) -> Callable[[int, str], bool]:
    """Whether a message of the bot's is this row's starter: its text has the hash recorded
    before the post, or (a post made before migration 0008) it carries the row's marker.

    A message another row already owns is never adopted (two items may render alike).
    """

    def matches(message_id: int, content: str) -> bool:
        if message_id in taken:
            return False
        if pub.starter_hash is not None and pubs.starter_hash(content) == pub.starter_hash:
            return True
        return render.content_marker(content) == pub.marker

    return matches


def _channel_problem(exc: BaseException) -> bool:
    """The channel is missing, unreadable or forbids posting: fixed by a moderator, not by
    retrying (Unknown Channel, Missing Access, Missing Permissions; a channel of a wrong kind)."""
    if isinstance(exc, discord.HTTPException):
        return exc.status in (403, 404) and exc.code in (10003, 50001, 50013)
    return isinstance(exc, TypeError)


def _is_message_row(pub: Publication) -> bool:
    """A thread-mode summary: a message in its issue's thread rather than a post of its own."""
    return pub.mode == "thread" and pub.summary_id is not None


def _thread_id(pub: Publication) -> int:
    if pub.thread_id is None:
        raise LookupError(f"publication {pub.id} has no thread yet")
    return pub.thread_id


def _id(pub: Publication) -> int:
    assert pub.id is not None
    return pub.id


def _describe(exc: BaseException) -> str:
    if isinstance(exc, discord.HTTPException):
        return f"{type(exc).__name__} {exc.status} (code {exc.code}): {exc.text or 'no detail'}"
    return f"{type(exc).__name__}: {exc}"
