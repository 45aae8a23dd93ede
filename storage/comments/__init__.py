"""The comment-write pipeline: gateway events in, the stored comment tree out.

events (what the mirror submits) -> writer (batches them) -> batch (plans a batch's end state in
memory) -> store (writes the plan with executemany, reads trees and stats back).
"""

from storage.comments.store import (
    StoredState,
    ThreadStats,
    apply_events,
    recent_comments,
    records_for_thread,
    stored_votes,
    thread_records,
    thread_stats,
    write_events,
)

__all__ = [
    "StoredState",
    "ThreadStats",
    "apply_events",
    "recent_comments",
    "records_for_thread",
    "stored_votes",
    "thread_records",
    "thread_stats",
    "write_events",
]
