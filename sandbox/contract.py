"""Discord's published contract: its OpenAPI 3.1 spec (``data/discord-openapi``), the
operation a REST call belongs to, and JSON Schema checks of request bodies and responses.

The sandbox refuses request bodies the spec rejects with Discord's 400 (code 50035, an
``errors`` tree naming the field); the test suite checks every response against it, and every
gateway dispatch against the documented shape of its event (``GATEWAY_EVENTS``; the spec
covers REST only) — see tests/conftest.py. Validators are compiled once per operation and
cached.

Where the spec and Discord's documentation disagree, Discord says to follow the documentation;
those cases are the ``DEVIATIONS`` below, applied once to the loaded spec.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

SPEC_PATH = Path(__file__).parent / "data" / "discord-openapi" / "openapi.json"
JsonDict = dict[str, Any]

_MESSAGE_REQUESTS = (
    "BaseCreateMessageCreateRequest",
    "MessageCreateRequest",
    "MessageEditRequestPartial",
    "IncomingWebhookInteractionRequest",
    "IncomingWebhookUpdateForInteractionCallbackRequestPartial",
    "IncomingWebhookRequestPartial",
    "IncomingWebhookUpdateRequestPartial",
)


def _content_2000(schemas: JsonDict) -> None:
    for name in _MESSAGE_REQUESTS:
        content = schemas.get(name, {}).get("properties", {}).get("content")
        if content is not None and content.get("maxLength") == 4000:
            content["maxLength"] = 2000


def _field_error_codes(schemas: JsonDict) -> None:
    schemas["InnerErrors"]["properties"]["_errors"]["items"] = {
        "type": "object",
        "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        "required": ["code", "message"],
    }


def _attachment_index_ids(schemas: JsonDict) -> None:
    schemas["MessageAttachmentRequest"]["properties"]["id"] = {
        "oneOf": [
            {"$ref": "#/components/schemas/SnowflakeType"},
            {"type": "integer", "minimum": 0},
        ]
    }


def _permissions_as_strings(schemas: JsonDict) -> None:
    for name in (
        "ApplicationCommandCreateRequest",
        "ApplicationCommandPatchRequestPartial",
        "ApplicationCommandUpdateRequest",
    ):
        props = schemas[name]["properties"]
        props["default_member_permissions"] = {
            "oneOf": [
                props["default_member_permissions"],
                {"type": "string", "pattern": "^[0-9]{1,20}$"},
            ]
        }


def _forward_references(schemas: JsonDict) -> None:
    schemas["MessageReferenceType"]["oneOf"].append(
        {"title": "FORWARD", "description": "Reference to a forwarded message", "const": 1}
    )


def _media_channels(schemas: JsonDict) -> None:
    schemas["ChannelTypes"]["oneOf"].append(
        {
            "title": "GUILD_MEDIA",
            "description": "Channel that can only contain threads",
            "const": 16,
        }
    )


@dataclass(frozen=True)
class Deviation:
    what: str
    why: str
    patch: Callable[[JsonDict], None]


DEVIATIONS = (
    Deviation(
        "message `content` maxLength 4000 -> 2000 (message create/edit, webhook and "
        "interaction message bodies)",
        "Discord's documentation and API limit message content to 2,000 characters; the "
        "spec's 4000 is the limit of components v2 text displays copied onto content",
        _content_2000,
    ),
    Deviation(
        "`errors` tree: `_errors[].code` is a string",
        "Discord sends field error codes as strings (BASE_TYPE_REQUIRED, …); the spec reuses "
        "the top-level integer `Error` schema for them",
        _field_error_codes,
    ),
    Deviation(
        "request `attachments[].id` may be an integer",
        "for a new upload the id is the index of its `files[n]` part, which Discord's "
        "documentation shows (and discord.py sends) as an integer; the spec types it as a "
        "snowflake string",
        _attachment_index_ids,
    ),
    Deviation(
        "request `default_member_permissions` may be a string of digits",
        "Discord's documentation types permission bit sets as strings (and answers them so); "
        "the spec types the request field as an integer, which discord.py sends; Discord "
        "accepts both",
        _permissions_as_strings,
    ),
    Deviation(
        "message reference `type` 1 (FORWARD)",
        "Discord's documentation lists message reference types DEFAULT (0) and FORWARD (1); "
        "the spec's enum only has 0",
        _forward_references,
    ),
    Deviation(
        "channel type 16 (GUILD_MEDIA)",
        "Discord's documentation lists GUILD_MEDIA (16), which discord.py puts beside GUILD_FORUM "
        "in a command option's `channel_types` for a forum channel parameter; the spec's enum "
        "stops at 15",
        _media_channels,
    ),
)
"""The spec's known deviations from Discord's documentation, allowed with the reason."""


_FORMATS = FormatChecker(formats=())


@_FORMATS.checks("uri", raises=ValueError)
def _uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    if parts.scheme in ("http", "https"):
        return bool(parts.netloc)
    return parts.scheme == "attachment" and bool(parts.netloc or parts.path)


@_FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if isinstance(value, str):
        datetime.fromisoformat(value)
    return True


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    spec: JsonDict

    @property
    def operation_id(self) -> str:
        return str(self.spec.get("operationId", f"{self.method} {self.template}"))


@dataclass(frozen=True)
class Violation:
    """One place where a body breaks the spec."""

    operation: str
    where: str  # "request" or "response <status>"
    path: str  # dotted path in the body
    message: str

    def __str__(self) -> str:
        return f"{self.operation} {self.where} {self.path or '<body>'}: {self.message}"


def _ref(name: str) -> JsonDict:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(required: list[str], **properties: JsonDict) -> JsonDict:
    return {"type": "object", "required": required, "properties": properties}


_SNOWFLAKE = _ref("SnowflakeType")
_PARTIAL_MEMBER = _obj(
    ["roles", "joined_at", "deaf", "mute", "flags"], roles={"type": "array", "items": _SNOWFLAKE}
)
_MESSAGE_EVENT = {
    "allOf": [_ref("MessageResponse")],
    **_obj(["guild_id"], guild_id=_SNOWFLAKE, member=_PARTIAL_MEMBER),
}
_REACTION = _obj(
    ["user_id", "channel_id", "message_id", "emoji", "burst", "type"],
    user_id=_SNOWFLAKE,
    channel_id=_SNOWFLAKE,
    message_id=_SNOWFLAKE,
    guild_id=_SNOWFLAKE,
    emoji=_ref("MessageReactionEmojiResponse"),
    burst={"type": "boolean"},
    type={"enum": [0, 1]},
    member=_ref("GuildMemberResponse"),
    message_author_id=_SNOWFLAKE,
)
GATEWAY_EVENTS: dict[str, JsonDict] = {
    "READY": _obj(
        ["v", "user", "guilds", "session_id", "resume_gateway_url", "application"],
        v={"const": 10},
        user=_ref("UserResponse"),
        guilds={"type": "array", "items": _obj(["id", "unavailable"], id=_SNOWFLAKE)},
        session_id={"type": "string"},
        resume_gateway_url={"type": "string"},
        application=_obj(["id", "flags"], id=_SNOWFLAKE, flags={"type": "integer"}),
    ),
    "GUILD_CREATE": _obj(
        [
            *("id", "name", "owner_id", "roles", "channels", "threads", "members"),
            *("member_count", "joined_at", "large", "unavailable", "features", "emojis"),
            "stickers",
        ],
        id=_SNOWFLAKE,
        owner_id=_SNOWFLAKE,
        roles={"type": "array", "items": _ref("GuildRoleResponse")},
        channels={"type": "array", "items": _ref("GuildChannelResponse")},
        threads={"type": "array", "items": _ref("ThreadResponse")},
        members={"type": "array", "items": _ref("GuildMemberResponse")},
    ),
    "GUILD_ROLE_CREATE": _obj(
        ["guild_id", "role"], guild_id=_SNOWFLAKE, role=_ref("GuildRoleResponse")
    ),
    "CHANNEL_CREATE": _ref("GuildChannelResponse"),
    "CHANNEL_UPDATE": _ref("GuildChannelResponse"),
    "CHANNEL_DELETE": _ref("GuildChannelResponse"),
    "THREAD_CREATE": {
        "allOf": [_ref("ThreadResponse")],
        **_obj([], newly_created={"type": "boolean"}, member=_ref("ThreadMemberResponse")),
    },
    "THREAD_UPDATE": _ref("ThreadResponse"),
    "THREAD_DELETE": _obj(
        ["id", "guild_id", "parent_id", "type"],
        id=_SNOWFLAKE,
        guild_id=_SNOWFLAKE,
        parent_id=_SNOWFLAKE,
        type={"enum": [10, 11, 12]},
    ),
    "MESSAGE_CREATE": _MESSAGE_EVENT,
    "MESSAGE_UPDATE": _MESSAGE_EVENT,
    "MESSAGE_DELETE": _obj(
        ["id", "channel_id"], id=_SNOWFLAKE, channel_id=_SNOWFLAKE, guild_id=_SNOWFLAKE
    ),
    "MESSAGE_DELETE_BULK": _obj(
        ["ids", "channel_id"],
        ids={"type": "array", "items": _SNOWFLAKE},
        channel_id=_SNOWFLAKE,
        guild_id=_SNOWFLAKE,
    ),
    "MESSAGE_REACTION_ADD": _REACTION,
    "MESSAGE_REACTION_REMOVE": _REACTION,
    "INTERACTION_CREATE": _obj(
        [
            *("id", "application_id", "type", "token", "version", "app_permissions"),
            *("entitlements", "authorizing_integration_owners", "attachment_size_limit"),
        ],
        id=_SNOWFLAKE,
        application_id=_SNOWFLAKE,
        type={"enum": [1, 2, 3, 4, 5]},
        guild_id=_SNOWFLAKE,
        channel_id=_SNOWFLAKE,
        channel={"anyOf": [_ref("GuildChannelResponse"), _ref("ThreadResponse")]},
        member={
            "allOf": [_ref("GuildMemberResponse")],
            **_obj(["permissions"], permissions={"type": "string"}),
        },
        message=_ref("MessageResponse"),
        token={"type": "string"},
        version={"const": 1},
        app_permissions={"type": "string"},
    ),
    "GUILD_MEMBERS_CHUNK": _obj(
        ["guild_id", "members", "chunk_index", "chunk_count"],
        guild_id=_SNOWFLAKE,
        members={"type": "array", "items": _ref("GuildMemberResponse")},
    ),
}
"""Gateway dispatches the bot uses, with the fields Discord's gateway documentation lists
(the OpenAPI spec covers REST only; its object schemas are reused where the gateway sends the
same object: MESSAGE_CREATE/UPDATE are a message plus ``guild_id`` and the author's partial
``member``)."""


def _consts_to_enums(node: Any) -> None:
    """The spec writes enums as ``oneOf`` of titled constants; as ``enum`` they validate the
    same (the constants are distinct) without a sub-validation per choice — several times
    faster on message bodies."""
    if isinstance(node, list):
        for item in node:
            _consts_to_enums(item)
        return
    if not isinstance(node, dict):
        return
    choices = node.get("oneOf")
    if (
        isinstance(choices, list)
        and choices
        and all(
            isinstance(c, dict) and "const" in c and set(c) <= {"const", "title", "description"}
            for c in choices
        )
    ):
        node["enum"] = [c["const"] for c in choices]
        del node["oneOf"]
    for value in node.values():
        _consts_to_enums(value)


def _discriminator(schemas: JsonDict, branch: Any) -> Any:
    """The single ``type`` value a ``$ref``'d object schema allows, if it names one."""
    if not isinstance(branch, dict) or set(branch) != {"$ref"}:
        return None
    target = schemas.get(str(branch["$ref"]).rsplit("/", 1)[-1], {})
    kind = target.get("properties", {}).get("type", {})
    if "const" in kind:
        return kind["const"]
    if "$ref" in kind:
        kind = schemas.get(str(kind["$ref"]).rsplit("/", 1)[-1], {})
    values = kind.get("enum", [])
    return values[0] if len(values) == 1 else None


def _disjoint_unions_to_any_of(schemas: JsonDict, node: Any) -> None:
    """``oneOf`` checks every branch to prove only one matches; where the branches cannot
    overlap — ``null`` or an object, or objects told apart by a distinct ``type`` constant —
    ``anyOf`` means the same and stops at the first match."""
    if isinstance(node, list):
        for item in node:
            _disjoint_unions_to_any_of(schemas, item)
        return
    if not isinstance(node, dict):
        return
    branches = node.get("oneOf")
    if isinstance(branches, list) and "anyOf" not in node:
        nulls = [b for b in branches if b == {"type": "null"}]
        refs = [b for b in branches if b not in nulls]
        tags = [_discriminator(schemas, b) for b in refs]
        if (len(nulls) == 1 and len(refs) == 1 and "$ref" in refs[0]) or (
            not nulls and None not in tags and len(set(map(repr, tags))) == len(tags)
        ):
            node["anyOf"] = node.pop("oneOf")
    for value in node.values():
        _disjoint_unions_to_any_of(schemas, value)


class Contract:
    def __init__(self, spec: JsonDict) -> None:
        for deviation in DEVIATIONS:
            deviation.patch(spec["components"]["schemas"])
        _consts_to_enums(spec["components"])
        _disjoint_unions_to_any_of(spec["components"]["schemas"], spec["components"])
        self.spec = spec
        self._root = {
            "components": spec["components"],
            "paths": spec["paths"],
            "gateway": GATEWAY_EVENTS,
        }
        self._routes: dict[str, list[tuple[re.Pattern[str], int, Operation]]] = {}
        for template, item in spec["paths"].items():
            for method, op in item.items():
                if method == "parameters":
                    continue
                pattern = re.compile(
                    "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
                )
                literal = sum(1 for part in template.split("/") if part and "{" not in part)
                self._routes.setdefault(method.upper(), []).append(
                    (pattern, literal, Operation(method.upper(), template, op))
                )
        for candidates in self._routes.values():
            candidates.sort(key=lambda c: -c[1])  # literal segments win over parameters
        self._validators: dict[str, Draft202012Validator | None] = {}
        self._checked: dict[tuple[str, str, str], list[Violation]] = {}

    # -- lookups -------------------------------------------------------------------------
    def operation(self, method: str, path: str) -> Operation | None:
        """The spec operation of ``METHOD /path`` (path after /api/v10, query ignored)."""
        path = path.split("?", 1)[0]
        for pattern, _, op in self._routes.get(method.upper(), []):
            if pattern.match(path):
                return op
        return None

    def _validator(self, pointer: str) -> Draft202012Validator | None:
        if pointer not in self._validators:
            node: Any = self._root
            for part in pointer.split("/")[1:]:
                node = node.get(part.replace("~1", "/").replace("~0", "~"))
                if node is None:
                    break
            if node is None:
                self._validators[pointer] = None
            else:
                schema = {**self._root, "$ref": "#" + pointer}
                self._validators[pointer] = Draft202012Validator(schema, format_checker=_FORMATS)
        return self._validators[pointer]

    def _request_validator(self, op: Operation) -> Draft202012Validator | None:
        content = op.spec.get("requestBody", {}).get("content", {})
        if "application/json" not in content:
            return None
        return self._validator(f"{_op_pointer(op)}/requestBody/content/application~1json/schema")

    def _response_schema(self, op: Operation, status: int) -> str | None:
        """The JSON pointer of the answer's body schema, if the spec gives one."""
        responses = op.spec.get("responses", {})
        key = next(
            (k for k in (str(status), f"{str(status)[0]}XX", "default") if k in responses), None
        )
        if key is None:
            return None
        response = responses[key]
        base = f"{_op_pointer(op)}/responses/{key}"
        if "$ref" in response:
            base = response["$ref"][1:]
            response = _resolve(self._root, base)
        if "application/json" not in response.get("content", {}):
            return None
        return f"{base}/content/application~1json/schema"

    def known_status(self, op: Operation, status: int) -> bool:
        responses = op.spec.get("responses", {})
        return any(k in responses for k in (str(status), f"{str(status)[0]}XX", "default"))

    # -- checks ---------------------------------------------------------------------------
    def request_errors(self, op: Operation, body: Any) -> list[ValidationError]:
        validator = self._request_validator(op)
        if validator is None or body is None:
            return []
        return sorted(validator.iter_errors(body), key=lambda e: list(map(str, e.path)))

    def check_request(self, method: str, path: str, body: Any) -> list[Violation]:
        op = self.operation(method, path)
        if op is None:
            return [Violation(f"{method} {path}", "request", "", "no such operation in the spec")]
        return [
            Violation(op.operation_id, "request", _dotted(leaf), leaf.message)
            for error in self.request_errors(op, body)
            for leaf in leaves(error)
        ]

    def check_response(self, method: str, path: str, status: int, body: Any) -> list[Violation]:
        op = self.operation(method, path)
        where = f"response {status}"
        if op is None:
            return [Violation(f"{method} {path}", where, "", "no such operation in the spec")]
        if not self.known_status(op, status) and status < 500:
            return [Violation(op.operation_id, where, "", "status not in the spec")]
        pointer = self._response_schema(op, status)
        validator = self._validator(pointer) if pointer is not None else None
        if pointer is None or validator is None:
            return []  # the spec gives no JSON body for this answer (204, injected 5xx)
        if body is None:
            return [Violation(op.operation_id, where, "", "JSON body expected")]
        schema = _resolve(self._root, pointer)
        items = self._validator(f"{pointer}/items") if "items" in schema else None
        if isinstance(body, list) and items is not None and set(schema) <= {"type", "items"}:
            # a list answer (history pages overlap): each element checked and remembered alone
            return [
                Violation(v.operation, v.where, f"{n}.{v.path}".rstrip("."), v.message)
                for n, element in enumerate(body)
                for v in self._remembered(op.operation_id, where, items, element)
            ]
        return self._remembered(op.operation_id, where, validator, body)

    def check_event(self, name: str, data: Any) -> list[Violation]:
        """A gateway dispatch against its documented shape (``GATEWAY_EVENTS``)."""
        if name not in GATEWAY_EVENTS:
            return []
        validator = self._validator(f"/gateway/{name}")
        assert validator is not None
        return self._remembered(name, "gateway", validator, data)

    def _remembered(
        self, what: str, where: str, validator: Draft202012Validator, body: Any
    ) -> list[Violation]:
        """Violations of ``body``; an identical body (the same message in every history page,
        the same login answers) is validated once per process."""
        key = (what, where, json.dumps(body, sort_keys=True))
        found = self._checked.get(key)
        if found is None:
            found = [
                Violation(what, where, _dotted(leaf), _short(leaf.message))
                for error in validator.iter_errors(body)
                for leaf in leaves(error)
            ]
            if len(self._checked) >= 20_000:
                self._checked.clear()  # bounded: long runs restart the memory
            self._checked[key] = found
        return list(found)


def _short(message: str, limit: int = 200) -> str:
    return message if len(message) <= limit else message[: limit - 1] + "…"


def _op_pointer(op: Operation) -> str:
    return "/paths/" + op.template.replace("~", "~0").replace("/", "~1") + "/" + op.method.lower()


def _resolve(root: JsonDict, pointer: str) -> Any:
    node: Any = root
    for part in pointer.split("/")[1:]:
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _dotted(error: ValidationError) -> str:
    return ".".join(_field_path(error))


def _is_discriminator_miss(error: ValidationError) -> bool:
    """A union branch that fails on its ``type`` constant is not the branch meant."""
    path = list(error.absolute_path)
    return error.validator in ("const", "enum", "oneOf") and bool(path) and path[-1] == "type"


def _is_null_alternative(error: ValidationError) -> bool:
    return error.validator == "type" and error.validator_value == "null"


def _only_choices(error: ValidationError) -> bool:
    """A union of constants (an enum written as ``oneOf``): the union itself is the reason."""
    return all(
        sub.validator in ("const", "enum") or _is_null_alternative(sub)
        for sub in error.context or []
    ) and all(list(sub.absolute_path) == list(error.absolute_path) for sub in error.context or [])


def leaves(error: ValidationError) -> list[ValidationError]:
    """The specific reasons behind ``error``: inside a union (``oneOf``/``anyOf``) only the
    branch that was meant — not one failing on its ``type`` constant, never a bare ``null``
    alternative — and of several, the one that got deepest into the body."""
    if not error.context or _only_choices(error):
        return [error]
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.schema_path[0] if sub.schema_path else None, []).append(sub)
    candidates = [
        found
        for branch in branches.values()
        if not any(_is_discriminator_miss(e) for e in branch)
        for found in [[leaf for sub in branch for leaf in leaves(sub)]]
        if not all(_is_null_alternative(e) for e in found)
    ]
    if not candidates:
        return [error]
    return max(candidates, key=lambda found: (max(_depth(e) for e in found), -len(found)))


def _depth(error: ValidationError) -> int:
    return len(error.absolute_path) + (error.validator == "required")


_REQUIRED = re.compile(r"^'(.+)' is a required property$")


def _field_path(error: ValidationError) -> list[str]:
    """The path Discord names: a missing required field is named itself."""
    path = [str(p) for p in error.absolute_path]
    missing = _REQUIRED.match(error.message) if error.validator == "required" else None
    if missing:
        path.append(missing.group(1))
    return path


def discord_error(error: ValidationError) -> tuple[str, str]:
    """(code, message) as Discord words a field error (``error`` is one of ``leaves``)."""
    leaf = error
    kind, value = leaf.validator, leaf.validator_value
    if kind in ("maxLength", "maxItems"):
        return "BASE_TYPE_MAX_LENGTH", f"Must be {value} or fewer in length."
    if kind in ("minLength", "minItems"):
        return "BASE_TYPE_MIN_LENGTH", f"Must be {value} or more in length."
    if kind == "required":
        return "BASE_TYPE_REQUIRED", "This field is required"
    if kind == "maximum":
        return "NUMBER_TYPE_MAX", f"int value should be less than or equal to {value}."
    if kind == "minimum":
        return "NUMBER_TYPE_MIN", f"int value should be greater than or equal to {value}."
    if kind == "uniqueItems":
        return "SET_TYPE_ALREADY_CONTAINS_VALUE", "The set already contains this value."
    if kind == "format" and value == "uri":
        return "URL_TYPE_INVALID_URL", "Not a well formed URL."
    if kind in ("const", "enum", "oneOf", "anyOf"):
        return "BASE_TYPE_CHOICES", f"Value must be one of {_choices(leaf)}."
    if kind == "type":
        names = value if isinstance(value, list) else [value]
        main = next((n for n in names if n != "null"), "object")
        code = {"array": "BASE_TYPE_ARRAY", "integer": "NUMBER_TYPE_COERCE"}.get(
            main, f"{str(main).upper()}_TYPE_CONVERT"
        )
        return code, f"Must be of type {main}."
    return "BASE_TYPE_INVALID", leaf.message


def _choices(error: ValidationError) -> str:
    schema = error.schema if isinstance(error.schema, dict) else {}
    options = [o.get("const") for o in schema.get("oneOf", []) if isinstance(o, dict)]
    options = [o for o in options if o is not None] or list(schema.get("enum", []))
    if error.validator == "const":
        options = [error.validator_value]
    return "{" + ", ".join(json.dumps(o) for o in options) + "}"


def errors_tree(errors: list[ValidationError]) -> JsonDict:
    """Discord's 50035 ``errors`` object: nested by field path, ``_errors`` at the leaves."""
    tree: JsonDict = {}
    for error in errors:
        for leaf in leaves(error):
            node = tree
            for part in _field_path(leaf):
                node = node.setdefault(part, {})
            code, message = discord_error(leaf)
            node.setdefault("_errors", []).append({"code": code, "message": message})
    return tree


@functools.cache
def contract() -> Contract:
    """The loaded spec, once per process."""
    return Contract(json.loads(SPEC_PATH.read_text(encoding="utf-8")))
