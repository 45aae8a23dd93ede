"""bot.app and bot.logging: construction, extensions, defaults that keep the bot quiet."""

from __future__ import annotations

import importlib
import logging

import aiohttp
import discord
import pytest

from bot.app import DEFAULT_EXTENSIONS, AnBot, make_intents
from bot.config import Settings
from bot.errors import AnTree
from bot.logging import REDACTED, RedactingFilter, setup_logging
from storage.db import Database
from tests.bot.conftest import BotEnv


@pytest.mark.parametrize("name", ["bot.cogs.feeds", "bot.cogs.publisher"])
def test_extension_has_setup(name: str) -> None:
    assert name in DEFAULT_EXTENSIONS
    module = importlib.import_module(name)
    assert callable(module.setup)


def test_intents_are_the_documented_ones() -> None:
    intents = make_intents()
    assert intents.guilds and intents.guild_messages and intents.message_content
    assert intents.guild_reactions
    assert not intents.members and not intents.presences


async def test_constructor_wires_dependencies(sqlite_db: Database) -> None:
    settings = Settings(_env_file=None, DISCORD_TOKEN="x" * 20)  # type: ignore[call-arg]
    async with aiohttp.ClientSession() as session:
        bot = AnBot(settings, sqlite_db, session, extensions=())
        try:
            assert bot.settings is settings and bot.db is sqlite_db and bot.http_session is session
            assert isinstance(bot.tree, AnTree)
            mentions = bot.allowed_mentions
            assert mentions is not None
            assert mentions.to_dict() == discord.AllowedMentions.none().to_dict()
            assert await bot.leader.acquire()  # SQLite: always the leader
        finally:
            await bot.close()


async def test_connected_bot_loads_its_cogs(bot_env: BotEnv) -> None:
    assert bot_env.bot.get_cog("FeedsCog") is not None
    assert bot_env.bot.get_cog("PublisherCog") is not None
    feeds_cog = bot_env.bot.get_cog("FeedsCog")
    assert feeds_cog.poll.is_running()  # type: ignore[union-attr]
    await bot_env.bot.unload_extension("bot.cogs.feeds")
    assert not feeds_cog.poll.is_running()  # type: ignore[union-attr]


def test_redacting_filter_hides_the_token_in_messages_args_and_tracebacks() -> None:
    token = "MTIzNDU2Nzg5.secret.token-value"
    filt = RedactingFilter([token])
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "token is %s", (token,), None)
    assert filt.filter(record)
    assert token not in record.getMessage() and REDACTED in record.getMessage()
    try:
        raise RuntimeError(f"bad {token}")
    except RuntimeError:
        import sys

        exc_info = sys.exc_info()
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, exc_info)
    filt.filter(record)
    assert record.exc_text is not None and token not in record.exc_text


def test_setup_logging_installs_one_handler(capsys: pytest.CaptureFixture[str]) -> None:
    token = "another-secret-token-123456"
    setup_logging("INFO", secrets=[token])
    setup_logging("INFO", secrets=[token])
    root = logging.getLogger()
    ours = [h for h in root.handlers if getattr(h, "_anbot", False)]
    assert len(ours) == 1
    try:
        logging.getLogger("bot.test").warning("leaking %s", token)
        err = capsys.readouterr().err
        assert token not in err
    finally:
        root.removeHandler(ours[0])
