"""The emulator's world: users, guilds, roles, channels, members, messages and permission math.

Records are frozen slotted dataclasses; a change replaces the record in its container. Only the
containers (`Guild`, `EmulatorState`) are mutable, and they belong to one emulator instance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from .mentions import Pings, pings

JSON = dict[str, Any]

# Permission bits (https://discord.com/developers/docs/topics/permissions).
CREATE_INSTANT_INVITE = 1 << 0
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
USE_APPLICATION_COMMANDS = 1 << 31
MANAGE_WEBHOOKS = 1 << 29
CREATE_PUBLIC_THREADS = 1 << 35
SEND_MESSAGES_IN_THREADS = 1 << 38
ALL_PERMISSIONS = (1 << 51) - 1

EVERYONE_DEFAULT = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | READ_MESSAGE_HISTORY
    | EMBED_LINKS
    | ATTACH_FILES
    | ADD_REACTIONS
    | USE_EXTERNAL_EMOJIS
    | USE_APPLICATION_COMMANDS
    | CREATE_INSTANT_INVITE
)
BOT_DEFAULT = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | READ_MESSAGE_HISTORY
    | EMBED_LINKS
    | ATTACH_FILES
    | ADD_REACTIONS
    | USE_EXTERNAL_EMOJIS
    | SEND_MESSAGES_IN_THREADS
    | CREATE_PUBLIC_THREADS
)

TEXT_CHANNEL = 0
CATEGORY_CHANNEL = 4
ANNOUNCEMENT_CHANNEL = 5
ANNOUNCEMENT_THREAD = 10
PUBLIC_THREAD = 11
FORUM_CHANNEL = 15
THREAD_TYPES = frozenset({ANNOUNCEMENT_THREAD, PUBLIC_THREAD})

MessageSource = Literal["channel", "interaction", "followup", "webhook"]


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    bot: bool = False
    global_name: str | None = None


@dataclass(frozen=True, slots=True)
class Role:
    id: int
    name: str
    permissions: int
    position: int = 0


@dataclass(frozen=True, slots=True)
class Overwrite:
    """A channel permission overwrite; type 0 = role, 1 = member."""

    id: int
    type: int
    allow: int = 0
    deny: int = 0


@dataclass(frozen=True, slots=True)
class Channel:
    id: int
    guild_id: int
    name: str
    type: int = TEXT_CHANNEL
    position: int = 0
    topic: str | None = None
    overwrites: tuple[Overwrite, ...] = ()
    #: a thread's channel (or forum)
    parent_id: int | None = None
    #: a forum's tags (id, name); a forum post's chosen tag ids
    available_tags: tuple[tuple[int, str], ...] = ()
    applied_tags: tuple[int, ...] = ()
    #: who created a thread (the bot, or a webhook for a webhook's forum post)
    owner_id: int | None = None

    @property
    def is_thread(self) -> bool:
        return self.type in THREAD_TYPES


@dataclass(frozen=True, slots=True)
class Webhook:
    """An incoming webhook of a channel, created by the bot (so application-owned)."""

    id: int
    token: str
    guild_id: int
    channel_id: int
    name: str
    application_id: int
    creator_id: int


@dataclass(frozen=True, slots=True)
class Member:
    user_id: int
    role_ids: tuple[int, ...]
    joined_at: str
    nick: str | None = None


@dataclass(frozen=True, slots=True)
class GuildSpec:
    """How a test describes a guild up front. Ids are generated when left out."""

    name: str = "Test Guild"
    channels: tuple[str, ...] = ("general",)
    id: int | None = None


@dataclass(slots=True)
class Guild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    #: threads (of text and announcement channels, and forum posts), by id
    threads: dict[int, Channel] = field(default_factory=dict)

    @property
    def everyone(self) -> Role:
        return self.roles[self.id]


@dataclass(frozen=True, slots=True)
class RecordedMessage:
    """A message as the emulator stores it.

    `data` is the Discord message object the API returns; `request` is the JSON body the bot sent
    (the last one, for edited messages), which carries request-only fields such as
    `allowed_mentions` and `enforce_nonce`.
    """

    id: int
    channel_id: int
    guild_id: int | None
    author_id: int
    data: JSON
    request: JSON
    source: MessageSource = "channel"
    interaction_id: int | None = None
    ephemeral: bool = False
    created_at: float = 0.0
    deleted: bool = False
    edits: int = 0

    @property
    def content(self) -> str:
        return str(self.data.get("content", ""))

    @property
    def embeds(self) -> list[JSON]:
        return list(self.data.get("embeds", []))

    @property
    def components(self) -> list[JSON]:
        return list(self.data.get("components", []))

    @property
    def flags(self) -> int:
        return int(self.data.get("flags", 0))

    @property
    def nonce(self) -> str | int | None:
        value = self.request.get("nonce")
        return value if isinstance(value, str | int) else None

    @property
    def allowed_mentions(self) -> JSON | None:
        value = self.request.get("allowed_mentions")
        return value if isinstance(value, dict) else None

    @property
    def pings(self) -> Pings:
        """Who this message would notify, worst case (see mentions.py); falsy when nobody."""
        reply = bool(self.request.get("message_reference"))
        return pings(self.content, self.request.get("allowed_mentions"), is_reply=reply)


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One REST request as received: `path` is relative to /api/v10 (e.g. /channels/1/messages)."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    status: int
    route: str | None
    authorized: bool
    at: float
    files: tuple[str, ...] = ()


def _apply(perms: int, allow: int, deny: int) -> int:
    return (perms & ~deny) | allow


def base_permissions(guild: Guild, user_id: int) -> int:
    """Guild-level permissions of a member (owner and Administrator get everything)."""
    if user_id == guild.owner_id:
        return ALL_PERMISSIONS
    member = guild.members.get(user_id)
    perms = guild.everyone.permissions
    if member is not None:
        for role_id in member.role_ids:
            role = guild.roles.get(role_id)
            if role is not None:
                perms |= role.permissions
    if perms & ADMINISTRATOR:
        return ALL_PERMISSIONS
    return perms


def channel_permissions(guild: Guild, user_id: int, channel: Channel) -> int:
    """Permissions of a member in a channel, with overwrites applied as Discord does (a
    thread's are its parent channel's)."""
    if channel.is_thread and channel.parent_id in guild.channels:
        channel = guild.channels[channel.parent_id]
    perms = base_permissions(guild, user_id)
    if perms == ALL_PERMISSIONS:
        return perms
    member = guild.members.get(user_id)
    roles = set(member.role_ids) if member is not None else set()
    by_id = {(o.type, o.id): o for o in channel.overwrites}
    everyone = by_id.get((0, guild.id))
    if everyone is not None:
        perms = _apply(perms, everyone.allow, everyone.deny)
    allow = deny = 0
    for overwrite in channel.overwrites:
        if overwrite.type == 0 and overwrite.id in roles:
            allow |= overwrite.allow
            deny |= overwrite.deny
    perms = _apply(perms, allow, deny)
    own = by_id.get((1, user_id))
    if own is not None:
        perms = _apply(perms, own.allow, own.deny)
    if not perms & VIEW_CHANNEL:
        return 0
    if not perms & SEND_MESSAGES:
        perms &= ~(MENTION_EVERYONE | EMBED_LINKS | ATTACH_FILES)
    return perms


@dataclass(slots=True)
class EmulatorState:
    """Everything the emulator knows. One per emulator instance."""

    bot_user: User
    application_id: int
    app_owner_id: int = 0
    users: dict[int, User] = field(default_factory=dict)
    guilds: dict[int, Guild] = field(default_factory=dict)
    messages: dict[int, RecordedMessage] = field(default_factory=dict)
    channel_messages: dict[int, list[int]] = field(default_factory=dict)
    global_commands: dict[int, JSON] = field(default_factory=dict)
    guild_commands: dict[int, dict[int, JSON]] = field(default_factory=dict)
    webhooks: dict[int, Webhook] = field(default_factory=dict)

    def channel(self, channel_id: int) -> tuple[Guild, Channel] | None:
        """A guild channel or thread by id."""
        for guild in self.guilds.values():
            found = guild.channels.get(channel_id) or guild.threads.get(channel_id)
            if found is not None:
                return guild, found
        return None

    def store_message(self, message: RecordedMessage) -> None:
        if message.id not in self.messages:
            self.channel_messages.setdefault(message.channel_id, []).append(message.id)
        self.messages[message.id] = message

    def live_messages(self, channel_id: int) -> list[RecordedMessage]:
        """Visible (non-ephemeral, not deleted) messages of a channel, oldest first."""
        ids = self.channel_messages.get(channel_id, [])
        found = (self.messages[i] for i in ids)
        return [m for m in found if not m.deleted and not m.ephemeral]
