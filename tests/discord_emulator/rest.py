"""REST v10: the routes discord.py uses, with Discord's errors, limits and rate-limit headers.

Every request is recorded (`Core.requests`), including unknown routes, which answer
404 {"message": "404: Not Found", "code": 0} so a test can notice an unemulated call.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import BodyPartReader, web

from . import validate
from .core import Core, RestFault
from .interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    AUTOCOMPLETE_RESULT,
    DEFER_MESSAGE,
    DEFER_UPDATE,
    EPHEMERAL,
    MESSAGE,
    MESSAGE_COMPONENT,
    MODAL,
    MODAL_SUBMIT,
    PING,
    PONG,
    UPDATE_MESSAGE,
    InteractionHandle,
    InteractionResponse,
)
from .payloads import (
    application_payload,
    channel_payload,
    guild_payload,
    member_payload,
    role_payload,
    user_payload,
)
from .state import (
    EMBED_LINKS,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    Channel,
    Guild,
    RecordedMessage,
    RecordedRequest,
    channel_permissions,
)

JSON = dict[str, Any]
API_PREFIX = "/api/v10"
MESSAGE_ROUTE = "POST /channels/{channel_id}/messages"
LOADING = 1 << 7
SUPPRESS_EMBEDS = 1 << 2
MESSAGE_FLAGS_ALLOWED = SUPPRESS_EMBEDS | EPHEMERAL | (1 << 12) | (1 << 15)


def json_response(
    data: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON response with Discord's exact Content-Type (discord.py compares it verbatim)."""
    body = json.dumps(data, separators=(",", ":")).encode()
    return web.Response(
        body=body, status=status, headers={**(headers or {}), "Content-Type": "application/json"}
    )


class ApiError(Exception):
    def __init__(self, status: int, code: int, message: str, errors: list[str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors

    def response(self) -> web.Response:
        body: JSON = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = {"_errors": [{"code": "INVALID", "message": e} for e in self.errors]}
        return json_response(body, status=self.status)


def invalid_form(problems: list[str]) -> ApiError:
    return ApiError(400, 50035, "Invalid Form Body", problems)


@dataclass(frozen=True, slots=True)
class Upload:
    """A file part of a multipart request (field name `files[N]`)."""

    field: str
    filename: str
    size: int
    content_type: str


@dataclass(frozen=True, slots=True)
class Call:
    """A matched request: path parameters, the parsed JSON body and uploaded file names."""

    request: web.Request
    params: dict[str, str]
    body: Any
    files: tuple[Upload, ...]

    def int_param(self, name: str) -> int:
        try:
            return int(self.params[name])
        except ValueError:
            raise ApiError(404, 0, "404: Not Found") from None

    def json_body(self) -> JSON:
        if not isinstance(self.body, dict):
            raise invalid_form(["body: expected a JSON object"])
        return self.body

    def flag(self, name: str) -> bool:
        return self.request.query.get(name, "").lower() in ("1", "true")


Handler = Callable[[Call], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    template: str
    pattern: re.Pattern[str]
    handler: Handler
    auth: bool


def _compile(template: str) -> re.Pattern[str]:
    regex = re.sub(
        r"\{(\w+)\}", r"(?P<\1>[^/]+)", re.escape(template).replace(r"\{", "{").replace(r"\}", "}")
    )
    return re.compile(f"^{regex}$")


class RestApi:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.routes: list[Route] = []
        self._windows: dict[str, tuple[float, int]] = {}
        r = self._add
        r("GET", "/users/@me", self.me)
        r("GET", "/users/{user_id}", self.get_user)
        r("GET", "/gateway", self.gateway, auth=False)
        r("GET", "/gateway/bot", self.gateway_bot)
        r("GET", "/applications/@me", self.application)
        r("GET", "/oauth2/applications/@me", self.application)
        r("GET", "/applications/{app_id}/emojis", self.no_emojis)
        for prefix in ("/applications/{app_id}", "/applications/{app_id}/guilds/{guild_id}"):
            r("GET", prefix + "/commands", self.list_commands)
            r("PUT", prefix + "/commands", self.put_commands)
            r("POST", prefix + "/commands", self.post_command)
            r("GET", prefix + "/commands/{command_id}", self.get_command)
            r("PATCH", prefix + "/commands/{command_id}", self.patch_command)
            r("DELETE", prefix + "/commands/{command_id}", self.delete_command)
        r("GET", "/applications/{app_id}/guilds/{guild_id}/commands/permissions", self.no_perms)
        r("GET", "/channels/{channel_id}", self.get_channel)
        r("GET", "/channels/{channel_id}/messages", self.list_messages)
        r("POST", "/channels/{channel_id}/messages", self.post_message)
        r("GET", "/channels/{channel_id}/messages/{message_id}", self.get_message)
        r("PATCH", "/channels/{channel_id}/messages/{message_id}", self.patch_message)
        r("DELETE", "/channels/{channel_id}/messages/{message_id}", self.delete_message)
        r("POST", "/channels/{channel_id}/typing", self.typing)
        r("GET", "/guilds/{guild_id}", self.get_guild)
        r("GET", "/guilds/{guild_id}/channels", self.guild_channels)
        r("GET", "/guilds/{guild_id}/roles", self.guild_roles)
        r("GET", "/guilds/{guild_id}/members/{user_id}", self.guild_member)
        r("POST", "/interactions/{interaction_id}/{token}/callback", self.callback, auth=False)
        r("POST", "/webhooks/{app_id}/{token}", self.followup, auth=False)
        for method, handler in (
            ("GET", self.get_webhook_message),
            ("PATCH", self.patch_webhook_message),
            ("DELETE", self.delete_webhook_message),
        ):
            r(method, "/webhooks/{app_id}/{token}/messages/{message_id}", handler, auth=False)

    def _add(self, method: str, template: str, handler: Handler, *, auth: bool = True) -> None:
        self.routes.append(Route(method, template, _compile(template), handler, auth))

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self.routes:
            if route.method != method:
                continue
            found = route.pattern.match(path)
            if found is not None:
                return route, found.groupdict()
        return None

    # ---- the single entry point ------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path[len(API_PREFIX) :] if request.path.startswith(API_PREFIX) else None
        rel = path if path is not None else request.path
        body, files, bad_body = await _read_body(request)
        matched = self.match(request.method, rel) if path is not None else None
        authorized = request.headers.get("Authorization") == f"Bot {self.core.token}"
        route_key = f"{request.method} {matched[0].template}" if matched else None
        response: web.StreamResponse
        fault = self.core.take_fault(request.method, rel) if matched else None
        if matched is None:
            response = ApiError(404, 0, "404: Not Found").response()
        elif fault is not None:
            response = _fault_response(fault, route_key or rel)
        elif matched[0].auth and not authorized:
            response = ApiError(401, 0, "401: Unauthorized").response()
        elif bad_body:
            response = ApiError(400, 50109, "The request body contains invalid JSON.").response()
        else:
            route, params = matched
            limit = self._take_rate(route_key or rel, params)
            if limit is None:
                response = await self._call(route, Call(request, params, body, files))
            else:
                fault = limit
                response = _fault_response(limit, route_key or rel)
        if fault is None:
            _rate_limit_headers(response, route_key or rel, *self._rate_state(route_key, matched))
        self.core.requests.append(
            RecordedRequest(
                method=request.method,
                path=rel,
                query=dict(request.query),
                json=body,
                status=response.status,
                route=route_key,
                authorized=authorized,
                at=time.monotonic(),
                files=tuple(f.filename for f in files),
            )
        )
        return response

    async def _call(self, route: Route, call: Call) -> web.StreamResponse:
        try:
            return await route.handler(call)
        except ApiError as exc:
            return exc.response()
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            # A body shape Discord would refuse (e.g. a string where an object belongs).
            return invalid_form([f"malformed body: {type(exc).__name__}: {exc}"]).response()

    # ---- opt-in rate limiting of channel messages -------------------------------------------
    def _rate_key(self, route_key: str | None, params: dict[str, str]) -> str | None:
        if self.core.message_rate is None or route_key != MESSAGE_ROUTE:
            return None
        return params.get("channel_id")

    def _take_rate(self, route_key: str, params: dict[str, str]) -> RestFault | None:
        """None when the request may go on; a 429 fault when the channel's window is full."""
        key = self._rate_key(route_key, params)
        if key is None or self.core.message_rate is None:
            return None
        limit, per = self.core.message_rate
        now = self.core.monotonic()
        start, count = self._windows.get(key, (now, 0))
        if now - start >= per:
            start, count = now, 0
        if count >= limit:
            self.core.rate_limited += 1
            return RestFault(status=429, retry_after=round(per - (now - start), 3), scope="user")
        self._windows[key] = (start, count + 1)
        return None

    def _rate_state(
        self, route_key: str | None, matched: tuple[Route, dict[str, str]] | None
    ) -> tuple[int, int, float]:
        key = self._rate_key(route_key, matched[1]) if matched else None
        if key is None or self.core.message_rate is None:
            return 50, 49, 1.0
        limit, per = self.core.message_rate
        start, count = self._windows.get(key, (self.core.monotonic(), 0))
        return limit, max(0, limit - count), max(0.0, per - (self.core.monotonic() - start))

    # ---- lookups ---------------------------------------------------------------------------
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

    # ---- users, gateway, application -------------------------------------------------------
    async def me(self, call: Call) -> web.Response:
        return json_response(user_payload(self.core.state.bot_user))

    async def get_user(self, call: Call) -> web.Response:
        user = self.core.state.users.get(call.int_param("user_id"))
        if user is None:
            raise ApiError(404, 10013, "Unknown User")
        return json_response(user_payload(user))

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

    async def no_emojis(self, call: Call) -> web.Response:
        return json_response({"items": []})

    async def no_perms(self, call: Call) -> web.Response:
        return json_response([])

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

    async def post_command(self, call: Call) -> web.Response:
        store, guild_id = self._command_store(call)
        body = call.json_body()
        old = next(
            (
                c
                for c in store.values()
                if c["name"] == body.get("name") and c["type"] == body.get("type", 1)
            ),
            None,
        )
        command = self._stored_command(body, guild_id, old)
        store[int(command["id"])] = command
        return json_response(command, status=200 if old else 201)

    def _command(self, call: Call) -> tuple[dict[int, JSON], JSON, int | None]:
        store, guild_id = self._command_store(call)
        command = store.get(call.int_param("command_id"))
        if command is None:
            raise ApiError(404, 10063, "Unknown application command")
        return store, command, guild_id

    async def get_command(self, call: Call) -> web.Response:
        return json_response(self._command(call)[1])

    async def patch_command(self, call: Call) -> web.Response:
        store, command, guild_id = self._command(call)
        updated = self._stored_command({**command, **call.json_body()}, guild_id, command)
        store[int(updated["id"])] = updated
        return json_response(updated)

    async def delete_command(self, call: Call) -> web.Response:
        store, command, _ = self._command(call)
        del store[int(command["id"])]
        return web.Response(status=204)

    # ---- channels and messages -------------------------------------------------------------
    async def get_channel(self, call: Call) -> web.Response:
        _, channel = self._channel(call)
        return json_response(channel_payload(channel))

    async def typing(self, call: Call) -> web.Response:
        self._channel(call, need=VIEW_CHANNEL | SEND_MESSAGES)
        return web.Response(status=204)

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
        return json_response([_fetched(m) for m in reversed(found)])

    async def get_message(self, call: Call) -> web.Response:
        _, channel = self._channel(call, need=VIEW_CHANNEL | READ_MESSAGE_HISTORY)
        return json_response(_fetched(self._message(call, channel.id)))

    async def post_message(self, call: Call) -> web.Response:
        guild, channel = self._channel(call, need=VIEW_CHANNEL | SEND_MESSAGES)
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

    async def delete_message(self, call: Call) -> web.Response:
        _, channel = self._channel(call)
        message = self._message(call, channel.id)
        await self.core.delete_message(message)
        return web.Response(status=204)

    # ---- guilds ----------------------------------------------------------------------------
    async def get_guild(self, call: Call) -> web.Response:
        return json_response(guild_payload(self._guild(call)))

    async def guild_channels(self, call: Call) -> web.Response:
        guild = self._guild(call)
        return json_response([channel_payload(c) for c in guild.channels.values()])

    async def guild_roles(self, call: Call) -> web.Response:
        guild = self._guild(call)
        return json_response([role_payload(r) for r in guild.roles.values()])

    async def guild_member(self, call: Call) -> web.Response:
        guild = self._guild(call)
        member = guild.members.get(call.int_param("user_id"))
        if member is None:
            raise ApiError(404, 10007, "Unknown Member")
        return json_response(member_payload(self.core.state, member))

    # ---- interactions ----------------------------------------------------------------------
    def _interaction(self, call: Call, key: str) -> InteractionHandle:
        age_limit = self.core.ack_deadline
        if key == "interaction_id":
            handle = self.core.interactions.get(call.int_param("interaction_id"))
            if handle is None or handle.token != call.params["token"]:
                raise ApiError(404, 10062, "Unknown interaction")
        else:
            self._check_app(call)
            found = self.core.interaction_by_token(call.params["token"])
            if found is None:
                raise ApiError(404, 10015, "Unknown Webhook")
            handle, age_limit = found, self.core.token_lifetime
        age = self.core.monotonic() - handle.created_at
        if age_limit is not None and age > age_limit:
            self._reject(handle, call, f"too late: {age:.2f}s > {age_limit}s")
            raise ApiError(404, 10062 if key == "interaction_id" else 10015, "Unknown interaction")
        return handle

    def _reject(self, handle: InteractionHandle, call: Call, reason: str) -> None:
        """Note a refused request on the handle (so a test's timeout message explains it)."""
        payload = {"reason": reason, "path": call.request.path, "body": call.body}
        handle.note(InteractionResponse(kind="rejected", payload=payload))

    async def callback(self, call: Call) -> web.StreamResponse:
        handle = self._interaction(call, "interaction_id")
        body = call.json_body()
        if handle.acknowledged:
            self._reject(handle, call, "already acknowledged")
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        kind = body.get("type")
        allowed = {
            PING: {PONG},
            APPLICATION_COMMAND: {MESSAGE, DEFER_MESSAGE, MODAL},
            MESSAGE_COMPONENT: {MESSAGE, DEFER_MESSAGE, DEFER_UPDATE, UPDATE_MESSAGE, MODAL},
            AUTOCOMPLETE: {AUTOCOMPLETE_RESULT},
            MODAL_SUBMIT: {MESSAGE, DEFER_MESSAGE, DEFER_UPDATE, UPDATE_MESSAGE},
        }[handle.type]
        if kind not in allowed:
            raise ApiError(400, 40043, f"Interaction callback type {kind} is not valid here")
        raw_data = body.get("data")
        data: JSON = dict(raw_data) if isinstance(raw_data, dict) else {}
        self._attach(data, call.files)
        flags = int(data.get("flags") or 0)
        ephemeral = bool(flags & EPHEMERAL)
        message: RecordedMessage | None = None
        if kind == MESSAGE:
            self._check_message(data, has_files=bool(call.files))
            message = await self._interaction_message(handle, data, flags, ephemeral)
            handle.original_message_id = message.id
        elif kind == DEFER_MESSAGE:
            message = await self._interaction_message(
                handle, {}, (flags & EPHEMERAL) | LOADING, ephemeral
            )
            handle.original_message_id = message.id
            handle.deferred, handle.defer_ephemeral = True, ephemeral
        elif kind == DEFER_UPDATE:
            handle.deferred = True
            handle.original_message_id = _component_message_id(handle)
        elif kind == UPDATE_MESSAGE:
            self._check_message(data, has_files=bool(call.files), edit=True)
            message = await self._update_component_message(handle, data)
            handle.original_message_id = message.id
            ephemeral = message.ephemeral
        elif kind == AUTOCOMPLETE_RESULT:
            problems = validate.choices_problems(data.get("choices"))
            if problems:
                raise invalid_form(problems)
        handle.acknowledged = True
        await handle.record(
            InteractionResponse(
                kind="callback",
                payload=body,
                callback_type=int(kind),
                message_id=message.id if message is not None else None,
                ephemeral=ephemeral,
            )
        )
        if not call.flag("with_response"):
            return web.Response(status=204)
        result: JSON = {
            "interaction": {
                "id": str(handle.id),
                "type": handle.type,
                "response_message_loading": kind == DEFER_MESSAGE,
                "response_message_ephemeral": ephemeral,
            }
        }
        if message is not None:
            result["interaction"]["response_message_id"] = str(message.id)
            result["resource"] = {
                "type": kind,
                "message": self.core.state.messages[message.id].data,
            }
        elif kind in (DEFER_UPDATE, AUTOCOMPLETE_RESULT, MODAL):
            result["resource"] = {"type": kind}
        return json_response(result)

    async def _interaction_message(
        self, handle: InteractionHandle, data: JSON, flags: int, ephemeral: bool
    ) -> RecordedMessage:
        return await self.core.create_message(
            channel_id=handle.channel_id,
            guild_id=handle.guild_id,
            author=self.core.state.bot_user,
            body=data,
            source="interaction",
            flags=flags & (MESSAGE_FLAGS_ALLOWED | LOADING),
            ephemeral=ephemeral,
            interaction=handle,
        )

    async def _update_component_message(
        self, handle: InteractionHandle, data: JSON
    ) -> RecordedMessage:
        raw = handle.payload.get("message") or {}
        message = self.core.state.messages.get(int(raw.get("id", 0)))
        if message is None or message.deleted:
            raise ApiError(404, 10008, "Unknown Message")
        return await self.core.edit_message(message, data)

    async def followup(self, call: Call) -> web.StreamResponse:
        handle = self._interaction(call, "webhook")
        if not handle.acknowledged:
            self._reject(handle, call, "follow-up before the interaction was acknowledged")
            raise ApiError(404, 10015, "Unknown Webhook")
        body = dict(call.json_body())
        self._check_message(body, has_files=bool(call.files))
        self._attach(body, call.files)
        flags = int(body.get("flags") or 0)
        original = self.core.state.messages.get(handle.original_message_id or 0)
        if original is not None and original.flags & LOADING:
            # The first follow-up after a deferral replaces the "thinking…" message.
            message = await self.core.edit_message(
                original, {**body, "flags": original.flags & ~LOADING}
            )
            ephemeral = handle.defer_ephemeral
        else:
            ephemeral = bool(flags & EPHEMERAL)
            message = await self.core.create_message(
                channel_id=handle.channel_id,
                guild_id=handle.guild_id,
                author=self.core.state.bot_user,
                body=body,
                source="followup",
                flags=flags & MESSAGE_FLAGS_ALLOWED,
                ephemeral=ephemeral,
                interaction=handle,
            )
        await handle.record(
            InteractionResponse(
                kind="followup", payload=body, message_id=message.id, ephemeral=ephemeral
            )
        )
        if call.flag("wait"):
            return json_response(message.data)
        return web.Response(status=204)

    def _webhook_message(self, call: Call) -> tuple[InteractionHandle, RecordedMessage, bool]:
        handle = self._interaction(call, "webhook")
        raw = call.params["message_id"]
        original = raw == "@original"
        message_id = handle.original_message_id if original else call.int_param("message_id")
        message = self.core.state.messages.get(message_id or 0)
        mine = message is not None and (
            message.interaction_id == handle.id or message.id == handle.original_message_id
        )
        if message is None or message.deleted or not mine:
            raise ApiError(404, 10008, "Unknown Message")
        return handle, message, original or message.id == handle.original_message_id

    async def get_webhook_message(self, call: Call) -> web.Response:
        return json_response(self._webhook_message(call)[1].data)

    async def patch_webhook_message(self, call: Call) -> web.Response:
        handle, message, original = self._webhook_message(call)
        body = dict(call.json_body())
        self._check_message(body, has_files=bool(call.files), edit=True)
        self._attach(body, call.files)
        updated = await self.core.edit_message(message, body)
        await handle.record(
            InteractionResponse(
                kind="edit_original" if original else "edit_followup",
                payload=body,
                message_id=message.id,
                ephemeral=message.ephemeral,
            )
        )
        return json_response(updated.data)

    async def delete_webhook_message(self, call: Call) -> web.Response:
        handle, message, original = self._webhook_message(call)
        await self.core.delete_message(message)
        await handle.record(
            InteractionResponse(
                kind="delete_original" if original else "delete_followup",
                payload={},
                message_id=message.id,
                ephemeral=message.ephemeral,
            )
        )
        return web.Response(status=204)


async def _read_body(request: web.Request) -> tuple[Any, tuple[Upload, ...], bool]:
    """(JSON body, uploaded files, whether the body was malformed)."""
    if not request.can_read_body:
        return None, (), False
    if request.content_type.startswith("multipart/"):
        payload: Any = None
        files: list[Upload] = []
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue  # nested multipart: Discord doesn't take it either
            name = part.name
            raw = await part.read()
            if name == "payload_json":
                try:
                    payload = json.loads(raw)
                except ValueError:
                    return None, (), True
            else:
                files.append(
                    Upload(
                        field=str(name),
                        filename=part.filename or str(name),
                        size=len(raw),
                        content_type=part.headers.get("Content-Type", "application/octet-stream"),
                    )
                )
        return payload, tuple(files), False
    text = await request.text()
    if not text:
        return None, (), False
    try:
        return json.loads(text), (), False
    except ValueError:
        return None, (), True


def _component_message_id(handle: InteractionHandle) -> int | None:
    raw = handle.payload.get("message")
    return int(raw["id"]) if isinstance(raw, dict) and "id" in raw else None


def _fetched(message: RecordedMessage) -> JSON:
    """A stored message as GET returns it: Discord does not keep the nonce."""
    return {k: v for k, v in message.data.items() if k != "nonce"}


def _bucket(route_key: str) -> str:
    return hashlib.sha256(route_key.encode()).hexdigest()[:16]


def _rate_limit_headers(
    response: web.StreamResponse, route_key: str, limit: int, remaining: int, reset_after: float
) -> None:
    now = time.time()
    response.headers.update(
        {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": f"{now + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": _bucket(route_key),
            "Via": "1.1 google",
        }
    )


def _fault_response(fault: RestFault, route_key: str) -> web.Response:
    if fault.status != 429:
        return json_response(
            {"message": f"{fault.status}: Emulated server error", "code": 0}, status=fault.status
        )
    now = time.time()
    headers = {
        "Retry-After": f"{max(1, round(fault.retry_after))}",
        "X-RateLimit-Limit": "50",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": f"{now + fault.retry_after:.3f}",
        "X-RateLimit-Reset-After": f"{fault.retry_after:.3f}",
        "X-RateLimit-Bucket": _bucket(route_key),
        "X-RateLimit-Scope": fault.scope,
        "Via": "1.1 google",
    }
    if fault.is_global:
        headers["X-RateLimit-Global"] = "true"
    body = {
        "message": "You are being rate limited.",
        "retry_after": fault.retry_after,
        "global": fault.is_global,
        "code": 0,
    }
    return json_response(body, status=429, headers=headers)
