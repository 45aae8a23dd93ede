"""`anbot run` (the bot on Discord) and `anbot sandbox` (the whole bot with no account)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from bot.cli._common import fail

NO_TOKEN_HELP = """\
DISCORD_TOKEN is not set, so there is no Discord bot to run.

To get a token:
  1. Open https://discord.com/developers/applications, create an application (or pick yours),
     open its Bot page and press "Reset Token"; copy the token.
  2. On the same page enable the privileged "Message Content" intent (the mirror needs it).
  3. Invite the bot (OAuth2 → URL Generator) with the scopes bot and applications.commands and
     the permissions View Channels, Send Messages, Create Public Threads, Send Messages in
     Threads, Manage Threads, Manage Channels (for forum tags), Read Message History,
     Add Reactions and Attach Files.
  4. export DISCORD_TOKEN=...   (keep it out of files you commit)
     and set ANBOT_FEEDS and ANBOT_PUBLISH_CHANNELS (see .env.example), then `anbot run`.

No account? Try `anbot sandbox`: the whole bot against a local Discord-compatible server.
"""


def run_command() -> None:
    """Run the bot on Discord (needs DISCORD_TOKEN); upgrades the database first."""
    from bot.config import Settings

    settings = Settings()  # invalid settings: one line from the CLI's boundary, as elsewhere
    if settings.discord_token is None or not settings.discord_token.get_secret_value().strip():
        typer.echo(NO_TOKEN_HELP, err=True)
        raise typer.Exit(2)
    import asyncio

    from bot.app import run_bot
    from storage.db import DatabaseUnavailable

    try:
        asyncio.run(run_bot(settings))
    except KeyboardInterrupt:
        pass
    except DatabaseUnavailable as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    except Exception as exc:
        import aiohttp
        import discord

        if isinstance(exc, aiohttp.ClientConnectorError):  # DNS, refused, TLS, no route
            reason = exc.os_error.strerror or str(exc.os_error) or type(exc.os_error).__name__
            raise fail(
                f"cannot reach Discord at {exc.host}:{exc.port} ({reason}): check the network, "
                "a proxy or firewall, or ANBOT_DISCORD_API_BASE"
            ) from exc
        if isinstance(exc, discord.LoginFailure):
            typer.echo("Discord refused the token (LoginFailure): reset it, try again.", err=True)
            raise typer.Exit(1) from exc
        if isinstance(exc, discord.PrivilegedIntentsRequired):
            typer.echo(
                "Enable the Message Content intent on the bot's page in the developer portal.",
                err=True,
            )
            raise typer.Exit(1) from exc
        raise


def sandbox_command(
    seconds: Annotated[
        float, typer.Option(help="Give up waiting for the demo after this many seconds.")
    ] = 60.0,
    keep_running: Annotated[
        bool, typer.Option(help="Keep the sandbox and bot running after the demo (Ctrl-C).")
    ] = False,
) -> None:
    """The whole bot against a local Discord-compatible server, fed the AN #56 issue."""
    import asyncio

    from bot.cli.demo import run_demo

    try:
        code = asyncio.run(run_demo(seconds=seconds, keep_running=keep_running, out=sys.stdout))
    except KeyboardInterrupt:
        code = 0
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command("run")(run_command)
    app.command("sandbox")(sandbox_command)
