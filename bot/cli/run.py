"""Placeholder until its owner fills it in: registers nothing yet."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    del app
