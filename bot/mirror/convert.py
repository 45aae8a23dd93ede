"""discord.py messages → the storage layer's comment events (pure functions, no I/O)."""

from __future__ import annotations

import discord

from storage.comments.events import MessageUpsert

# Only what members write becomes a comment; joins, pins, "thread created" notices and the
# type-21 stub that points at a text-channel thread's starter do not (the starter itself is
# fetched from the parent channel by catch-up).
COMMENT_TYPES = frozenset({discord.MessageType.default, discord.MessageType.reply})


def is_forward(message: discord.Message) -> bool:
    ref = message.reference
    return ref is not None and ref.type is discord.MessageReferenceType.forward


def parent_of(message: discord.Message, thread_id: int) -> int | None:
    """The replied-to message when it is in the same thread; root level otherwise.

    A forward carries a reference too, but it is a quotation from elsewhere, not a reply; a
    reply to the starter message is a top-level comment (the starter is the thread itself).
    """
    ref = message.reference
    if ref is None or ref.message_id is None or is_forward(message):
        return None
    if message.type is not discord.MessageType.reply:
        return None
    if ref.channel_id != thread_id or ref.message_id == thread_id:
        return None
    return ref.message_id


def _forwarded_text(message: discord.Message) -> tuple[str, tuple[str, ...]]:
    texts: list[str] = []
    urls: list[str] = []
    for snapshot in message.message_snapshots:
        if snapshot.content:
            texts.append(snapshot.content)
        urls.extend(a.url for a in snapshot.attachments)
    return "\n\n".join(texts), tuple(urls)


def to_upsert(
    message: discord.Message,
    thread_id: int,
    *,
    starter: bool = False,
    own_id: int | None = None,
    author_name: str | None = None,
) -> MessageUpsert | None:
    """The comment for `message` in thread `thread_id`, or None when it is not a comment.

    The stored name is the one members see: the server nickname when known, else the global
    display name, else the username (`author_name(message)`; catch-up passes the name it
    looked up, since a message read over REST has a `User` author without the nickname).

    `own_id` is the bot's user id: what the bot itself writes in a thread is the published
    post (the rest of a long summary, or each summary of an issue thread), not a comment, so it
    is stored as part of the starter; members' replies to it still nest under it.
    """
    is_starter = (
        starter or message.id == thread_id or (own_id is not None and message.author.id == own_id)
    )
    if not is_starter and message.type not in COMMENT_TYPES:
        return None
    content = message.content
    attachments = tuple(a.url for a in message.attachments)
    if is_forward(message):
        text, urls = _forwarded_text(message)
        content = content or text
        attachments += urls
    author = message.author
    ref = message.reference
    return MessageUpsert(
        message_id=message.id,
        thread_id=thread_id,
        author_id=author.id,
        author_name=author_name or author.display_name,
        content=content,
        created_at=message.created_at,
        edited_at=message.edited_at,
        parent_id=None if is_starter else parent_of(message, thread_id),
        reference_id=ref.message_id if ref is not None else None,
        attachments=attachments,
        is_starter=is_starter,
    )
