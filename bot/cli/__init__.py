"""The `anbot` command line (Typer). Each module registers its own commands on `app`."""

from __future__ import annotations

import typer

from bot.cli import data, export, publications, run, web

app = typer.Typer(
    name="anbot",
    help="Discord bot and comment-thread toolkit for newsletter communities.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
data.register(app)
run.register(app)
export.register(app)
publications.register(app)
web.register(app)


def main() -> None:
    app()
