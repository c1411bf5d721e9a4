"""REST resources: the bot user, gateway, application, commands, channels, messages, guild
channels: what discord.py calls for this bot (others answer 404, see rest.py)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from . import validate
from .core import Core
from .interactions import EPHEMERAL
from .payloads import (
    application_payload,
    channel_payload,
    user_payload,
)
from .state import (
    EMBED_LINKS,
    FORUM_CHANNEL,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    VIEW_CHANNEL,
    Channel,
    Guild,
    RecordedMessage,
    channel_permissions,
)
from .wire import JSON, AddRoute, ApiError, Call, Upload, invalid_form, json_response

LOADING = 1 << 7
SUPPRESS_EMBEDS = 1 << 2
MESSAGE_FLAGS_ALLOWED = SUPPRESS_EMBEDS | EPHEMERAL | (1 << 12) | (1 << 15)


class Lookups:
    """Lookups and message rules shared by the REST handlers."""

    def __init__(self, core: Core) -> None:
        self.core = core

    def _guild(self, call: Call) -> Guild:
        guild = self.core.state.guilds.get(call.int_param("guild_id"))
        if guild is None:
            raise ApiError(404, 10004, "Unknown Guild")
        return guild

    def _channel(self, call: Call, *, need: int = VIEW_CHANNEL) -> tuple[Guild, Channel]:
        found = self.core.state.channel(call.int_param("channel_id"))
        if found is None:
            raise ApiError(404, 10003, "Unknown Channel")
        guild, channel = found
        perms = channel_permissions(guild, self.core.state.bot_user.id, channel)
        if not perms & VIEW_CHANNEL:
            raise ApiError(403, 50001, "Missing Access")
        if perms & need != need:
            raise ApiError(403, 50013, "Missing Permissions")
        return guild, channel

    def _message(self, call: Call, channel_id: int) -> RecordedMessage:
        message = self.core.state.messages.get(call.int_param("message_id"))
        if message is None or message.channel_id != channel_id or message.deleted:
            raise ApiError(404, 10008, "Unknown Message")
        if message.ephemeral:
            raise ApiError(404, 10008, "Unknown Message")
        return message

    def _check_app(self, call: Call) -> None:
        if call.int_param("app_id") != self.core.state.application_id:
            raise ApiError(403, 50001, "Missing Access")

    def _attach(self, body: JSON, uploads: tuple[Upload, ...]) -> None:
        """Turn `attachments` + uploaded `files[N]` parts into Discord attachment objects."""
        by_field = {u.field: u for u in uploads}
        out: list[JSON] = []
        for item in body.get("attachments") or []:
            upload = by_field.pop(f"files[{item.get('id')}]", None)
            if upload is None:
                out.append(item)  # an existing attachment kept on edit
                continue
            out.append(self._attachment(upload, item.get("description")))
        out += [self._attachment(u, None) for u in by_field.values()]
        if out:
            body["attachments"] = out

    def _attachment(self, upload: Upload, description: Any) -> JSON:
        ident = self.core.ids.next()
        url = f"{self.core.base_url}/attachments/{ident}/{upload.filename}"
        self.core.files[ident] = upload.data
        return {
            "id": str(ident),
            "filename": upload.filename,
            "description": description,
            "content_type": upload.content_type,
            "size": upload.size,
            "url": url,
            "proxy_url": url,
        }

    def _check_message(self, body: JSON, *, has_files: bool, edit: bool = False) -> None:
        problems = validate.message_problems(body, has_files=has_files, edit=edit)
        if problems:
            raise invalid_form(problems)
        if not edit and validate.is_empty_message(body, has_files=has_files):
            raise ApiError(400, 50006, "Cannot send an empty message")


class Resources(Lookups):
    def register(self, r: AddRoute) -> None:
        r("GET", "/users/@me", self.me)
        r("GET", "/gateway", self.gateway, auth=False)
        r("GET", "/gateway/bot", self.gateway_bot)
        r("GET", "/applications/@me", self.application)
        r("GET", "/oauth2/applications/@me", self.application)
        for prefix in ("/applications/{app_id}", "/applications/{app_id}/guilds/{guild_id}"):
            r("GET", prefix + "/commands", self.list_commands)
            r("PUT", prefix + "/commands", self.put_commands)
        r("GET", "/channels/{channel_id}", self.get_channel)
        r("GET", "/channels/{channel_id}/messages", self.list_messages)
        r("POST", "/channels/{channel_id}/messages", self.post_message)
        r("GET", "/channels/{channel_id}/messages/{message_id}", self.get_message)
        # live posts are edited to name more outlets ("Also covered by")
        r("PATCH", "/channels/{channel_id}/messages/{message_id}", self.patch_message)
        r("GET", "/guilds/{guild_id}/channels", self.guild_channels)

    # ---- users, gateway, application -------------------------------------------------------
    async def me(self, call: Call) -> web.Response:
        return json_response(user_payload(self.core.state.bot_user))

    async def gateway(self, call: Call) -> web.Response:
        return json_response({"url": self.core.gateway_url})

    async def gateway_bot(self, call: Call) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1}
        shards = max(1, int(self.core.shards))
        return json_response(
            {"url": self.core.gateway_url, "shards": shards, "session_start_limit": limit}
        )

    async def application(self, call: Call) -> web.Response:
        return json_response(application_payload(self.core.state))

    # ---- application commands --------------------------------------------------------------
    def _command_store(self, call: Call) -> tuple[dict[int, JSON], int | None]:
        self._check_app(call)
        if "guild_id" not in call.params:
            return self.core.state.global_commands, None
        guild = self._guild(call)
        return self.core.state.guild_commands.setdefault(guild.id, {}), guild.id

    def _stored_command(self, body: JSON, guild_id: int | None, old: JSON | None) -> JSON:
        problems = validate.command_problems(body)
        if problems:
            raise invalid_form(problems)
        command = {
            "type": 1,
            "description": "",
            "options": [],
            "default_member_permissions": None,
            "nsfw": False,
            "name_localizations": None,
            "description_localizations": None,
            "contexts": None,
            "integration_types": [0],
            **body,
        }
        if command["default_member_permissions"] is not None:
            command["default_member_permissions"] = str(int(command["default_member_permissions"]))
        command["id"] = old["id"] if old else str(self.core.ids.next())
        command["application_id"] = str(self.core.state.application_id)
        command["version"] = str(self.core.ids.next())
        if guild_id is not None:
            command["guild_id"] = str(guild_id)
        else:
            command.pop("guild_id", None)
            command.setdefault("dm_permission", True)
        return command

    async def list_commands(self, call: Call) -> web.Response:
        store, _ = self._command_store(call)
        return json_response(list(store.values()))

    async def put_commands(self, call: Call) -> web.Response:
        store, guild_id = self._command_store(call)
        if not isinstance(call.body, list):
            raise invalid_form(["body: expected an array of commands"])
        if len(call.body) > 100:
            raise invalid_form(["at most 100 commands"])
        keys = [(c.get("name"), int(c.get("type", 1))) for c in call.body]
        if len(keys) != len(set(keys)):
            raise invalid_form(["APPLICATION_COMMANDS_DUPLICATE_NAME"])
        by_key = {(c["name"], int(c.get("type", 1))): c for c in store.values()}
        new = [
            self._stored_command(
                body, guild_id, by_key.get((body.get("name"), int(body.get("type", 1))))
            )
            for body in call.body
        ]
        store.clear()
        store.update({int(c["id"]): c for c in new})
        return json_response(new)

    # ---- channels and messages -------------------------------------------------------------
    async def get_channel(self, call: Call) -> web.Response:
        _, channel = self._channel(call)
        return json_response(channel_payload(channel))

    async def list_messages(self, call: Call) -> web.Response:
        _, channel = self._channel(call, need=VIEW_CHANNEL | READ_MESSAGE_HISTORY)
        query = call.request.query
        try:
            limit = int(query.get("limit", "50"))
            before = int(query["before"]) if "before" in query else None
            after = int(query["after"]) if "after" in query else None
            around = int(query["around"]) if "around" in query else None
        except ValueError:
            raise invalid_form(["limit/before/after/around: must be integers"]) from None
        if not 1 <= limit <= 100:
            raise invalid_form(["limit: must be 1-100"])
        found = self.core.state.live_messages(channel.id)  # oldest first
        if before is not None:
            found = [m for m in found if m.id < before][-limit:]
        elif after is not None:
            found = [m for m in found if m.id > after][:limit]
        elif around is not None:
            older = [m for m in found if m.id < around][-(limit // 2) :] if limit > 1 else []
            newer = [m for m in found if m.id >= around][: limit - len(older)]
            found = older + newer
        else:
            found = found[-limit:]
        return json_response([fetched(m) for m in reversed(found)])

    async def get_message(self, call: Call) -> web.Response:
        _, channel = self._channel(call, need=VIEW_CHANNEL | READ_MESSAGE_HISTORY)
        return json_response(fetched(self._message(call, channel.id)))

    async def patch_message(self, call: Call) -> web.Response:
        _, channel = self._channel(call)
        message = self._message(call, channel.id)
        if message.author_id != self.core.state.bot_user.id:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        body = dict(call.json_body())
        self._check_message(body, has_files=bool(call.files), edit=True)
        self._attach(body, call.files)
        updated = await self.core.edit_message(message, body)
        return json_response(updated.data)

    async def post_message(self, call: Call) -> web.Response:
        found = self.core.state.channel(call.int_param("channel_id"))
        in_thread = found is not None and found[1].is_thread
        send = SEND_MESSAGES_IN_THREADS if in_thread else SEND_MESSAGES
        guild, channel = self._channel(call, need=VIEW_CHANNEL | send)
        if channel.type == FORUM_CHANNEL:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        body = dict(call.json_body())
        bot = self.core.state.bot_user
        self._check_message(body, has_files=bool(call.files))
        nonce = body.get("nonce")
        if body.get("enforce_nonce") and isinstance(nonce, str | int):
            existing = self.core.find_nonce(channel.id, bot.id, nonce)
            if existing is not None:
                return json_response(existing.data)
        self._attach(body, call.files)
        perms = channel_permissions(guild, bot.id, channel)
        if not perms & EMBED_LINKS:
            body["embeds"] = []  # Discord drops embeds silently without Embed Links
        flags = int(body.get("flags") or 0) & MESSAGE_FLAGS_ALLOWED & ~EPHEMERAL
        message = await self.core.create_message(
            channel_id=channel.id,
            guild_id=guild.id,
            author=bot,
            body=body,
            source="channel",
            flags=flags,
        )
        return json_response(message.data)

    # ---- guilds ----------------------------------------------------------------------------
    async def guild_channels(self, call: Call) -> web.Response:
        guild = self._guild(call)
        return json_response([channel_payload(c) for c in guild.channels.values()])


def fetched(message: RecordedMessage) -> JSON:
    """A stored message as GET returns it: Discord does not keep the nonce."""
    return {k: v for k, v in message.data.items() if k != "nonce"}
