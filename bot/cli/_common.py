"""The core every `anbot` command shares: the error boundary, the database context, `run`.

The boundary (`Boundary`, the app's root group) runs every command, so a failure reaches the user
as one line on stderr and exit code 1, never a traceback: a known failure (bad input, unknown
issue, unreachable database) as its own message; anything else as what failed plus the file the
full trace was appended to. Typer's own usage errors (an option out of its range, a missing
argument) keep Typer's message and exit code 2, the command-line convention for "called wrong":
they are found by the parser before any command runs.

Nothing heavy is imported here at module level: `anbot --help` and shell completion (one process
per TAB) load this module, so the database, Discord and settings libraries are imported by the
command that uses them, when it runs.
"""

from __future__ import annotations

import os
import tempfile
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from typer.core import TyperGroup

if TYPE_CHECKING:
    from storage.db import Database

T = TypeVar("T")
ERROR_LOG = "cli-errors.log"


class CliError(Exception):
    """A failure to report as one line, without a traceback (bad input, nothing found)."""


def one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def fail(message: str) -> typer.Exit:
    """Print `error: message` on stderr; raise the result to exit with code 1."""
    typer.echo(f"error: {one_line(message)}", err=True)
    return typer.Exit(code=1)


def require_file(path: Path, hint: str = "") -> None:
    """CliError unless `path` is a file this process can see (a name too long, a loop of links
    or a missing directory all say so in one line)."""
    try:
        if path.is_file():
            return
    except OSError as exc:  # is_file() only swallows "does not exist"
        raise CliError(f"{path}: {exc.strerror or exc}") from None
    raise CliError(f"{path}: no such file{hint}")


def run(work: Callable[[], Awaitable[T]]) -> T:
    """Run a command's async work on a fresh event loop; its errors reach the boundary."""
    import asyncio  # 0.04 s: not for --help

    async def call() -> T:
        return await work()

    return asyncio.run(call())


def database_url() -> str:
    """ANBOT_DATABASE_URL as Settings reads it. The environment variable wins over a .env file
    and the default there too, so when it is set it is the answer without building Settings
    (pydantic-settings, dotenv and the model: 0.1 s of a command's start); otherwise Settings
    decides (and reports invalid settings)."""
    from_env = os.environ.get("ANBOT_DATABASE_URL", "")
    if from_env.strip():
        return from_env
    from bot.config import Settings

    return Settings().database_url


@asynccontextmanager
async def database() -> AsyncIterator[Database]:
    """The configured database (ANBOT_DATABASE_URL), migrated to the latest schema."""
    from storage.db import Database

    db = Database(database_url())
    try:
        await db.upgrade()
        yield db
    finally:
        await db.dispose()


def _known_errors() -> tuple[type[BaseException], ...]:
    # Imported only once something failed: the classes' modules are heavy, and a command that
    # never loaded them cannot have raised them (they are imported, not looked for, so a moved
    # module fails the type check instead of silently turning known errors into unexpected ones).
    from pydantic import ValidationError

    from feeds.issue_numbers import IssueNumberError
    from storage.db import DatabaseUnavailable
    from storage.importer import DatabaseFileError
    from storage.search.query import QuerySyntaxError

    return (
        CliError,
        DatabaseUnavailable,
        DatabaseFileError,
        QuerySyntaxError,
        IssueNumberError,
        ValidationError,
    )


def _known_message(exc: BaseException) -> str:
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):  # Settings() from the environment or .env
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'settings'}: {error['msg']}"
            for error in exc.errors()
        )
        return f"invalid settings: {problems}"
    return str(exc)


def state_dir() -> Path:
    """Where anbot keeps files about this user's runs ($XDG_STATE_HOME/anbot)."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "anbot"


def log_trace(command: str, exc: BaseException) -> Path:
    """Append the full trace of `exc` to the state dir's log (a temp file if it is not writable);
    return where it went."""
    text = (
        f"--- {datetime.now(UTC).isoformat(timespec='seconds')} anbot {command} (pid "
        f"{os.getpid()})\n" + "".join(traceback.format_exception(exc))
    )
    try:
        folder = state_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / ERROR_LOG
        with path.open("a", encoding="utf-8") as handle:
            handle.write(text)
        return path
    except OSError:
        fd, name = tempfile.mkstemp(prefix="anbot-error-", suffix=".log", text=True)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        return Path(name)


class Boundary(TyperGroup):
    """The root group: every command runs inside its `invoke`, which turns any exception that is
    not Typer's own (exit, abort, usage) into one line on stderr and exit code 1."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException, BrokenPipeError):
            raise  # exit codes, --help, usage errors, a closed pipe: Typer handles these
        except KeyboardInterrupt:
            raise typer.Exit(130) from None
        except Exception as exc:
            command = ctx.invoked_subcommand or "anbot"
            if isinstance(exc, _known_errors()):
                raise fail(_known_message(exc)) from None
            where = log_trace(command, exc)
            raise fail(
                f"anbot {command} failed unexpectedly ({type(exc).__name__}: "
                f"{one_line(str(exc), 160)}); full trace in {where}"
            ) from None
