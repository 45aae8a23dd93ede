"""Picking a stored summary by title in a slash command (`/an summary`, `/an discuss`): the
autocomplete list, and the summary its chosen value (or a typed title) names."""

from __future__ import annotations

from typing import TYPE_CHECKING

from discord import app_commands

from bot.publish.render import cut
from storage import MAX_BIGINT
from storage.issues import find_summary_by_title, find_summary_by_title_on
from storage.models import Summary

if TYPE_CHECKING:
    from sqlmodel import Session

    from storage.db import Database

AUTOCOMPLETE_LIMIT = 25  # Discord shows at most 25 choices


async def summary_choices(db: Database, current: str) -> list[app_commands.Choice[str]]:
    """The titles matching what the member typed so far, each valued `id:<summary id>`."""
    async with db.session() as session:
        found = await find_summary_by_title(session, current, limit=AUTOCOMPLETE_LIMIT)
    return [
        app_commands.Choice(name=cut(s.title or "(untitled)", 100), value=f"id:{s.id}")
        for s in found[:AUTOCOMPLETE_LIMIT]
    ]


def summary_for_on(session: Session, value: str) -> Summary | None:
    """The summary a chosen `id:<n>` value names, else the one a typed title names: its exact
    title, or the only title containing it."""
    if value.startswith("id:") and value[3:].isdecimal():
        summary_id = int(value[3:])
        # Autocomplete sends ids that exist; a typed-in one beyond BIGINT matches nothing.
        return session.get(Summary, summary_id) if summary_id <= MAX_BIGINT else None
    candidates = find_summary_by_title_on(session, value, limit=AUTOCOMPLETE_LIMIT)
    exact = [s for s in candidates if s.title.strip().lower() == value.strip().lower()]
    if exact:
        return exact[0]
    return candidates[0] if len(candidates) == 1 else None
