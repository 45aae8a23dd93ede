"""The `anbot` command line (Typer). Each module registers its own commands on `app`.

Every command runs inside bot.cli._common.Boundary (the root group), which turns any failure into
one line on stderr. Importing this package loads only Typer and the command modules, which
import their libraries when a command runs: `anbot --help` and shell completion stay fast.
"""

from __future__ import annotations

import gc

import typer

from bot.cli import data, export, feeds, publications, run, web
from bot.cli._common import Boundary

app = typer.Typer(
    name="anbot",
    cls=Boundary,
    help="Discord bot and comment-thread toolkit for newsletter communities.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain help text: Typer's rich help panels import rich and markdown-it (0.15 s of every
    # `anbot --help` and of every TAB of shell completion).
    rich_markup_mode=None,
)
data.register(app)
run.register(app)
export.register(app)
publications.register(app)
web.register(app)
feeds.register(app)


def main() -> None:
    try:
        app()
    finally:
        # Everything a command loaded lives until the process ends: moved out of the collector's
        # reach, the interpreter's exit does not walk it all again (a quarter of the CPU time of a
        # one-shot `anbot search`, measured). Exit handlers still run and objects are still freed
        # by their reference counts; only garbage in reference cycles is left to the OS.
        gc.freeze()
