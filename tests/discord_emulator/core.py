"""What the REST layer, the gateway and the test-facing API share: state, ids, recordings."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .gateway import Gateway, GatewayEvent
from .interactions import InteractionHandle
from .mentions import pings
from .notify import Notifier
from .payloads import iso_now, message_payload, user_payload
from .snowflakes import SnowflakeGenerator
from .state import (
    MENTION_EVERYONE,
    EmulatorState,
    MessageSource,
    RecordedMessage,
    RecordedRequest,
    User,
    channel_permissions,
)

JSON = dict[str, Any]


@dataclass(frozen=True, slots=True)
class RestFault:
    """A fault the REST layer injects: status 500 (or 502/503...) or 429 with retry_after.

    `count` limits how many requests are faulted (None: until cleared); `path` is a regex searched
    in the request path (relative to /api/v10); `methods` restricts by HTTP method.
    """

    status: int
    retry_after: float = 1.0
    scope: str = "user"
    is_global: bool = False
    count: int | None = None
    path: str | None = None
    methods: frozenset[str] | None = None

    def matches(self, method: str, path: str) -> bool:
        if self.methods is not None and method not in self.methods:
            return False
        return self.path is None or re.search(self.path, path) is not None


@dataclass(slots=True)
class Hold:
    """A request a test holds (to kill the client at that moment): the first one matching
    ``method`` and the ``path`` regex, kept ``after`` it applied (its answer withheld) or
    before it (never applied), until ``release``."""

    method: str
    path: str
    after: bool
    taken: bool = False
    released: asyncio.Event = field(default_factory=asyncio.Event)
    #: whether a request is being held now
    holding: bool = False

    def matches(self, method: str, path: str) -> bool:
        return not self.taken and method == self.method and re.search(self.path, path) is not None


@dataclass(slots=True)
class Core:
    state: EmulatorState
    ids: SnowflakeGenerator
    token: str
    nonce_window: float
    shards: int = 1
    ack_deadline: float | None = 3.0
    message_rate: tuple[int, float] | None = None
    token_lifetime: float = 15 * 60.0
    monotonic: Callable[[], float] = time.monotonic
    base_url: str = ""
    gateway: Gateway | None = None
    interactions: dict[int, InteractionHandle] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    gateway_events: list[GatewayEvent] = field(default_factory=list)
    fault: RestFault | None = None
    faulted: int = 0
    changed: Notifier = field(default_factory=Notifier)
    #: attachment id -> its bytes (uploaded by the bot, or offered by a test user)
    files: dict[int, bytes] = field(default_factory=dict)
    #: ids of the attachments downloaded, in order
    downloads: list[int] = field(default_factory=list)
    holds: list[Hold] = field(default_factory=list)

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return self.base_url.replace("http://", "ws://", 1) + "/gateway"

    def take_fault(self, method: str, path: str) -> RestFault | None:
        fault = self.fault
        if fault is None or not fault.matches(method, path):
            return None
        if fault.count is not None:
            left = fault.count - 1
            self.fault = dataclasses.replace(fault, count=left) if left > 0 else None
        self.faulted += 1
        return fault

    def take_hold(self, method: str, path: str) -> Hold | None:
        for hold in self.holds:
            if hold.matches(method, path):
                hold.taken = True
                return hold
        return None

    async def held(self, hold: Hold) -> None:
        """Keep the request until the test releases the hold."""
        hold.holding = True
        self.changed.notify()
        try:
            await hold.released.wait()
        finally:
            hold.holding = False

    def interaction_by_token(self, token: str) -> InteractionHandle | None:
        for handle in self.interactions.values():
            if handle.token == token:
                return handle
        return None

    async def notify_messages(self) -> None:
        self.changed.notify()

    def record_gateway_event(self, event: GatewayEvent) -> None:
        self.gateway_events.append(event)
        self.changed.notify()

    async def dispatch(self, event: str, data: JSON, *, guild_id: int | None) -> None:
        if self.gateway is not None:
            await self.gateway.dispatch(event, data, guild_id=guild_id)

    async def create_message(
        self,
        *,
        channel_id: int,
        guild_id: int | None,
        author: User,
        body: JSON,
        source: MessageSource,
        flags: int = 0,
        ephemeral: bool = False,
        interaction: InteractionHandle | None = None,
        webhook_id: int | None = None,
        message_id: int | None = None,
    ) -> RecordedMessage:
        """Store a message (``webhook_id``: sent by that webhook of the bot's; ``message_id``:
        a forum post's starter message, whose id is its thread's)."""
        message_id = message_id if message_id is not None else self.ids.next()
        metadata = None
        if interaction is not None:
            metadata = {
                "id": str(interaction.id),
                "type": interaction.type,
                "user": user_payload(self.state.users[interaction.user_id]),
                "authorizing_integration_owners": {},
            }
        nonce = body.get("nonce")
        data = message_payload(
            self.state,
            message_id=message_id,
            channel_id=channel_id,
            guild_id=guild_id,
            author=author,
            body=body,
            flags=flags,
            nonce=nonce if isinstance(nonce, str | int) else None,
            webhook_id=self.state.application_id if interaction is not None else webhook_id,
            interaction=metadata,
        )
        self._apply_mentions(data, body, channel_id)
        message = RecordedMessage(
            id=message_id,
            channel_id=channel_id,
            guild_id=guild_id,
            author_id=author.id,
            data=data,
            request=dict(body),
            source=source,
            interaction_id=interaction.id if interaction is not None else None,
            ephemeral=ephemeral,
            created_at=self.monotonic(),
        )
        self.state.store_message(message)
        if not ephemeral:
            await self.dispatch("MESSAGE_CREATE", data, guild_id=guild_id)
        await self.notify_messages()
        return message

    async def edit_message(
        self, message: RecordedMessage, body: JSON, *, keep_edited: bool = False
    ) -> RecordedMessage:
        """Apply an edit (``keep_edited``: a change that is no edit, such as a crosspost's
        flag, leaves ``edited_timestamp`` and the edit count alone)."""
        data = dict(message.data)
        for key in ("content", "components", "flags", "attachments"):
            if key in body and body[key] is not None:
                data[key] = body[key]
        if "embeds" in body and body["embeds"] is not None:
            data["embeds"] = message_payload(
                self.state,
                message_id=message.id,
                channel_id=message.channel_id,
                guild_id=None,
                author=self.state.bot_user,
                body={"embeds": body["embeds"]},
            )["embeds"]
        if data.get("flags", 0) & (1 << 7):  # LOADING cleared by the first edit
            data["flags"] = int(data["flags"]) & ~(1 << 7)
        if keep_edited:
            request = message.request
        else:
            data["edited_timestamp"] = iso_now()
            request = {**message.request, **body}
        self._apply_mentions(data, request, message.channel_id)
        edits = message.edits + (0 if keep_edited else 1)
        updated = dataclasses.replace(message, data=data, request=request, edits=edits)
        self.state.store_message(updated)
        if not updated.ephemeral:
            event = dict(data)
            if message.guild_id is not None:
                event["guild_id"] = str(message.guild_id)
            await self.dispatch("MESSAGE_UPDATE", event, guild_id=message.guild_id)
        await self.notify_messages()
        return updated

    async def delete_message(self, message: RecordedMessage) -> None:
        self.state.store_message(dataclasses.replace(message, deleted=True))
        if not message.ephemeral:
            event: JSON = {"id": str(message.id), "channel_id": str(message.channel_id)}
            if message.guild_id is not None:
                event["guild_id"] = str(message.guild_id)
            await self.dispatch("MESSAGE_DELETE", event, guild_id=message.guild_id)
        await self.notify_messages()

    def _apply_mentions(self, data: JSON, body: JSON, channel_id: int) -> None:
        """Fill mention_everyone/mentions/mention_roles as Discord would for this bot."""
        found = pings(str(data.get("content") or ""), body.get("allowed_mentions"))
        where = self.state.channel(channel_id)
        can_everyone = False
        if where is not None:
            perms = channel_permissions(where[0], self.state.bot_user.id, where[1])
            can_everyone = bool(perms & MENTION_EVERYONE)
        data["mention_everyone"] = found.everyone and can_everyone
        data["mentions"] = [
            user_payload(self.state.users[u]) for u in found.users if u in self.state.users
        ]
        roles = where[0].roles if where is not None else {}
        data["mention_roles"] = [str(r) for r in found.roles if r in roles]

    def find_nonce(
        self, channel_id: int, author_id: int, nonce: str | int
    ) -> RecordedMessage | None:
        horizon = self.monotonic() - self.nonce_window
        for message in reversed(self.state.live_messages(channel_id)):
            if message.created_at < horizon:
                break
            if message.author_id == author_id and message.request.get("nonce") == nonce:
                return message
        return None
