"""REST for interactions: the callback, follow-ups and edits of @original / follow-ups."""

from __future__ import annotations

from aiohttp import web

from . import validate
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
from .resources import LOADING, MESSAGE_FLAGS_ALLOWED, Lookups
from .state import RecordedMessage
from .wire import JSON, AddRoute, ApiError, Call, invalid_form, json_response


class InteractionRoutes(Lookups):
    def register(self, r: AddRoute) -> None:
        r("POST", "/interactions/{interaction_id}/{token}/callback", self.callback, auth=False)
        r("POST", "/webhooks/{app_id}/{token}", self.followup, auth=False)
        for method, handler in (
            ("GET", self.get_webhook_message),
            ("PATCH", self.patch_webhook_message),
            ("DELETE", self.delete_webhook_message),
        ):
            r(method, "/webhooks/{app_id}/{token}/messages/{message_id}", handler, auth=False)

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


def _component_message_id(handle: InteractionHandle) -> int | None:
    raw = handle.payload.get("message")
    return int(raw["id"]) if isinstance(raw, dict) and "id" in raw else None
