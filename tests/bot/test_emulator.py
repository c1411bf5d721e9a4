"""The unmodified discord.py client works against the loopback Discord emulator.

A minimal bot defined here connects (AutoShardedBot: GET /gateway/bot, zlib-stream), syncs its
commands, answers slash commands and button clicks, posts messages, survives gateway drops and
REST faults; every assertion is on what the emulator recorded or on the real client's state.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import sys
import time
import zlib
from collections.abc import AsyncIterator, Iterator

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.bot.emulator_client import discord_endpoints, running_client
from tests.discord_emulator import DiscordEmulator, GuildSpec, OptionError, validate
from tests.discord_emulator.interactions import Resolver, build_command_data
from tests.discord_emulator.state import MANAGE_CHANNELS, SEND_MESSAGES

TOKEN = "emulator-test-token"
QUOTES_ID = "story:quotes"


class QuotesView(discord.ui.View):
    """A persistent view: works for messages posted before the bot (re)started."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Quotes", custom_id=QUOTES_ID, style=discord.ButtonStyle.primary)
    async def quotes(
        self, interaction: discord.Interaction, button: discord.ui.Button[QuotesView]
    ) -> None:
        await interaction.response.send_message(
            f"quotes for {interaction.message.id if interaction.message else 0}", ephemeral=True
        )


class EditView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Edit", custom_id="edit:later")
    async def later(
        self, interaction: discord.Interaction, button: discord.ui.Button[EditView]
    ) -> None:
        await interaction.response.defer()  # DEFERRED_UPDATE_MESSAGE (6)
        await interaction.edit_original_response(content="edited later")

    @discord.ui.button(label="Update", custom_id="edit:now")
    async def now(
        self, interaction: discord.Interaction, button: discord.ui.Button[EditView]
    ) -> None:
        await interaction.response.edit_message(content="updated now")  # UPDATE_MESSAGE (7)


class MiniBot(commands.AutoShardedBot):
    def __init__(self, guild_id: int) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents.default(),
            guild_ready_timeout=0.05,
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self.guild_id = guild_id
        self.seen_messages: asyncio.Queue[discord.Message] = asyncio.Queue()
        self.synced: list[app_commands.AppCommand] = []

    async def setup_hook(self) -> None:
        self.add_view(QuotesView())
        self.add_view(EditView())
        self.tree.add_command(build_feed_group())
        self.tree.add_command(post_command)
        self.tree.add_command(slow_command)
        guild = discord.Object(self.guild_id)
        self.tree.copy_global_to(guild=guild)
        self.synced = await self.tree.sync(guild=guild)

    async def on_message(self, message: discord.Message) -> None:
        await self.seen_messages.put(message)


def build_feed_group() -> app_commands.Group:
    group = app_commands.Group(
        name="feed",
        description="Manage feeds",
        default_permissions=discord.Permissions(manage_channels=True),
    )

    @group.command(name="add", description="Subscribe a channel to a feed")
    @app_commands.describe(url="Feed URL", channel="Where to post", backfill="Stories to post now")
    async def add(
        interaction: discord.Interaction,
        url: str,
        channel: discord.TextChannel | None = None,
        backfill: app_commands.Range[int, 0, 5] = 0,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        target = channel or interaction.channel
        assert isinstance(target, discord.TextChannel)
        await interaction.followup.send(
            f"added {url} to #{target.name} backfill={backfill}", ephemeral=True
        )

    @group.command(name="remove", description="Unsubscribe")
    async def remove(interaction: discord.Interaction, feed: str) -> None:
        await interaction.response.send_message(f"removed {feed}", ephemeral=True)

    @remove.autocomplete("feed")
    async def feed_choices(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        feeds = ["https://example.com/a.xml", "https://example.org/b.xml", "https://news.test/c"]
        return [app_commands.Choice(name=f, value=f) for f in feeds if current in f]

    return group


@app_commands.command(name="post", description="Post text to this channel")
async def post_command(interaction: discord.Interaction, text: str) -> None:
    channel = interaction.channel
    assert isinstance(channel, discord.TextChannel)
    message = await channel.send(
        text,
        allowed_mentions=discord.AllowedMentions.none(),
        view=QuotesView(),
        nonce=f"n{interaction.id % 10**9}",
    )
    await interaction.response.send_message(f"posted {message.id}")


@app_commands.command(name="block", description="Blocks the event loop (a bug under test)")
async def block_command(interaction: discord.Interaction, seconds: float) -> None:
    time.sleep(seconds)  # the blocking call the heartbeat check must reveal
    await interaction.response.send_message("unblocked")


@app_commands.command(name="slow", description="Answers too late (no deferral)")
async def slow_command(interaction: discord.Interaction, seconds: float) -> None:
    await asyncio.sleep(seconds)  # the bot's own slow work, not a test waiting on a schedule
    with contextlib.suppress(discord.NotFound):
        await interaction.response.send_message("finally")


@pytest.fixture(autouse=True)
def _restore_discord_endpoints() -> Iterator[None]:
    """Whatever a test does, discord.py's class-level endpoints are restored afterwards."""
    with discord_endpoints(
        discord.http.Route.BASE, str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    ):
        yield


@pytest.fixture
async def emu() -> AsyncIterator[DiscordEmulator]:
    async with DiscordEmulator(
        token=TOKEN, guilds=[GuildSpec("Guild", ("general", "news"))]
    ) as emulator:
        yield emulator


@pytest.fixture
async def bot(emu: DiscordEmulator) -> AsyncIterator[MiniBot]:
    client = MiniBot(emu.default_guild_id)
    async with running_client(emu, client):
        yield client


async def test_connects_with_zlib_and_syncs_commands(emu: DiscordEmulator, bot: MiniBot) -> None:
    guild = bot.get_guild(emu.default_guild_id)
    assert guild is not None and guild.me is not None
    assert {c.name for c in guild.text_channels} == {"general", "news"}
    assert bot.user is not None and bot.user.id == emu.bot_user_id
    connects = [e for e in emu.gateway_events if e.kind == "connect"]
    assert connects and connects[0].detail == "compress=zlib-stream"
    assert [e.kind for e in emu.gateway_events].count("identify") == 1
    routes = {r.route for r in emu.requests}
    assert {
        "GET /users/@me",
        "GET /gateway/bot",
        "PUT /applications/{app_id}/guilds/{guild_id}/commands",
    } <= routes
    assert emu.unknown_requests == []
    synced = {c["name"]: c for c in emu.commands(emu.default_guild_id)}
    assert set(synced) == {"feed", "post", "slow"}
    assert synced["feed"]["default_member_permissions"] == str(MANAGE_CHANNELS)
    assert {c.name for c in bot.synced} == {"feed", "post", "slow"}
    assert all(c.id == int(synced[c.name]["id"]) for c in bot.synced)


async def test_slash_command_deferred_then_ephemeral_followup(
    emu: DiscordEmulator, bot: MiniBot
) -> None:
    admin = await emu.add_member(permissions=MANAGE_CHANNELS)
    general, news = emu.channel_id("general"), emu.channel_id("news")
    handle = await emu.send_slash_command(
        emu.default_guild_id,
        general,
        admin,
        name="feed",
        subcommand="add",
        options={"url": "https://example.com/feed.xml", "channel": news, "backfill": 2},
    )
    result = await handle.wait_response(timeout=10)
    assert result.deferred
    assert result.ephemeral
    assert result.content == "added https://example.com/feed.xml to #news backfill=2"
    sent = handle.payload["data"]
    assert sent["options"][0]["type"] == 1 and sent["options"][0]["name"] == "add"
    assert [o["type"] for o in sent["options"][0]["options"]] == [3, 7, 4]
    assert sent["resolved"]["channels"][str(news)]["name"] == "news"
    assert emu.messages(general, source=None) == []  # nothing visible in the channel


async def test_member_without_manage_channels_cannot_see_management_command(
    emu: DiscordEmulator, bot: MiniBot
) -> None:
    member = await emu.add_member()
    with pytest.raises(PermissionError):
        await emu.send_slash_command(
            emu.default_guild_id,
            emu.channel_id("general"),
            member,
            "feed",
            "add",
            {"url": "https://x.test/"},
        )
    overridden = await emu.send_slash_command(
        emu.default_guild_id,
        emu.channel_id("general"),
        member,
        "feed",
        "add",
        {"url": "https://x.test/"},
        check_permissions=False,
    )
    assert (await overridden.wait_response(timeout=10)).content.startswith("added")  # type: ignore[union-attr]
    assert int(overridden.payload["member"]["permissions"]) & MANAGE_CHANNELS == 0
    with pytest.raises(OptionError):
        await emu.send_slash_command(
            emu.default_guild_id,
            emu.channel_id("general"),
            emu.guild_owner_id(),
            "feed",
            "add",
            {"url": "https://x.test/", "backfill": 9},
        )


async def test_autocomplete_returns_the_bots_choices(emu: DiscordEmulator, bot: MiniBot) -> None:
    admin = await emu.add_member(permissions=MANAGE_CHANNELS)
    choices = await emu.autocomplete(
        emu.default_guild_id,
        emu.channel_id("general"),
        admin,
        "feed",
        "remove",
        {"feed": "example"},
        focused="feed",
    )
    assert [c["value"] for c in choices] == [
        "https://example.com/a.xml",
        "https://example.org/b.xml",
    ]


async def test_channel_message_without_mentions_reaches_the_gateway(
    emu: DiscordEmulator, bot: MiniBot
) -> None:
    member = await emu.add_member()
    general = emu.channel_id("general")
    handle = await emu.send_slash_command(
        emu.default_guild_id, general, member, "post", options={"text": "@everyone hi"}
    )
    answer = await handle.wait_response(timeout=10)
    assert not answer.deferred and not answer.ephemeral
    [posted] = await emu.wait_for_messages(general, 1, timeout=10)
    assert answer.content == f"posted {posted.id}"
    assert posted.content == "@everyone hi"
    assert posted.allowed_mentions == {"parse": []}
    assert posted.request["enforce_nonce"] is True and posted.nonce is not None
    assert posted.components[0]["components"][0]["custom_id"] == QUOTES_ID
    seen = await asyncio.wait_for(bot.seen_messages.get(), 10)  # MESSAGE_CREATE over the gateway
    assert seen.id == posted.id and seen.content == "@everyone hi"


async def test_enforced_nonce_returns_the_existing_message(
    emu: DiscordEmulator, bot: MiniBot
) -> None:
    channel = bot.get_channel(emu.channel_id("news"))
    assert isinstance(channel, discord.TextChannel)
    first = await channel.send("story 1", nonce="story-1")
    again = await channel.send("story 1", nonce="story-1")
    other = await channel.send("story 2", nonce="story-2")
    assert again.id == first.id != other.id
    assert [m.content for m in emu.messages(channel.id)] == ["story 1", "story 2"]
    history = [m.id async for m in channel.history(limit=10)]
    assert history == [other.id, first.id]


async def test_button_click_reaches_a_persistent_view_after_restart(emu: DiscordEmulator) -> None:
    general = emu.channel_id("general")
    member = await emu.add_member()
    async with running_client(
        emu, MiniBot(emu.default_guild_id), set_default_gateway=False
    ) as first:
        channel = first.get_channel(general)
        assert isinstance(channel, discord.TextChannel)
        posted = await channel.send("story", view=QuotesView())
    async with running_client(emu, MiniBot(emu.default_guild_id), set_default_gateway=False):
        handle = await emu.click_button(general, posted.id, QUOTES_ID, member)
        answer = await handle.wait_response(timeout=10)
    assert answer.ephemeral and answer.content == f"quotes for {posted.id}"
    assert [e.kind for e in emu.gateway_events].count("identify") == 2


async def test_resume_after_gateway_drop_replays_missed_events(
    emu: DiscordEmulator, bot: MiniBot
) -> None:
    admin = await emu.add_member(permissions=MANAGE_CHANNELS)
    dropped = await emu.drop_gateway(code=4000)
    assert dropped == 1
    # Sent before the bot is back: buffered in the session and replayed on RESUME.
    handle = await emu.send_slash_command(
        emu.default_guild_id, emu.channel_id("general"), admin, "feed", "remove", {"feed": "x"}
    )
    answer = await handle.wait_response(timeout=15)
    assert answer.content == "removed x"
    kinds = [e.kind for e in emu.gateway_events]
    assert "resume" in kinds and kinds.count("identify") == 1
    resume = next(e for e in emu.gateway_events if e.kind == "resume")
    assert resume.detail.startswith("replayed=") and resume.detail != "replayed=0"


@pytest.mark.slow  # discord.py waits 5 s before any non-initial IDENTIFY
async def test_invalidated_session_identifies_again(emu: DiscordEmulator) -> None:
    client = MiniBot(emu.default_guild_id)
    async with running_client(emu, client):  # DEFAULT_GATEWAY too: a re-IDENTIFY goes there
        await emu.drop_gateway(invalidate=True)
        await emu.wait_until(
            lambda: [e.kind for e in emu.gateway_events].count("identify") == 2,
            timeout=15,
            what="re-identify",
        )
    kinds = [e.kind for e in emu.gateway_events]
    assert "invalid-session" in kinds


async def test_rest_faults_are_retried_by_discord_py(emu: DiscordEmulator, bot: MiniBot) -> None:
    channel = bot.get_channel(emu.channel_id("general"))
    assert isinstance(channel, discord.TextChannel)
    emu.set_rest_fault(429, retry_after=0.05, count=2, path=r"^/channels/\d+/messages$")
    sent = await channel.send("after 429s")
    statuses = [r.status for r in emu.requests if r.path == f"/channels/{channel.id}/messages"]
    assert statuses == [429, 429, 200]
    assert [m.id for m in emu.messages(channel.id)] == [sent.id]
    emu.set_rest_fault(500, count=1, path=r"^/channels/\d+/messages$")
    await channel.send("after a 500")
    statuses = [r.status for r in emu.requests if r.path == f"/channels/{channel.id}/messages"]
    assert statuses[-2:] == [500, 200]


async def test_missing_send_permission_is_403_50013(emu: DiscordEmulator, bot: MiniBot) -> None:
    news = emu.channel_id("news")
    await emu.restrict_bot(news, deny=SEND_MESSAGES)
    channel = bot.get_channel(news)
    assert isinstance(channel, discord.TextChannel)
    await emu.wait_until(lambda: True)  # CHANNEL_UPDATE is processed in order before our next call
    with pytest.raises(discord.Forbidden) as caught:
        await channel.send("nope")
    assert caught.value.code == 50013
    assert emu.messages(news) == []


async def test_message_limits_are_enforced_like_discord(emu: DiscordEmulator, bot: MiniBot) -> None:
    channel = bot.get_channel(emu.channel_id("general"))
    assert isinstance(channel, discord.TextChannel)
    with pytest.raises(discord.HTTPException) as caught:
        await channel.send(embed=discord.Embed(description="x" * 4097))
    assert caught.value.status == 400 and caught.value.code == 50035
    with pytest.raises(discord.HTTPException):
        await channel.send("y" * 2001)
    assert emu.messages(channel.id) == []


async def test_bad_token_fails_cleanly(emu: DiscordEmulator) -> None:
    client = MiniBot(emu.default_guild_id)
    with discord_endpoints(emu.api_base, emu.gateway_url):
        with pytest.raises(discord.LoginFailure):
            await asyncio.wait_for(client.start("wrong-token"), 10)
        await client.close()
    assert [r.status for r in emu.requests] == [401]


async def test_gateway_closes_4004_on_a_bad_token_and_compresses(emu: DiscordEmulator) -> None:
    inflater = zlib.decompressobj()
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(emu.gateway_url + "?v=10&encoding=json&compress=zlib-stream") as ws,
    ):
        hello = await ws.receive(timeout=5)
        assert hello.type is aiohttp.WSMsgType.BINARY and hello.data.endswith(b"\x00\x00\xff\xff")
        assert json.loads(inflater.decompress(hello.data))["op"] == 10
        await ws.send_json({"op": 2, "d": {"token": "nope", "intents": 0, "properties": {}}})
        closing = await ws.receive(timeout=5)
        assert closing.type is aiohttp.WSMsgType.CLOSE and closing.data == 4004


async def test_unknown_routes_are_404_and_recorded(emu: DiscordEmulator) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(emu.api_base + "/nope/1", headers={"Authorization": f"Bot {TOKEN}"}) as resp,
    ):
        assert resp.status == 404
        assert (await resp.json())["code"] == 0
    assert [r.path for r in emu.unknown_requests] == ["/nope/1"]


async def test_component_deferred_update_and_update_message_edit_the_message(
    emu: DiscordEmulator, bot: MiniBot
) -> None:
    general = emu.channel_id("general")
    member = await emu.add_member()
    channel = bot.get_channel(general)
    assert isinstance(channel, discord.TextChannel)
    posted = await channel.send("original", view=EditView())
    later = await emu.click_button(general, posted.id, "edit:later", member)
    [deferral, edit] = await later.wait_responses(2, timeout=10)
    assert deferral.deferred and deferral.callback_type == 6
    assert edit.kind == "edit_original" and edit.content == "edited later"
    assert emu.message(posted.id).content == "edited later"
    now = await emu.click_button(general, posted.id, "edit:now", member)
    answer = await now.wait_response(timeout=10)
    assert answer.answer.callback_type == 7 and answer.content == "updated now"
    assert [m.content for m in emu.messages(general)] == ["updated now"]


async def test_callback_after_three_seconds_is_refused(emu: DiscordEmulator, bot: MiniBot) -> None:
    emu.ack_deadline = 0.2  # Discord's 3 s, shortened for the test
    member = await emu.add_member()
    handle = await emu.send_slash_command(
        emu.default_guild_id, emu.channel_id("general"), member, "slow", options={"seconds": 0.4}
    )
    await handle.wait_for(lambda rs: any(r.kind == "rejected" for r in rs), timeout=10)
    assert "too late" in handle.responses[0].payload["reason"]
    assert not any(r.is_answer for r in handle.responses)


async def test_fetched_messages_carry_no_nonce_and_files_become_attachments(
    emu: DiscordEmulator, bot: MiniBot
) -> None:
    channel = bot.get_channel(emu.channel_id("general"))
    assert isinstance(channel, discord.TextChannel)
    sent = await channel.send(
        "with file", nonce="n-1", file=discord.File(io.BytesIO(b"hello"), "a.txt")
    )
    assert sent.attachments[0].filename == "a.txt" and sent.attachments[0].size == 5
    assert sent.nonce == "n-1"
    fetched = await channel.fetch_message(sent.id)
    assert fetched.nonce is None  # Discord does not keep nonces
    assert emu.messages(channel.id)[0].nonce == "n-1"  # the recording does


async def test_deleted_channel_is_unknown(emu: DiscordEmulator, bot: MiniBot) -> None:
    channel = bot.get_channel(emu.channel_id("news"))
    assert isinstance(channel, discord.TextChannel)
    await emu.delete_channel(channel.id)
    with pytest.raises(discord.NotFound) as caught:
        await channel.send("gone")
    assert caught.value.code == 10003


async def test_abrupt_disconnect_is_resumed(emu: DiscordEmulator, bot: MiniBot) -> None:
    assert await emu.drop_gateway(abrupt=True) == 1
    await emu.wait_until(
        lambda: any(e.kind == "resume" for e in emu.gateway_events), timeout=15, what="resume"
    )
    handle = await emu.send_slash_command(
        emu.default_guild_id,
        emu.channel_id("general"),
        emu.guild_owner_id(),
        "feed",
        "remove",
        {"feed": "y"},
    )
    answer = await handle.wait_response(timeout=10)
    assert answer.content == "removed y"


@pytest.mark.slow  # discord.py waits 5 s between shard IDENTIFYs
async def test_sharded_bot_gets_each_guild_on_its_shard() -> None:
    guilds = [GuildSpec("Even", ("a",), id=10 << 22), GuildSpec("Odd", ("b",), id=11 << 22)]
    async with DiscordEmulator(token=TOKEN, guilds=guilds, shards=2) as emu:
        client = MiniBot(guilds[0].id or 0)
        async with running_client(emu, client):
            assert client.shard_count == 2
            assert {g.id: g.shard_id for g in client.guilds} == {10 << 22: 0, 11 << 22: 1}
        identifies = sorted(e.detail for e in emu.gateway_events if e.kind == "identify")
        assert identifies == ["shard=0/2", "shard=1/2"]


async def test_global_429_is_waited_out(emu: DiscordEmulator, bot: MiniBot) -> None:
    channel = bot.get_channel(emu.channel_id("general"))
    assert isinstance(channel, discord.TextChannel)
    emu.set_rest_fault(429, retry_after=0.05, is_global=True, scope="global", count=1)
    await channel.send("eventually")
    assert [r.status for r in emu.requests[-2:]] == [429, 200]
    assert emu.faulted_requests == 1


async def test_pings_show_what_allowed_mentions_let_through(
    emu: DiscordEmulator, bot: MiniBot
) -> None:
    member = await emu.add_member()
    role = next(iter(bot.get_guild(emu.default_guild_id).roles))  # type: ignore[union-attr]
    channel = bot.get_channel(emu.channel_id("general"))
    assert isinstance(channel, discord.TextChannel)
    text = f"@everyone @here <@{member}> <@&{role.id}> hi"
    await channel.send(text, allowed_mentions=discord.AllowedMentions.none())
    loud = await channel.send(text, allowed_mentions=discord.AllowedMentions.all())
    quiet_msg, loud_msg = emu.messages(channel.id)
    assert not quiet_msg.pings and quiet_msg.allowed_mentions == {"parse": []}
    assert loud_msg.pings.everyone and loud_msg.pings.users == (member,)
    assert [m.id for m in loud.mentions] == [member]
    assert not loud.mention_everyone  # the bot lacks Mention Everyone, as by default


def test_mention_parsing_rules() -> None:
    from tests.discord_emulator.mentions import pings

    text = "@everyone <@1> <@!2> <@&3> `@here`"
    assert pings(text, None) == pings(text, {"parse": ["everyone", "users", "roles"]})
    assert not pings(text, {"parse": []})
    assert pings(text, {"parse": [], "users": ["2"]}).users == (2,)
    assert pings(text, {"parse": ["roles"]}).roles == (3,)
    assert not pings("an embed-only message", None)


async def test_guild_joined_later_and_heartbeats_are_acknowledged(
    emu: DiscordEmulator, bot: MiniBot
) -> None:
    joined = asyncio.ensure_future(bot.wait_for("guild_join", timeout=10))
    guild_id = await emu.add_guild("Later", channels=("later",))
    guild = await asyncio.wait_for(joined, 10)
    assert guild.id == guild_id and [c.name for c in guild.text_channels] == ["later"]
    assert bot.latency != float("inf")  # HEARTBEAT_ACK arrived for the first heartbeat


class RawGateway:
    """A hand-driven gateway client (zlib-stream) for protocol-level checks."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.inflater = zlib.decompressobj()

    async def receive(self) -> dict[str, object]:
        msg = await self.ws.receive(timeout=5)
        assert msg.type is aiohttp.WSMsgType.BINARY, msg
        data: dict[str, object] = json.loads(self.inflater.decompress(msg.data))
        return data

    async def until(self, event: str) -> dict[str, object]:
        for _ in range(20):
            payload = await self.receive()
            if payload.get("t") == event:
                return payload
        raise AssertionError(f"no {event}")


async def test_resume_takes_over_a_half_open_socket_and_replays(emu: DiscordEmulator) -> None:
    url = emu.gateway_url + "?v=10&encoding=json&compress=zlib-stream"
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as first_ws:
        first = RawGateway(first_ws)
        assert (await first.receive())["op"] == 10
        await first_ws.send_json({"op": 2, "d": {"token": TOKEN, "intents": 513, "properties": {}}})
        ready = await first.until("READY")
        session_id = ready["d"]["session_id"]  # type: ignore[index]
        created = await first.until("GUILD_CREATE")
        seq = created["s"]
        channel = await emu.add_text_channel("fresh")  # CHANNEL_CREATE, seq + 1
        async with http.ws_connect(url) as second_ws:
            second = RawGateway(second_ws)
            assert (await second.receive())["op"] == 10
            await second_ws.send_json(
                {"op": 6, "d": {"token": TOKEN, "session_id": session_id, "seq": seq}}
            )
            replayed = await second.receive()
            assert replayed["t"] == "CHANNEL_CREATE" and replayed["d"]["id"] == str(channel)  # type: ignore[index]
            assert replayed["s"] == seq + 1  # type: ignore[operator]
            assert (await second.receive())["t"] == "RESUMED"
        closing = await first_ws.receive(timeout=5)
        while closing.type is aiohttp.WSMsgType.BINARY:  # what it got before the takeover
            closing = await first_ws.receive(timeout=5)
        assert closing.type is aiohttp.WSMsgType.CLOSE and closing.data == 4000


async def test_privileged_intents_not_enabled_close_4014(emu: DiscordEmulator) -> None:
    async with DiscordEmulator(token=TOKEN, privileged_intents=0) as strict:
        intents = discord.Intents.default()
        intents.members = True
        client = discord.Client(intents=intents)
        with discord_endpoints(strict.api_base, strict.gateway_url):
            with pytest.raises(discord.PrivilegedIntentsRequired):
                await asyncio.wait_for(client.start(TOKEN), 10)
            await client.close()
    assert [e.kind for e in strict.gateway_events if e.kind == "disallowed-intents"] == [
        "disallowed-intents"
    ]


async def test_opt_in_message_rate_limit_is_honoured_by_discord_py() -> None:
    async with DiscordEmulator(token=TOKEN, message_rate=(3, 0.3)) as emu:
        client = MiniBot(emu.default_guild_id)
        async with running_client(emu, client):
            channel = client.get_channel(emu.channel_id("general"))
            assert isinstance(channel, discord.TextChannel)
            for i in range(5):
                await channel.send(f"m{i}")
        posts = [r for r in emu.requests if r.route == "POST /channels/{channel_id}/messages"]
        assert [r.status for r in posts if r.status != 429] == [200] * 5
        assert len(emu.messages(channel.id)) == 5
        # the 4th post went out only after the first window had passed (headers or a 429)
        ok = [r for r in posts if r.status == 200]
        assert ok[3].at - ok[0].at >= 0.25


def _resolver() -> Resolver:
    channels = {
        5: {"id": "5", "type": 0, "name": "news", "permissions": "0"},
        6: {"id": "6", "type": 4, "name": "cat", "permissions": "0"},
    }
    return Resolver(channel=channels.get)


GROUPED = {
    "id": "77",
    "name": "digest",
    "type": 1,
    "guild_id": "9",
    "options": [
        {
            "type": 2,
            "name": "admin",
            "description": "d",
            "options": [
                {
                    "type": 1,
                    "name": "schedule",
                    "description": "d",
                    "options": [
                        {"type": 3, "name": "time", "description": "d", "required": True},
                        {"type": 7, "name": "channel", "description": "d", "channel_types": [0]},
                        {
                            "type": 3,
                            "name": "mode",
                            "description": "d",
                            "choices": [{"name": "Live", "value": "live"}],
                        },
                        {
                            "type": 10,
                            "name": "weight",
                            "description": "d",
                            "min_value": 0,
                            "max_value": 1,
                        },
                        {"type": 3, "name": "tz", "description": "d", "autocomplete": True},
                    ],
                }
            ],
        }
    ],
}


def test_command_data_nests_groups_and_resolves_channels() -> None:
    data = build_command_data(
        GROUPED,
        group="admin",
        subcommand="schedule",
        options={"channel": 5, "time": "07:30", "weight": 0.5},
        resolver=_resolver(),
    )
    assert data["id"] == "77" and data["guild_id"] == "9"
    [group] = data["options"]
    [sub] = group["options"]
    assert (group["type"], group["name"], sub["type"], sub["name"]) == (2, "admin", 1, "schedule")
    assert [(o["name"], o["value"]) for o in sub["options"]] == [
        ("time", "07:30"),
        ("channel", "5"),
        ("weight", 0.5),
    ]
    assert data["resolved"]["channels"]["5"]["name"] == "news"
    focused = build_command_data(
        GROUPED,
        group="admin",
        subcommand="schedule",
        options={"tz": "Eur"},
        resolver=_resolver(),
        focused="tz",
    )
    assert focused["options"][0]["options"][0]["options"] == [
        {"name": "tz", "type": 3, "value": "Eur", "focused": True}
    ]


@pytest.mark.parametrize(
    ("subcommand", "options", "message"),
    [
        ("schedule", {}, "required options missing"),
        ("schedule", {"time": 7}, "takes a string"),
        ("schedule", {"time": "7", "channel": 6}, "channel type 4 not allowed"),
        ("schedule", {"time": "7", "mode": "digest"}, "not one of its choices"),
        ("schedule", {"time": "7", "weight": 2}, "outside"),
        ("schedule", {"time": "7", "nope": 1}, "unknown options"),
        ("other", {}, "no sub-command 'other'"),
    ],
)
def test_command_data_refuses_what_discords_client_would(
    subcommand: str, options: dict[str, object], message: str
) -> None:
    with pytest.raises(OptionError, match=message):
        build_command_data(
            GROUPED, group="admin", subcommand=subcommand, options=options, resolver=_resolver()
        )


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"content": "x" * 2001}, "content"),
        ({"embeds": [{"title": "t" * 257}]}, "title"),
        ({"embeds": [{"description": "d"}] * 11}, "at most 10"),
        ({"embeds": [{"fields": [{"name": "n", "value": "v" * 1025}]}]}, "value"),
        ({"embeds": [{"description": "d" * 4000}, {"description": "d" * 2001}]}, "MAX_EMBED_SIZE"),
        ({"embeds": [{"fields": [{"name": "", "value": "v"}]}]}, "required"),
        (
            {"components": [{"type": 1, "components": [{"type": 2, "style": 1, "label": "x"}]}]},
            "custom_id",
        ),
        (
            {"components": [{"type": 1, "components": [{"type": 2, "style": 5, "label": "x"}]}]},
            "link",
        ),
        ({"nonce": "n" * 26}, "nonce"),
    ],
)
def test_message_validation_matches_discord_limits(body: dict[str, object], problem: str) -> None:
    problems = validate.message_problems(body, has_files=False)
    assert any(problem in p for p in problems), problems
    assert (
        validate.message_problems(
            {"content": "x" * 2000, "embeds": [{"description": "d" * 4096}]}, has_files=False
        )
        == []
    )


async def test_application_owner_is_a_member_who_owns_the_guild(
    emu: DiscordEmulator, bot: MiniBot
) -> None:
    assert await bot.is_owner(discord.Object(emu.app_owner_id))  # type: ignore[arg-type]
    assert not await bot.is_owner(discord.Object(await emu.add_member(permissions=MANAGE_CHANNELS)))  # type: ignore[arg-type]
    guild = bot.get_guild(emu.default_guild_id)
    assert guild is not None and guild.owner_id == emu.app_owner_id == emu.guild_owner_id()


async def test_standalone_runner_serves_until_terminated() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.discord_emulator",
        "--channels",
        "general,news",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        info = json.loads(await asyncio.wait_for(proc.stdout.readline(), 20))
        assert set(info["channels"]) == {"general", "news"}
        async with aiohttp.ClientSession() as http, http.get(info["api_base"] + "/gateway") as resp:
            assert (await resp.json())["url"] == info["gateway_url"]
    finally:
        proc.terminate()
        assert await asyncio.wait_for(proc.wait(), 10) == 0


async def test_plain_client_uses_default_gateway_and_resumes(emu: DiscordEmulator) -> None:
    client = discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.05)
    async with running_client(emu, client):
        assert client.shard_count is None and client.get_guild(emu.default_guild_id) is not None
        await emu.drop_gateway(code=4000)
        await emu.wait_until(
            lambda: any(e.kind == "resume" for e in emu.gateway_events), timeout=15, what="resume"
        )
        channel = client.get_channel(emu.channel_id("general"))
        assert isinstance(channel, discord.TextChannel)
        await channel.send("still here")
    assert "GET /gateway/bot" not in {
        r.route for r in emu.requests
    }  # DEFAULT_GATEWAY, as documented
    assert [m.content for m in emu.messages(emu.channel_id("general"))] == ["still here"]


async def test_a_blocked_event_loop_shows_as_a_late_heartbeat() -> None:
    async with DiscordEmulator(token=TOKEN, heartbeat_interval_ms=100) as emu:
        client = MiniBot(emu.default_guild_id)
        client.tree.add_command(block_command)
        async with running_client(emu, client):
            member = await emu.add_member()
            await emu.wait_until(
                lambda: emu.max_heartbeat_gap > 0, timeout=10, what="two heartbeats"
            )
            assert not [e for e in emu.gateway_events if e.kind == "heartbeat-late"]
            # the emulator shares this loop, so the blocked bot stalls it too: send, then wait
            handle = await emu.send_slash_command_unchecked(
                emu.default_guild_id,
                emu.channel_id("general"),
                member,
                {
                    "id": "1",
                    "name": "block",
                    "type": 1,
                    "options": [{"name": "seconds", "type": 10, "value": 0.4}],
                },
            )
            await handle.wait_response(timeout=10)
            await emu.wait_until(
                lambda: any(e.kind == "heartbeat-late" for e in emu.gateway_events),
                timeout=10,
                what="late beat",
            )
        assert emu.max_heartbeat_gap >= 0.35
