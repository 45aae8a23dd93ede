"""The `/an` slash-command group: search, summary, issue, latest, thread, track, untrack, export.

Callbacks stay thin: storage functions answer, lookup.py (beside this module) draws embeds,
views.py pages, checks.py decides who may, and every failure is raised to bot/errors.AnTree,
which answers ephemerally with a specific message.
"""

from __future__ import annotations

import dataclasses
import io
import math
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands
from sqlmodel import Session

from bot.archive.search import answer_discussions
from bot.commands import lookup
from bot.commands.checks import require_moderator, require_readable
from bot.commands.exporting import fit_to_limit, parse_since, parse_thread_ref
from bot.commands.views import MoreView, send_paged
from bot.discuss.button import DiscussButton
from bot.errors import CannotSeeThread, UserFacingError
from bot.logging import get_logger
from bot.publish import render
from bot.publish.render import cross_ref_urls
from bot.replies import in_time, send
from bot.summary_choices import AUTOCOMPLETE_LIMIT, summary_choices, summary_for_on
from feeds.crossref import titles_in
from feeds.issue_numbers import IssueNumberError, IssueNumberOutOfRange, parse_issue_number
from storage.comments import records_for_thread, thread_stats
from storage.issues import (
    get_issue_by_number_on,
    issue_number_range_on,
    latest_issues_on,
    summaries_of_on,
    summary_counts_on,
)
from storage.models import Issue, Summary
from storage.search import SearchPage
from storage.search.query import SearchQuery, parse_query
from storage.search.service import search_on
from storage.summaries import CrossRefTarget, cross_ref_targets_on
from storage.threads import (
    discussion_sizes_on,
    get_thread,
    last_visit,
    record_visit,
    threads_for_issues_on,
    threads_for_summaries_on,
)
from threads.export import FORMAT_INFO, export, in_window
from threads.model import ThreadInfo

if TYPE_CHECKING:
    from bot.app import AnBot
    from bot.mirror._cog import Mirror

log = get_logger(__name__)

ExportFormat = Literal["markdown", "json", "html", "csv"]
ExportSort = Literal["old", "new", "top"]
Interaction = discord.Interaction[Any]
# What a search page links to: summary → thread, cross reference → target, thread → size.
# What a summary's card shows: the summary, its issue, its thread, cross references, sizes.
_CardRows = tuple[
    Summary,
    Issue | None,
    int | None,
    dict[str, CrossRefTarget],
    dict[int, tuple[int, datetime | None]],
]
_PageContext = tuple[
    dict[int, int], dict[str, CrossRefTarget], dict[int, tuple[int, datetime | None]]
]


def _thread_here(interaction: Interaction, *, option: bool = False) -> discord.Thread:
    """The thread the command runs in; `option`: the command also takes a `thread` option."""
    if not isinstance(interaction.channel, discord.Thread):
        hint = " (or name one with the `thread` option)" if option else ""
        raise UserFacingError(f"Run this inside a thread{hint}.")
    return interaction.channel


class AnCommands(commands.Cog):
    an = app_commands.Group(
        name="an", description="Alignment Newsletter summaries and their discussions"
    )
    # Discord hides a command from members by default_member_permissions, which it honours on
    # top-level commands only: the moderators' commands are their own group. The run-time
    # check stays (a server admin can grant the command to anyone).
    mod = app_commands.Group(
        name="an-mod",
        description="Moderators: mirroring and exporting threads",
        default_permissions=discord.Permissions(manage_threads=True),
        guild_only=True,
    )

    def __init__(self, bot: AnBot) -> None:
        self.bot = bot

    @property
    def mirror(self) -> Mirror | None:
        return self.bot.get_cog("Mirror")  # type: ignore[return-value]

    # --- search ---------------------------------------------------------------------------

    @an.command(name="search", description='Search the summaries (words, "phrases", -not)')
    @app_commands.describe(
        query='Words, "exact phrases", -excluded, or filters like by:Cody issue:56',
        section="Only summaries whose section has these words",
        author="Only papers whose author names have a word starting with this",
        summarizer="Only summaries written by this person",
        issue="Only summaries from this AN issue number",
        scope="summaries (default), or discussions: public comments (by: is the commenter)",
    )
    async def search(
        self,
        interaction: Interaction,
        query: app_commands.Range[str, 1, 300],
        section: app_commands.Range[str, 1, 100] | None = None,
        author: app_commands.Range[str, 1, 100] | None = None,
        summarizer: app_commands.Range[str, 1, 100] | None = None,
        issue: app_commands.Range[int, 1, 100_000] | None = None,
        scope: Literal["summaries", "discussions"] = "summaries",
    ) -> None:
        if scope == "discussions":
            await answer_discussions(interaction, self.bot.db, query)
            return
        parsed = self._build_query(query, section, author, summarizer, issue)
        guild_id = interaction.guild_id
        # Each page's hits as (number, summary id), for the page's "Discuss n" buttons.
        shown: dict[int, list[tuple[int, int]]] = {}

        def page_rows(connection: Any, page: int) -> tuple[SearchPage, _PageContext]:
            # The page and what it links to, read as one unit: on SQLite one worker-thread hop
            # instead of several per statement (under load, each hop waits to be scheduled).
            result = search_on(
                connection, parsed, limit=lookup.SEARCH_PAGE, offset=page * lookup.SEARCH_PAGE
            )
            ids = [h.summary.id for h in result.hits if h.summary.id is not None]
            start = page * lookup.SEARCH_PAGE + 1
            shown[page] = [
                (n, h.summary.id)
                for n, h in enumerate(result.hits, start=start)
                if h.summary.id is not None
            ]
            titles = titles_in(*(h.snippet for h in result.hits))
            threads = threads_for_summaries_on(connection, ids)
            targets = cross_ref_targets_on(connection, titles) if titles else {}
            sizes = discussion_sizes_on(connection, list(threads.values()))
            return result, (threads, targets, sizes)

        def draw(page: int, result: SearchPage, context: _PageContext) -> discord.Embed:
            threads, targets, sizes = context
            return lookup.search_page(
                query,
                result.hits,
                total=result.total,
                total_is_estimate=result.total_is_estimate,
                offset=page * lookup.SEARCH_PAGE,
                threads=threads,
                refs=cross_ref_urls(targets, guild_id=guild_id),
                sizes=sizes,
            )

        async def render(page: int) -> discord.Embed:
            result, context = await self.bot.db.run_sync(page_rows, page, snapshot=False)
            return draw(page, result, context)

        async def first_page() -> tuple[SearchPage, discord.Embed]:
            first, context = await self.bot.db.run_sync(page_rows, 0, snapshot=False)
            if first.total == 0:
                raise UserFacingError(
                    f"No summaries match `{query[:200]}`. Try fewer words or drop a filter."
                )
            return first, draw(0, first, context)

        def discuss_buttons(page: int) -> list[discord.ui.Item[Any]]:
            # Any member may open (or be linked to) a hit's discussion: bot/discuss, as the
            # Discuss button on /an summary. Row 0 holds the paging buttons.
            return [
                DiscussButton(summary_id, label=f"Discuss {n}", row=1 + i // 5)
                for i, (n, summary_id) in enumerate(shown.get(page, []))
            ]

        first, embed = await in_time(interaction, first_page())
        pages = math.ceil(first.total / lookup.SEARCH_PAGE)
        await send_paged(
            interaction, page_count=pages, render=render, first=embed, items=discuss_buttons
        )

    @staticmethod
    def _build_query(
        text: str,
        section: str | None,
        author: str | None,
        summarizer: str | None,
        issue: int | None,
    ) -> SearchQuery:
        parsed = parse_query(text)  # a QuerySyntaxError is answered by bot.errors
        overrides: dict[str, Any] = {
            name: value.strip()
            for name, value in (
                ("section", section),
                ("author", author),
                ("summarizer", summarizer),
            )
            if value is not None and value.strip()
        }
        if issue is not None:
            overrides["issue"] = issue
        parsed = dataclasses.replace(parsed, **overrides)
        if not (parsed.has_text or parsed.has_filters):
            raise UserFacingError(
                "Give me at least one word to look for (excluded words alone match everything)."
            )
        return parsed

    # --- summary --------------------------------------------------------------------------

    @an.command(name="summary", description="Show one summary in full, with its discussion")
    @app_commands.describe(title="Start typing a title and pick it from the list")
    async def summary(
        self, interaction: Interaction, title: app_commands.Range[str, 1, 300]
    ) -> None:
        guild_id = interaction.guild_id

        def rows(connection: Any) -> _CardRows:
            # Every read of the card as one unit (one worker-thread hop on SQLite).
            with Session(bind=connection) as session:
                found = summary_for_on(session, title)
                if found is None:
                    raise UserFacingError(
                        f"No summary titled `{title[:150]}`; pick one from the suggestions."
                    )
                issue = session.get(Issue, found.issue_id) if found.issue_id else None
            by_summary = threads_for_summaries_on(connection, [found.id or 0])
            by_issue = threads_for_issues_on(connection, [found.issue_id or 0])
            titles = render.referenced_titles(found)
            targets = cross_ref_targets_on(connection, titles) if titles else {}
            thread_id = by_summary.get(found.id or 0) or by_issue.get(found.issue_id or 0)
            sizes = discussion_sizes_on(connection, [thread_id] if thread_id else [])
            return found, issue, thread_id, targets, sizes

        async def card() -> tuple[discord.Embed, list[discord.Embed], int | None]:
            found, issue, thread_id, targets, sizes = await self.bot.db.run_sync(
                rows, snapshot=False
            )
            refs = cross_ref_urls(targets, guild_id=guild_id)
            embed, full = lookup.summary_card(issue, found, thread_id, refs=refs, sizes=sizes)
            return embed, full, found.id

        embed, full, summary_id = await in_time(interaction, card())
        # "More" (the whole text, privately) when there is more to read; "Discuss" opens (or
        # links) the summary's forum post (bot/discuss), a persistent button.
        more = MoreView(full) if full else None
        view = more if more is not None else discord.ui.View(timeout=None)
        if summary_id is not None:
            view.add_item(DiscussButton(summary_id))
        if not view.children:
            await send(interaction, embed=embed)
            return
        if more is not None:
            more.client = self.bot  # to keep Discuss working once "More" expires
        await send(interaction, embed=embed, view=view)
        if more is not None:
            more.message = await interaction.original_response()

    @summary.autocomplete("title")
    async def _summary_titles(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await summary_choices(self.bot.db, current)

    # --- issue / latest -------------------------------------------------------------------

    @an.command(name="issue", description="List an issue's summaries with links to their threads")
    @app_commands.describe(number="The issue number, or `latest`")
    async def issue(self, interaction: Interaction, number: app_commands.Range[str, 1, 20]) -> None:
        wanted: int | None = None  # None: the latest issue
        shown = "latest"
        if number.strip().lower() != "latest":
            try:
                wanted = parse_issue_number(number)
                shown = str(wanted)
            except IssueNumberOutOfRange:
                # A number no stored issue can have: answered like any unknown number.
                wanted, shown = 0, number.strip().upper().removeprefix("AN").strip(" #")
            except IssueNumberError:
                raise UserFacingError(
                    f"`{number[:20]}` is not an issue number: give a number like 56, or `latest`."
                ) from None
        found, summaries, threads, issue_thread = await in_time(
            interaction, self._issue_rows(wanted, shown)
        )
        pages = max(1, math.ceil(len(summaries) / lookup.ISSUE_PAGE))

        async def render_page(page: int) -> discord.Embed:
            return lookup.issue_page(
                found, summaries, page=page, threads=threads, issue_thread=issue_thread
            )

        await send_paged(interaction, page_count=pages, render=render_page)

    async def _issue_rows(
        self, wanted: int | None, shown: str
    ) -> tuple[Issue, list[Summary], dict[int, int], int | None]:
        def rows(connection: Any) -> tuple[Issue, list[Summary], dict[int, int], int | None]:
            # Every read of the answer as one unit (one worker-thread hop on SQLite).
            with Session(bind=connection) as session:
                if wanted is None:
                    newest = latest_issues_on(session, limit=1)
                    found = newest[0] if newest else None
                    if found is None:
                        raise UserFacingError("No issues are stored yet.")
                else:
                    found = get_issue_by_number_on(session, wanted) if wanted else None
                    if found is None:
                        known = issue_number_range_on(session)
                        if known is None:
                            raise UserFacingError(f"No AN #{shown} — no issues are stored yet.")
                        low, high = known
                        raise UserFacingError(f"No AN #{shown} — issues #{low}–#{high} are known.")
                summaries = summaries_of_on(session, found.id or 0)
            threads = threads_for_summaries_on(connection, [s.id for s in summaries if s.id])
            issue_thread = threads_for_issues_on(connection, [found.id or 0]).get(found.id or 0)
            return found, summaries, threads, issue_thread

        return await self.bot.db.run_sync(rows, snapshot=False)

    @an.command(name="latest", description="The newest issues")
    @app_commands.describe(count="How many issues (1–10)")
    async def latest(
        self, interaction: Interaction, count: app_commands.Range[int, 1, 10] = 1
    ) -> None:
        if not 1 <= count <= 10:  # Discord enforces the range; other clients may not
            raise UserFacingError("`count` must be a number from 1 to 10.")

        def rows(connection: Any) -> list[tuple[Issue, int, int | None]]:
            # Every read of the answer as one unit (one worker-thread hop on SQLite).
            with Session(bind=connection) as session:
                issues = latest_issues_on(session, limit=count)
                if not issues:
                    raise UserFacingError("No issues are stored yet.")
                counts = summary_counts_on(session, [i.id for i in issues if i.id])
            threads = threads_for_issues_on(connection, [i.id for i in issues if i.id])
            return [(i, counts.get(i.id or 0, 0), threads.get(i.id or 0)) for i in issues]

        async def read() -> list[tuple[Issue, int, int | None]]:
            return await self.bot.db.run_sync(rows, snapshot=False)

        await send(interaction, embed=lookup.latest_embed(await in_time(interaction, read())))

    # --- thread ---------------------------------------------------------------------------

    @an.command(
        name="thread", description="This thread's activity and what is new since your visit"
    )
    async def thread(self, interaction: Interaction) -> None:
        here = _thread_here(interaction)
        user_id = interaction.user.id

        async def visit() -> tuple[Any, Any, datetime | None]:
            if self.mirror is not None:
                await self.mirror.writer.flush()
            now = datetime.now(UTC)
            async with self.bot.db.session() as session:
                row = await get_thread(session, here.id)
                if row is None:
                    raise UserFacingError(
                        "This thread is not mirrored; a moderator can start with `/an-mod track`."
                    )
                previous = await last_visit(session, thread_id=here.id, user_id=user_id)
                stats = await thread_stats(session, here.id, since=previous)
                await record_visit(session, thread_id=here.id, user_id=user_id, visited_at=now)
                await session.commit()
            return row, stats, previous

        row, stats, previous = await in_time(interaction, visit(), ephemeral=True)
        newest = discord.utils.format_dt(stats.newest_at, "R") if stats.newest_at else "none yet"
        if previous is None:
            new_line = "First visit: everything is new to you."
        else:
            new_line = (
                f"{stats.new_since} new since your last visit "
                f"{discord.utils.format_dt(previous, 'R')}."
            )
        tracked = "" if row.tracked else "\n-# Not mirrored any more (untracked)."
        comments = render.plural(stats.comments, "comment")
        people = render.plural(stats.participants, "participant")
        await send(
            interaction,
            content=f"**{comments}** from **{people}** · newest activity {newest}\n"
            f"{new_line}{tracked}",
            ephemeral=True,
        )

    # --- tracking (moderators) ------------------------------------------------------------

    @mod.command(name="track", description="Moderators: mirror this thread's comments")
    async def track(self, interaction: Interaction) -> None:
        here = _thread_here(interaction)
        require_moderator(interaction, here, self.bot.settings.moderator_role_ids)
        mirror = self._require_mirror()
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await mirror.track(here)
        await interaction.followup.send(
            f"Mirroring this thread now ({result.seen} messages read).", ephemeral=True
        )

    @mod.command(name="untrack", description="Moderators: stop mirroring this thread")
    async def untrack(self, interaction: Interaction) -> None:
        here = _thread_here(interaction)
        require_moderator(interaction, here, self.bot.settings.moderator_role_ids)
        known = await in_time(interaction, self._require_mirror().untrack(here.id), ephemeral=True)
        text = (
            "Stopped mirroring this thread; its stored comments stay exportable."
            if known
            else "This thread was not mirrored."
        )
        await send(interaction, content=text, ephemeral=True)

    def _require_mirror(self) -> Mirror:
        mirror = self.mirror
        if mirror is None:
            raise UserFacingError("The mirror is not running on this bot; nothing to track.")
        return mirror

    # --- export (moderators) --------------------------------------------------------------

    @mod.command(name="export", description="Moderators: export a thread's comments as a file")
    @app_commands.describe(
        thread="A thread link, #mention or id (default: this thread)",
        format="File format",
        sort="Order of sibling comments",
        since="Mark comments newer than a date, time or message link",
        after="Only comments written after a date, time or message link",
        before="Only comments written before a date, time or message link",
    )
    async def export_thread(
        self,
        interaction: Interaction,
        thread: app_commands.Range[str, 1, 200] | None = None,
        format: ExportFormat = "markdown",
        sort: ExportSort = "old",
        since: app_commands.Range[str, 1, 200] | None = None,
        after: app_commands.Range[str, 1, 200] | None = None,
        before: app_commands.Range[str, 1, 200] | None = None,
    ) -> None:
        target = await self._resolve_thread(interaction, thread)
        require_readable(interaction, target)  # before anything that could reveal the thread
        require_moderator(interaction, target, self.bot.settings.moderator_role_ids)
        since_at = parse_since(since)
        after_at, before_at = parse_since(after), parse_since(before)
        if after_at and before_at and after_at >= before_at:
            raise UserFacingError("`after` must be earlier than `before`.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        if self.mirror is not None:
            await self.mirror.writer.flush()
        async with self.bot.db.session() as session:
            row = await get_thread(session, target.id)
            records = await records_for_thread(session, target.id)
        if row is None or not records:
            raise UserFacingError(
                f"Nothing is stored for {target.mention}; run `/an-mod track` in it first."
            )
        info = ThreadInfo(
            id=target.id,
            title=target.name,
            url=target.jump_url,
            guild_id=target.guild.id,
            channel_id=target.parent_id,
        )
        text = "".join(
            export(
                format, info, records, order=sort, since=since_at, after=after_at, before=before_at
            )
        )
        spec = FORMAT_INFO[format]
        limit = min(self.bot.settings.upload_limit, interaction.filesize_limit)
        files = fit_to_limit(f"thread-{target.id}.{spec.extension}", text.encode(), limit)
        shown = [
            r for r in records if not r.is_starter and in_window(r.created_at, after_at, before_at)
        ]
        count = render.plural(len(shown), "comment")
        note = f"Export of {target.mention}: {count}, {format}, sorted {sort}"
        if len(files) > 1:
            note += f" — split into {len(files)} gzip parts (`cat` them, then gunzip)"
        elif files[0].filename.endswith(".gz"):
            note += " — gzip-compressed to fit the upload limit"
        for index, item in enumerate(files):
            await interaction.followup.send(
                note if index == 0 else f"part {index + 1} of {len(files)}",
                file=discord.File(io.BytesIO(item.data), filename=item.filename),
                ephemeral=True,
            )

    @export_thread.autocomplete("thread")
    async def _export_threads(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        member = interaction.user
        if interaction.guild is None or not isinstance(member, discord.Member):
            return []
        from bot.commands.checks import can_read
        from storage.threads import tracked_threads

        async with self.bot.db.session() as session:
            rows = await tracked_threads(session)
        choices = []
        for row in rows:
            channel = interaction.guild.get_thread(row.id)
            if channel is None or not can_read(member, channel):
                continue  # never suggest what the member cannot see
            if current.lower() in channel.name.lower() or current == str(row.id):
                choices.append(
                    app_commands.Choice(name=lookup.cut(channel.name, 100), value=str(row.id))
                )
            if len(choices) >= AUTOCOMPLETE_LIMIT:
                break
        return choices

    async def _resolve_thread(self, interaction: Interaction, ref: str | None) -> discord.Thread:
        if ref is None:
            return _thread_here(interaction, option=True)
        thread_id = parse_thread_ref(ref)
        channel = self.bot.get_channel(thread_id)
        if channel is None:
            try:
                channel = await self.bot.fetch_channel(thread_id)
            except (discord.NotFound, discord.Forbidden):
                raise CannotSeeThread() from None
        if not isinstance(channel, discord.Thread):
            raise CannotSeeThread()
        return channel
