"""Seeded archive data for the web tests: what the sandbox demo stores, plus privacy cases.

Through the real storage writers (the mirror's apply_events, the archive's consent writers):
- AN #55 and AN #56; #56's HARK summary has the real forum comments of the seed issue as its
  public discussion (published forum, @everyone can read), with an edit, a tombstone with a
  live reply, reactions, and a member who hid their comments;
- a hostile summary whose title, link, comment texts and author names are XSS payloads;
- four threads that must never be reachable: one in a channel @everyone cannot read (but
  published), one in a readable but unpublished channel, one deleted in Discord, one private.
  Each holds a unique word (SECRETS) so search, sitemap and feed can be checked for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from storage import web_archive as wa
from storage.comments import apply_events
from storage.comments.events import MessageDelete, MessageEdit, MessageUpsert, ReactionAdd
from storage.db import Database
from storage.models import Issue, Publication, Summary
from storage.threads import upsert_thread
from tests.threads.payloads import BAD_URLS, MARKDOWN_PAYLOADS, PAYLOADS
from tests.threads.seed_comments import seed_records

GUILD = 9000
FORUM = 9100  # public and published
HIDDEN_CHANNEL = 9200  # published, but @everyone cannot read it
UNPUBLISHED = 9300  # readable, never published
HIDDEN_MEMBER = 4242
HIDDEN_MEMBER_TEXT = "my words that I hid from the web zanzibarite"
SECRETS = {
    "hidden_channel": "quuxolotl",
    "unpublished": "flibbertigibbet",
    "deleted": "snollygoster",
    "private": "bumfuzzled",
}
T0 = datetime(2019, 6, 5, 20, 0, tzinfo=UTC)


@dataclass(slots=True)
class Seeded:
    hark_summary: int = 0
    hark_thread: int = 0
    hostile_summary: int = 0
    comment_ids: dict[str, int] = field(default_factory=dict)
    tombstone: int = 0
    edited: int = 0
    hidden_comment: int = 0
    secret_summaries: dict[str, int] = field(default_factory=dict)
    secret_comments: dict[str, int] = field(default_factory=dict)


async def seed_site(db: Database) -> Seeded:
    out = Seeded()
    async with db.session() as session:
        i55 = Issue(number=55, label="AN #55", title="AN #55", layout="an", published_at=T0)
        i56 = Issue(
            number=56, label="AN #56", title="AN #56", layout="an", published_at=T0 + timedelta(7)
        )
        session.add_all([i55, i56])
        await session.flush()
        hark = Summary(
            issue_id=i56.id,
            position=0,
            dedupe_key="hark",
            section="Technical AI alignment / Learning human intent",
            title="HARKing: hypothesizing after the results are known",
            link="https://example.org/hark",
            authors="Norbert Kerr",
            summarizer="Rohin",
            summary="**Preregistration** matters. See also AN #55 for more.\n\n"
            "A [link](https://example.org/a) and `code`.",
            opinions=[{"by": "Rohin", "text": "I *like* this."}],
            content_hash="h1",
        )
        hostile = Summary(
            issue_id=i56.id,
            position=1,
            dedupe_key="hostile",
            section=PAYLOADS[3],
            title=f"</title>{PAYLOADS[0]} hostile",
            link=BAD_URLS[0],
            authors=PAYLOADS[1],
            summarizer=PAYLOADS[4],
            summary="\n\n".join([*PAYLOADS, *MARKDOWN_PAYLOADS])
            + "\n\n[x](javascript:document.title='PWNED')",
            opinions=[{"by": PAYLOADS[5], "text": PAYLOADS[1]}],
            content_hash="h2",
        )
        older = Summary(
            issue_id=i55.id,
            position=0,
            dedupe_key="older",
            title="An older summary",
            summary="Nothing to see.",
            content_hash="h3",
        )
        session.add_all([hark, hostile, older])
        secret_rows = {
            key: Summary(
                issue_id=i56.id,
                position=10 + n,
                dedupe_key=f"secret-{key}",
                title=f"Summary with a {key} thread",
                summary="Public summary text.",
                content_hash=f"s{n}",
            )
            for n, key in enumerate(SECRETS)
        }
        session.add_all(secret_rows.values())
        await session.flush()
        out.hark_summary, out.hostile_summary = hark.id or 0, hostile.id or 0
        out.secret_summaries = {k: s.id or 0 for k, s in secret_rows.items()}

        channels = {
            "hark": FORUM,
            "hostile": FORUM,
            "hidden_channel": HIDDEN_CHANNEL,
            "unpublished": UNPUBLISHED,
            "deleted": FORUM,
            "private": FORUM,
        }
        summary_ids = {
            "hark": hark.id,
            "hostile": hostile.id,
            **{k: s.id for k, s in secret_rows.items()},
        }
        threads = {key: 50_000 + n for n, key in enumerate(channels)}
        for n, (key, channel) in enumerate(channels.items()):
            pub = Publication(
                issue_id=i56.id or 0,
                summary_id=summary_ids[key],
                channel_id=channel,
                status="posted",
                marker=f"m{n}",
                thread_id=threads[key],
            )
            session.add(pub)
            await session.flush()
            await upsert_thread(
                session,
                thread_id=threads[key],
                guild_id=GUILD,
                channel_id=channel,
                name=key,
                publication_id=pub.id,
            )
        out.hark_thread = threads["hark"]
        await wa.set_published(
            session,
            channel_id=FORUM,
            guild_id=GUILD,
            name="papers",
            published=True,
            everyone_can_read=True,
        )
        await wa.set_published(
            session,
            channel_id=HIDDEN_CHANNEL,
            guild_id=GUILD,
            name="mods",
            published=True,
            everyone_can_read=False,
        )
        await wa.set_channel_access(
            session,
            channel_id=UNPUBLISHED,
            guild_id=GUILD,
            name="general",
            everyone_can_read=True,
        )
        await wa.set_thread_state(session, thread_id=threads["deleted"], deleted=True)
        await wa.set_thread_state(session, thread_id=threads["private"], private=True)
        await wa.set_member_hidden(session, user_id=HIDDEN_MEMBER, hidden=True)

        records, ids = seed_records(start=T0 + timedelta(days=7, hours=1), first_id=600_000)
        out.comment_ids = ids
        events: list[object] = [
            MessageUpsert(
                message_id=r.id,
                thread_id=threads["hark"],
                author_id=r.author_id,
                author_name=r.author_name,
                content=r.content or "",
                created_at=r.created_at,
                parent_id=r.parent_id,
            )
            for r in records
        ]
        last = records[-1]
        base = last.created_at
        # A comment that gets deleted while a reply to it stays: a tombstone.
        gone, reply, hidden = 700_001, 700_002, 700_003
        events += [
            MessageUpsert(gone, threads["hark"], 77, "Deleter", "soon gone", base + timedelta(1)),
            MessageUpsert(
                reply,
                threads["hark"],
                78,
                "Replier",
                "a reply that outlives its parent",
                base + timedelta(days=1, hours=1),
                parent_id=gone,
            ),
            MessageDelete(gone, threads["hark"], base + timedelta(days=2)),
            MessageUpsert(
                hidden,
                threads["hark"],
                HIDDEN_MEMBER,
                "Shy Member",
                HIDDEN_MEMBER_TEXT,
                base + timedelta(days=1, hours=2),
            ),
            MessageEdit(
                ids["gelman"],
                threads["hark"],
                "Relevant recent Gelman post (edited text)",
                base + timedelta(days=3),
            ),
            ReactionAdd(ids["fyi"], 1, "👍"),
            ReactionAdd(ids["fyi"], 2, "👍"),
            ReactionAdd(ids["yay"], 1, "👍"),
        ]
        out.tombstone, out.edited, out.hidden_comment = gone, ids["gelman"], hidden
        hostile_base = 800_000
        for n, payload in enumerate(PAYLOADS):
            events.append(
                MessageUpsert(
                    hostile_base + n,
                    threads["hostile"],
                    5000 + n,
                    payload,
                    f"before {payload} after\n{payload}",
                    T0 + timedelta(days=8, minutes=n),
                    parent_id=None if n % 3 == 0 else hostile_base + n - 1,
                    attachments=tuple(BAD_URLS),
                )
            )
        for n, (key, word) in enumerate(SECRETS.items()):
            cid = 900_000 + n
            out.secret_comments[key] = cid
            events.append(
                MessageUpsert(
                    cid,
                    threads[key],
                    6000 + n,
                    f"Secret Keeper {key}",
                    f"the word is {word} in a thread that is not public",
                    T0 + timedelta(days=9, minutes=n),
                )
            )
        await apply_events(session, events)  # type: ignore[arg-type]
        await session.commit()
    return out
