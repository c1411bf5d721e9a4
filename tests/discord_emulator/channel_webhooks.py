"""REST for channel webhooks, as Discord does them for a bot's own (application-owned) webhooks:

- ``GET /channels/{id}/webhooks`` and ``POST /channels/{id}/webhooks`` need Manage Webhooks
  (403 50013); a name is 1-80 characters without "clyde" or "discord"; at most 15 a channel.
- ``POST /webhooks/{id}/{token}`` executes one (no bot token needed): the message is authored
  by the webhook under the ``username`` and ``avatar_url`` sent, carries ``webhook_id`` and the
  application's id; ``?wait=true`` answers with the message (else 204); ``?thread_id=`` posts in
  a thread of the webhook's channel; in a forum, ``thread_name`` (and ``applied_tags``) make a
  forum post, and one of the two is required (400 220001). A deleted webhook answers 404 10015.
- ``GET``/``PATCH /webhooks/{id}/{token}/messages/{message_id}``: only the webhook's own.

Interaction follow-ups share these paths (``/webhooks/{application_id}/{interaction token}``):
what is not a channel webhook goes to the interaction routes (webhooks.py).
"""

from __future__ import annotations

import secrets

from aiohttp import web

from .resources import Lookups, fetched
from .state import (
    FORUM_CHANNEL,
    MANAGE_WEBHOOKS,
    VIEW_CHANNEL,
    RecordedMessage,
    User,
    Webhook,
)
from .threads import ThreadRoutes
from .webhooks import InteractionRoutes
from .wire import JSON, AddRoute, ApiError, Call, invalid_form, json_response

WEBHOOKS_PER_CHANNEL = 15
NAME_MAX = 80


class WebhookRoutes(Lookups):
    def __init__(self, interactions: InteractionRoutes, threads: ThreadRoutes) -> None:
        super().__init__(interactions.core)
        self._interactions = interactions
        self._threads = threads

    def register(self, r: AddRoute) -> None:
        r("GET", "/channels/{channel_id}/webhooks", self.list_webhooks)
        r("POST", "/channels/{channel_id}/webhooks", self.create_webhook)
        r("POST", "/webhooks/{app_id}/{token}", self.execute, auth=False)
        r("GET", "/webhooks/{app_id}/{token}/messages/{message_id}", self.get_msg, auth=False)
        r("PATCH", "/webhooks/{app_id}/{token}/messages/{message_id}", self.edit_msg, auth=False)

    # ---- managing ------------------------------------------------------------------------------
    async def list_webhooks(self, call: Call) -> web.Response:
        _, channel = self._channel(call, need=VIEW_CHANNEL | MANAGE_WEBHOOKS)
        found = [w for w in self.core.state.webhooks.values() if w.channel_id == channel.id]
        return json_response([self._payload(w) for w in found])

    async def create_webhook(self, call: Call) -> web.Response:
        guild, channel = self._channel(call, need=VIEW_CHANNEL | MANAGE_WEBHOOKS)
        name = call.json_body().get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= NAME_MAX or _reserved(name):
            raise invalid_form(["name: 1-80 characters, without 'clyde' or 'discord'"])
        mine = [w for w in self.core.state.webhooks.values() if w.channel_id == channel.id]
        if len(mine) >= WEBHOOKS_PER_CHANNEL:
            raise ApiError(400, 30007, "Maximum number of webhooks reached (15)")
        webhook = Webhook(
            id=self.core.ids.next(),
            token=secrets.token_urlsafe(48),
            guild_id=guild.id,
            channel_id=channel.id,
            name=name,
            application_id=self.core.state.application_id,
            creator_id=self.core.state.bot_user.id,
        )
        self.core.state.webhooks[webhook.id] = webhook
        return json_response(self._payload(webhook))

    def _payload(self, webhook: Webhook) -> JSON:
        bot = self.core.state.bot_user
        return {
            "id": str(webhook.id),
            "type": 1,
            "guild_id": str(webhook.guild_id),
            "channel_id": str(webhook.channel_id),
            "name": webhook.name,
            "avatar": None,
            "token": webhook.token,
            "application_id": str(webhook.application_id),
            "user": {
                "id": str(bot.id),
                "username": bot.username,
                "discriminator": "0",
                "avatar": None,
                "bot": True,
                "global_name": None,
            },
        }

    # ---- executing -----------------------------------------------------------------------------
    def _webhook(self, call: Call) -> Webhook | None:
        """The channel webhook the path names (None: an interaction's follow-up path)."""
        found = self.core.state.webhooks.get(call.int_param("app_id"))
        if found is not None and secrets.compare_digest(found.token, call.params["token"]):
            return found
        if call.int_param("app_id") == self.core.state.application_id:
            return None
        raise ApiError(404, 10015, "Unknown Webhook")

    async def execute(self, call: Call) -> web.StreamResponse:
        webhook = self._webhook(call)
        if webhook is None:
            return await self._interactions.followup(call)
        found = self.core.state.channel(webhook.channel_id)
        if found is None:
            raise ApiError(404, 10003, "Unknown Channel")
        guild, channel = found
        body = dict(call.json_body())
        self._check_message(body, has_files=bool(call.files))
        self._attach(body, call.files)
        name = body.get("username") or webhook.name
        if not isinstance(name, str) or not 1 <= len(name) <= NAME_MAX or _reserved(name):
            raise invalid_form(["username: 1-80 characters, without 'clyde' or 'discord'"])
        author = User(id=webhook.id, username=name, bot=True)
        thread_id = call.request.query.get("thread_id")
        message: RecordedMessage
        if channel.type == FORUM_CHANNEL and thread_id is None:
            if not body.get("thread_name"):
                raise ApiError(
                    400,
                    220001,
                    "Webhooks posted to forum channels must have a thread_name or thread_id",
                )
            _, message = await self._threads.forum_post(
                guild,
                channel,
                body,
                body,
                author=author,
                owner_id=webhook.id,
                webhook_id=webhook.id,
                name_key="thread_name",
            )
        else:
            where = channel.id
            if thread_id is not None:
                thread = guild.threads.get(int(thread_id))
                if thread is None or thread.parent_id != channel.id:
                    raise ApiError(400, 10003, "Unknown Channel")
                where = thread.id
            message = await self.core.create_message(
                channel_id=where,
                guild_id=guild.id,
                author=author,
                body=body,
                source="webhook",
                flags=int(body.get("flags") or 0) & (1 << 2 | 1 << 12),
                webhook_id=webhook.id,
            )
        if not call.flag("wait"):
            return web.Response(status=204)
        return json_response(fetched(message))

    def _own(self, call: Call, webhook: Webhook) -> RecordedMessage:
        message = self.core.state.messages.get(call.int_param("message_id"))
        if message is None or message.deleted or message.author_id != webhook.id:
            raise ApiError(404, 10008, "Unknown Message")
        return message

    async def get_msg(self, call: Call) -> web.StreamResponse:
        webhook = self._webhook(call)
        if webhook is None:
            return await self._interactions.get_webhook_message(call)
        return json_response(fetched(self._own(call, webhook)))

    async def edit_msg(self, call: Call) -> web.StreamResponse:
        webhook = self._webhook(call)
        if webhook is None:
            return await self._interactions.patch_webhook_message(call)
        message = self._own(call, webhook)
        body = dict(call.json_body())
        self._check_message(body, has_files=bool(call.files), edit=True)
        self._attach(body, call.files)
        updated = await self.core.edit_message(message, body)
        return json_response(fetched(updated))


def _reserved(name: str) -> bool:
    lowered = name.lower()
    return "clyde" in lowered or "discord" in lowered
