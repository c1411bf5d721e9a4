"""DiscordEmulator: the aiohttp server plus the test-facing API (see the package docstring)."""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
import socket
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any

from aiohttp import web

from .core import Core, Hold, RestFault
from .gateway import PRIVILEGED_INTENTS, Gateway, GatewayEvent
from .interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMPONENT,
    InteractionHandle,
    OptionError,
    Resolver,
    build_command_data,
    find_button,
    find_command,
)
from .payloads import (
    channel_payload,
    guild_create_payload,
    interaction_channel_payload,
    iso_now,
    member_payload,
    role_payload,
)
from .rest import RestApi
from .snowflakes import SnowflakeGenerator
from .state import (
    ANNOUNCEMENT_CHANNEL,
    BOT_DEFAULT,
    EVERYONE_DEFAULT,
    FORUM_CHANNEL,
    TEXT_CHANNEL,
    Channel,
    EmulatorState,
    Guild,
    GuildSpec,
    Member,
    Overwrite,
    RecordedMessage,
    RecordedRequest,
    Role,
    User,
    Webhook,
    channel_permissions,
)

JSON = dict[str, Any]


class DiscordEmulator:
    """A loopback Discord (REST v10 + gateway) for an unmodified discord.py client."""

    def __init__(
        self,
        token: str = "emulator-token",  # noqa: S107 - a fake token for a fake Discord
        *,
        guilds: Sequence[GuildSpec] = (GuildSpec(),),
        bot_name: str = "newsdigest",
        bot_permissions: int = BOT_DEFAULT,
        shards: int = 1,
        heartbeat_interval_ms: int = 41_250,
        nonce_window: float = 300.0,
        ack_deadline: float | None = 3.0,
        message_rate: tuple[int, float] | None = None,
        privileged_intents: int = PRIVILEGED_INTENTS,
        host: str = "127.0.0.1",
    ) -> None:
        self._host = host
        ids = SnowflakeGenerator()
        bot = User(id=ids.next(), username=bot_name, bot=True)
        owner = User(id=ids.next(), username="app-owner")
        state = EmulatorState(bot_user=bot, application_id=bot.id, app_owner_id=owner.id)
        state.users[bot.id] = bot
        state.users[owner.id] = owner
        self._core = Core(
            state=state, ids=ids, token=token, nonce_window=nonce_window, shards=shards
        )
        self._core.ack_deadline = ack_deadline
        self._core.message_rate = message_rate
        self._bot_permissions = bot_permissions
        self._core.gateway = Gateway(
            state,
            token=token,
            resume_url=lambda: self._core.gateway_url,
            heartbeat_interval_ms=heartbeat_interval_ms,
            on_event=self._core.record_gateway_event,
            privileged_intents=privileged_intents,
            on_heartbeat=self._core.changed.notify,
        )
        self._rest = RestApi(self._core)
        self._runner: web.AppRunner | None = None
        self._specs = list(guilds)
        self._interaction_tasks: set[asyncio.Task[None]] = set()
        #: attachments a test user offers as slash-command options, by id
        self._offered: dict[int, JSON] = {}

    # ---- lifecycle -------------------------------------------------------------------------
    async def __aenter__(self) -> DiscordEmulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway.handle)
        app.router.add_get("/gateway/", self._gateway.handle)
        app.router.add_get("/attachments/{ident}/{name}", self._serve_attachment)
        app.router.add_route("*", "/{tail:.*}", self._rest.handle)
        self._runner = web.AppRunner(app, shutdown_timeout=2.0, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self._host, 0))
        site = web.SockSite(self._runner, sock)
        await site.start()
        self._core.base_url = f"http://{self._host}:{sock.getsockname()[1]}"
        for spec in self._specs:
            await self.add_guild(spec.name, channels=spec.channels, guild_id=spec.id)

    async def stop(self) -> None:
        self.release_holds()
        await self._gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def _gateway(self) -> Gateway:
        assert self._core.gateway is not None
        return self._core.gateway

    # ---- addresses and identities ----------------------------------------------------------
    @property
    def api_base(self) -> str:
        """REST base to put in discord.http.Route.BASE / DISCORD_API_BASE_URL."""
        return self._core.api_base

    @property
    def gateway_url(self) -> str:
        return self._core.gateway_url

    @property
    def token(self) -> str:
        return self._core.token

    @property
    def bot_user_id(self) -> int:
        return self._core.state.bot_user.id

    @property
    def application_id(self) -> int:
        return self._core.state.application_id

    @property
    def default_guild_id(self) -> int:
        if not self._core.state.guilds:
            raise LookupError("the emulator has no guild")
        return next(iter(self._core.state.guilds))

    def channel_id(self, name: str, guild_id: int | None = None) -> int:
        guild = self._guild(guild_id)
        for channel in guild.channels.values():
            if channel.name == name:
                return channel.id
        raise LookupError(f"no channel named {name!r} in guild {guild.id}")

    async def post_as(self, user_id: int, channel_id: int, content: str) -> int:
        """A message typed by a (human) member into a channel of the default guild (the bot
        sees it, as any member's message); returns its id."""
        guild = self._guild(None)
        if channel_id not in guild.channels:
            raise LookupError(f"no channel {channel_id} in guild {guild.id}")
        message = await self._core.create_message(
            channel_id=channel_id,
            guild_id=guild.id,
            author=self._core.state.users[user_id],
            body={"content": content},
            source="channel",
        )
        return message.id

    @property
    def app_owner_id(self) -> int:
        """The application's owner (``Bot.is_owner``), who also owns every emulated guild."""
        return self._core.state.app_owner_id

    def guild_owner_id(self, guild_id: int | None = None) -> int:
        return self._guild(guild_id).owner_id

    def _guild(self, guild_id: int | None) -> Guild:
        gid = self.default_guild_id if guild_id is None else guild_id
        guild = self._core.state.guilds.get(gid)
        if guild is None:
            raise LookupError(f"no guild {gid}")
        return guild

    # ---- building the world ----------------------------------------------------------------
    async def add_guild(
        self,
        name: str = "Test Guild",
        *,
        channels: Sequence[str] = ("general",),
        guild_id: int | None = None,
    ) -> int:
        """Add a guild (the bot is a member, with its bot role); returns its id."""
        core = self._core
        gid = guild_id if guild_id is not None else core.ids.next()
        owner = core.state.users[core.state.app_owner_id]  # the self-hoster owns app and server
        guild = Guild(id=gid, name=name, owner_id=owner.id)
        guild.roles[gid] = Role(id=gid, name="@everyone", permissions=EVERYONE_DEFAULT)
        bot_role = Role(
            id=core.ids.next(),
            name=core.state.bot_user.username,
            permissions=self._bot_permissions,
            position=1,
        )
        guild.roles[bot_role.id] = bot_role
        joined = iso_now()
        guild.members[owner.id] = Member(user_id=owner.id, role_ids=(), joined_at=joined)
        bot_id = core.state.bot_user.id
        guild.members[bot_id] = Member(user_id=bot_id, role_ids=(bot_role.id,), joined_at=joined)
        for position, channel_name in enumerate(channels):
            cid = core.ids.next()
            guild.channels[cid] = Channel(
                id=cid, guild_id=gid, name=channel_name, position=position
            )
        core.state.guilds[gid] = guild
        event = guild_create_payload(core.state, guild)
        del event["unavailable"]  # a join, not a guild becoming available again
        await core.dispatch("GUILD_CREATE", event, guild_id=gid)
        return gid

    async def add_text_channel(self, name: str, *, guild_id: int | None = None) -> int:
        return await self._add_channel(name, TEXT_CHANNEL, guild_id=guild_id)

    async def add_announcement_channel(self, name: str, *, guild_id: int | None = None) -> int:
        """An announcement (news) channel: its messages can be published to followers."""
        return await self._add_channel(name, ANNOUNCEMENT_CHANNEL, guild_id=guild_id)

    async def add_forum_channel(
        self, name: str, *, tags: Sequence[str] = (), guild_id: int | None = None
    ) -> int:
        """A forum channel with these tags (forum posts only, no plain messages)."""
        tagged = tuple((self._core.ids.next(), tag) for tag in tags)
        return await self._add_channel(name, FORUM_CHANNEL, guild_id=guild_id, tags=tagged)

    async def _add_channel(
        self,
        name: str,
        kind: int,
        *,
        guild_id: int | None,
        tags: tuple[tuple[int, str], ...] = (),
    ) -> int:
        guild = self._guild(guild_id)
        cid = self._core.ids.next()
        channel = Channel(
            id=cid,
            guild_id=guild.id,
            name=name,
            type=kind,
            position=len(guild.channels),
            available_tags=tags,
        )
        guild.channels[cid] = channel
        await self._core.dispatch("CHANNEL_CREATE", channel_payload(channel), guild_id=guild.id)
        return cid

    def threads(self, parent_id: int) -> list[Channel]:
        """The threads of a channel (forum posts of a forum), oldest first."""
        found = self._core.state.channel(parent_id)
        if found is None:
            raise LookupError(f"no channel {parent_id}")
        return [t for t in found[0].threads.values() if t.parent_id == parent_id]

    def tag_ids(self, forum_id: int) -> dict[str, int]:
        found = self._core.state.channel(forum_id)
        if found is None:
            raise LookupError(f"no channel {forum_id}")
        return {name: tag_id for tag_id, name in found[1].available_tags}

    def webhooks(self, channel_id: int) -> list[Webhook]:
        return [w for w in self._core.state.webhooks.values() if w.channel_id == channel_id]

    def delete_webhook(self, webhook_id: int) -> None:
        """A server admin deletes the webhook: executing it then answers 404 10015."""
        del self._core.state.webhooks[webhook_id]

    # ---- holding a request (to kill the client at that moment) ---------------------------------
    def hold(self, method: str, path: str, *, after: bool = True) -> Hold:
        """Hold the next ``method`` request whose path (after /api/v10) matches the ``path``
        regex: ``after=True`` applies it and withholds the answer, ``after=False`` never
        applies it. Wait for ``hold.holding``; ``release_holds()`` (or stopping) lets it go."""
        hold = Hold(method=method.upper(), path=path, after=after)
        self._core.holds.append(hold)
        return hold

    def release_holds(self) -> None:
        for hold in self._core.holds:
            hold.released.set()
        self._core.holds.clear()

    async def add_role(self, name: str, *, guild_id: int | None = None) -> int:
        """Create a role (no permissions) in the guild; returns its id (GUILD_ROLE_CREATE)."""
        core = self._core
        guild = self._guild(guild_id)
        role = Role(id=core.ids.next(), name=name, permissions=0, position=len(guild.roles))
        guild.roles[role.id] = role
        await core.dispatch(
            "GUILD_ROLE_CREATE",
            {"guild_id": str(guild.id), "role": role_payload(role)},
            guild_id=guild.id,
        )
        return role.id

    def offer_attachment(
        self, filename: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> int:
        """A file a user attaches to a slash-command option (pass the returned id as the
        option's value); the bot downloads it from the emulator like from Discord's CDN."""
        ident = self._core.ids.next()
        url = f"{self._core.base_url}/attachments/{ident}/{filename}"
        self._core.files[ident] = data
        self._offered[ident] = {
            "id": str(ident),
            "filename": filename,
            "content_type": content_type,
            "size": len(data),
            "url": url,
            "proxy_url": url,
        }
        return ident

    @property
    def downloads(self) -> list[int]:
        """Ids of the attachments fetched from their URLs, in order."""
        return list(self._core.downloads)

    def attachment_data(self, attachment: JSON) -> bytes:
        """The bytes of an attachment object (one the bot uploaded, or one offered)."""
        return self._core.files[int(attachment["id"])]

    async def _serve_attachment(self, request: web.Request) -> web.StreamResponse:
        try:
            ident = int(request.match_info["ident"])
            data = self._core.files[ident]
        except (KeyError, ValueError):
            return web.Response(status=404)
        self._core.downloads.append(ident)
        return web.Response(body=data, content_type="application/octet-stream")

    async def add_member(
        self,
        user_id: int | None = None,
        *,
        permissions: int = 0,
        guild_id: int | None = None,
        name: str | None = None,
    ) -> int:
        """Add a (human) member with a personal role granting `permissions` (on top of
        @everyone); returns the user id. Calling it again for a member replaces that role."""
        core = self._core
        guild = self._guild(guild_id)
        uid = user_id if user_id is not None else core.ids.next()
        user = core.state.users.get(uid) or User(id=uid, username=name or f"user{uid}")
        core.state.users[uid] = user
        roles: tuple[int, ...] = ()
        if permissions:
            role = Role(id=core.ids.next(), name=f"perms-{uid}", permissions=permissions)
            guild.roles[role.id] = role
            roles = (role.id,)
            await core.dispatch(
                "GUILD_ROLE_CREATE",
                {"guild_id": str(guild.id), "role": role_payload(role)},
                guild_id=guild.id,
            )
        old = guild.members.get(uid)
        member = Member(user_id=uid, role_ids=roles, joined_at=old.joined_at if old else iso_now())
        guild.members[uid] = member
        event = {**member_payload(core.state, member), "guild_id": str(guild.id)}
        await core.dispatch(
            "GUILD_MEMBER_UPDATE" if old else "GUILD_MEMBER_ADD", event, guild_id=guild.id
        )
        return uid

    async def set_channel_overwrite(
        self, channel_id: int, target_id: int, *, allow: int = 0, deny: int = 0, member: bool = True
    ) -> None:
        """Set a permission overwrite on a channel for a member (or a role with member=False)."""
        found = self._core.state.channel(channel_id)
        if found is None:
            raise LookupError(f"no channel {channel_id}")
        guild, channel = found
        kind = 1 if member else 0
        kept = tuple(o for o in channel.overwrites if (o.type, o.id) != (kind, target_id))
        updated = dataclasses.replace(
            channel, overwrites=(*kept, Overwrite(target_id, kind, allow, deny))
        )
        guild.channels[channel_id] = updated
        await self._core.dispatch("CHANNEL_UPDATE", channel_payload(updated), guild_id=guild.id)

    async def restrict_bot(self, channel_id: int, *, deny: int, allow: int = 0) -> None:
        """Deny the bot permissions in one channel (e.g. SEND_MESSAGES -> REST 403 50013)."""
        await self.set_channel_overwrite(channel_id, self.bot_user_id, allow=allow, deny=deny)

    async def delete_channel(self, channel_id: int) -> None:
        """Delete a channel (CHANNEL_DELETE); REST calls on it then answer 404 10003."""
        found = self._core.state.channel(channel_id)
        if found is None:
            raise LookupError(f"no channel {channel_id}")
        guild, channel = found
        del guild.channels[channel_id]
        await self._core.dispatch("CHANNEL_DELETE", channel_payload(channel), guild_id=guild.id)

    # ---- recordings ------------------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        """Every REST request received, in order."""
        return list(self._core.requests)

    @property
    def unknown_requests(self) -> list[RecordedRequest]:
        return [r for r in self._core.requests if r.route is None]

    @property
    def gateway_events(self) -> list[GatewayEvent]:
        return list(self._core.gateway_events)

    def messages(self, channel_id: int, *, source: str | None = "channel") -> list[RecordedMessage]:
        """Visible messages of a channel, oldest first. By default only those the bot posted
        with POST /channels/{id}/messages; source=None adds (non-ephemeral) interaction answers."""
        found = self._core.state.live_messages(channel_id)
        return [m for m in found if source is None or m.source == source]

    def all_messages(self) -> list[RecordedMessage]:
        """Every message ever stored (including deleted and ephemeral ones), by id."""
        return list(self._core.state.messages.values())  # ids only grow: insertion order

    @property
    def message_count(self) -> int:
        """How many messages were ever stored (cheap, for waits in benchmarks)."""
        return len(self._core.state.messages)

    def message(self, message_id: int) -> RecordedMessage:
        return self._core.state.messages[message_id]

    async def wait_for_messages(
        self, channel_id: int, count: int, timeout: float = 10.0, *, source: str | None = "channel"
    ) -> list[RecordedMessage]:
        """Wait (event-driven) until the channel has at least `count` messages; returns them."""
        await self.wait_until(
            lambda: len(self.messages(channel_id, source=source)) >= count,
            timeout,
            what=f"{count} messages in channel {channel_id}",
        )
        return self.messages(channel_id, source=source)

    async def wait_until(
        self, predicate: Callable[[], bool], timeout: float = 10.0, *, what: str = "condition"
    ) -> None:
        """Wait until `predicate()` holds; re-checked on every message change and gateway event."""
        await self._core.changed.wait_for(predicate, timeout, what)

    def commands(self, guild_id: int | None = None) -> list[JSON]:
        """The commands the bot synced: global ones, or those of a guild."""
        if guild_id is None:
            return list(self._core.state.global_commands.values())
        return list(self._core.state.guild_commands.get(guild_id, {}).values())

    # ---- gateway ---------------------------------------------------------------------------
    def connected(self) -> bool:
        return bool(self._gateway.live_sessions())

    async def wait_connected(self, timeout: float = 10.0, *, sessions: int = 1) -> None:
        """Wait until `sessions` gateway sessions are identified/resumed and live."""
        await self._core.changed.wait_for(
            lambda: len(self._gateway.live_sessions()) >= sessions,
            timeout,
            "a live gateway session",
        )

    async def drop_gateway(
        self,
        *,
        refuse_for: float = 0.0,
        code: int = 4000,
        invalidate: bool = False,
        abrupt: bool = False,
    ) -> int:
        """Close every gateway socket with a resumable `code` and refuse new connections (HTTP 503
        at the handshake) for `refuse_for` seconds.
        With invalidate=True the sessions can't be resumed (the bot must IDENTIFY again); with
        abrupt=True the TCP connections are aborted without a close frame (a network failure)."""
        self._gateway.refuse(refuse_for)
        return await self._gateway.drop(code=code, invalidate=invalidate, abrupt=abrupt)

    @property
    def max_heartbeat_gap(self) -> float:
        """Longest gap (s) between two heartbeats on one socket; a "heartbeat-late" gateway event
        is recorded when a gap exceeds 1.5 intervals (the client's event loop was blocked)."""
        return self._gateway.max_heartbeat_gap

    async def dispatch(self, event: str, data: JSON, *, guild_id: int | None = None) -> None:
        """Send an arbitrary DISPATCH event to the bot."""
        await self._core.dispatch(event, data, guild_id=guild_id)

    # ---- REST faults -----------------------------------------------------------------------
    def set_rest_fault(
        self,
        status: int | None,
        *,
        retry_after: float = 1.0,
        scope: str = "user",
        is_global: bool = False,
        count: int | None = None,
        path: str | None = None,
        methods: Sequence[str] | None = None,
    ) -> None:
        """Answer REST requests with `status` (500-class, or 429 with retry_after); None clears.
        `count` faults only that many requests; `path` is a regex on the path after /api/v10."""
        if status is None:
            self._core.fault = None
            return
        self._core.fault = RestFault(
            status=status,
            retry_after=retry_after,
            scope=scope,
            is_global=is_global,
            count=count,
            path=path,
            methods=frozenset(m.upper() for m in methods) if methods else None,
        )

    @property
    def ack_deadline(self) -> float | None:
        """Seconds the bot has for an interaction's first callback (Discord: 3); None: no limit."""
        return self._core.ack_deadline

    @ack_deadline.setter
    def ack_deadline(self, seconds: float | None) -> None:
        self._core.ack_deadline = seconds

    @property
    def faulted_requests(self) -> int:
        """Requests answered by an injected fault (set_rest_fault)."""
        return self._core.faulted

    # ---- interactions ----------------------------------------------------------------------
    def _resolver(self, guild: Guild, user_id: int) -> Resolver:
        def channel(cid: int) -> JSON | None:
            found = guild.channels.get(cid)
            if found is None:
                return None
            data = interaction_channel_payload(guild, found, user_id)
            return {
                k: data[k]
                for k in (
                    "id",
                    "type",
                    "name",
                    "permissions",
                    "guild_id",
                    "parent_id",
                    "nsfw",
                    "position",
                    "topic",
                    "flags",
                    "rate_limit_per_user",
                    "last_message_id",
                )
            }

        def role(rid: int) -> JSON | None:
            found = guild.roles.get(rid)
            return role_payload(found) if found else None

        def attachment(ident: int) -> JSON | None:
            return self._offered.get(ident)

        return Resolver(channel=channel, role=role, attachment=attachment)

    def _base_interaction(
        self, kind: int, guild_id: int, channel_id: int, user_id: int
    ) -> tuple[InteractionHandle, JSON]:
        core = self._core
        guild = self._guild(guild_id)
        channel = guild.channels.get(channel_id)
        if channel is None:
            raise LookupError(f"no channel {channel_id} in guild {guild.id}")
        member = guild.members.get(user_id)
        if member is None:
            raise LookupError(
                f"user {user_id} is not a member of guild {guild.id}; add_member() first"
            )
        iid, token = core.ids.next(), f"aW50ZXJhY3Rpb24{secrets.token_urlsafe(48)}"
        member_data = member_payload(core.state, member)
        member_data["permissions"] = str(channel_permissions(guild, user_id, channel))
        payload: JSON = {
            "id": str(iid),
            "application_id": str(core.state.application_id),
            "type": kind,
            "token": token,
            "version": 1,
            "guild_id": str(guild.id),
            "guild": {"id": str(guild.id), "locale": "en-US", "features": []},
            "channel_id": str(channel.id),
            "channel": interaction_channel_payload(guild, channel, user_id),
            "member": member_data,
            "app_permissions": str(channel_permissions(guild, core.state.bot_user.id, channel)),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild.id)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        handle = InteractionHandle(
            id=iid,
            token=token,
            type=kind,
            guild_id=guild.id,
            channel_id=channel.id,
            user_id=user_id,
            payload=payload,
        )
        return handle, payload

    def _command(self, guild_id: int, name: str) -> JSON:
        state = self._core.state
        command = find_command(state.guild_commands.get(guild_id, {}), name) or find_command(
            state.global_commands, name
        )
        if command is None:
            raise LookupError(
                f"the bot has not synced a /{name} command (global or guild {guild_id})"
            )
        return command

    async def _send(self, handle: InteractionHandle) -> InteractionHandle:
        if not self._gateway.sessions:
            raise RuntimeError("no bot has identified on the gateway yet")
        handle.created_at = self._core.monotonic()
        self._core.interactions[handle.id] = handle
        await self._core.dispatch("INTERACTION_CREATE", handle.payload, guild_id=handle.guild_id)
        return handle

    async def send_slash_command(
        self,
        guild_id: int | None,
        channel_id: int,
        user_id: int,
        name: str,
        subcommand: str | None = None,
        options: Mapping[str, Any] | None = None,
        *,
        group: str | None = None,
        check_permissions: bool = True,
    ) -> InteractionHandle:
        """A member runs /name [group] [subcommand] with options (values as Python values;
        channels/users/roles by id). Raises OptionError when Discord's client would refuse, and
        PermissionError when default_member_permissions hides the command from the member
        (check_permissions=False: the server's admins overrode the command's permissions)."""
        gid = self._guild(guild_id).id
        handle, payload = self._base_interaction(APPLICATION_COMMAND, gid, channel_id, user_id)
        command = self._command(gid, name)
        if check_permissions:
            self._check_default_permissions(command, payload)
        payload["data"] = build_command_data(
            command,
            group=group,
            subcommand=subcommand,
            options=dict(options or {}),
            resolver=self._resolver(self._guild(gid), user_id),
        )
        return await self._send(handle)

    def _check_default_permissions(self, command: JSON, payload: JSON) -> None:
        """Discord hides a command from members lacking its default_member_permissions."""
        required = command.get("default_member_permissions")
        if required is None:
            return
        have = int(payload["member"]["permissions"])
        if int(required) & have != int(required):
            raise PermissionError(
                f"/{command['name']} needs permissions {required}; the member has {have}"
            )

    async def send_slash_command_unchecked(
        self, guild_id: int | None, channel_id: int, user_id: int, data: JSON
    ) -> InteractionHandle:
        """Send an APPLICATION_COMMAND with a hand-written `data` (e.g. a member whose server
        overrides let them see a command despite default_member_permissions)."""
        gid = self._guild(guild_id).id
        handle, payload = self._base_interaction(APPLICATION_COMMAND, gid, channel_id, user_id)
        payload["data"] = data
        return await self._send(handle)

    def command_data(
        self,
        guild_id: int | None,
        user_id: int,
        name: str,
        subcommand: str | None = None,
        options: Mapping[str, Any] | None = None,
        *,
        group: str | None = None,
    ) -> JSON:
        """The interaction `data` Discord would build (without the permission check)."""
        gid = self._guild(guild_id).id
        return build_command_data(
            self._command(gid, name),
            group=group,
            subcommand=subcommand,
            options=dict(options or {}),
            resolver=self._resolver(self._guild(gid), user_id),
        )

    async def autocomplete(
        self,
        guild_id: int | None,
        channel_id: int,
        user_id: int,
        name: str,
        subcommand: str | None = None,
        options: Mapping[str, Any] | None = None,
        *,
        focused: str,
        group: str | None = None,
        timeout: float = 10.0,
    ) -> list[JSON]:
        """A member types into option `focused`; returns the choices the bot answered."""
        gid = self._guild(guild_id).id
        handle, payload = self._base_interaction(AUTOCOMPLETE, gid, channel_id, user_id)
        payload["data"] = build_command_data(
            self._command(gid, name),
            group=group,
            subcommand=subcommand,
            options=dict(options or {}),
            resolver=self._resolver(self._guild(gid), user_id),
            focused=focused,
        )
        await self._send(handle)
        await handle.wait_responses(1, timeout)
        choices = handle.choices
        if choices is None:
            raise AssertionError(
                f"autocomplete answered with {handle.responses[0].callback_type}, not 8"
            )
        return choices

    async def click_button(
        self, channel_id: int, message_id: int, custom_id: str, user_id: int
    ) -> InteractionHandle:
        """A member clicks the button `custom_id` on a message the bot posted."""
        message = self._core.state.messages.get(message_id)
        if message is None or message.deleted or message.channel_id != channel_id:
            raise LookupError(f"no message {message_id} in channel {channel_id}")
        component = find_button(message.components, custom_id)
        if component is None:
            raise LookupError(f"message {message_id} has no component {custom_id!r}")
        if component.get("disabled"):
            raise OptionError(f"button {custom_id!r} is disabled")
        gid = message.guild_id if message.guild_id is not None else self.default_guild_id
        handle, payload = self._base_interaction(MESSAGE_COMPONENT, gid, channel_id, user_id)
        payload["message"] = message.data
        payload["data"] = {"custom_id": custom_id, "component_type": int(component.get("type", 2))}
        return await self._send(handle)

    async def choose_option(
        self, channel_id: int, message_id: int, custom_id: str, values: list[str], user_id: int
    ) -> InteractionHandle:
        """A member picks ``values`` in the select menu ``custom_id`` of a message the bot
        posted (each value must be one of the menu's options)."""
        message = self._core.state.messages.get(message_id)
        if message is None or message.deleted or message.channel_id != channel_id:
            raise LookupError(f"no message {message_id} in channel {channel_id}")
        menu = find_button(message.components, custom_id)
        if menu is None or menu.get("type") != 3:
            raise LookupError(f"message {message_id} has no select menu {custom_id!r}")
        offered = {str(o.get("value")) for o in menu.get("options") or []}
        if not values or not set(values) <= offered:
            raise OptionError(f"values {values!r} are not options of {custom_id!r}")
        gid = message.guild_id if message.guild_id is not None else self.default_guild_id
        handle, payload = self._base_interaction(MESSAGE_COMPONENT, gid, channel_id, user_id)
        payload["message"] = message.data
        payload["data"] = {"custom_id": custom_id, "component_type": 3, "values": list(values)}
        return await self._send(handle)

    async def click_forged_button(
        self, channel_id: int, message_id: int, custom_id: str, user_id: int
    ) -> InteractionHandle:
        """A forged button click: any ``custom_id`` on a message the bot posted, sent with that
        message as if it carried such a button (discord.py ignores clicks on buttons the message
        lacks). The bot must not trust the id: it may name any story number."""
        message = self._core.state.messages.get(message_id)
        if message is None or message.deleted or message.channel_id != channel_id:
            raise LookupError(f"no message {message_id} in channel {channel_id}")
        gid = message.guild_id if message.guild_id is not None else self.default_guild_id
        handle, payload = self._base_interaction(MESSAGE_COMPONENT, gid, channel_id, user_id)
        button = {"type": 2, "style": 2, "label": "Details", "custom_id": custom_id}
        payload["message"] = {**message.data, "components": [{"type": 1, "components": [button]}]}
        payload["data"] = {"custom_id": custom_id, "component_type": 2}
        return await self._send(handle)


__all__ = ["DiscordEmulator", "OptionError"]
