"""The one error boundary around every command: one line on stderr, the trace in a log file."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from storage.db import Database
from tests.bot.cli.outcome import one_line_error


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("ANBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    return CliRunner()


def _explode(message: str):  # type: ignore[no-untyped-def]
    async def upgrade(self: Database, revision: str = "head") -> None:
        raise RuntimeError(message)

    return upgrade


@pytest.mark.parametrize(
    ("args", "name"),
    [(["search", "x"], "search"), (["db", "upgrade"], "db"), (["publications"], "publications")],
)
def test_an_unexpected_error_is_one_line_and_its_trace_is_logged(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], name: str
) -> None:
    monkeypatch.setattr(Database, "upgrade", _explode("disk on fire\nsecond line"))
    line = one_line_error(runner.invoke(app, args))
    log = tmp_path / "state" / "anbot" / "cli-errors.log"
    assert line == (
        f"error: anbot {name} failed unexpectedly (RuntimeError: disk on fire second line); "
        f"full trace in {log}"
    )
    trace = log.read_text(encoding="utf-8")
    assert f"anbot {name} (pid" in trace
    assert "Traceback (most recent call last)" in trace and "RuntimeError: disk on fire" in trace


def test_an_unwritable_state_dir_logs_to_a_temp_file(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "not-a-dir").write_text("")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "not-a-dir"))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)  # TMPDIR is read again
    monkeypatch.setattr(Database, "upgrade", _explode("boom"))
    line = one_line_error(runner.invoke(app, ["issue", "56"]))
    logged = line.rsplit("full trace in ", 1)[1]
    assert Path(logged).parent == tmp_path and Path(logged).name.startswith("anbot-error-")
    assert "RuntimeError: boom" in Path(logged).read_text(encoding="utf-8")


def test_invalid_settings_are_one_line(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANBOT_DATABASE_URL")  # so Settings is built (from the environment)
    monkeypatch.setenv("ANBOT_POLL_INTERVAL", "soon")
    line = one_line_error(runner.invoke(app, ["issue", "56"]))
    assert line.startswith("error: invalid settings: poll_interval: Input should be a valid number")


def test_half_a_discord_endpoint_is_one_line(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`anbot run` with ANBOT_DISCORD_API_BASE but no gateway URL said it "failed unexpectedly"
    (a ValueError deep in run_bot, with a trace file): it is a setting to fix."""
    monkeypatch.setenv("DISCORD_TOKEN", "abc.def.ghi")
    monkeypatch.setenv("ANBOT_DISCORD_API_BASE", "http://127.0.0.1:9/api/v10")
    monkeypatch.delenv("ANBOT_DISCORD_GATEWAY_URL", raising=False)
    line = one_line_error(runner.invoke(app, ["run"]))
    assert line.startswith("error: invalid settings: ") and "set both" in line
    assert "unexpectedly" not in line


def test_known_errors_are_not_logged(runner: CliRunner, tmp_path: Path) -> None:
    assert one_line_error(runner.invoke(app, ["issue", "latest"])) == (
        "error: no issues stored yet; run anbot ingest or anbot import-database"
    )
    assert not (tmp_path / "state").exists()
