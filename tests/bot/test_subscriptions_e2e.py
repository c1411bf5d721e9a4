"""Per-subscription filters, styles and role pings end to end: the unmodified discord.py client
against the Discord emulator, the real service on a SQLite file and loopback feeds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.runner import App
from digests.feeds import opml
from tests.bot.harness import article
from tests.bot.test_e2e import START, WAIT, World, items, poll, world
from tests.builders import Item
from tests.discord_emulator import InteractionResult, RecordedMessage

__all__ = ["world"]


async def command(
    world: World, sub: str, options: dict[str, Any], *, group: str | None = None
) -> InteractionResult:
    handle = await world.emu.send_slash_command(
        world.guild,
        world.general,
        world.manager,
        name="feed",
        subcommand=sub,
        options=options,
        group=group,
    )
    return await handle.wait_response(timeout=WAIT)


def story(n: int, title: str) -> Item:
    from datetime import timedelta

    return Item(
        guid=f"extra-{n}",
        title=title,
        paragraphs=article(f"topic {n}", "Ana Souza"),
        published=START + timedelta(hours=n),
    )


def one_sentence(answer: InteractionResult) -> str:
    text = answer.content or ""
    assert answer.ephemeral and text.endswith(".") and "\n" not in text, text
    return text


def only_role_pinged(message: RecordedMessage, role: int) -> None:
    allowed = message.request["allowed_mentions"]
    assert allowed.get("parse") == [] and not allowed.get("users")
    assert [int(r) for r in allowed["roles"]] == [role]
    assert not allowed.get("replied_user")
    assert message.content.startswith(f"<@&{role}>")
    assert message.pings.roles == (role,) and not message.pings.everyone
    assert not message.pings.users


async def test_filters_and_a_filter_ping_decide_live_posts(world: World) -> None:
    first = [*items(2), story(0, "Bridge reopens after repairs")]
    url = world.serve("/gazette.xml", first)
    alerts = await world.emu.add_role("harbour-alerts")
    async with world.app() as app:
        assert isinstance(app, App)
        await command(world, "add", {"url": url, "mode": "live"})
        bad = await command(
            world,
            "add",
            {"feed": url, "kind": "include", "pattern": "(?<=x)y", "regex": True},
            group="filter",
        )
        assert "not valid" in one_sentence(bad)
        ok = await command(
            world,
            "add",
            {"feed": url, "kind": "include", "pattern": "harbour, bridge", "ping": alerts},
            group="filter",
        )
        assert ok.ephemeral and "include: harbour, bridge" in (ok.content or "")
        dropped = await command(
            world,
            "add",
            {"feed": url, "kind": "exclude", "pattern": r"(a+)+$|storm", "regex": True},
            group="filter",
        )
        assert "exclude: `/(a+)+$|storm/`" in (dropped.content or "")
        everyone = await command(
            world,
            "add",
            {"feed": url, "kind": "include", "pattern": "x", "ping": world.guild},
            group="filter",
        )
        assert "@everyone" in one_sentence(everyone)

        tested = await command(world, "test", {"feed": url}, group="filter")
        assert "✅" in tested.text and "❌" in tested.text
        assert "1 of 3 recent stories would be posted" in str(tested.embeds[0]["footer"])
        assert await app.service.pending_deliveries() == []  # a dry run posts nothing

        world.serve(
            "/gazette.xml",
            [
                *first,
                story(3, "Harbour reopens to ferries"),
                story(4, "Harbour storm damage grows"),
                story(5, "Council approves budget " + "a" * 40),
            ],
        )
        await poll(app, world)
        posted = await world.emu.wait_for_messages(world.general, 1, timeout=WAIT)
        await poll(app, world, 1)
        posted = world.emu.messages(world.general)
        assert [m.embeds[0]["title"] for m in posted] == ["Harbour reopens to ferries"]
        only_role_pinged(posted[0], alerts)

        listed = await command(world, "list", {"feed": url}, group="filter")
        assert "harbour, bridge" in listed.text and "storm" in listed.text
        choices = await world.emu.autocomplete(
            world.guild,
            world.general,
            world.manager,
            "feed",
            "remove",
            {"feed": url, "filter": "storm"},
            focused="filter",
            group="filter",
        )
        assert len(choices) == 1
        removed = await command(
            world, "remove", {"feed": url, "filter": choices[0]["value"]}, group="filter"
        )
        assert "Removed filter" in (removed.content or "")
        listed = await command(world, "list", {"feed": url}, group="filter")
        assert "storm" not in listed.text


async def test_styles_and_a_subscription_ping(world: World) -> None:
    url = world.serve("/gazette.xml", items(2))
    readers = await world.emu.add_role("readers")
    compact = await world.emu.add_text_channel("compact")
    headline = await world.emu.add_text_channel("headlines")
    async with world.app() as app:
        assert isinstance(app, App)
        added = await command(
            world,
            "add",
            {"url": url, "mode": "live", "channel": compact, "style": "compact", "ping": readers},
        )
        assert "compact style" in (added.content or "") and f"<@&{readers}>" in (
            added.content or ""
        )
        await command(
            world, "add", {"url": url, "mode": "live", "channel": headline, "style": "headline"}
        )
        world.serve("/gazette.xml", items(3))
        await poll(app, world)
        [short] = await world.emu.wait_for_messages(compact, 1, timeout=WAIT)
        [classic] = await world.emu.wait_for_messages(headline, 1, timeout=WAIT)

        only_role_pinged(short, readers)
        embed = short.embeds[0]
        assert embed["title"] == "Harbour dredging delayed by storms (3)"
        description = embed["description"]
        gist, quote = description.split("\n\n")
        assert gist.endswith(".") and gist.count(". ") == 0  # one whole sentence
        assert quote.startswith("> “We will deliver") and quote.endswith("— Ana Souza")
        assert "fields" not in embed or not embed["fields"]

        lines = classic.content.split("\n")
        assert lines[0] == "**Harbour dredging delayed by storms (3)**"
        assert lines[1].endswith("/site/item-3")
        assert lines[2].startswith("-# Example Gazette · #")
        assert classic.embeds == [] and classic.components == []
        allowed = classic.request["allowed_mentions"]
        assert allowed.get("parse") == [] and not allowed.get("roles")
        assert not classic.pings
        listed = await command(world, "list", {})
        assert "compact" in listed.text and "headline" in listed.text


OPML = Path(__file__).parent.parent / "data" / "opml"


async def test_opml_import_and_export(world: World) -> None:
    for name in ("tomjerry", "cafe"):
        world.serve(f"/{name}.xml", items(2), title=name.title())
    fixture = (OPML / "miniflux.opml").read_bytes()
    fixture = fixture.replace(b"https://feeds.example.net", world.feeds.base.encode())
    mixed = fixture.replace(b"</body>", b'<outline text="x" xmlUrl="file:///etc/passwd"/></body>')
    upload = world.emu.offer_attachment("miniflux.opml", mixed, "text/x-opml")
    async with world.app() as app:
        assert isinstance(app, App)
        done = await command(world, "import", {"file": upload, "mode": "live"})
        assert world.emu.downloads == [upload]
        assert done.ephemeral
        assert (done.content or "").startswith("Added 2 feeds, skipped 0 and refused 1.")
        assert "file:///etc/passwd" in done.text and "Only http and https" in done.text
        again = await command(
            world, "import", {"file": world.emu.offer_attachment("m.opml", fixture)}
        )
        assert (again.content or "").startswith("Added 0 feeds, skipped 2 and refused 0.")
        subs = await app.service.subscriptions(world.guild)
        assert {s.mode for s in subs} == {"live"} and len(subs) == 2

        exported = await command(world, "export", {})
        assert exported.ephemeral and "2 subscriptions" in (exported.content or "")
        [attachment] = exported.answer.payload["attachments"]
        assert attachment["filename"] == "newsdigest-subscriptions.opml"
        feeds = opml.parse_opml(world.emu.attachment_data(attachment))
        assert {f.url for f in feeds} == {s.feed.url for s in subs}
        assert {f.category for f in feeds} == {"#general"}


async def test_hostile_opml_is_refused_in_one_sentence(world: World) -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><opml><body>'
        b'<outline text="&b;" xmlUrl="https://a.example/x"/></body></opml>'
    )
    huge = b"<opml><body>" + b" " * (50 * 2**20) + b"</body></opml>"
    async with world.app():
        entities = await command(
            world, "import", {"file": world.emu.offer_attachment("bomb.opml", bomb)}
        )
        assert "DTD or entities" in one_sentence(entities)
        big = world.emu.offer_attachment("huge.opml", huge)
        too_big = await command(world, "import", {"file": big})
        assert "too large" in one_sentence(too_big)
        # refused from its size alone: the bot never downloaded it
        assert big not in world.emu.downloads


async def test_a_digest_page_mentions_the_roles_of_its_stories(world: World) -> None:
    url = world.serve("/daily.xml", items(2))
    editors = await world.emu.add_role("editors")
    async with world.app() as app:
        assert isinstance(app, App)
        await command(world, "add", {"url": url, "channel": world.digest_channel})
        await command(
            world,
            "add",
            {"feed": url, "kind": "include", "pattern": "harbour", "ping": editors},
            group="filter",
        )
        world.serve("/daily.xml", [*items(2), story(3, "Harbour fees rise"), story(4, "Tax")])
        await poll(app, world)
        now = await world.emu.send_slash_command(
            world.guild,
            world.general,
            world.manager,
            "digest",
            "now",
            {"channel": world.digest_channel},
        )
        answer = await now.wait_response(timeout=WAIT)
        assert "1 stor" in (answer.content or "")
        [page] = await world.emu.wait_for_messages(world.digest_channel, 1, timeout=WAIT)
        assert [e["title"] for e in page.embeds] == ["Harbour fees rise"]
        only_role_pinged(page, editors)
        assert page.content.split("\n")[1].startswith("Digest")
