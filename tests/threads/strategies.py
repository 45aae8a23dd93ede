"""Hypothesis strategies: random comment forests, including every kind of broken parent link."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from threads.model import CommentRecord, Revision

BASE = datetime(2024, 1, 1, tzinfo=UTC)
MISSING_PARENT = 7  # never used as a comment id below (ids start at 100)

times = st.integers(min_value=0, max_value=10_000).map(lambda m: BASE + timedelta(minutes=m))
texts = st.text(max_size=40)


@st.composite
def records(draw: st.DrawFn, max_size: int = 30) -> list[CommentRecord]:
    ids = draw(st.lists(st.integers(100, 10**19), unique=True, max_size=max_size))
    starter = draw(st.sampled_from([None, *ids]) if ids else st.none())
    rows = []
    for cid in ids:
        # parents: none, missing, itself, or any other comment (earlier or later: cycles too)
        parent = draw(st.sampled_from([None, MISSING_PARENT, cid, *ids]))
        deleted = draw(st.booleans())
        created = draw(times)
        edited = draw(st.none() | times.filter(lambda t, c=created: t >= c))
        rows.append(
            CommentRecord(
                id=cid,
                parent_id=parent,
                author_id=None if deleted else draw(st.integers(1, 10**18)),
                author_name=None if deleted else draw(texts),
                content=None if deleted else draw(texts),
                created_at=created,
                edited_at=edited,
                deleted=deleted,
                score=draw(st.integers(-5, 5)),
                attachments=tuple(draw(st.lists(texts, max_size=2))),
                revisions=tuple(
                    Revision(text, created) for text in draw(st.lists(texts, max_size=2))
                ),
                is_starter=cid == starter,
            )
        )
    return rows
