"""Logging set-up: one format for the bot and discord.py, and a filter that keeps secrets out.

The token is a SecretStr in Settings and is never formatted on purpose; the redacting filter is
the second line of defence for a library that might echo it (a URL, an exception message).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

REDACTED = "[redacted]"
_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


class RedactingFilter(logging.Filter):
    """Replaces every occurrence of the given secrets in a record's rendered message."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # Very short strings would redact ordinary words; real tokens are ~70 characters.
        self._secrets = [s for s in secrets if len(s) >= 8]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        cleaned = message
        for secret in self._secrets:
            cleaned = cleaned.replace(secret, REDACTED)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        exc_text = record.exc_text
        if exc_text:
            for secret in self._secrets:
                exc_text = exc_text.replace(secret, REDACTED)
            record.exc_text = exc_text
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True


class LibraryNoiseFilter(logging.Filter):
    """Drops discord.py's start-up warnings about voice support: this bot never uses voice, so
    "PyNaCl is not installed, voice will NOT be supported" only alarms whoever starts it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.name == "discord.client" and "voice will NOT be supported" in record.getMessage()
        )


def setup_logging(level: str | int = "INFO", *, secrets: Iterable[str] = ()) -> None:
    """Configure the root logger once: a stderr handler, our format, secrets redacted.

    The filter sits on the handler (not a logger) so that records of every library, propagated
    to the root, pass through it.
    """
    root = logging.getLogger()
    root.setLevel(level if isinstance(level, int) else level.upper())
    handler = next((h for h in root.handlers if getattr(h, "_anbot", False)), None)
    if handler is None:
        handler = logging.StreamHandler()
        handler._anbot = True  # type: ignore[attr-defined]
        handler.setFormatter(logging.Formatter(_FORMAT))
        root.addHandler(handler)
    for old in [f for f in handler.filters if isinstance(f, RedactingFilter | LibraryNoiseFilter)]:
        handler.removeFilter(old)
    handler.addFilter(LibraryNoiseFilter())
    handler.addFilter(RedactingFilter(secrets))
    # discord.py's gateway is chatty at DEBUG; its INFO lines (connect, resume) are useful.
    logging.getLogger("discord").setLevel(max(root.level, logging.INFO))


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(name)
