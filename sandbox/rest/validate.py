"""Discord's documented limits, enforced so the bot's splitting is really tested."""

from __future__ import annotations

from typing import Any

from sandbox.contract import contract, errors_tree
from sandbox.errors import ApiError, invalid_form

JsonDict = dict[str, Any]

MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
MAX_THREAD_NAME = 100
MAX_FILES = 10
ALLOWED_SEND_FLAGS = (
    4 | 4096 | 64
)  # SUPPRESS_EMBEDS, SUPPRESS_NOTIFICATIONS, EPHEMERAL (interactions)

_EMBED_LIMITS = {"title": 256, "description": 4096}


def message_body(payload: JsonDict, file_count: int, *, prefix: str = "") -> None:
    content = payload.get("content")
    if content is not None and not isinstance(content, str):
        raise invalid_form(prefix + "content", "BASE_TYPE_STRING", "Must be a string.")
    if content and len(content) > MAX_CONTENT:
        raise invalid_form(
            prefix + "content", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_CONTENT} or fewer in length."
        )
    embeds = payload.get("embeds") or []
    if len(embeds) > MAX_EMBEDS:
        raise invalid_form(
            prefix + "embeds", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_EMBEDS} or fewer in length."
        )
    total = 0
    for i, embed in enumerate(embeds):
        for key, limit in _EMBED_LIMITS.items():
            value = embed.get(key) or ""
            total += len(value)
            if len(value) > limit:
                raise invalid_form(
                    f"{prefix}embeds.{i}.{key}",
                    "BASE_TYPE_MAX_LENGTH",
                    f"Must be {limit} or fewer in length.",
                )
        for f in embed.get("fields") or []:
            total += len(f.get("name") or "") + len(f.get("value") or "")
        total += len((embed.get("footer") or {}).get("text") or "")
        total += len((embed.get("author") or {}).get("name") or "")
    if total > MAX_EMBED_TOTAL:
        raise invalid_form(
            prefix + "embeds", "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000"
        )
    if file_count > MAX_FILES:
        raise invalid_form(
            prefix + "files", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_FILES} or fewer in length."
        )
    flags = int(payload.get("flags") or 0)
    if flags & ~ALLOWED_SEND_FLAGS:
        raise invalid_form(prefix + "flags", "MESSAGE_FLAGS_INVALID", "Invalid message flags.")
    allowed_mentions(payload.get("allowed_mentions"), prefix=prefix)


def allowed_mentions(value: Any, *, prefix: str = "") -> None:
    """What the spec's schema cannot say: ``parse: ["users"]`` excludes a ``users`` list
    (and ``"roles"`` a ``roles`` list); the schema checks the rest (kinds, 100 ids, no
    duplicates)."""
    if not isinstance(value, dict):
        return
    parse = value.get("parse") or []
    for kind in ("users", "roles"):
        if isinstance(parse, list) and kind in parse and value.get(kind):
            raise invalid_form(
                prefix + "allowed_mentions",
                "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.',
            )


def against_spec(method: str, path: str, body: Any) -> None:
    """Discord's 400 (50035, the errors tree) for a body the spec rejects (the server checks
    every REST body this way; the actor API checks what members send)."""
    spec = contract()
    op = spec.operation(method, path)
    errors = spec.request_errors(op, body) if op is not None else []
    if errors:
        raise ApiError(400, 50035, "Invalid Form Body", errors_tree(errors))


def member_message(payload: JsonDict, file_count: int) -> None:
    """A member's message: the rules of the bot's (create message), 2,000 characters too."""
    against_spec("POST", "/channels/0/messages", payload)
    message_body(payload, file_count)


def not_empty(payload: JsonDict, file_count: int) -> None:
    has = payload.get("content") or payload.get("embeds") or payload.get("components") or file_count
    has = has or payload.get("sticker_ids") or payload.get("poll")
    if not has:
        raise ApiError(400, 50006, "Cannot send an empty message")


def thread_name(name: Any) -> str:
    if not isinstance(name, str) or not 1 <= len(name) <= MAX_THREAD_NAME:
        raise invalid_form(
            "name", "BASE_TYPE_BAD_LENGTH", f"Must be between 1 and {MAX_THREAD_NAME} in length."
        )
    return name


def limit(value: int | None, *, default: int, low: int = 1, high: int = 100) -> int:
    if value is None:
        return default
    if not low <= value <= high:
        raise invalid_form(
            "limit", "NUMBER_TYPE_MAX", f"int value should be between {low} and {high}."
        )
    return value
