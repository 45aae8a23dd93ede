"""bot.app and bot.logging: construction, extensions, defaults that keep the bot quiet."""

from __future__ import annotations

import importlib
import inspect
import logging
import pkgutil

import aiohttp
import discord
import pytest

from bot.app import DEFAULT_EXTENSIONS, AnBot
from bot.config import Settings
from bot.discord_api import make_intents
from bot.errors import AnTree
from bot.logging import REDACTED, RedactingFilter, setup_logging
from storage.db import Database
from tests.bot.conftest import BotEnv


@pytest.mark.parametrize("name", ["bot.feeds", "bot.publish"])
def test_extension_has_setup(name: str) -> None:
    assert name in DEFAULT_EXTENSIONS
    module = importlib.import_module(name)
    assert callable(module.setup)


@pytest.mark.parametrize("name", DEFAULT_EXTENSIONS)
def test_every_default_extension_imports_and_has_setup(name: str) -> None:
    """A renamed or moved cog fails here (the bot fixtures load exactly DEFAULT_EXTENSIONS)."""
    module = importlib.import_module(name)
    assert inspect.iscoroutinefunction(getattr(module, "setup", None)), name


def test_every_extension_package_is_a_default_extension() -> None:
    """A feature package with `setup` that DEFAULT_EXTENSIONS forgot would never be loaded."""
    import bot

    found = set()
    for info in pkgutil.iter_modules(bot.__path__, "bot."):
        if info.ispkg and hasattr(importlib.import_module(info.name), "setup"):
            found.add(info.name)
    assert found == set(DEFAULT_EXTENSIONS)


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
    await bot_env.bot.unload_extension("bot.feeds")
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


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"shard_ids": "0,1", "shard_count": 2}, "one process per shard"),
        ({"shard_ids": "1"}, "needs ANBOT_SHARD_COUNT"),
        ({"shard_ids": "2", "shard_count": 2}, "between 0 and 1"),
    ],
)
def test_shard_settings_are_checked(values: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Settings(_env_file=None, **values)  # type: ignore[arg-type]


async def test_a_shard_process_identifies_as_its_shard_and_gets_only_its_guilds(
    sqlite_db: Database,
) -> None:
    from sandbox.demo import build_demo_world
    from sandbox.server import SandboxServer
    from tests.bot.conftest import make_bot_env

    world, demo = build_demo_world()
    async with SandboxServer(world) as server:
        owner = (demo.guild_id >> 22) % 2
        for shard in (owner, 1 - owner):
            async with make_bot_env(
                sqlite_db,
                feed=None,
                server=server,
                demo=demo,
                extensions=("bot.commands",),
                shard_count=2,
                shard_ids=[shard],
                dev_guild_id=None,
            ) as env:
                assert env.bot.shard_id == shard and env.bot.shard_count == 2
                assert [s.shard_id for s in server.sessions] == [shard]
                has_guild = env.bot.get_guild(demo.guild_id) is not None
                assert has_guild is (shard == owner)


def test_production_bot_code_imports_nothing_from_the_sandbox() -> None:
    """Only `anbot sandbox` (bot/cli/demo.py) starts the sandbox; the bot itself never needs it."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "bot"
    offenders = []
    for path in sorted(root.rglob("*.py")):
        if path.relative_to(root).as_posix() == "cli/demo.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            offenders += [
                f"{path.relative_to(root)}: {n}" for n in names if n.split(".")[0] == "sandbox"
            ]
    assert offenders == []
