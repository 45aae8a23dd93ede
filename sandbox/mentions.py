"""Who a message pings, computed like Discord from content and ``allowed_mentions``.

Rules (Discord docs, "Allowed Mentions Object"): without ``allowed_mentions`` everything in
the content pings and a reply pings its author; with it, only the ``parse`` kinds and the
listed ``users``/``roles`` ping and the replied user only when ``replied_user`` is true.
@everyone/@here need MENTION_EVERYONE; a role pings when it is mentionable or the author has
MENTION_EVERYONE.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_USER = re.compile(r"<@!?(\d+)>")
_ROLE = re.compile(r"<@&(\d+)>")
_EVERYONE = re.compile(r"@(everyone|here)")


@dataclass(frozen=True)
class Mentions:
    users: list[int]
    roles: list[int]
    everyone: bool


def compute_mentions(
    content: str,
    allowed: dict[str, Any] | None,
    *,
    replied_author: int | None,
    can_mention_everyone: bool,
    mentionable_roles: set[int],
    known_roles: set[int],
) -> Mentions:
    in_users = [int(m) for m in _USER.findall(content)]
    in_roles = [int(m) for m in _ROLE.findall(content) if int(m) in known_roles]
    in_everyone = bool(_EVERYONE.search(content))

    if allowed is None:
        users = list(dict.fromkeys(in_users))
        roles = list(dict.fromkeys(in_roles))
        everyone = in_everyone
        reply_ping = True
    else:
        parse = set(allowed.get("parse") or [])
        listed_users = {int(u) for u in allowed.get("users") or []}
        listed_roles = {int(r) for r in allowed.get("roles") or []}
        users = [u for u in dict.fromkeys(in_users) if "users" in parse or u in listed_users]
        roles = [r for r in dict.fromkeys(in_roles) if "roles" in parse or r in listed_roles]
        everyone = in_everyone and "everyone" in parse
        reply_ping = bool(allowed.get("replied_user", False))

    if replied_author is not None and reply_ping and replied_author not in users:
        users.append(replied_author)
    roles = [r for r in roles if r in mentionable_roles or can_mention_everyone]
    return Mentions(users=users, roles=roles, everyone=everyone and can_mention_everyone)
