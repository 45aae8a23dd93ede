"""The data commands end to end: a real SQLite file through ANBOT_DATABASE_URL."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from tests.bot.cli.outcome import one_line_error


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("ANBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    return CliRunner()


def test_import_search_issue(runner: CliRunner, data_dir: Path) -> None:
    csv_path = str(data_dir / "an-summaries-database.csv")
    first = runner.invoke(app, ["import-database", csv_path])
    assert first.exit_code == 0, first.output
    assert "1956 rows: 1956 added" in first.output

    again = runner.invoke(app, ["import-database", csv_path])
    assert again.exit_code == 0 and "0 added" in again.output and "1956 unchanged" in again.output

    found = runner.invoke(app, ["search", "HARKing"])
    assert found.exit_code == 0, found.output
    assert "HARK Side of Deep Learning" in found.output
    assert "Rohin's opinion: I believe that I found this paper" in found.output

    issue = runner.invoke(app, ["issue", "56"])
    assert issue.exit_code == 0, issue.output
    assert "AN #56 · 12 summaries" in issue.output
    assert "  12. " in issue.output and "  13. " not in issue.output

    latest = runner.invoke(app, ["issue", "latest"])
    assert latest.exit_code == 0 and latest.output.startswith("AN #171")


def test_errors_are_one_line_and_fail(runner: CliRunner, data_dir: Path) -> None:
    runner.invoke(app, ["import-database", str(data_dir / "an-summaries-database.csv")])
    cases = {
        ("issue", "999"): "no issue #999; issues 1–171 exist",
        ("issue", "abc"): "is not an issue number",
        ("search", 'section:"unclosed'): "unclosed quote",
        ("search", "foo:bar"): "unknown filter foo:",
        ("search", "zzzqqqxxx"): "no summaries match",
        ("import-database", "missing.csv"): "missing.csv: no such file",
        ("ingest", "missing.txt"): "missing.txt: no such file",
    }
    for args, message in cases.items():
        result = runner.invoke(app, list(args))
        assert result.exit_code == 1, (args, result.output)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], (args, result.stderr)


def test_dead_database(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANBOT_DATABASE_URL", "postgresql+asyncpg://bot:hunter2@127.0.0.1:1/anbot")
    result = runner.invoke(app, ["search", "anything"])
    assert result.exit_code == 1
    line = result.stderr.strip()
    assert "\n" not in line and "127.0.0.1:1" in line and "hunter2" not in line


def test_db_upgrade_and_ingest_file(runner: CliRunner, data_dir: Path) -> None:
    from alembic.script import ScriptDirectory

    from storage.db import MIGRATIONS

    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    upgraded = runner.invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0 and f"database at revision {head}\n" == upgraded.output
    seed = str(data_dir / "seed-issue-with-comments.txt")
    ingested = runner.invoke(app, ["ingest", seed, "--number", "56"])
    assert ingested.exit_code == 0, ingested.output
    assert "1 new" in ingested.output
    issue = runner.invoke(app, ["issue", "56"])
    assert "HARK Side of Deep Learning" in issue.output


@pytest.mark.parametrize(
    ("which", "message"),
    [
        ("²", "'²' is not an issue number; give one like 56 or AN #56"),
        ("99999999999999999999", "issue number 99999999999999999999 is out of range"),
        ("9" * 5000, "is out of range (1 to 2147483647)"),
        ("0", "issue number 0 is out of range"),
        ("AN #999", "no issue #999; no numbered issues are stored yet"),
    ],
)
def test_issue_numbers_fail_in_one_line(runner: CliRunner, which: str, message: str) -> None:
    assert message in one_line_error(runner.invoke(app, ["issue", which]))


def test_issue_label_forms(runner: CliRunner, data_dir: Path) -> None:
    seed = str(data_dir / "seed-issue-with-comments.txt")
    assert runner.invoke(app, ["ingest", seed, "--number", "AN #56"]).exit_code == 0
    for which in ("56", "#56", "AN #56", "an 56"):
        result = runner.invoke(app, ["issue", which])
        assert result.exit_code == 0 and "HARK Side of Deep Learning" in result.output, which


@pytest.mark.postgres
def test_issue_number_beyond_int32_on_postgres(pg_cli_url: str) -> None:
    env = {"ANBOT_DATABASE_URL": pg_cli_url}
    for which in ("3000000000", "2147483648"):
        result = CliRunner().invoke(app, ["issue", which], env=env)
        assert one_line_error(result) == (
            f"error: issue number {which} is out of range (1 to 2147483647)"
        )
    found = CliRunner().invoke(app, ["issue", "2147483647"], env=env)
    assert one_line_error(found) == (
        "error: no issue #2147483647; no numbered issues are stored yet"
    )


def test_search_offset_beyond_any_result(runner: CliRunner) -> None:
    result = runner.invoke(app, ["search", "x", "--offset", "99999999999999999999"])
    # Typer's range check: usage error (exit 2), named option, no traceback, nothing ran.
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "--offset" in result.output
    assert not Path("cli.db").exists()


def test_garbage_database_url(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANBOT_DATABASE_URL", "garbage")
    assert one_line_error(runner.invoke(app, ["search", "anything"])) == (
        "error: database URL is not valid: ArgumentError: Could not parse SQLAlchemy URL from "
        "given URL string (e.g. sqlite+aiosqlite:///anbot.db or "
        "postgresql+asyncpg://user:pw@host/db)"
    )
    monkeypatch.setenv("ANBOT_DATABASE_URL", "sqlite:///sync-driver.db")
    line = one_line_error(runner.invoke(app, ["issue", "56"]))
    assert "not async" in line and "unexpectedly" not in line


def test_ingest_markdown_issue_numbered_from_its_body(runner: CliRunner, data_dir: Path) -> None:
    md = str(data_dir / "an-markdown" / "an-092.md")
    ingested = runner.invoke(app, ["ingest", md])
    assert ingested.exit_code == 0, ingested.output
    assert "1 new" in ingested.output and "not placed" not in ingested.output
    issue = runner.invoke(app, ["issue", "92"])
    assert issue.exit_code == 0, issue.output
    assert issue.output.startswith("AN #92 · 9 summaries")
    assert "\nTechnical AI alignment / Technical agendas and prioritization\n" in issue.output
    assert "  9. Careers at the Joint AI Center (summarized by Rohin)" in issue.output


def test_ingest_dry_run_prints_entries_and_stores_nothing(
    runner: CliRunner, data_dir: Path
) -> None:
    md = str(data_dir / "an-markdown" / "an-082.md")
    dry = runner.invoke(app, ["ingest", "--dry-run", md])
    assert dry.exit_code == 0, dry.output
    assert dry.output.startswith("AN #82 · markdown · an layout · 9 entries\n")
    assert (
        "  1. Dota 2 with Large Scale Deep Reinforcement Learning (OpenAI et al) "
        "(summarized by Nicholas)\n     In April, [OpenAI Five]"
    ) in dry.output
    assert "Nicholas's opinion: I feel similarly to my opinion" in dry.output
    missing = runner.invoke(app, ["issue", "82"])
    assert missing.exit_code == 1 and "no issue #82" in missing.stderr


def test_ingest_reports_unplaced_paragraphs(runner: CliRunner, tmp_path: Path) -> None:
    issue = tmp_path / "issue.txt"
    issue.write_text(
        "Technical AI alignment\nA Paper (Ann Lee): Text A.\nRobustness\n"
        "This section collects robustness work.\nB Paper (Bo Chen): Text B.\n",
        encoding="utf-8",
    )
    ingested = runner.invoke(app, ["ingest", str(issue), "--number", "301"])
    assert ingested.exit_code == 0, ingested.output
    assert "1 paragraph not placed in any summary" in ingested.output
    dry = runner.invoke(app, ["ingest", "--dry-run", str(issue), "--number", "301"])
    assert "1 paragraph not placed in any summary:\n  - This section collects" in dry.output


@pytest.mark.postgres
def test_read_commands_on_postgres(pg_cli_url: str, data_dir: Path) -> None:
    """search, issue and export read Core rows on PostgreSQL as on SQLite."""
    import asyncio
    from datetime import UTC, datetime

    from storage.comments import apply_events
    from storage.comments.events import MessageUpsert
    from storage.db import Database
    from storage.threads import upsert_thread

    env = {"ANBOT_DATABASE_URL": pg_cli_url}
    seed = str(data_dir / "seed-issue-with-comments.txt")
    stored = CliRunner().invoke(app, ["ingest", seed, "--number", "56"], env=env)
    assert stored.exit_code == 0, stored.output

    async def thread() -> None:
        async with Database(pg_cli_url) as db, db.session() as session:
            await upsert_thread(session, thread_id=77, guild_id=1, channel_id=2, name="pg thread")
            at = datetime(2024, 5, 1, tzinfo=UTC)
            await apply_events(session, [MessageUpsert(77_001, 77, 5, "ann", "a reply", at)])
            await session.commit()

    asyncio.run(thread())
    found = CliRunner().invoke(app, ["search", "HARKing"], env=env)
    assert found.exit_code == 0 and "HARK Side of Deep Learning" in found.output, found.output
    assert "AN #56" in found.output
    filtered = CliRunner().invoke(app, ["search", "issue:56", "--limit", "1"], env=env)
    assert filtered.exit_code == 0 and "12 summaries match; showing 1–1" in filtered.output
    issue = CliRunner().invoke(app, ["issue", "56"], env=env)
    assert issue.exit_code == 0 and "AN #56 · 12 summaries" in issue.output, issue.output
    latest = CliRunner().invoke(app, ["issue", "latest"], env=env)
    assert latest.exit_code == 0 and latest.output.startswith("AN #56")
    assert one_line_error(CliRunner().invoke(app, ["issue", "57"], env=env)) == (
        "error: no issue #57; issues 56–56 exist"
    )
    exported = CliRunner().invoke(app, ["export", "77"], env=env)
    assert exported.exit_code == 0 and "a reply" in exported.output, exported.output
    assert "pg thread" in exported.output
