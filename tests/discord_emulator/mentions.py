"""Who a message would ping: Discord's mention parsing under `allowed_mentions`.

Only `content` pings (never embeds). Without `allowed_mentions` Discord parses everything.
`pings()` is the worst case (as if the bot had Mention Everyone and every role were mentionable):
the oracle for "feed text can never ping anyone".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

EVERYONE = re.compile(r"@(everyone|here)\b")
USER = re.compile(r"<@!?(\d+)>")
ROLE = re.compile(r"<@&(\d+)>")


@dataclass(frozen=True, slots=True)
class Pings:
    everyone: bool = False
    users: tuple[int, ...] = ()
    roles: tuple[int, ...] = ()
    replied_user: bool = False

    def __bool__(self) -> bool:
        return self.everyone or bool(self.users) or bool(self.roles) or self.replied_user


def _ids(pattern: re.Pattern[str], content: str) -> list[int]:
    return list(dict.fromkeys(int(m) for m in pattern.findall(content)))


def pings(content: str, allowed: Any, *, is_reply: bool = False) -> Pings:
    """What `content` pings under the `allowed_mentions` object (None: parse everything)."""
    users, roles = _ids(USER, content), _ids(ROLE, content)
    everyone = EVERYONE.search(content) is not None
    if not isinstance(allowed, dict):
        return Pings(everyone, tuple(users), tuple(roles), is_reply)
    parse = set(allowed.get("parse") or [])
    listed_users = {int(u) for u in allowed.get("users") or []}
    listed_roles = {int(r) for r in allowed.get("roles") or []}
    return Pings(
        everyone=everyone and "everyone" in parse,
        users=tuple(u for u in users if "users" in parse or u in listed_users),
        roles=tuple(r for r in roles if "roles" in parse or r in listed_roles),
        replied_user=is_reply and bool(allowed.get("replied_user", False)),
    )
