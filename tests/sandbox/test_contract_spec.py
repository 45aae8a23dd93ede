"""sandbox/contract.py itself, directly: it finds the operation of a call, flags what the spec
rejects (so the autouse check in tests/conftest.py can fail a test), allows exactly the listed
deviations, and words request errors as Discord's ``errors`` tree."""

from __future__ import annotations

from typing import Any

from sandbox.contract import DEVIATIONS, contract, errors_tree

USER = {
    "id": "1",
    "username": "alice",
    "avatar": None,
    "discriminator": "0",
    "public_flags": 0,
    "flags": 0,
    "global_name": None,
    "primary_guild": None,
}
MESSAGE: dict[str, Any] = {
    "id": "2",
    "channel_id": "3",
    "type": 0,
    "content": "hi",
    "author": USER,
    "mentions": [],
    "mention_roles": [],
    "attachments": [],
    "embeds": [],
    "components": [],
    "timestamp": "2026-12-01T00:00:00+00:00",
    "edited_timestamp": None,
    "flags": 0,
    "pinned": False,
    "mention_everyone": False,
    "tts": False,
}


def _operation_id(method: str, path: str) -> str | None:
    op = contract().operation(method, path)
    return op.operation_id if op is not None else None


def test_literal_segments_win_over_parameters() -> None:
    assert _operation_id("GET", "/users/@me?x=1") == "get_my_user"
    assert _operation_id("GET", "/users/42") == "get_user"
    assert _operation_id("POST", "/channels/1/messages/bulk-delete") == "bulk_delete_messages"
    assert _operation_id("GET", "/no/such/route") is None


def test_a_complete_message_passes_and_a_missing_field_is_named() -> None:
    spec = contract()
    assert spec.check_response("GET", "/channels/3/messages/2", 200, MESSAGE) == []
    broken = {**MESSAGE, "author": {k: v for k, v in USER.items() if k != "primary_guild"}}
    found = spec.check_response("GET", "/channels/3/messages/2", 200, broken)
    assert [(v.path, v.operation) for v in found] == [("author.primary_guild", "get_message")]


def test_field_error_codes_are_strings_as_discord_sends_them() -> None:
    spec = contract()
    body = {
        "code": 50035,
        "message": "Invalid Form Body",
        "errors": {"content": {"_errors": [{"code": "BASE_TYPE_REQUIRED", "message": "x"}]}},
    }
    assert spec.check_response("POST", "/channels/1/messages", 400, body) == []
    assert spec.check_response("POST", "/channels/1/messages", 400, {"message": "x"}) != []
    assert len(DEVIATIONS) == len({d.what for d in DEVIATIONS}) and all(d.why for d in DEVIATIONS)


def test_gateway_messages_need_their_guild_id() -> None:
    spec = contract()
    event = {
        **MESSAGE,
        "guild_id": "9",
        "member": {
            "roles": [],
            "joined_at": "2026-12-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
        },
    }
    assert spec.check_event("MESSAGE_CREATE", event) == []
    without = {k: v for k, v in event.items() if k != "guild_id"}
    assert [v.path for v in spec.check_event("MESSAGE_CREATE", without)] == ["guild_id"]


def test_request_errors_as_discords_tree() -> None:
    spec = contract()
    op = spec.operation("POST", "/channels/1/messages")
    assert op is not None
    body = {"content": "x" * 2001, "embeds": [{"fields": [{"name": "n"}], "color": -1}]}
    assert errors_tree(spec.request_errors(op, body)) == {
        "content": {
            "_errors": [
                {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}
            ]
        },
        "embeds": {
            "0": {
                "color": {
                    "_errors": [
                        {
                            "code": "NUMBER_TYPE_MIN",
                            "message": "int value should be greater than or equal to 0.",
                        }
                    ]
                },
                "fields": {
                    "0": {
                        "value": {
                            "_errors": [
                                {"code": "BASE_TYPE_REQUIRED", "message": "This field is required"}
                            ]
                        }
                    }
                },
            }
        },
    }
