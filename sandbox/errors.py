"""The one error type of the sandbox: a Discord API error with its documented JSON code."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """Raised by the world, the routes and the actors; the REST layer turns it into
    ``{"code": …, "message": …}`` with ``status``, exactly like Discord's error bodies."""

    def __init__(
        self, status: int, code: int, message: str, errors: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{status} (code {code}): {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return body


def unknown_channel() -> ApiError:
    return ApiError(404, 10003, "Unknown Channel")


def unknown_message() -> ApiError:
    return ApiError(404, 10008, "Unknown Message")


def unknown_user() -> ApiError:
    return ApiError(404, 10013, "Unknown User")


def unknown_guild() -> ApiError:
    return ApiError(404, 10004, "Unknown Guild")


def missing_access() -> ApiError:
    return ApiError(403, 50001, "Missing Access")


def missing_permissions() -> ApiError:
    return ApiError(403, 50013, "Missing Permissions")


def invalid_form(field: str, code: str, message: str) -> ApiError:
    """Discord's 50035 body: errors nested by field with ``_errors`` lists."""
    errors: dict[str, Any] = {"_errors": [{"code": code, "message": message}]}
    for part in reversed(field.split(".")):
        errors = {part: errors}
    return ApiError(400, 50035, "Invalid Form Body", errors)
