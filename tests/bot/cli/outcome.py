"""What a failed CLI run must look like: one line on stderr, an exit code, no traceback."""

from __future__ import annotations

from typer.testing import Result


def one_line_error(result: Result, code: int = 1) -> str:
    """The single stderr line of a run that failed cleanly with `code` (asserted)."""
    # CliRunner turns an exception that escaped the command into exit code 1 as well: a clean
    # failure is the SystemExit that typer.Exit becomes, never another exception.
    assert isinstance(result.exception, SystemExit), (result.exception, result.output)
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]
