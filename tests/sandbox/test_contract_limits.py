"""Discord's limits, refused as Discord refuses them: 400, code 50035 "Invalid Form Body" and
an ``errors`` tree naming the field (which discord.py shows as "In <field>: …"). One case per
limit, each sent by discord.py's own HTTP client; the same bodies at the limit pass."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest

from bot.discord_api import discord_pointed_at
from sandbox.errors import ApiError
from tests.sandbox.conftest import Env

JsonDict = dict[str, Any]


@pytest.fixture
async def http(env: Env) -> AsyncIterator[discord.http.HTTPClient]:
    with discord_pointed_at(env.server.api_base, env.server.gateway_url):
        client = discord.http.HTTPClient(__import__("asyncio").get_running_loop())
        await client.static_login(env.server.token)
        try:
            yield client
        finally:
            await client.close()


def _embed(**fields: Any) -> JsonDict:
    return {"embeds": [{"title": "t", **fields}]}


def _fields(n: int, name: str = "n", value: str = "v") -> list[JsonDict]:
    return [{"name": name, "value": value} for _ in range(n)]


# (case, body, the field the errors tree names, the same body at the limit)
MESSAGE_LIMITS: list[tuple[str, JsonDict, str, JsonDict]] = [
    ("content over 2,000", {"content": "x" * 2001}, "content", {"content": "x" * 2000}),
    ("26 embed fields", _embed(fields=_fields(26)), "embeds.0.fields", _embed(fields=_fields(25))),
    (
        "field name over 256",
        _embed(fields=_fields(1, name="n" * 257)),
        "embeds.0.fields.0.name",
        _embed(fields=_fields(1, name="n" * 256)),
    ),
    (
        "field value over 1,024",
        _embed(fields=_fields(1, value="v" * 1025)),
        "embeds.0.fields.0.value",
        _embed(fields=_fields(1, value="v" * 1024)),
    ),
    (
        "field without value",
        _embed(fields=[{"name": "n"}]),
        "embeds.0.fields.0.value",
        _embed(fields=[{"name": "n", "value": "v"}]),
    ),
    (
        "footer over 2,048",
        _embed(footer={"text": "f" * 2049}),
        "embeds.0.footer.text",
        _embed(footer={"text": "f" * 2048}),
    ),
    (
        "author name over 256",
        _embed(author={"name": "a" * 257}),
        "embeds.0.author.name",
        _embed(author={"name": "a" * 256}),
    ),
    ("color over 0xFFFFFF", _embed(color=0x1000000), "embeds.0.color", _embed(color=0xFFFFFF)),
    (
        "invalid embed url",
        _embed(url="not a url"),
        "embeds.0.url",
        _embed(url="https://example.org/a"),
    ),
    (
        "embed total over 6,000",
        _embed(description="d" * 4096, fields=_fields(2, value="v" * 1024)),
        "embeds",
        _embed(description="d" * 3900, fields=_fields(2, value="v" * 1024)),
    ),
    (
        "allowed_mentions parse bogus",
        {"content": "x", "allowed_mentions": {"parse": ["bogus"]}},
        "allowed_mentions.parse.0",
        {"content": "x", "allowed_mentions": {"parse": ["users"]}},
    ),
    (
        "allowed_mentions parse not a list",
        {"content": "x", "allowed_mentions": {"parse": "users"}},
        "allowed_mentions.parse",
        {"content": "x", "allowed_mentions": {"parse": []}},
    ),
    (
        "allowed_mentions 101 users",
        {"content": "x", "allowed_mentions": {"users": [str(10**17 + i) for i in range(101)]}},
        "allowed_mentions.users",
        {"content": "x", "allowed_mentions": {"users": [str(10**17 + i) for i in range(100)]}},
    ),
    (
        "allowed_mentions duplicate users",
        {"content": "x", "allowed_mentions": {"users": [str(10**17), str(10**17)]}},
        "allowed_mentions.users",
        {"content": "x", "allowed_mentions": {"users": [str(10**17)]}},
    ),
    (
        "allowed_mentions parse users with a users list",
        {"content": "x", "allowed_mentions": {"parse": ["users"], "users": [str(10**17)]}},
        "allowed_mentions",
        {"content": "x", "allowed_mentions": {"parse": [], "users": [str(10**17)]}},
    ),
]

THREAD_LIMITS: list[tuple[str, JsonDict, str, JsonDict]] = [
    ("auto_archive_duration 42", {"auto_archive_duration": 42}, "auto_archive_duration", {}),
    ("rate_limit_per_user 21601", {"rate_limit_per_user": 21601}, "rate_limit_per_user", {}),
]


async def _refused(call: Any) -> discord.HTTPException:
    with pytest.raises(discord.HTTPException) as refused:
        await call
    return refused.value


@pytest.mark.parametrize(
    ("body", "field", "at_limit"),
    [pytest.param(b, f, ok, id=case) for case, b, f, ok in MESSAGE_LIMITS],
)
async def test_message_limit(
    env: Env, http: discord.http.HTTPClient, body: JsonDict, field: str, at_limit: JsonDict
) -> None:
    channel_id = env.demo.text_channel_id
    route = discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=channel_id)
    error = await _refused(http.request(route, json=body))
    assert (error.status, error.code) == (400, 50035)
    assert error.text.startswith("Invalid Form Body"), error.text
    assert f"In {field}:" in error.text, error.text
    assert env.server.world.messages_in(channel_id) == []  # nothing half-created
    sent = await http.request(route, json=at_limit)
    assert [m["id"] for m in env.server.world.messages_in(channel_id)] == [sent["id"]]


@pytest.mark.parametrize(
    ("extra", "field", "at_limit"),
    [pytest.param(b, f, ok, id=case) for case, b, f, ok in THREAD_LIMITS],
)
async def test_forum_post_limit(
    env: Env, http: discord.http.HTTPClient, extra: JsonDict, field: str, at_limit: JsonDict
) -> None:
    forum_id = env.demo.forum_channel_id
    route = discord.http.Route("POST", "/channels/{channel_id}/threads", channel_id=forum_id)
    body = {"name": "a post", "message": {"content": "x"}}
    error = await _refused(http.request(route, json={**body, **extra}))
    assert (error.status, error.code) == (400, 50035)
    assert f"In {field}:" in error.text, error.text
    assert env.server.world.threads_in(forum_id) == []
    limit = {k: (10080 if k == "auto_archive_duration" else 21600) for k in extra}
    created = await http.request(route, json={**body, **limit, **at_limit})
    assert [t["id"] for t in env.server.world.threads_in(forum_id)] == [created["id"]]


async def test_a_spec_rejected_body_gets_exactly_invalid_form_body(
    env: Env, http: discord.http.HTTPClient
) -> None:
    route = discord.http.Route(
        "POST", "/channels/{channel_id}/messages", channel_id=env.demo.text_channel_id
    )
    error = await _refused(http.request(route, json={"content": 5}))
    assert (error.status, error.code) == (400, 50035)
    assert error.text.split("\n")[0] == "Invalid Form Body"
    assert "In content:" in error.text


async def test_members_are_held_to_the_same_limits(env: Env) -> None:
    alice = env.server.act_as("alice")
    channel_id = env.demo.text_channel_id
    with pytest.raises(ApiError) as too_long:
        await alice.send(channel_id, "x" * 2001)
    assert (too_long.value.code, too_long.value.errors) == (
        50035,
        {
            "content": {
                "_errors": [
                    {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}
                ]
            }
        },
    )
    with pytest.raises(ApiError) as bad_embed:
        await alice.send(channel_id, "x", embeds=[{"fields": [{"name": "n"}]}])
    assert bad_embed.value.errors is not None
    assert "value" in bad_embed.value.errors["embeds"]["0"]["fields"]["0"]
    sent = await alice.send(channel_id, "x" * 2000)
    with pytest.raises(ApiError) as long_edit:
        await alice.edit(channel_id, int(sent["id"]), "y" * 2001)
    assert long_edit.value.code == 50035
    assert [m["content"] for m in env.server.world.messages_in(channel_id)] == ["x" * 2000]
