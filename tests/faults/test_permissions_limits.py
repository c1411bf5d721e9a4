"""Permissions and limits against the Discord emulator and the real app:

- every management command (those synced with default member permissions) is refused to a member
  without Manage Channels even when the server's command permissions let them send it (the
  emulator's unchecked path: what an admin's override or a stale client does), and nothing changes;
- a member who may manage one channel cannot point a management command at another channel;
- a per-server feed limit (NEWSDIGEST_FEED_LIMIT) with a clear answer, other servers unaffected;
- the bot's own missing permission in a target channel is explained in one sentence.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from tests.discord_emulator.state import EMBED_LINKS, SEND_MESSAGES, VIEW_CHANNEL
from tests.faults.discordworld import MANAGE_CHANNELS, WAIT, World, until, world
from tests.faults.helpers import assert_one_sentence, item

OPTIONS: dict[tuple[str, str | None], dict[str, object]] = {
    ("feed", "add"): {"url": "http://127.0.0.1:9/x.xml"},
    ("feed", "remove"): {"feed": "1"},
    ("feed", "edit"): {"feed": "1", "webhook": True},
    ("feed", "import"): {},  # the file is offered per test: see ``options_for``
    ("feed", "export"): {},
    ("feed", "filter add"): {"feed": "1", "kind": "include", "pattern": "x"},
    ("feed", "filter remove"): {"feed": "1", "filter": "1"},
    ("digest", "now"): {},
    ("digest", "schedule"): {"time": "09:00"},
    ("digest", "off"): {},
}


def management_commands(w: World) -> list[tuple[str, str | None]]:
    """(command, subcommand) of every synced command that has default member permissions."""
    found: list[tuple[str, str | None]] = []
    for command in w.emu.commands() + w.emu.commands(w.guild):
        if not command.get("default_member_permissions"):
            continue
        if command["name"] == "admin":  # owner-only tooling, refused by its own check
            continue
        # /feed list, /feed filter list|test only show what the server set up: viewing
        subs = [
            name
            for name in _subcommands(command.get("options") or [])
            if (command["name"], name) not in VIEWING
        ]
        found += [(command["name"], s) for s in subs] or [(command["name"], None)]
    return found


VIEWING = {("feed", "list"), ("feed", "filter list"), ("feed", "filter test")}


def _subcommands(options: list[dict[str, object]]) -> list[str]:
    """Subcommand names, those of a group as ``"group sub"``."""
    names: list[str] = []
    for option in options:
        if option.get("type") == 1:
            names.append(str(option["name"]))
        elif option.get("type") == 2:
            inner = option.get("options")
            subs = inner if isinstance(inner, list) else []
            names += [f"{option['name']} {o['name']}" for o in subs if o.get("type") == 1]
    return names


def options_for(w: World, name: str, sub: str | None) -> dict[str, object]:
    if (name, sub) == ("feed", "import"):
        return {"file": w.emu.offer_attachment("feeds.opml", b"<opml><body/></opml>")}
    return OPTIONS.get((name, sub), {})


async def send_unchecked(
    w: World, user: int, name: str, sub: str | None, options: dict[str, object], channel: int
) -> object:
    group, _, leaf = (sub or "").rpartition(" ")
    data = w.emu.command_data(w.guild, user, name, leaf or None, options, group=group or None)
    handle = await w.emu.send_slash_command_unchecked(w.guild, channel, user, data)
    return await handle.wait_response(timeout=WAIT)


async def state(w: World) -> tuple[object, ...]:
    service = w.app.service
    return (
        tuple(await service.subscriptions(w.guild)),
        tuple(await service.schedules()),
        tuple(await service.pending_deliveries()),
    )


async def test_management_commands_refused_without_manage_channels(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        url = w.serve("/a.xml", "Alpha", [item(1), item(2)])
        await w.command("feed", "add", {"url": url, "channel": w.channel("news")})
        commands = management_commands(w)
        assert set(commands) >= set(OPTIONS), commands
        before = await state(w)
        for name, sub in commands:
            result = await send_unchecked(
                w, w.reader, name, sub, options_for(w, name, sub), w.channel("general")
            )
            assert result.ephemeral, (name, sub)  # type: ignore[attr-defined]
            text = result.content or ""  # type: ignore[attr-defined]
            assert "Manage Channels" in text, (name, sub, text)
            assert_one_sentence(text)
        assert await state(w) == before
        assert not w.emu.messages(w.channel("general"))


async def test_manage_channels_in_one_channel_does_not_reach_another(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        general, news = w.channel("general"), w.channel("news")
        await w.emu.set_channel_overwrite(general, w.reader, allow=MANAGE_CHANNELS)
        url = w.serve("/a.xml", "Alpha", [item(1)])
        # allowed where they may manage the channel ...
        ok = await send_unchecked(w, w.reader, "feed", "add", {"url": url}, general)
        assert "Subscribed" in ok.text  # type: ignore[attr-defined]
        # ... but not for a channel they may not manage
        other = w.serve("/b.xml", "Beta", [item(2)])
        attempts: list[tuple[str, str, dict[str, object]]] = [
            ("feed", "add", {"url": other, "channel": news}),
            ("digest", "now", {"channel": news}),
            ("digest", "schedule", {"time": "08:00", "channel": news}),
        ]
        for name, sub, options in attempts:
            result = await send_unchecked(w, w.reader, name, sub, options, general)
            text = result.content or ""  # type: ignore[attr-defined]
            assert "Manage Channels" in text, (name, sub, text)
            assert_one_sentence(text)
        assert [s.channel_id for s in await w.app.service.subscriptions(w.guild)] == [general]
        assert await w.app.service.schedules() == []


async def test_per_server_feed_limit_is_a_clear_answer(tmp_path: Path) -> None:
    async with world(tmp_path, settings={"NEWSDIGEST_FEED_LIMIT": 2}) as w:
        urls = [w.serve(f"/f{n}.xml", f"Feed {n}", [item(n)]) for n in range(3)]
        for url in urls[:2]:
            result = await w.command("feed", "add", {"url": url})
            assert "Subscribed" in result.text
        refused = await w.command("feed", "add", {"url": urls[2]})
        assert refused.ephemeral
        text = refused.content or ""
        assert "2 feeds" in text, text
        assert_one_sentence(text)
        assert len(await w.app.service.subscriptions(w.guild)) == 2
        # the same feed in another channel of this server is not a new feed
        again = await w.command("feed", "add", {"url": urls[0], "channel": w.channel("news")})
        assert "Subscribed" in again.text
        # another server has its own limit
        other = await w.emu.add_guild("Other Place", channels=("general",))
        boss = await w.emu.add_member(permissions=MANAGE_CHANNELS, guild_id=other)
        await until(lambda: w.app.bot.get_guild(other) is not None, what="the new server")
        there = await w.command(
            "feed",
            "add",
            {"url": urls[2]},
            user=boss,
            guild=other,
            channel_id=w.emu.channel_id("general", other),
        )
        assert "Subscribed" in there.text


async def test_the_bots_missing_permission_is_explained_in_one_sentence(tmp_path: Path) -> None:
    async with world(tmp_path, channels=("general", "news", "quiet", "plain")) as w:
        url = w.serve("/a.xml", "Alpha", [item(1), item(2)])
        cases = (
            ("news", SEND_MESSAGES, "Send Messages"),
            ("quiet", VIEW_CHANNEL, "View Channel"),
            ("plain", EMBED_LINKS, "Embed Links"),
        )
        for name, deny, _label in cases:
            await w.emu.restrict_bot(w.channel(name), deny=deny)
        for name, _, label in cases:
            channel_id = w.channel(name)
            await until(partial(_bot_lacks, w, channel_id), what="CHANNEL_UPDATE seen")
            commands: list[tuple[str, str, dict[str, object]]] = [
                ("feed", "add", {"url": url, "channel": w.channel(name)}),
                ("digest", "now", {"channel": w.channel(name)}),
            ]
            for command, sub, options in commands:
                result = await w.command(command, sub, options)
                text = result.content or ""
                assert label in text, (name, command, text)
                assert_one_sentence(text)
        assert await w.app.service.subscriptions(w.guild) == []


def _bot_lacks(w: World, channel_id: int) -> bool:
    channel = w.app.bot.get_channel(channel_id)
    guild = w.app.bot.get_guild(w.guild)
    if channel is None or guild is None or guild.me is None:
        return False
    perms = channel.permissions_for(guild.me)  # type: ignore[union-attr]
    return not (perms.send_messages and perms.view_channel and perms.embed_links)


async def test_permission_lost_after_subscribing_drops_posts_without_retry_storm(
    tmp_path: Path,
) -> None:
    async with world(tmp_path) as w:
        news = w.channel("news")
        url = w.serve("/a.xml", "Alpha", [item(1)])
        await w.command("feed", "add", {"url": url, "channel": news, "mode": "live"})
        await w.emu.restrict_bot(news, deny=SEND_MESSAGES)
        w.serve("/a.xml", "Alpha", [item(2), item(1)])
        await w.poll()
        await w.app.outbox.drain()
        await w.app.outbox.drain()
        posts = [
            r for r in w.emu.requests if r.method == "POST" and r.path.endswith(f"/{news}/messages")
        ]
        assert len(posts) == 1  # tried once, 403, dropped: no retry storm
        assert await w.app.service.pending_deliveries() == []
        assert not w.emu.messages(news)


async def test_another_server_cannot_read_this_servers_stories(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        secret = w.serve("/intranet.xml", "Intranet", [item(1, title="Quarterly layoffs plan")])
        await w.command("feed", "add", {"url": secret, "channel": w.channel("news"), "backfill": 1})
        [posted] = await w.emu.wait_for_messages(w.channel("news"), 1, timeout=WAIT)
        number = posted.embeds[0]["footer"]["text"].rsplit("#", 1)[1]
        other = await w.emu.add_guild("Strangers", channels=("lobby",))
        stranger = await w.emu.add_member(permissions=0, guild_id=other)
        await until(lambda: w.app.bot.get_guild(other) is not None, what="the other server")
        lobby = w.emu.channel_id("lobby", other)
        asks: list[tuple[str, dict[str, object]]] = [
            ("story", {"story": number}),
            ("story", {"story": "Quarterly"}),
            ("quotes", {"story": number}),
            ("search", {"query": "layoffs"}),
        ]
        for name, options in asks:
            own = await w.command(name, None, options)  # the subscribing server reads it
            assert "quarterly layoffs plan" in own.text.lower(), (name, own.text)
            result = await w.command(
                name, None, options, user=stranger, guild=other, channel_id=lobby
            )
            assert "quarterly layoffs plan" not in result.text.lower(), (name, result.text)
