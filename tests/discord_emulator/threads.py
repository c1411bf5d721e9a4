"""REST for threads, forum posts and announcement channels, as Discord does them:

- ``POST /channels/{id}/messages/{message_id}/threads`` starts a thread on a message (the
  thread's id is the message's; a second start answers 400 160004), in a text channel (type 11)
  or an announcement channel (type 10); Create Public Threads needed.
- ``POST /channels/{id}/threads`` in a forum creates a post: a thread and its starter message at
  once (the message's id is the thread's), with ``applied_tags`` (at most 5, each one of the
  forum's); in a text channel, a thread without a message.
- ``POST /channels/{id}/messages/{message_id}/crosspost`` publishes an announcement channel's
  message to following servers: one's own message needs Send Messages, another's Manage
  Messages; a second crosspost answers 400 40033.
- ``GET /guilds/{id}/threads/active`` and ``GET /channels/{id}/threads/archived/public``.
"""

from __future__ import annotations

import dataclasses

from aiohttp import web

from .payloads import thread_payload
from .resources import Lookups, fetched
from .state import (
    ANNOUNCEMENT_CHANNEL,
    ANNOUNCEMENT_THREAD,
    CREATE_PUBLIC_THREADS,
    FORUM_CHANNEL,
    MANAGE_MESSAGES,
    PUBLIC_THREAD,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    TEXT_CHANNEL,
    VIEW_CHANNEL,
    Channel,
    Guild,
    RecordedMessage,
    User,
)
from .wire import JSON, AddRoute, ApiError, Call, invalid_form, json_response

CROSSPOSTED = 1 << 0
HAS_THREAD = 1 << 5
MAX_APPLIED_TAGS = 5
THREAD_NAME_MAX = 100


class ThreadRoutes(Lookups):
    def register(self, r: AddRoute) -> None:
        r("POST", "/channels/{channel_id}/messages/{message_id}/threads", self.thread_on_message)
        r("POST", "/channels/{channel_id}/threads", self.thread_in_channel)
        r("POST", "/channels/{channel_id}/messages/{message_id}/crosspost", self.crosspost)
        r("GET", "/guilds/{guild_id}/threads/active", self.active_threads)
        r("GET", "/channels/{channel_id}/threads/archived/public", self.archived_threads)

    async def thread_on_message(self, call: Call) -> web.Response:
        guild, channel = self._channel(call, need=VIEW_CHANNEL | CREATE_PUBLIC_THREADS)
        if channel.type not in (TEXT_CHANNEL, ANNOUNCEMENT_CHANNEL):
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        message = self._message(call, channel.id)
        if message.id in guild.threads:
            raise ApiError(400, 160004, "A thread has already been created for this message")
        body = call.json_body()
        kind = ANNOUNCEMENT_THREAD if channel.type == ANNOUNCEMENT_CHANNEL else PUBLIC_THREAD
        thread = await self.open_thread(
            guild, channel, message.id, thread_name(body), kind, self.core.state.bot_user.id
        )
        data = dict(message.data)
        data["flags"] = int(data.get("flags", 0)) | HAS_THREAD
        data["thread"] = thread_payload(thread)
        self.core.state.store_message(dataclasses.replace(message, data=data))
        await self.core.notify_messages()
        return json_response(thread_payload(thread), status=201)

    async def thread_in_channel(self, call: Call) -> web.Response:
        guild, channel = self._channel(call, need=VIEW_CHANNEL | SEND_MESSAGES)
        body = call.json_body()
        if channel.type != FORUM_CHANNEL:
            if channel.type not in (TEXT_CHANNEL, ANNOUNCEMENT_CHANNEL):
                raise ApiError(400, 50024, "Cannot execute action on this channel type")
            thread_id = self.core.ids.next()
            thread = await self.open_thread(
                guild, channel, thread_id, thread_name(body), PUBLIC_THREAD, self.bot.id
            )
            return json_response(thread_payload(thread), status=201)
        first = body.get("message")
        if not isinstance(first, dict):
            raise invalid_form(["message: a forum post needs its first message"])
        starter = dict(first)
        self._check_message(starter, has_files=bool(call.files))
        self._attach(starter, call.files)
        thread, message = await self.forum_post(
            guild, channel, body, starter, author=self.bot, owner_id=self.bot.id
        )
        return json_response({**thread_payload(thread), "message": message.data}, status=201)

    @property
    def bot(self) -> User:
        return self.core.state.bot_user

    async def forum_post(
        self,
        guild: Guild,
        forum: Channel,
        body: JSON,
        starter: JSON,
        *,
        author: User,
        owner_id: int,
        webhook_id: int | None = None,
        name_key: str = "name",
        tags_key: str = "applied_tags",
    ) -> tuple[Channel, RecordedMessage]:
        """A forum post: the thread (tagged) and its starter message, whose id is the thread's."""
        name = str(body.get(name_key) or "")
        tags = tuple(int(t) for t in body.get(tags_key) or [])
        known = {tag_id for tag_id, _ in forum.available_tags}
        if len(tags) > MAX_APPLIED_TAGS or not set(tags) <= known:
            raise invalid_form([f"{tags_key}: at most 5 of the forum's own tags"])
        thread_id = self.core.ids.next()
        thread = await self.open_thread(
            guild,
            forum,
            thread_id,
            thread_name({"name": name}),
            PUBLIC_THREAD,
            owner_id,
            tags=tags,
        )
        message = await self.core.create_message(
            channel_id=thread.id,
            guild_id=guild.id,
            author=author,
            body=starter,
            source="webhook" if webhook_id is not None else "channel",
            webhook_id=webhook_id,
            message_id=thread_id,
        )
        return thread, message

    async def open_thread(
        self,
        guild: Guild,
        parent: Channel,
        thread_id: int,
        name: str,
        kind: int,
        owner_id: int,
        *,
        tags: tuple[int, ...] = (),
    ) -> Channel:
        thread = Channel(
            id=thread_id,
            guild_id=guild.id,
            name=name,
            type=kind,
            parent_id=parent.id,
            owner_id=owner_id,
            applied_tags=tags,
        )
        guild.threads[thread.id] = thread
        await self.core.dispatch(
            "THREAD_CREATE", {**thread_payload(thread), "newly_created": True}, guild_id=guild.id
        )
        return thread

    async def crosspost(self, call: Call) -> web.Response:
        _, channel = self._channel(call)
        if channel.type != ANNOUNCEMENT_CHANNEL:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        message = self._message(call, channel.id)
        own = message.author_id == self.bot.id
        self._channel(call, need=VIEW_CHANNEL | (SEND_MESSAGES if own else MANAGE_MESSAGES))
        if message.flags & CROSSPOSTED:
            raise ApiError(400, 40033, "This message has already been crossposted.")
        updated = await self.core.edit_message(
            message, {"flags": message.flags | CROSSPOSTED}, keep_edited=True
        )
        return json_response(fetched(updated))

    async def active_threads(self, call: Call) -> web.Response:
        guild = self._guild(call)
        threads = [thread_payload(t) for t in guild.threads.values()]
        return json_response({"threads": threads, "members": []})

    async def archived_threads(self, call: Call) -> web.Response:
        self._channel(call, need=VIEW_CHANNEL | READ_MESSAGE_HISTORY)
        return json_response({"threads": [], "members": [], "has_more": False})


def thread_name(body: JSON) -> str:
    name = body.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= THREAD_NAME_MAX:
        raise invalid_form(["name: a thread's name is 1-100 characters"])
    return name
