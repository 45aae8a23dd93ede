"""Shared pieces of the REST routes: app keys, request bodies, JSON answers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from sandbox.errors import ApiError, invalid_form
from sandbox.models import Attachment
from sandbox.state import World

if TYPE_CHECKING:
    from sandbox.interactions import InteractionHub


@dataclass
class ServerInfo:
    """Addresses known only once the server listens (the port is picked by the OS)."""

    base_url: str = ""
    gateway_url: str = ""


WORLD = web.AppKey("world", World)
INFO = web.AppKey("info", ServerInfo)
INTERACTIONS: web.AppKey[InteractionHub] = web.AppKey("interactions")

JsonDict = dict[str, Any]


@dataclass
class UploadedFile:
    field: str
    filename: str
    data: bytes
    content_type: str | None


@dataclass
class Body:
    json: Any = None
    files: list[UploadedFile] = field(default_factory=list)

    def dict(self) -> JsonDict:
        if self.json is None:
            return {}
        if not isinstance(self.json, dict):
            raise ApiError(400, 50109, "The request body contains invalid JSON.")
        return self.json

    def for_log(self) -> Any:
        if not self.files:
            return self.json
        logged = dict(self.json) if isinstance(self.json, dict) else {"payload": self.json}
        logged["_files"] = [
            {"field": f.field, "filename": f.filename, "size": len(f.data)} for f in self.files
        ]
        return logged


BODY_KEY = web.RequestKey("sandbox.body", Body)


async def parse_body(request: web.Request) -> Body:
    """JSON or multipart (``payload_json`` + ``files[n]``, the way discord.py uploads)."""
    if request.content_type.startswith("multipart/"):
        body = Body()
        reader = await request.multipart()
        while True:
            part = await reader.next()
            if part is None:
                break
            if not isinstance(part, BodyPartReader):
                continue
            raw = await part.read()
            if part.name == "payload_json":
                body.json = _loads(raw)
            elif part.filename is not None:
                body.files.append(
                    UploadedFile(
                        field=part.name or "",
                        filename=part.filename,
                        data=bytes(raw),
                        content_type=part.headers.get("Content-Type"),
                    )
                )
        return body
    raw = await request.read()
    return Body(json=_loads(raw) if raw else None)


def _loads(raw: bytes | bytearray) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise ApiError(400, 50109, "The request body contains invalid JSON.") from None


def body(request: web.Request) -> Body:
    found = request.get(BODY_KEY)
    return found if isinstance(found, Body) else Body()


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """Exactly ``application/json``: discord.py reads the body as text if a charset follows."""
    hdrs = {"Content-Type": "application/json"}
    hdrs.update(headers or {})
    return web.Response(body=json.dumps(data).encode(), status=status, headers=hdrs)


def no_content() -> web.Response:
    return web.Response(status=204)


def snowflake(request: web.Request, name: str) -> int:
    raw = request.match_info[name]
    if not raw.isdigit():
        raise invalid_form(name, "NUMBER_TYPE_COERCE", f'Value "{raw}" is not snowflake.')
    return int(raw)


def query_int(request: web.Request, name: str, default: int | None = None) -> int | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise invalid_form(name, "NUMBER_TYPE_COERCE", f'Value "{raw}" is not int.') from None


def world_of(request: web.Request) -> World:
    return request.app[WORLD]


def interactions_of(request: web.Request) -> InteractionHub:
    return request.app[INTERACTIONS]


def attachments_from(
    payload: JsonDict, files: list[UploadedFile], world: World
) -> list[Attachment]:
    """Match ``files[n]`` parts to the payload's ``attachments`` entries by index."""
    described = {
        str(a.get("id")): a for a in payload.get("attachments") or [] if isinstance(a, dict)
    }
    out = []
    for index, f in enumerate(files):
        key = f.field[len("files[") : -1] if f.field.startswith("files[") else str(index)
        meta = described.get(key, {})
        out.append(
            Attachment(
                id=world.ids.next(),
                filename=meta.get("filename") or f.filename,
                data=f.data,
                content_type=f.content_type,
                description=meta.get("description"),
            )
        )
    return out
