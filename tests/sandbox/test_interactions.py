"""Slash commands through the real app_commands tree: sync, direct and deferred answers,
follow-ups with files, autocomplete, permissions and buttons."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from sandbox.errors import ApiError
from sandbox.testing import default_intents, running_client
from tests.sandbox.conftest import Env

TOPICS = ["interpretability", "reward learning", "robustness", "forecasting"]


class Pager(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=30)
        self.page = 1

    @discord.ui.button(label="Next", custom_id="pager:next")
    async def next_page(
        self, interaction: discord.Interaction, button: discord.ui.Button[Any]
    ) -> None:
        self.page += 1
        await interaction.response.edit_message(content=f"page {self.page}", view=self)


def make_bot(guild_id: int) -> commands.Bot:
    bot = commands.Bot(command_prefix="!", intents=default_intents(), guild_ready_timeout=0.1)
    group = app_commands.Group(name="an", description="Alignment Newsletter")

    @group.command(name="search", description="Search summaries")
    async def search(interaction: discord.Interaction, query: str, limit: int = 3) -> None:
        await interaction.response.send_message(f"{limit} results for {query}", ephemeral=True)

    @search.autocomplete("query")
    async def search_complete(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=t, value=t) for t in TOPICS if t.startswith(current)]

    @group.command(name="export", description="Export a thread")
    async def export(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await asyncio.sleep(0)
        await interaction.followup.send(
            "here is the export", file=discord.File(io.BytesIO(b"# tree"), "t.md")
        )
        await interaction.followup.send("and a second part", ephemeral=True)

    @group.command(name="page", description="Paged answer")
    async def page(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("page 1", view=Pager())

    # default_permissions only count on top-level commands (Discord ignores them on subcommands)
    @app_commands.command(name="purge", description="Moderators only")
    @app_commands.default_permissions(manage_messages=True)
    async def purge(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("purged", ephemeral=True)

    bot.tree.add_command(group, guild=discord.Object(id=guild_id))
    bot.tree.add_command(purge, guild=discord.Object(id=guild_id))

    async def setup_hook() -> None:
        await bot.tree.sync(guild=discord.Object(id=guild_id))

    bot.setup_hook = setup_hook  # type: ignore[method-assign]
    return bot


@pytest.fixture
def bot_factory(env: Env) -> Any:
    return lambda: make_bot(env.demo.guild_id)


async def test_commands_are_synced_to_the_guild(env: Env, bot_factory: Any) -> None:
    async with running_client(env.server, bot_factory):
        synced = env.server.world.guild_commands[env.demo.guild_id]
        assert sorted(c["name"] for c in synced) == ["an", "purge"]
        an = next(c for c in synced if c["name"] == "an")
        assert {o["name"] for o in an["options"]} == {"search", "export", "page"}


async def test_direct_answer(env: Env, bot_factory: Any) -> None:
    async with running_client(env.server, bot_factory):
        alice = env.server.act_as("alice")
        result = await alice.run_command(
            env.demo.text_channel_id, "an search", {"query": "reward", "limit": 5}
        )
        assert result.type == 4
        assert result.content == "5 results for reward"
        assert result.ephemeral
        # ephemeral answers never land in channel history
        assert env.server.world.messages_in(env.demo.text_channel_id) == []
        callback = env.server.log.find("POST", r"/interactions/\d+/[^/]+/callback")[0]
        assert callback.status == 200 and callback.response_json["resource"]["type"] == 4


async def test_deferred_answer_with_followups_and_file(env: Env, bot_factory: Any) -> None:
    async with running_client(env.server, bot_factory):
        alice = env.server.act_as("alice")
        result = await alice.run_command(env.demo.forum_channel_id, "an export", {}, followups=1)
        assert result.type == 5
        # Discord: the first follow-up after a thinking defer replaces the loading message
        assert result.content == "here is the export"
        assert result.files == [("t.md", b"# tree")]
        assert not result.ephemeral
        assert [f.content for f in result.followups] == ["and a second part"]
        assert result.followups[0].ephemeral
        visible = env.server.world.messages_in(env.demo.forum_channel_id)
        assert [m["content"] for m in visible] == ["here is the export"]


async def test_autocomplete(env: Env, bot_factory: Any) -> None:
    async with running_client(env.server, bot_factory):
        choices = await env.server.act_as("bob").autocomplete(
            env.demo.text_channel_id, "an search", "query", "r"
        )
        assert [c["value"] for c in choices] == ["reward learning", "robustness"]


async def test_button_click_updates_the_message(env: Env, bot_factory: Any) -> None:
    async with running_client(env.server, bot_factory):
        carol = env.server.act_as("carol")
        result = await carol.run_command(env.demo.text_channel_id, "an page", {})
        assert result.content == "page 1"
        assert result.message is not None
        updated = await carol.click(result.message, "pager:next")
        assert updated["content"] == "page 2"
        assert env.server.world.message(int(updated["id"]))["content"] == "page 2"


async def test_moderator_only_command_is_hidden_from_members(env: Env, bot_factory: Any) -> None:
    async with running_client(env.server, bot_factory):
        with pytest.raises(ApiError, match="default_member_permissions"):
            await env.server.act_as("eve").run_command(env.demo.text_channel_id, "purge", {})
        result = await env.server.act_as("mira").run_command(env.demo.text_channel_id, "purge", {})
        assert result.content == "purged"
        # a test of the bot's own runtime check can bypass Discord's hiding
        forced = await env.server.act_as("eve").run_command(
            env.demo.text_channel_id, "purge", {}, enforce_default_permissions=False
        )
        assert forced.content == "purged"  # this toy command has no runtime check
        interaction = env.server.interactions.records[result.interaction_id].payload
        perms = discord.Permissions(int(interaction["member"]["permissions"]))
        assert perms.manage_messages
        assert discord.Permissions(int(interaction["app_permissions"])).send_messages


async def test_unknown_command_and_option_are_clear_errors(env: Env, bot_factory: Any) -> None:
    async with running_client(env.server, bot_factory):
        alice = env.server.act_as("alice")
        with pytest.raises(LookupError, match="not synced"):
            await alice.run_command(env.demo.text_channel_id, "nope", {})
        with pytest.raises(ValueError, match="colour"):
            await alice.run_command(
                env.demo.text_channel_id, "an search", {"query": "x", "colour": 1}
            )
