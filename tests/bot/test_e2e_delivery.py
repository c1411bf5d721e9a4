"""Delivery end to end (issue 13 items 7-9): the unmodified discord.py client against the loopback
Discord emulator, feeds on 127.0.0.1, the real service on a SQLite file and a FakeClock."""

from __future__ import annotations

import itertools
import time
from datetime import timedelta

import pytest

from bot.delivery import DiscordTransport, rendered_delivery
from bot.runner import App
from tests.bot import test_e2e
from tests.bot.harness import START, e2e_settings, running_app
from tests.bot.test_e2e import WAIT, World, assert_no_mentions, items, poll
from tests.builders import Item, rss

world = test_e2e.world  # the same emulator, feed server and clock fixture

#: four outlets' versions of one event (their own headlines and leads), then another event on
#: the same topic
OUTLETS = {
    "Alpha Wire": (
        "Magnitude 6.1 earthquake strikes off coast of central Chile",
        "A magnitude 6.1 earthquake struck off the coast of central Chile on Wednesday, "
        "shaking buildings in Valparaiso and Santiago, seismologists said.",
    ),
    "Beta Post": (
        "Strong earthquake shakes central Chile, buildings sway in Santiago",
        "A strong magnitude 6.1 earthquake struck off the coast of central Chile on Wednesday, "
        "shaking buildings in Santiago and Valparaiso.",
    ),
    "Gamma Daily": (
        "Chile earthquake: 6.1 quake off the central coast shakes Valparaiso",
        "An earthquake of magnitude 6.1 struck off central Chile's coast on Wednesday and shook "
        "buildings in Valparaiso and Santiago, seismologists said.",
    ),
    "Delta Times": (
        "Earthquake of magnitude 6.1 hits off Chile coast, no tsunami threat",
        "A magnitude 6.1 earthquake hit off the coast of central Chile on Wednesday, shaking "
        "buildings in Valparaiso and Santiago; no tsunami warning was issued.",
    ),
}
PERU = (
    "Magnitude 5.8 earthquake strikes southern Peru, damaging homes in Arequipa",
    "A magnitude 5.8 earthquake struck southern Peru on Wednesday, damaging dozens of adobe "
    "homes in the Arequipa region, the country's civil defence institute said.",
)
BODY = (
    "Residents ran into the streets as the shaking went on for about thirty seconds.",
    '"It was long and strong, but our buildings held," said Carla Munoz, a city official.',
    "Emergency services reported a few power cuts and minor damage to older houses.",
)


def version(name: str, minutes: int, title: str, lede: str) -> Item:
    return Item(
        guid=f"{name}-{title[:12]}",
        title=title,
        paragraphs=[lede, *BODY],
        published=START + timedelta(minutes=minutes),
    )


def serve_outlet(world: World, name: str, entries: list[Item]) -> str:
    path = "/" + name.split()[0].lower() + ".xml"
    world.feeds.add(path, rss(name, entries, link=world.feeds.url("/site")))
    return world.feeds.url(path)


def covered_by(message: object) -> str:
    embeds = getattr(message, "embeds", [])
    return " ".join(
        f["value"] for e in embeds for f in e.get("fields", []) if f["name"] == "Also covered by"
    )


async def test_four_outlets_one_live_post_edited_to_name_the_others(world: World) -> None:
    async with world.app() as app:  # type: ignore[attr-defined]
        assert isinstance(app, App)
        for name in OUTLETS:
            url = serve_outlet(world, name, [])
            await world.command("feed", "add", {"url": url, "mode": "live"})
        for n, (name, (title, lede)) in enumerate(OUTLETS.items()):
            serve_outlet(world, name, [version(name, n, title, lede)])
            await poll(app, world, minutes=30)
            await world.emu.wait_for_messages(world.general, 1, timeout=WAIT)
            names = list(OUTLETS)[1 : n + 1]
            await world.emu.wait_until(
                lambda names=names: all(  # type: ignore[misc]
                    o in covered_by(world.emu.messages(world.general)[0]) for o in names
                ),
                WAIT,
                what=f"the first post naming {names}",
            )
        [post] = world.emu.messages(world.general)
        assert post.embeds[0]["title"] == OUTLETS["Alpha Wire"][0]
        assert post.edits == 3
        covered = covered_by(post)
        assert all(name in covered for name in list(OUTLETS)[1:])
        # the same topic, another event: a post of its own, naming nobody
        serve_outlet(world, "Beta Post", [version("Beta Post", 9, *PERU)])
        await poll(app, world, minutes=30)
        posts = await world.emu.wait_for_messages(world.general, 2, timeout=WAIT)
        assert posts[1].embeds[0]["title"] == PERU[0]
        assert covered_by(posts[1]) == ""
        assert world.emu.messages(world.general)[0].edits == 3  # nothing more to say there
        assert_no_mentions(world.emu.messages(world.general))


SENTENCE_END = (".", "!", "?", '"', "”", "’", ")")


async def test_digest_now_fresh_whole_sentences_one_menu_local_header(world: World) -> None:
    url = world.serve("/ten.xml", items(1))
    async with world.app() as app:  # type: ignore[attr-defined]
        assert isinstance(app, App)
        await world.command("feed", "add", {"url": url, "channel": world.digest_channel})
        weekly = await world.command(
            "digest",
            "schedule",
            {
                "time": "08:00",
                "timezone": "America/New_York",
                "day": "monday",
                "channel": world.digest_channel,
            },
        )
        assert "every Monday at 08:00 America/New_York" in (weekly.content or "")  # type: ignore[attr-defined]
        # the feed gains ten stories; no poll runs before /digest now
        world.serve("/ten.xml", items(10, start=2))
        started = time.monotonic()
        answer = await world.command("digest", "now", {"channel": world.digest_channel})
        assert "10 stories" in (answer.content or "")  # type: ignore[attr-defined]
        [page] = await world.emu.wait_for_messages(world.digest_channel, 1, timeout=WAIT)
        assert time.monotonic() - started < 15
        # the header in the schedule's own time zone (New York is on EST in November)
        assert page.content.startswith("Digest · ") and page.content.endswith(" EST")
        assert len(page.embeds) == 10
        assert sum(embed_length(e) for e in page.embeds) <= 6000
        for embed in page.embeds:
            description = embed.get("description", "")
            assert description and description.endswith(SENTENCE_END), description
            assert "…" not in description
            for field in embed.get("fields", []):
                assert "…" not in field["value"], field
        # one select menu instead of a wall of buttons
        [row] = page.components
        [menu] = row["components"]
        assert menu["type"] == 3 and len(menu["options"]) == 10
        chosen = menu["options"][3]
    async with world.app() as app:  # type: ignore[attr-defined]  # after a restart
        handle = await world.emu.choose_option(
            world.digest_channel, page.id, menu["custom_id"], [chosen["value"]], world.reader
        )
        details = await handle.wait_response(timeout=WAIT)
        assert details.ephemeral
        title = chosen["label"].split(" ", 1)[1]
        assert title in details.text


def embed_length(embed: dict[str, object]) -> int:
    """Characters Discord counts against a message's 6000 across its embeds."""
    total = len(str(embed.get("title", ""))) + len(str(embed.get("description", "")))
    footer = embed.get("footer")
    if isinstance(footer, dict):
        total += len(str(footer.get("text", "")))
    fields = embed.get("fields", [])
    if isinstance(fields, list):
        total += sum(len(str(f["name"])) + len(str(f["value"])) for f in fields)
    return total


@pytest.mark.slow  # over 2 s of real waiting or CPU
async def test_fifty_teasers_from_one_host_are_fetched_spaced(world: World) -> None:
    """Fifty new teaser items in a live channel: each is condensed before it is posted, so its
    article page is fetched then, and the pages of one host arrive spaced, never in a burst."""
    count, interval = 50, 0.04
    teasers = [
        Item(
            guid=f"teaser-{n}",
            title=f"Harbour notebook, part {n}",
            paragraphs=[f"Part {n} of our harbour series. Read more"],
            published=START + timedelta(seconds=n),
            link=world.feeds.url(f"/article/{n}"),
        )
        for n in range(count)
    ]
    url = world.serve("/teasers.xml", [])
    page = "".join(
        f"<p>The harbour board met again on day {n} and agreed to dredge the channel, officials "
        "said after a meeting that ran late into the evening.</p>"
        for n in range(8)
    )
    for n in range(count):
        world.feeds.add(
            f"/article/{n}",
            f"<html><body><article>{page}</article></body></html>".encode(),
            content_type="text/html",
        )
    settings = e2e_settings(world.emu, world.tmp_path, NEWSDIGEST_PAGE_INTERVAL=interval)
    async with running_app(world.emu, settings, world.clock) as app:
        await world.command("feed", "add", {"url": url, "mode": "live"})
        world.serve("/teasers.xml", teasers)
        await poll(app, world, minutes=30)
    arrivals = sorted(r.at for n in range(count) for r in world.feeds.requests(f"/article/{n}"))
    assert len(arrivals) == count  # every teaser's page, once
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert min(gaps) >= interval * 0.75, gaps  # never a burst at the site


async def test_crash_between_edit_and_record_edits_again_to_the_same_post(world: World) -> None:
    names = list(OUTLETS)[:2]
    settings = e2e_settings(world.emu, world.tmp_path)
    async with running_app(world.emu, settings, world.clock, outbox=False) as app:
        for name in names:
            url = serve_outlet(world, name, [])
            await world.command("feed", "add", {"url": url, "mode": "live"})
        first, second = (version(n, i, *OUTLETS[n]) for i, n in enumerate(names))
        serve_outlet(world, names[0], [first])
        await poll(app, world, minutes=30)
        assert await app.outbox.drain() == 1
        serve_outlet(world, names[1], [second])
        await poll(app, world, minutes=30)
        assert await app.service.pending_deliveries() == []  # not posted again
        [edit] = await app.service.pending_edits()
        # the outbox's steps up to the crash: the message edited, the edit never recorded
        rendered, view = rendered_delivery(edit)
        assert edit.message_id is not None
        await DiscordTransport(app.bot).edit(world.general, edit.message_id, rendered, view)
    async with running_app(world.emu, settings, world.clock, outbox=False) as app:
        await app.outbox.drain()  # edits again: the same content, then recorded
        assert await app.service.pending_edits() == []
    [post] = world.emu.messages(world.general)
    assert post.edits == 2
    assert names[1] in covered_by(post)
    assert post.embeds[0]["title"] == OUTLETS[names[0]][0]
