"""Interactions a fake user makes (slash commands, autocomplete, button clicks) and their answers.

Options are built from the command tree the bot synced, so the payload is what Discord would send.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .notify import Notifier

JSON = dict[str, Any]
EPHEMERAL = 1 << 6

# Option types.
SUB_COMMAND, SUB_COMMAND_GROUP, STRING, INTEGER, BOOLEAN = 1, 2, 3, 4, 5
CHANNEL, ROLE, NUMBER, ATTACHMENT = 7, 8, 10, 11

# Interaction types and callback types.
PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
PONG, MESSAGE, DEFER_MESSAGE, DEFER_UPDATE, UPDATE_MESSAGE = 1, 4, 5, 6, 7
AUTOCOMPLETE_RESULT, MODAL = 8, 9


class OptionError(ValueError):
    """The options given can't be typed into Discord's client for this command."""


@dataclass(frozen=True, slots=True)
class InteractionResponse:
    """One thing the bot did with an interaction.

    kind: callback | followup | edit_original | delete_original | edit_followup | delete_followup
    | rejected (a request Discord would refuse, e.g. a callback after the 3 s deadline)
    """

    kind: str
    payload: JSON
    callback_type: int | None = None
    message_id: int | None = None
    ephemeral: bool = False

    @property
    def data(self) -> JSON:
        if self.kind == "callback":
            inner = self.payload.get("data")
            return inner if isinstance(inner, dict) else {}
        return self.payload

    @property
    def deferred(self) -> bool:
        return self.kind == "callback" and self.callback_type in (DEFER_MESSAGE, DEFER_UPDATE)

    @property
    def content(self) -> str | None:
        value = self.data.get("content")
        return value if isinstance(value, str) else None

    @property
    def embeds(self) -> list[JSON]:
        return list(self.data.get("embeds") or [])

    @property
    def components(self) -> list[JSON]:
        return list(self.data.get("components") or [])

    @property
    def allowed_mentions(self) -> JSON | None:
        value = self.data.get("allowed_mentions")
        return value if isinstance(value, dict) else None

    @property
    def flags(self) -> int:
        return int(self.data.get("flags") or 0)

    @property
    def choices(self) -> list[JSON]:
        return list(self.data.get("choices") or [])

    @property
    def is_answer(self) -> bool:
        """True when this carries what the user sees (not a bare deferral or a delete)."""
        if self.kind == "callback":
            return self.callback_type in (MESSAGE, UPDATE_MESSAGE, AUTOCOMPLETE_RESULT, MODAL)
        return self.kind in ("followup", "edit_original", "edit_followup")


@dataclass(frozen=True, slots=True)
class InteractionResult:
    """The user's view of an interaction once answered: the latest answer plus the history."""

    deferred: bool
    ephemeral: bool
    content: str | None
    embeds: list[JSON]
    components: list[JSON]
    allowed_mentions: JSON | None
    flags: int
    responses: tuple[InteractionResponse, ...]
    answer: InteractionResponse

    @property
    def text(self) -> str:
        """Content plus embed titles/descriptions/fields, for loose assertions."""
        parts = [self.content or ""]
        for embed in self.embeds:
            parts += [str(embed.get("title") or ""), str(embed.get("description") or "")]
            for fld in embed.get("fields") or []:
                parts += [str(fld.get("name") or ""), str(fld.get("value") or "")]
        return "\n".join(p for p in parts if p)


@dataclass(slots=True)
class InteractionHandle:
    """A live interaction sent to the bot; await its answers with timeouts."""

    id: int
    token: str
    type: int
    guild_id: int | None
    channel_id: int
    user_id: int
    payload: JSON
    acknowledged: bool = False
    deferred: bool = False
    defer_ephemeral: bool = False
    original_message_id: int | None = None
    created_at: float = 0.0
    responses: list[InteractionResponse] = field(default_factory=list)
    _changed: Notifier = field(default_factory=Notifier)

    async def record(self, response: InteractionResponse) -> None:
        self.note(response)

    def note(self, response: InteractionResponse) -> None:
        self.responses.append(response)
        self._changed.notify()

    async def wait_for(
        self, predicate: Callable[[list[InteractionResponse]], bool], timeout: float
    ) -> None:
        try:
            await self._changed.wait_for(lambda: predicate(self.responses), timeout, "a response")
        except TimeoutError:
            seen = [(r.kind, r.callback_type or r.payload.get("reason")) for r in self.responses]
            raise TimeoutError(
                f"interaction {self.id}: no matching response within {timeout}s (got {seen})"
            ) from None

    async def wait_responses(self, count: int, timeout: float = 10.0) -> list[InteractionResponse]:
        """Wait until at least `count` responses (callbacks, follow-ups, edits) are recorded."""
        await self.wait_for(lambda rs: len(rs) >= count, timeout)
        return list(self.responses)

    async def wait_response(self, timeout: float = 10.0) -> InteractionResult:
        """Wait for the first answer the user sees; deferred tells whether a deferral came first."""
        await self.wait_for(lambda rs: any(r.is_answer for r in rs), timeout)
        return self.result()

    def result(self) -> InteractionResult:
        answers = [r for r in self.responses if r.is_answer]
        if not answers:
            raise LookupError(f"interaction {self.id} has no answer yet")
        answer = answers[0]
        return InteractionResult(
            deferred=any(r.deferred for r in self.responses),
            ephemeral=answer.ephemeral,
            content=answer.content,
            embeds=answer.embeds,
            components=answer.components,
            allowed_mentions=answer.allowed_mentions,
            flags=answer.flags,
            responses=tuple(self.responses),
            answer=answer,
        )

    @property
    def choices(self) -> list[JSON] | None:
        for r in self.responses:
            if r.callback_type == AUTOCOMPLETE_RESULT:
                return r.choices
        return None


# ---- options built from the synced command tree ------------------------------------------------


def find_command(commands: Mapping[int, JSON], name: str, type_: int = 1) -> JSON | None:
    for command in commands.values():
        if command.get("name") == name and int(command.get("type", 1)) == type_:
            return command
    return None


def _option_defs(
    command: JSON, group: str | None, subcommand: str | None
) -> tuple[list[JSON], list[str]]:
    """The option definitions a user fills, and the path of sub-command names to them."""
    defs: list[JSON] = list(command.get("options") or [])
    path: list[str] = []
    if group is not None:
        found = next(
            (o for o in defs if o["type"] == SUB_COMMAND_GROUP and o["name"] == group), None
        )
        if found is None:
            raise OptionError(f"/{command['name']} has no sub-command group {group!r}")
        defs = list(found.get("options") or [])
        path.append(group)
    if subcommand is not None:
        found = next(
            (o for o in defs if o["type"] == SUB_COMMAND and o["name"] == subcommand), None
        )
        if found is None:
            names = [o["name"] for o in defs if o["type"] == SUB_COMMAND]
            raise OptionError(f"/{command['name']} has no sub-command {subcommand!r} (has {names})")
        defs = list(found.get("options") or [])
        path.append(subcommand)
    elif any(o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP) for o in defs):
        raise OptionError(f"/{command['name']} needs a sub-command")
    return defs, path


@dataclass(slots=True)
class Resolver:
    """Looks up channels, roles and attachments for `resolved`; filled in by the emulator.
    (User and mentionable options are not emulated: no command of the bot takes one.)"""

    channel: Callable[[int], JSON | None]
    role: Callable[[int], JSON | None] = lambda _ident: None
    attachment: Callable[[int], JSON | None] = lambda _ident: None


def _convert(defn: JSON, value: Any, resolved: JSON, resolver: Resolver, focused: bool) -> Any:
    kind = int(defn["type"])
    name = defn["name"]
    if focused:
        return str(value)
    if kind == STRING:
        if not isinstance(value, str):
            raise OptionError(f"option {name!r} takes a string, not {value!r}")
        lo, hi = defn.get("min_length"), defn.get("max_length")
        if (lo is not None and len(value) < lo) or (hi is not None and len(value) > hi):
            raise OptionError(f"option {name!r} length out of range")
    elif kind == INTEGER:
        if isinstance(value, bool) or not isinstance(value, int):
            raise OptionError(f"option {name!r} takes an integer, not {value!r}")
    elif kind == NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise OptionError(f"option {name!r} takes a number, not {value!r}")
    elif kind == BOOLEAN:
        if not isinstance(value, bool):
            raise OptionError(f"option {name!r} takes a boolean, not {value!r}")
    elif kind == CHANNEL:
        return _resolve_channel(defn, int(value), resolved, resolver)
    elif kind == ROLE:
        role = resolver.role(int(value))
        if role is None:
            raise OptionError(f"option {name!r}: no role {value}")
        resolved.setdefault("roles", {})[str(value)] = role
        return str(value)
    elif kind == ATTACHMENT:
        found = resolver.attachment(int(value))
        if found is None:
            raise OptionError(f"option {name!r}: no uploaded attachment {value}")
        resolved.setdefault("attachments", {})[str(value)] = found
        return str(value)
    else:
        raise OptionError(f"option type {kind} of {name!r} is not emulated")
    if kind in (INTEGER, NUMBER):
        lo, hi = defn.get("min_value"), defn.get("max_value")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise OptionError(f"option {name!r}={value} outside [{lo}, {hi}]")
    choices = defn.get("choices")
    if choices and value not in [c["value"] for c in choices]:
        raise OptionError(f"option {name!r}={value!r} is not one of its choices")
    return value


def _resolve_channel(defn: JSON, ident: int, resolved: JSON, resolver: Resolver) -> str:
    name = defn["name"]
    channel = resolver.channel(ident)
    if channel is None:
        raise OptionError(f"option {name!r}: no channel {ident}")
    allowed = defn.get("channel_types")
    if allowed and channel["type"] not in allowed:
        raise OptionError(f"option {name!r}: channel type {channel['type']} not allowed")
    resolved.setdefault("channels", {})[str(ident)] = channel
    return str(ident)


def build_command_data(
    command: JSON,
    *,
    group: str | None,
    subcommand: str | None,
    options: Mapping[str, Any],
    resolver: Resolver,
    focused: str | None = None,
) -> JSON:
    """The `data` of an APPLICATION_COMMAND (or AUTOCOMPLETE) interaction."""
    defs, path = _option_defs(command, group, subcommand)
    by_name = {d["name"]: d for d in defs}
    unknown = set(options) - set(by_name)
    if unknown:
        raise OptionError(
            f"/{command['name']}: unknown options {sorted(unknown)} (has {list(by_name)})"
        )
    if focused is not None:
        if focused not in options:
            raise OptionError(f"focused option {focused!r} needs a (partial) value")
        if not by_name[focused].get("autocomplete"):
            raise OptionError(f"option {focused!r} has no autocomplete")
    else:
        missing = [d["name"] for d in defs if d.get("required") and d["name"] not in options]
        if missing:
            raise OptionError(f"/{command['name']}: required options missing: {missing}")
    resolved: JSON = {}
    filled: list[JSON] = []
    for defn in defs:  # Discord sends options in definition order
        if defn["name"] not in options:
            continue
        is_focused = defn["name"] == focused
        value = _convert(defn, options[defn["name"]], resolved, resolver, is_focused)
        item: JSON = {"name": defn["name"], "type": defn["type"], "value": value}
        if is_focused:
            item["type"] = defn["type"]
            item["focused"] = True
        filled.append(item)
    for name, kind in reversed(list(zip(path, _path_types(group, subcommand), strict=True))):
        filled = [{"name": name, "type": kind, "options": filled}]
    data: JSON = {
        "id": str(command["id"]),
        "name": command["name"],
        "type": int(command.get("type", 1)),
        "options": filled,
    }
    if command.get("guild_id") is not None:
        data["guild_id"] = str(command["guild_id"])
    if resolved:
        data["resolved"] = resolved
    return data


def _path_types(group: str | None, subcommand: str | None) -> list[int]:
    out = []
    if group is not None:
        out.append(SUB_COMMAND_GROUP)
    if subcommand is not None:
        out.append(SUB_COMMAND)
    return out


def find_button(components: list[JSON], custom_id: str) -> JSON | None:
    """A component with this custom_id anywhere in a message's component tree."""
    for component in components:
        if component.get("custom_id") == custom_id:
            return component
        inner = component.get("components")
        if isinstance(inner, list):
            found = find_button(inner, custom_id)
            if found is not None:
                return found
        accessory = component.get("accessory")
        if isinstance(accessory, dict) and accessory.get("custom_id") == custom_id:
            return accessory
    return None
