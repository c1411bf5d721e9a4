"""A loopback Discord (REST v10 + gateway websocket) for tests of the unmodified discord.py client.

Start it inside the test's event loop; it listens on 127.0.0.1 on a random port::

    async with DiscordEmulator(token="t0ken", guilds=[GuildSpec("Guild", ("general",))]) as emu:
        emu.api_base        # http://127.0.0.1:PORT/api/v10  -> discord.http.Route.BASE
        emu.gateway_url     # ws://127.0.0.1:PORT/gateway    (GET /gateway[/bot] returns it too)

discord.py reads REST URLs from ``discord.http.Route.BASE`` and connects first (and after a
non-resumable disconnect) to ``DiscordWebSocket.DEFAULT_GATEWAY``; AutoShardedClient asks
GET /gateway/bot instead, and resumes go to READY's ``resume_gateway_url``. Patch both class
attributes for a test (``tests/bot/emulator_client.py: discord_endpoints``).

World
    ``emu.default_guild_id``, ``emu.channel_id("general")``,
    ``emu.bot_user_id``, ``emu.application_id``, ``emu.app_owner_id`` (the application's owner,
    for ``is_owner`` checks; also the owner of every guild), ``emu.guild_owner_id()``;
    ``await emu.add_guild(name, channels=(...))`` -> guild id (GUILD_CREATE sent);
    ``await emu.add_text_channel(name, guild_id=None)`` -> channel id (CHANNEL_CREATE);
    ``await emu.add_announcement_channel(name)``, ``await emu.add_forum_channel(name, tags=(...))``
    (``emu.tag_ids(forum)`` maps tag names to ids); ``emu.threads(channel_id)`` lists a channel's
    threads (a forum's posts; a thread's messages are ``emu.messages(thread.id)``);
    ``emu.webhooks(channel_id)`` the bot's webhooks there, ``emu.delete_webhook(id)``;
    ``await emu.add_member(user_id=None, permissions=0, guild_id=None)`` -> user id (a personal role
    with ``permissions`` on top of @everyone, which has view/send/history/embed/app-commands but
    not Manage Channels); ``await emu.restrict_bot(channel_id, deny=SEND_MESSAGES)`` and
    ``set_channel_overwrite(...)``. Permission bits are
    in ``tests.discord_emulator.state`` (MANAGE_CHANNELS, SEND_MESSAGES, ...).

Interactions (options are built from the command tree the bot synced; values are Python values,
channels/users/roles by id; ``OptionError`` when Discord's client would refuse them and
``PermissionError`` when default_member_permissions hides the command from that member; pass
``check_permissions=False`` to model a server whose admins overrode the command's permissions)
    ``h = await emu.send_slash_command(guild_id, channel_id, user_id, name="feed",
    subcommand="add", options={"url": u, "backfill": 2}, group=None)`` -> ``InteractionHandle``;
    ``r = await h.wait_response(timeout=10)`` -> ``InteractionResult`` with ``deferred``,
    ``ephemeral`` (the user-visible answer's, so a deferral's flag applies to its follow-up),
    ``content``, ``embeds``, ``components``, ``allowed_mentions``, ``flags``, ``text``,
    ``responses`` (every callback/follow-up/edit as ``InteractionResponse``);
    ``await h.wait_responses(n)`` for more than one;
    ``rid = await emu.add_role("alerts")`` (a role to pass as a role option or to ping);
    ``aid = emu.offer_attachment("feeds.opml", data, content_type)`` (pass ``aid`` as an
    attachment option's value; the bot downloads it from ``/attachments/{aid}/{name}`` like from
    Discord's CDN; ``emu.downloads`` lists what was fetched); ``emu.attachment_data(obj)`` is the
    bytes of an attachment object, also of files the bot uploaded (``answer.payload``);
    ``choices = await emu.autocomplete(guild_id, channel_id, user_id, "feed", "remove",
    {"feed": "exa"}, focused="feed")``;
    ``h = await emu.click_button(channel_id, message_id, custom_id, user_id)``;
    ``h = await emu.choose_option(channel_id, message_id, custom_id, ["42"], user_id)``;
    ``emu.send_slash_command_unchecked(guild_id, channel_id, user_id, data)`` for hand-built data.

Constructor options: ``token``, ``guilds`` (``GuildSpec(name, channels, id=None)``; default one
guild with #general), ``bot_name``, ``bot_permissions``, ``shards`` (what GET /gateway/bot says),
``heartbeat_interval_ms``, ``nonce_window`` (s), ``ack_deadline`` (Discord's 3 s for the first
callback; None disables; also settable as ``emu.ack_deadline``; a late callback gets 404 10062
and a ``rejected`` response on the handle), ``message_rate=(limit, seconds)`` (opt-in per-channel limit on POST messages with real
headers and 429s), ``privileged_intents`` (bits the "developer
portal" enabled; others close 4014).

Recordings
    ``emu.messages(channel_id)`` -> ``RecordedMessage`` list (oldest first) of messages the bot posted
    with POST /channels/{id}/messages (``source=None`` adds non-ephemeral interaction answers);
    each has ``data`` (the Discord message object), ``request`` (the JSON the bot sent:
    ``allowed_mentions``, ``nonce``, ``enforce_nonce``), ``content``, ``embeds``, ``components``;
    ``await emu.wait_for_messages(channel_id, count, timeout)`` and ``await emu.wait_until(pred)``
    (woken by every message change, no fixed sleeps); ``emu.requests`` (every REST request:
    method, path after /api/v10, query, json, status, route, authorized); ``emu.unknown_requests``;
    ``emu.commands(guild_id=None)``; ``emu.gateway_events`` (connect/identify/resume/disconnect/
    drop/refused/invalid-session/bad-token/disallowed-intents/heartbeat-late);
    ``emu.max_heartbeat_gap`` (with a small ``heartbeat_interval_ms`` it shows a blocked loop); ``emu.all_messages()``,
    ``emu.message_count``, ``emu.message(id)``. ``RecordedMessage.pings`` is who the message would
    notify under Discord's mention rules, worst case (falsy when nobody); the stored message object
    also has Discord's ``mention_everyone``/``mentions``/``mention_roles``. Fetched messages
    (GET) carry no ``nonce``, as on Discord; the recording keeps it.

Faults
    ``hold = emu.hold("POST", path_regex, after=True)`` holds the next matching request after it
    applied (its answer withheld) or, with ``after=False``, before (never applied); wait for
    ``hold.holding`` (e.g. to kill -9 the client there), then ``emu.release_holds()``.
    ``emu.set_rest_fault(500)`` / ``emu.set_rest_fault(429, retry_after=0.5, scope="shared",
    is_global=False, count=None, path=None, methods=None)``; ``emu.set_rest_fault(None)`` clears.
    ``await emu.drop_gateway(refuse_for=2.0, code=4000, invalidate=False)`` closes every socket and
    answers handshakes with 503 for that long; ``await emu.wait_connected()``;
    ``drop_gateway(abrupt=True)`` aborts the TCP connections (no close frame);
    ``await emu.delete_channel(id)`` (then 404 10003); ``await emu.dispatch(event, data)`` sends
    any gateway event.

Standalone: ``python -m tests.discord_emulator --channels general,news`` prints the addresses as
one JSON line and serves until interrupted (to try ``newsdigest run`` by hand).

Discord behaviour emulated: token checks (REST 401; gateway close 4004), zlib-stream compression
(one compressobj per socket, Z_SYNC_FLUSH), sequence numbers and RESUME replay, INVALID_SESSION,
message limits (2000 content, 10 embeds, 4096/256/1024/6000, 5x5 components)
as 400 code 50035, empty messages 50006, Missing Access 50001 / Missing Permissions 50013,
``enforce_nonce`` de-duplication within ``nonce_window`` seconds, interaction acknowledgement
rules (40060), deferral -> first follow-up replaces the loading message, rate-limit headers; threads on a
message (thread id = message id, 160004 the second time), forum posts (thread + starter message,
tags), crossposts in announcement channels (40033 the second time), the bot's channel webhooks
(Manage Webhooks, ``wait``, ``thread_id``, ``thread_name``, 10015 once deleted); see threads.py and
channel_webhooks.py. Messages a webhook sent are recorded with ``source="webhook"``.
Only the REST routes discord.py calls for this bot are served; any other answers 404 code 0 and
is listed in ``emu.unknown_requests``, so a new call shows up at once.
"""

from .interactions import InteractionHandle, InteractionResponse, InteractionResult, OptionError
from .server import DiscordEmulator
from .state import GuildSpec, RecordedMessage, RecordedRequest

__all__ = [
    "DiscordEmulator",
    "GuildSpec",
    "InteractionHandle",
    "InteractionResponse",
    "InteractionResult",
    "OptionError",
    "RecordedMessage",
    "RecordedRequest",
]
