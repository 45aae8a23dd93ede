"""The `anbot` command line (Typer). Each module registers its own commands on `app`.

Every command runs inside bot.cli._common.Boundary (the root group), which turns any failure into
one line on stderr. Importing this package loads only Typer and the command modules, which
import their libraries when a command runs: `anbot --help` and shell completion stay fast.
"""

from __future__ import annotations

import gc
import threading

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


# A command's start allocates hundreds of thousands of objects (the libraries it imports) that
# all live until the process ends: the cyclic garbage collector, run every 700 allocations, walks
# them again and again for nothing (a sixth of the CPU time of a one-shot `anbot issue`,
# measured). It is off for the first GC_PAUSE_SECONDS of every command, then back on, so a
# long-running command (the bot, the web server, a big import) collects as usual. Seconds of
# wall time: on a busy machine a one-shot command takes several times its CPU time.
GC_PAUSE_SECONDS = 5.0


def pause_gc(seconds: float) -> threading.Timer:
    """Turn the cyclic GC off now and on again after `seconds` (the returned timer's thread)."""
    gc.disable()
    timer = threading.Timer(seconds, gc.enable)
    timer.daemon = True  # never keeps the process alive
    timer.start()
    return timer


def main() -> None:
    resume = pause_gc(GC_PAUSE_SECONDS)
    try:
        app()
    finally:
        resume.cancel()
        # Everything the command loaded lives until the process ends: moved out of the
        # collector's reach, the interpreter's exit does not walk it all again (a quarter of the
        # CPU time of a one-shot `anbot search`, measured). Exit handlers still run and objects
        # are still freed by their reference counts; only garbage in reference cycles is left
        # to the OS.
        gc.freeze()
