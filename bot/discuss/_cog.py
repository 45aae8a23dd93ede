"""`/an discuss <summary>`: open the forum post of any stored summary, on demand.

The post goes through the publisher's outbox (storage.publications: one row per summary and
channel, claimed by compare-and-set, healed by its marker after a crash), so two members
pressing at once, or a crash between Discord's answer and the commit, still give one post; a
summary that already has a post (the publisher's or an earlier request's) is answered with its
link. The forum is each server's `discuss_channel` setting (`/an feed discuss_channel`);
ANBOT_DISCUSS_COOLDOWN limits how often one member opens a new post.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands
from sqlmodel import Session

from bot.discuss.button import DiscussButton
from bot.errors import UserFacingError
from bot.feeds import manage
from bot.logging import get_logger
from bot.publish.render import jump_url
from bot.summary_choices import summary_choices, summary_for_on
from storage import publications as pubs
from storage.models import Publication, Summary

if TYPE_CHECKING:
    from bot.app import AnBot

log = get_logger(__name__)
Interaction = discord.Interaction[Any]
WAIT_FOR_OTHER = 20.0  # seconds a press waits for a post another press is making


class DiscussCog(commands.Cog):
    def __init__(self, bot: AnBot) -> None:
        self.bot = bot
        self._last_opened: dict[int, float] = {}
        self.command: app_commands.Command[Any, ..., None] = app_commands.Command(
            name="discuss",
            description="Open the discussion of any summary (its forum post)",
            callback=self._discuss,
        )
        self.command.autocomplete("summary")(self._titles)

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(DiscussButton)
        an = self.bot.tree.get_command("an")
        if isinstance(an, app_commands.Group):
            an.add_command(self.command)
        else:
            log.warning("/an is not loaded (bot.commands): /an discuss is not available")

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(DiscussButton)
        an = self.bot.tree.get_command("an")
        if isinstance(an, app_commands.Group):
            an.remove_command("discuss")

    @app_commands.describe(summary="Start typing a title and pick it from the list")
    async def _discuss(
        self, interaction: Interaction, summary: app_commands.Range[str, 1, 300]
    ) -> None:
        found = await self._summary_for(summary)
        if found is None or found.id is None:
            raise UserFacingError(f"No summary titled `{summary[:150]}`; pick one from the list.")
        await self.open(interaction, found.id)

    async def _summary_for(self, value: str) -> Summary | None:
        def pick(connection: Any) -> Summary | None:
            with Session(bind=connection) as session:
                return summary_for_on(session, value)

        return await self.bot.db.run_sync(pick, snapshot=False)

    async def _titles(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await summary_choices(self.bot.db, current)

    async def open(self, interaction: Interaction, summary_id: int) -> None:
        """Answer (ephemerally) with the link of the summary's post, opening it if needed."""
        guild_id = interaction.guild_id
        if guild_id is None:
            raise UserFacingError("This only works inside a server.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            url = await self._post_url(interaction, guild_id, summary_id)
        except UserFacingError as exc:
            await interaction.followup.send(exc.message, ephemeral=True)
            return
        await interaction.followup.send(f"Discussion: {url}", ephemeral=True)

    async def _post_url(self, interaction: Interaction, guild_id: int, summary_id: int) -> str:
        db = self.bot.db
        async with db.session() as session:
            summary = await session.get(Summary, summary_id)
            if summary is None:
                raise UserFacingError("That summary no longer exists.")
            row = await pubs.discussion_of(session, summary_id=summary_id)
        if row is None:
            row = await self._new_row(interaction, guild_id, summary)
        if row.status == pubs.PENDING:
            publisher = getattr(self.bot.get_cog("PublisherCog"), "publisher", None)
            if publisher is None:
                raise UserFacingError("Posting is not running in this bot; try again later.")
            try:
                await publisher.publish_row(row.id)
            except Exception as exc:
                log.warning("opening the discussion of summary %s failed: %s", summary_id, exc)
                raise UserFacingError(
                    f"I could not open the post in <#{row.channel_id}>; the moderators have "
                    "been told. Try again later."
                ) from None
        posted = await self._wait_posted(row.id or 0)
        if posted is None or posted.thread_id is None:
            raise UserFacingError("The post is being opened; try again in a moment.")
        channel = self.bot.get_channel(posted.channel_id)
        where = getattr(channel, "guild", None)
        return jump_url(where.id if where is not None else guild_id, posted.thread_id)

    async def _new_row(
        self, interaction: Interaction, guild_id: int, summary: Summary
    ) -> Publication:
        channel_id = await manage.discuss_channel(self.bot.db, guild_id=guild_id)
        if channel_id is None:
            raise UserFacingError(
                "This server has no discussion forum yet: a moderator sets one with "
                "`/an feed discuss_channel`."
            )
        channel = self.bot.get_channel(channel_id)
        if not isinstance(channel, discord.ForumChannel) or channel.guild.id != guild_id:
            raise UserFacingError(
                "The discussion forum of this server is gone: a moderator sets another with "
                "`/an feed discuss_channel`."
            )
        cooldown = self.bot.settings.discuss_cooldown
        user = interaction.user.id
        now = time.monotonic()
        last = self._last_opened.get(user)
        if cooldown > 0 and last is not None and now - last < cooldown:
            wait = cooldown - (now - last)
            raise UserFacingError(
                f"You opened a discussion a moment ago: try again in {wait:.0f} s."
            )
        self._last_opened[user] = now
        async with self.bot.db.session() as session:
            row = await pubs.open_discussion(session, channel_id=channel_id, summary=summary)
            await session.commit()
        return row

    async def _wait_posted(self, publication_id: int) -> Publication | None:
        deadline = time.monotonic() + WAIT_FOR_OTHER
        while True:
            async with self.bot.db.session() as session:
                row = await session.get(Publication, publication_id)
            if row is not None and row.status == pubs.POSTED:
                return row
            if row is None or row.status == pubs.FAILED or time.monotonic() > deadline:
                return None
            await asyncio.sleep(0.1)
