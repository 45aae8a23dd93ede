"""Application command sync: global and per guild (bulk overwrite, upsert, edit, delete)."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from sandbox.errors import ApiError, invalid_form
from sandbox.rest.common import body, json_response, no_content, snowflake, world_of
from sandbox.state import World

routes = web.RouteTableDef()
JsonDict = dict[str, Any]
_NAME = re.compile(r"^[-_\w]{1,32}$")
GLOBAL = "/applications/{application_id}/commands"
GUILD = "/applications/{application_id}/guilds/{guild_id}/commands"


def _check_options(options: list[JsonDict], path: str) -> None:
    if len(options) > 25:
        raise invalid_form(path, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    for i, opt in enumerate(options):
        name = opt.get("name", "")
        if not _NAME.match(name) or name != name.lower():
            raise invalid_form(
                f"{path}.{i}.name", "APPLICATION_COMMAND_INVALID_NAME", f"Invalid name {name!r}"
            )
        if not 1 <= len(opt.get("description") or "") <= 100:
            raise invalid_form(
                f"{path}.{i}.description",
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            )
        if len(opt.get("choices") or []) > 25:
            raise invalid_form(
                f"{path}.{i}.choices", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."
            )
        _check_options(opt.get("options") or [], f"{path}.{i}.options")


def _permissions(value: Any) -> str | None:
    """A permission bit set, as Discord stores and answers it: a string of digits (or null)."""
    if value is None:
        return None
    if isinstance(value, bool) or not str(value).isdigit():
        raise invalid_form(
            "default_member_permissions", "BASE_TYPE_INVALID", "Invalid permission bits."
        )
    return str(int(value))


def normalise(
    world: World, raw: JsonDict, existing: list[JsonDict], guild_id: int | None
) -> JsonDict:
    kind = int(raw.get("type") or 1)
    name = raw.get("name") or ""
    if not _NAME.match(name) or (kind == 1 and name != name.lower()):
        raise invalid_form(
            "name", "APPLICATION_COMMAND_INVALID_NAME", f"Invalid command name {name!r}"
        )
    if kind == 1 and not 1 <= len(raw.get("description") or "") <= 100:
        raise invalid_form(
            "description", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
        )
    _check_options(raw.get("options") or [], "options")
    same = next((c for c in existing if c["name"] == name and c["type"] == kind), None)
    cmd = {
        "id": same["id"] if same else str(world.ids.next()),
        "application_id": str(world.application_id),
        "version": str(world.ids.next()),
        "type": kind,
        "name": name,
        "name_localizations": raw.get("name_localizations"),
        "description": raw.get("description") or "",
        "description_localizations": raw.get("description_localizations"),
        "options": raw.get("options") or [],
        "default_member_permissions": _permissions(raw.get("default_member_permissions")),
        "dm_permission": raw.get("dm_permission", True),
        "nsfw": bool(raw.get("nsfw", False)),
        "integration_types": raw.get("integration_types") or [0],
        "contexts": raw.get("contexts"),
    }
    if guild_id is not None:
        cmd["guild_id"] = str(guild_id)
    return cmd


def _target(request: web.Request) -> tuple[World, list[JsonDict], int | None]:
    world = world_of(request)
    if snowflake(request, "application_id") != world.application_id:
        raise ApiError(403, 50001, "Missing Access")
    if "guild_id" in request.match_info:
        guild_id = world.get_guild(snowflake(request, "guild_id")).id
        return world, world.guild_commands.setdefault(guild_id, []), guild_id
    return world, world.global_commands, None


@routes.get(GLOBAL)
@routes.get(GUILD)
async def list_commands(request: web.Request) -> web.Response:
    _, commands, _ = _target(request)
    return json_response(commands)


@routes.put(GLOBAL)
@routes.put(GUILD)
async def bulk_overwrite(request: web.Request) -> web.Response:
    world, commands, guild_id = _target(request)
    raw = body(request).json or []
    if not isinstance(raw, list) or len(raw) > 100:
        raise invalid_form("_root", "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
    new = [normalise(world, c, commands, guild_id) for c in raw]
    commands[:] = new
    return json_response(new)


@routes.post(GLOBAL)
@routes.post(GUILD)
async def upsert(request: web.Request) -> web.Response:
    world, commands, guild_id = _target(request)
    cmd = normalise(world, body(request).dict(), commands, guild_id)
    existed = any(c["id"] == cmd["id"] for c in commands)
    commands[:] = [c for c in commands if c["id"] != cmd["id"]] + [cmd]
    return json_response(cmd, status=200 if existed else 201)


def _find(commands: list[JsonDict], command_id: int) -> JsonDict:
    for c in commands:
        if int(c["id"]) == command_id:
            return c
    raise ApiError(404, 10063, "Unknown application command")


@routes.get(GLOBAL + "/{command_id}")
@routes.get(GUILD + "/{command_id}")
async def get_command(request: web.Request) -> web.Response:
    _, commands, _ = _target(request)
    return json_response(_find(commands, snowflake(request, "command_id")))


@routes.patch(GLOBAL + "/{command_id}")
@routes.patch(GUILD + "/{command_id}")
async def edit_command(request: web.Request) -> web.Response:
    world, commands, guild_id = _target(request)
    current = _find(commands, snowflake(request, "command_id"))
    merged = normalise(world, {**current, **body(request).dict()}, commands, guild_id)
    commands[:] = [merged if c["id"] == current["id"] else c for c in commands]
    return json_response(merged)


@routes.delete(GLOBAL + "/{command_id}")
@routes.delete(GUILD + "/{command_id}")
async def delete_command(request: web.Request) -> web.Response:
    _, commands, _ = _target(request)
    current = _find(commands, snowflake(request, "command_id"))
    commands.remove(current)
    return no_content()
