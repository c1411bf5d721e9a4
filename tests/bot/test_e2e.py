"""The whole service end to end: the unmodified discord.py client (through bot.runner's composition
root) against the loopback Discord emulator, the real DigestService on a SQLite file in tmp_path,
feeds served on 127.0.0.1, and a FakeClock driving polls and schedules."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.delivery import HISTORY_LIMIT, DiscordTransport, rendered_delivery
from bot.runner import App
from bot.scheduling import POLL_JOB_ID, digest_job_id, poll_feeds, post_digest
from bot.settings import Settings
from digests.clock import FakeClock
from tests.bot.harness import (
    MANAGE_CHANNELS,
    START,
    TOKEN,
    article,
    e2e_settings,
    footers,
    later,
    running_app,
    story_numbers,
)
from tests.builders import Item, rss
from tests.discord_emulator import DiscordEmulator, GuildSpec, RecordedMessage
from tests.discord_emulator.state import SEND_MESSAGES
from tests.feedserver import FeedServer
from tests.stores import BACKENDS, database

WAIT = 20.0
#: the flows also run on PostgreSQL (when a test server is set): posting, digests, restarts
ON_BOTH = pytest.mark.parametrize("world", BACKENDS, indirect=True)


HEADLINES = (
    "Bridge repairs finish early",
    "Library opens a reading wing",
    "Tramway extension wins approval",
    "Harbour dredging delayed by storms",
    "Stadium renovation budget doubles",
    "Museum acquires a rare manuscript",
    "Park volunteers plant an orchard",
    "School lunches get local produce",
)


LEDES = (
    "Crews finished welding the old river crossing two weeks ahead of the timetable.",
    "Readers queued at dawn to see the glass reading hall the city library unveiled.",
    "Regulators signed off on three extra tram stops linking the eastern suburbs.",
    "Storm surges pushed the dredging of the container port back by a season.",
    "Accountants told councillors that refurbishing the arena will cost twice the estimate.",
    "A medieval manuscript bought at auction will go on show in the spring.",
    "Volunteers planted two hundred apple and pear trees on the former car park.",
    "Pupils will eat vegetables grown on nearby farms from January onwards.",
)


def title_of(n: int) -> str:
    return f"{HEADLINES[n % len(HEADLINES)]} ({n})"


def items(count: int, *, start: int = 1) -> list[Item]:
    topics = ["bridge", "library", "tramway", "harbour", "stadium", "museum", "park", "school"]
    speakers = ["Jane Smith", "Omar Haddad", "Li Wei", "Ana Souza", "Tom Berg", "Ivy Chen"]
    out = []
    for n in range(start, start + count):
        topic = topics[n % len(topics)]
        out.append(
            Item(
                guid=f"item-{n}",
                title=title_of(n),
                paragraphs=article(
                    f"{topic} {n}", speakers[n % len(speakers)], lede=LEDES[n % len(LEDES)]
                ),
                published=START - timedelta(hours=10) + timedelta(hours=n),
            )
        )
    return out


@dataclass
class World:
    emu: DiscordEmulator
    feeds: FeedServer
    tmp_path: Path
    clock: FakeClock
    guild: int
    general: int
    digest_channel: int
    manager: int
    reader: int
    #: the PostgreSQL URL of a test run on that backend (None: the SQLite file in tmp_path)
    database_url: str | None = None

    def settings(self) -> Settings:
        extra = {"NEWSDIGEST_DATABASE_URL": self.database_url} if self.database_url else {}
        return e2e_settings(self.emu, self.tmp_path, **extra)

    def serve(self, path: str, entries: list[Item], title: str = "Example Gazette") -> str:
        self.feeds.add(
            path,
            rss(title, entries, link=self.feeds.url("/site")),
            content_type="application/rss+xml",
        )
        return self.feeds.url(path)

    def app(self) -> object:
        return running_app(self.emu, self.settings(), self.clock)

    async def command(
        self,
        name: str,
        sub: str | None = None,
        options: dict[str, object] | None = None,
        user: int | None = None,
        channel: int | None = None,
    ) -> object:
        handle = await self.emu.send_slash_command(
            self.guild,
            channel or self.general,
            user or self.manager,
            name=name,
            subcommand=sub,
            options=options or {},
        )
        return await handle.wait_response(timeout=WAIT)


@pytest.fixture
async def world(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[World]:
    """The emulator, a feed server and a clock; on SQLite unless a test asks for both backends
    (``ON_BOTH``)."""
    backend = str(getattr(request, "param", "sqlite"))
    spec = GuildSpec("News Room", ("general", "digests"))
    async with (
        DiscordEmulator(token=TOKEN, guilds=[spec]) as emu,
        FeedServer() as feeds,
    ):
        manager = await emu.add_member(permissions=MANAGE_CHANNELS)
        reader = await emu.add_member(permissions=0)
        with database(backend, tmp_path) as target:
            url = target if backend == "postgresql" else None
            yield World(
                emu=emu,
                feeds=feeds,
                tmp_path=tmp_path,
                clock=FakeClock(START),
                guild=emu.default_guild_id,
                general=emu.channel_id("general"),
                digest_channel=emu.channel_id("digests"),
                manager=manager,
                reader=reader,
                database_url=url,
            )


def assert_no_mentions(messages: list[RecordedMessage]) -> None:
    assert messages
    for message in messages:
        allowed = message.request.get("allowed_mentions")
        assert allowed is not None, message.request
        assert allowed.get("parse") == []
        assert not allowed.get("users") and not allowed.get("roles")
        assert not allowed.get("replied_user")


async def poll(app: App, world: World, minutes: float = 60) -> None:
    later(world.clock, minutes)
    await poll_feeds(app.jobs.ctx)


@ON_BOTH
async def test_feed_add_live_poll_commands_and_buttons(world: World) -> None:
    url = world.serve("/gazette.xml", items(3))
    async with world.app() as app:  # type: ignore[attr-defined]
        assert isinstance(app, App)
        assert app.scheduler.get_job(POLL_JOB_ID) is not None
        # a member without Manage Channels does not even see /feed (default permissions) ...
        with pytest.raises(PermissionError):
            await world.emu.send_slash_command(
                world.guild, world.general, world.reader, "feed", "add", {"url": url}
            )
        # ... and the bot checks again server-side when a client sends it anyway
        data = world.emu.command_data(world.guild, world.reader, "feed", "add", {"url": url})
        handle = await world.emu.send_slash_command_unchecked(
            world.guild, world.general, world.reader, data
        )
        denied = await handle.wait_response(timeout=WAIT)
        assert denied.ephemeral
        assert "Manage Channels" in (denied.content or "")
        assert not await app.service.subscriptions(world.guild)

        added = await world.command("feed", "add", {"url": url, "mode": "live", "backfill": 2})
        assert added.deferred and added.ephemeral  # type: ignore[attr-defined]
        assert "Example Gazette" in added.text  # type: ignore[attr-defined]
        assert title_of(3) in added.text  # type: ignore[attr-defined] - preview of the newest
        posted = await world.emu.wait_for_messages(world.general, 2, timeout=WAIT)
        numbers = story_numbers(posted)
        assert len(numbers) == 2
        titles = {m.embeds[0]["title"] for m in posted}
        assert titles == {
            title_of(2),
            title_of(3),
        }
        first = posted[0]
        assert first.embeds[0]["url"].endswith("/site/item-2")
        assert first.embeds[0]["footer"]["text"].startswith("Example Gazette · #")
        assert "timestamp" in first.embeds[0]
        assert first.request["nonce"] and first.request["enforce_nonce"] is True
        custom_ids = [c.get("custom_id") for row in first.components for c in row["components"]]
        assert f"nd:quotes:{numbers[0]}" in custom_ids and f"nd:details:{numbers[0]}" in custom_ids

        # a new item on the next poll is posted live
        world.serve("/gazette.xml", items(4))
        await poll(app, world)
        posted = await world.emu.wait_for_messages(world.general, 3, timeout=WAIT)
        assert posted[2].embeds[0]["title"] == title_of(4)
        newest = story_numbers(posted)[2]

        story = await world.command("story", None, {"story": str(newest)})
        assert story.ephemeral  # type: ignore[attr-defined]
        assert "stadium 4" in story.text  # type: ignore[attr-defined]
        assert "Tom Berg" in story.text  # type: ignore[attr-defined]

        by_story = await world.command("quotes", None, {"story": str(newest)})
        assert "on time and on budget" in by_story.text  # type: ignore[attr-defined]
        by_speaker = await world.command("quotes", None, {"speaker": "Tom Berg"})
        assert f"#{newest}" in by_speaker.text  # type: ignore[attr-defined]
        assert "stadium 4" in by_speaker.text  # type: ignore[attr-defined]

        found = await world.command("search", None, {"query": "harbour"})
        assert f"#{numbers[1]}" in found.text  # type: ignore[attr-defined]
        status = await world.command("status", None, {})
        assert "Example Gazette" in status.text and "ok" in status.text  # type: ignore[attr-defined]
        listed = await world.command("feed", "list", {})
        assert url in listed.text and "live" in listed.text  # type: ignore[attr-defined]

        choices = await world.emu.autocomplete(
            world.guild,
            world.general,
            world.manager,
            "story",
            None,
            {"story": "stadi"},
            focused="story",
        )
        assert choices and choices[0]["value"] == str(newest)
        zones = await world.emu.autocomplete(
            world.guild,
            world.general,
            world.manager,
            "digest",
            "schedule",
            {"time": "09:00", "timezone": "Europe/Lon"},
            focused="timezone",
        )
        assert {"name": "Europe/London", "value": "Europe/London"} in zones
        assert len(zones) <= 25
        assert_no_mentions(world.emu.messages(world.general))

        feeds = await world.emu.autocomplete(
            world.guild,
            world.general,
            world.manager,
            "feed",
            "remove",
            {"feed": "gazet"},
            focused="feed",
        )
        assert len(feeds) == 1 and "Example Gazette" in feeds[0]["name"]
        removed = await world.command("feed", "remove", {"feed": feeds[0]["value"]})
        assert "Unsubscribed" in (removed.content or "")  # type: ignore[attr-defined]
        listed = await world.command("feed", "list", {})
        assert "No feeds" in (listed.content or "")  # type: ignore[attr-defined]

    # after a restart, the buttons of earlier posts still answer, ephemerally: with nothing
    # while the server subscribes no feed carrying the story, in full once it does again
    async with world.app() as app:  # type: ignore[attr-defined]
        clicked = await world.emu.click_button(
            world.general, first.id, f"nd:quotes:{numbers[0]}", world.reader
        )
        answer = await clicked.wait_response(timeout=WAIT)
        assert answer.ephemeral and f"There is no story #{numbers[0]}" in answer.text
        await world.command("feed", "add", {"url": url, "mode": "live"})
        clicked = await world.emu.click_button(
            world.general, first.id, f"nd:quotes:{numbers[0]}", world.reader
        )
        answer = await clicked.wait_response(timeout=WAIT)
        assert answer.ephemeral
        assert "on time and on budget" in answer.text
        details = await world.emu.click_button(
            world.general, first.id, f"nd:details:{numbers[0]}", world.reader
        )
        answer = await details.wait_response(timeout=WAIT)
        assert answer.ephemeral and "tramway 2" in answer.text


@ON_BOTH
async def test_digest_now_and_schedule(world: World) -> None:
    url = world.serve("/daily.xml", items(2))
    other = world.serve("/other.xml", items(1, start=10), title="Other Times")
    async with world.app() as app:  # type: ignore[attr-defined]
        for feed in (url, other):
            await world.command("feed", "add", {"url": feed, "channel": world.digest_channel})
        world.serve("/daily.xml", items(4))
        copy = items(1, start=4)[0]
        copy = Item(
            copy.guid + "-copy", copy.title, paragraphs=copy.paragraphs, published=copy.published
        )
        world.serve("/other.xml", [*items(1, start=10), copy], title="Other Times")
        await poll(app, world)
        assert world.emu.messages(world.digest_channel) == []  # digest mode: nothing live

        now = await world.command("digest", "now", {"channel": world.digest_channel})
        assert now.ephemeral and "2 stories" in (now.content or "")  # type: ignore[attr-defined]
        posted = await world.emu.wait_for_messages(world.digest_channel, 1, timeout=WAIT)
        digest = posted[0]
        assert digest.content.startswith("Digest")
        assert len(digest.embeds) == 2  # the story both feeds carry appears once
        covered = [
            f["value"]
            for e in digest.embeds
            for f in e.get("fields", [])
            if f["name"] == "Also covered by"
        ]
        assert len(covered) == 1  # naming the other outlet
        assert "Other Times" in covered[0] or "Example Gazette" in covered[0]
        again = await world.command("digest", "now", {"channel": world.digest_channel})
        assert "No new stories" in (again.content or "")  # type: ignore[attr-defined]

        scheduled = await world.command(
            "digest",
            "schedule",
            {"time": "09:00", "timezone": "Europe/London", "channel": world.digest_channel},
        )
        assert "09:00 Europe/London" in (scheduled.content or "")  # type: ignore[attr-defined]
        schedule = (await app.service.schedules())[0]
        job = app.scheduler.get_job(digest_job_id(schedule.schedule_id))
        assert job is not None
        fire = job.trigger.get_next_fire_time(None, world.clock.now())
        assert fire.astimezone(UTC) == datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # GMT in Nov

        world.serve("/daily.xml", items(5))
        await poll(app, world, minutes=30)
        world.clock.set(fire.astimezone(UTC) + timedelta(seconds=1))
        assert await post_digest(app.jobs.ctx, schedule.schedule_id) == 1
        posted = await world.emu.wait_for_messages(world.digest_channel, 2, timeout=WAIT)
        assert posted[1].embeds[0]["title"] == title_of(5)
        assert await post_digest(app.jobs.ctx, schedule.schedule_id) is None  # once per period

        off = await world.command("digest", "off", {"channel": world.digest_channel})
        assert "Stopped" in (off.content or "")  # type: ignore[attr-defined]
        assert app.scheduler.get_job(digest_job_id(schedule.schedule_id)) is None
        assert_no_mentions(world.emu.messages(world.digest_channel))


@ON_BOTH
async def test_restart_posts_nothing_twice_and_catches_up(world: World) -> None:
    url = world.serve("/live.xml", items(2))
    async with world.app() as app:  # type: ignore[attr-defined]
        added = await world.command("feed", "add", {"url": url, "mode": "live", "backfill": 1})
        assert "Posting its 1 newest story now." in added.text  # type: ignore[attr-defined]
        await world.command(
            "digest", "schedule", {"time": "08:00", "timezone": "UTC", "channel": world.general}
        )
        await world.emu.wait_for_messages(world.general, 1, timeout=WAIT)
    before = len(world.emu.messages(world.general))

    # while the service is down: a new story arrives and the 08:00 digest time passes
    world.serve("/live.xml", items(3))
    world.clock.set(datetime(2026, 11, 26, 8, 30, tzinfo=UTC))
    async with world.app() as app:  # type: ignore[attr-defined]
        await poll_feeds(app.jobs.ctx)
        posted = await world.emu.wait_for_messages(world.general, before + 1, timeout=WAIT)
        assert posted[-1].embeds[0]["title"] == title_of(3)
        schedule = (await app.service.schedules())[0]
        assert await app.service.last_scheduled_run(schedule.schedule_id) == datetime(
            2026, 11, 26, 8, 0, tzinfo=UTC
        )
    # a second restart changes nothing
    async with world.app() as app:  # type: ignore[attr-defined]
        await poll_feeds(app.jobs.ctx)
        await app.outbox.drain()
    numbers = story_numbers(world.emu.messages(world.general))
    assert len(numbers) == len(set(numbers))
    # the command tree was synced on the first start only (unchanged signature since)
    syncs = [r for r in world.emu.requests if r.method == "PUT" and r.path.endswith("/commands")]
    assert len(syncs) == 1
    assert_no_mentions(world.emu.messages(world.general))


async def test_huge_story_posts_within_limits(world: World) -> None:
    huge = Item(
        guid="huge",
        title="A very long report " + "with many words " * 40,
        paragraphs=[
            " ".join(
                f"Sentence {i} of the long report says that @everyone matters." for i in range(200)
            ),
            '"This report is <@123> long and @here," said Jane Smith.',
        ],
        published=START - timedelta(hours=1),
    )
    assert sum(len(p) for p in huge.paragraphs) > 10_000
    url = world.serve("/huge.xml", [huge])
    async with world.app():
        await world.command("feed", "add", {"url": url, "mode": "live", "backfill": 1})
        posted = await world.emu.wait_for_messages(world.general, 1, timeout=WAIT)
    embed = posted[0].embeds[0]
    assert len(embed["title"]) <= 256
    assert len(embed.get("description", "")) <= 4096
    assert "@everyone" not in embed.get("description", "")
    assert (
        sum(len(embed.get(k, "")) for k in ("title", "description"))
        + len(embed["footer"]["text"])
        + sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
        <= 6000
    )
    assert footers(posted)[0].endswith("#1")


def channel_posts(emu: DiscordEmulator, channel_id: int) -> int:
    path = f"/channels/{channel_id}/messages"
    return sum(1 for r in emu.requests if r.method == "POST" and r.path == path)


@ON_BOTH
async def test_crash_between_send_and_record_is_not_posted_twice(world: World) -> None:
    url = world.serve("/crash.xml", items(2))
    async with running_app(world.emu, world.settings(), world.clock, outbox=False) as app:
        await world.command("feed", "add", {"url": url, "mode": "live", "backfill": 1})
        pending = await app.service.pending_deliveries()
        assert len(pending) == 1
        delivery = pending[0]
        # the outbox's steps up to the crash: attempt recorded, message sent, never recorded
        await app.service.mark_attempt(delivery.delivery_id)
        rendered, view = rendered_delivery(delivery)
        await DiscordTransport(app.bot).send(world.general, rendered, view, delivery.nonce)
    assert channel_posts(world.emu, world.general) == 1

    async with running_app(world.emu, world.settings(), world.clock, outbox=False) as app:
        assert await app.outbox.drain() == 1  # recognised in the channel, recorded as delivered
        assert await app.service.pending_deliveries() == []
    assert channel_posts(world.emu, world.general) == 1  # no second POST at all
    assert len(world.emu.messages(world.general)) == 1


async def test_crash_then_a_busy_channel_is_still_not_posted_twice(world: World) -> None:
    """Recovery finds the post even when the channel moved on by more messages than the newest
    it reads: it also reads the channel from the delivery's first attempt on."""
    # the service's clock agrees with Discord's (the emulator's message ids carry wall time)
    world.clock.set(datetime.now(UTC))
    url = world.serve("/busy.xml", items(2))
    async with running_app(world.emu, world.settings(), world.clock, outbox=False) as app:
        await world.command("feed", "add", {"url": url, "mode": "live", "backfill": 1})
        [delivery] = await app.service.pending_deliveries()
        await app.service.mark_attempt(delivery.delivery_id)
        rendered, view = rendered_delivery(delivery)
        await DiscordTransport(app.bot).send(world.general, rendered, view, delivery.nonce)
    # while the bot is down, people talk: our post is no longer among the newest messages
    for n in range(HISTORY_LIMIT + 10):
        await world.emu.post_as(world.reader, world.general, f"chatter {n}")

    async with running_app(world.emu, world.settings(), world.clock, outbox=False) as app:
        assert await app.outbox.drain() == 1  # found after the first attempt, recorded
        assert await app.service.pending_deliveries() == []
    assert channel_posts(world.emu, world.general) == 1


async def test_bot_missing_permissions_explained(world: World) -> None:
    url = world.serve("/perm.xml", items(1))
    await world.emu.restrict_bot(world.digest_channel, deny=SEND_MESSAGES)
    async with world.app():  # type: ignore[attr-defined]
        added = await world.command("feed", "add", {"url": url, "channel": world.digest_channel})
        assert added.ephemeral  # type: ignore[attr-defined]
        text = added.content or ""  # type: ignore[attr-defined]
        assert "Send Messages" in text and len(text.splitlines()) == 1
        scheduled = await world.command(
            "digest", "schedule", {"time": "07:30", "channel": world.digest_channel}
        )
        assert "Send Messages" in (scheduled.content or "")  # type: ignore[attr-defined]
        bad_time = await world.command("digest", "schedule", {"time": "25:99"})
        assert bad_time.ephemeral and bad_time.content  # type: ignore[attr-defined]
        bad_zone = await world.command(
            "digest", "schedule", {"time": "07:30", "timezone": "Mars/Olympus"}
        )
        assert bad_zone.ephemeral and bad_zone.content  # type: ignore[attr-defined]
        bad_url = await world.command("feed", "add", {"url": "ftp://example.com/feed"})
        assert bad_url.ephemeral and "\n" not in (bad_url.content or "")  # type: ignore[attr-defined]
        data = world.emu.command_data(world.guild, world.reader, "admin", "sync")
        handle = await world.emu.send_slash_command_unchecked(
            world.guild, world.general, world.reader, data
        )
        refused = await handle.wait_response(timeout=WAIT)
        assert refused.ephemeral and "owner" in (refused.content or "")
        neither = await world.command("quotes", None, {})
        assert neither.ephemeral and "story or a speaker" in (neither.content or "")  # type: ignore[attr-defined]
        for query in ['"unbalanced (AND* OR', "NEAR(", "*", "@everyone <@1>"]:
            found = await world.command("search", None, {"query": query})
            assert found.ephemeral  # type: ignore[attr-defined]
            assert "went wrong" not in found.text  # type: ignore[attr-defined]
            assert "@everyone" not in found.text  # type: ignore[attr-defined]
        missing = await world.command("story", None, {"story": "999999"})
        assert missing.ephemeral and missing.content  # type: ignore[attr-defined]


async def test_disabled_feed_notice_posted_once(world: World) -> None:
    url = world.serve("/flaky.xml", items(1))
    settings = e2e_settings(world.emu, world.tmp_path, NEWSDIGEST_MAX_FAILURES=2)
    async with running_app(world.emu, settings, world.clock) as app:
        await world.command("feed", "add", {"url": url, "mode": "live"})
        world.feeds.status("/flaky.xml", 500)
        for _ in range(4):
            await poll(app, world, minutes=25 * 60)
        notices = await world.emu.wait_for_messages(world.general, 1, timeout=WAIT)
        await app.outbox.drain()
        status = await world.command("status", None, {})
        assert "disabled" in status.text  # type: ignore[attr-defined]
    assert len(notices) == 1
    assert not notices[0].embeds and notices[0].content
    assert len(world.emu.messages(world.general)) == 1
    assert_no_mentions(world.emu.messages(world.general))


@pytest.mark.slow
async def test_story_posted_when_discord_comes_back(world: World) -> None:
    url = world.serve("/outage.xml", items(1))
    async with world.app() as app:  # type: ignore[attr-defined]
        await world.command("feed", "add", {"url": url, "mode": "live"})
        world.emu.set_rest_fault(500, path=f"/channels/{world.general}/messages", methods=["POST"])
        world.serve("/outage.xml", items(3))
        await poll(app, world)
        # discord.py retries a 500 five times, then the outbox backs off and tries again
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 90
        while world.emu.faulted_requests < 6:
            assert loop.time() < deadline, "the outbox did not retry"
            await asyncio.sleep(0.1)  # short poll of the emulator's counter, not a schedule
        assert world.emu.messages(world.general) == []
        world.emu.set_rest_fault(None)
        app.outbox.kick()
        posted = await world.emu.wait_for_messages(world.general, 2, timeout=90)
        titles = {m.embeds[0]["title"] for m in posted}
        assert titles == {
            title_of(2),
            title_of(3),
        }
        await app.outbox.drain()
    assert len(world.emu.messages(world.general)) == 2


async def test_fresh_discord_application_gets_commands_synced(world: World) -> None:
    async with world.app():  # type: ignore[attr-defined]
        pass
    async with DiscordEmulator(token=TOKEN) as fresh:
        settings = e2e_settings(fresh, world.tmp_path)  # same database and sync-state file
        async with running_app(fresh, settings, world.clock):
            names = {c["name"] for c in fresh.commands()}
    assert {"feed", "digest", "story", "quotes", "search", "status"} <= names


async def test_dev_guild_sync(world: World) -> None:
    settings = e2e_settings(world.emu, world.tmp_path, NEWSDIGEST_DEV_GUILD_ID=world.guild)
    async with running_app(world.emu, settings, world.clock):
        guild_names = {c["name"] for c in world.emu.commands(world.guild)}
        answer = await world.command("status", None, {})
    assert {"feed", "digest", "story", "quotes", "search", "status"} <= guild_names
    assert world.emu.commands() == []  # nothing synced globally
    assert answer.ephemeral  # type: ignore[attr-defined]


async def test_post_refused_by_discord_is_dropped_not_retried(world: World) -> None:
    url = world.serve("/locked.xml", items(1))
    async with world.app() as app:  # type: ignore[attr-defined]
        await world.command("feed", "add", {"url": url, "mode": "live"})
        await world.emu.restrict_bot(world.general, deny=SEND_MESSAGES)
        world.serve("/locked.xml", items(2))
        await poll(app, world)
        await app.outbox.drain()
        assert await app.service.pending_deliveries() == []
        assert world.emu.messages(world.general) == []
        attempts = channel_posts(world.emu, world.general)
        await app.outbox.drain()
        assert channel_posts(world.emu, world.general) == attempts == 1


@pytest.mark.slow  # discord.py waits a few seconds before it identifies again
async def test_new_session_after_invalidation_uses_the_configured_gateway(world: World) -> None:
    # discord.py reconnects to DiscordWebSocket.DEFAULT_GATEWAY when a session cannot be
    # resumed; the runner points it at the URL GET /gateway/bot returned on DISCORD_API_BASE_URL
    async with world.app():  # type: ignore[attr-defined]
        await world.emu.drop_gateway(invalidate=True)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT
        while sum(e.kind == "identify" for e in world.emu.gateway_events) < 2:
            assert loop.time() < deadline, [e.kind for e in world.emu.gateway_events]
            await asyncio.sleep(0.05)  # short poll of the emulator's record, not a schedule
        await world.emu.wait_connected(timeout=WAIT)
        answer = await world.command("status", None, {})
        assert answer.ephemeral  # type: ignore[attr-defined]


async def test_buttons_read_only_the_clicking_servers_feeds(world: World) -> None:
    """Issue 12 item 3: a button reads in the clicking server's scope. The same story is carried
    by a public feed (server 1) and an intranet feed only server 2 subscribes: neither server's
    Details names the other's feed, and a forged custom_id with the other server's story number
    reads nothing."""
    intranet = await world.emu.add_guild("Intranet", channels=("staff",))
    staff = world.emu.channel_id("staff", intranet)
    insider = await world.emu.add_member(permissions=MANAGE_CHANNELS, guild_id=intranet)
    public_item = items(1, start=5)[0]
    leaked = Item(
        guid="memo-5",
        title=public_item.title,
        paragraphs=article("stadium 5", "Vera Hollis", lede=LEDES[5 % len(LEDES)]),
        published=public_item.published,
    )
    public_url = world.serve("/public.xml", [public_item], title="Example Gazette")
    intranet_url = world.serve("/intranet.xml", [leaked], title="Staff Intranet")
    async with world.app() as app:  # type: ignore[attr-defined]
        assert isinstance(app, App)
        await world.command("feed", "add", {"url": public_url, "mode": "live", "backfill": 1})
        handle = await world.emu.send_slash_command(
            intranet,
            staff,
            insider,
            "feed",
            "add",
            {"url": intranet_url, "mode": "live", "backfill": 1},
        )
        await handle.wait_response(timeout=WAIT)
        [public_post] = await world.emu.wait_for_messages(world.general, 1, timeout=WAIT)
        [staff_post] = await world.emu.wait_for_messages(staff, 1, timeout=WAIT)
        [public_number] = story_numbers([public_post])
        [staff_number] = story_numbers([staff_post])

        async def click(channel: int, post: RecordedMessage, custom: str, user: int) -> str:
            if any(
                c.get("custom_id") == custom for row in post.components for c in row["components"]
            ):
                handle = await world.emu.click_button(channel, post.id, custom, user)
            else:
                handle = await world.emu.click_forged_button(channel, post.id, custom, user)
            answer = await handle.wait_response(timeout=WAIT)
            assert answer.ephemeral
            return answer.text

        # server 1 reads its story, and nothing of the intranet feed covering it too
        details = await click(
            world.general, public_post, f"nd:details:{public_number}", world.reader
        )
        assert title_of(5) in details
        assert "Staff Intranet" not in details and "Vera Hollis" not in details
        quotes = await click(world.general, public_post, f"nd:quotes:{public_number}", world.reader)
        assert "on time and on budget" in quotes and "Vera Hollis" not in quotes
        # the reverse: server 2 reads its own story without server 1's feed
        details = await click(staff, staff_post, f"nd:details:{staff_number}", insider)
        assert title_of(5) in details and "Example Gazette" not in details
        # forged custom_ids: each server asks for the other's story number and reads nothing
        for channel, post, number, user in (
            (staff, staff_post, public_number, insider),
            (world.general, public_post, staff_number, world.reader),
        ):
            for action in ("details", "quotes"):
                answer = await click(channel, post, f"nd:{action}:{number}", user)
                assert f"There is no story #{number}" in answer
                assert "on time and on budget" not in answer


async def test_feed_credentials_never_reach_readers_notices_or_logs(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """A feed URL carrying a password and a token (an untitled feed, so its URL is its name):
    the disable notice, /status, /feed list and the log show the URL with both redacted."""
    plain = world.serve("/private.xml", items(1), title="")
    url = plain.replace("http://", "http://reader:pw-s3cret@") + "?token=tok-s3cret&page=1"
    settings = e2e_settings(world.emu, world.tmp_path, NEWSDIGEST_MAX_FAILURES=1)
    caplog.set_level("INFO")
    async with running_app(world.emu, settings, world.clock) as app:
        added = await world.command("feed", "add", {"url": url, "mode": "live"})
        assert "Subscribed" in added.text  # type: ignore[attr-defined]
        world.feeds.status("/private.xml", 500)
        await poll(app, world, minutes=25 * 60)
        notices = await world.emu.wait_for_messages(world.general, 1, timeout=WAIT)
        status = await world.command("status", None, {}, user=world.reader)
        listed = await world.command("feed", "list", {})
        data = world.emu.command_data(world.guild, world.reader, "feed", "list")
        handle = await world.emu.send_slash_command_unchecked(
            world.guild, world.general, world.reader, data
        )
        refused = await handle.wait_response(timeout=WAIT)
        choices = await world.emu.autocomplete(
            world.guild,
            world.general,
            world.reader,
            "feed",
            "remove",
            {"feed": ""},
            focused="feed",
        )
    shown = {
        "notice": notices[0].content or "",
        "status": status.text,  # type: ignore[attr-defined]
        "list": listed.text,  # type: ignore[attr-defined]
        "log": caplog.text,
    }
    for where, text in shown.items():
        assert "s3cret" not in text, where
    assert "token=redacted" in shown["notice"] and "redacted@" in shown["notice"]
    assert "after 1 failed update in a row" in shown["notice"] and "))" not in shown["notice"]
    assert "token=redacted" in shown["status"] and "page=1" in shown["list"]
    assert "Disabled feed" in caplog.text and "token=redacted" in caplog.text
    assert "Manage Channels" in (refused.content or "") and "private" not in refused.text
    assert choices == []


async def test_story_and_speaker_autocomplete_offer_the_newest_first(world: World) -> None:
    entries = sorted(items(4), key=lambda i: i.published, reverse=True)  # as feeds list them
    url = world.serve("/newest.xml", entries)
    async with world.app():  # type: ignore[attr-defined]
        await world.command("feed", "add", {"url": url})
        stories = await world.emu.autocomplete(
            world.guild, world.general, world.reader, "story", None, {"story": ""}, focused="story"
        )
        # stories are condensed (their quotes and speakers known) once someone reads them
        for choice in stories:
            await world.command("story", None, {"story": choice["value"]}, user=world.reader)
        speakers = await world.emu.autocomplete(
            world.guild,
            world.general,
            world.reader,
            "quotes",
            None,
            {"speaker": ""},
            focused="speaker",
        )
        some = await world.emu.autocomplete(
            world.guild,
            world.general,
            world.reader,
            "quotes",
            None,
            {"speaker": "sou"},
            focused="speaker",
        )
    newest_first = [title_of(n) for n in (4, 3, 2, 1)]
    assert [c["name"].split(" ", 1)[1] for c in stories] == newest_first
    assert speakers and len({c["value"] for c in speakers}) == len(speakers)
    # items() quotes speakers[n % 6]: story 4 Tom Berg, 3 Ana Souza, 2 Li Wei, 1 Omar Haddad
    assert [c["value"] for c in speakers][:4] == ["Tom Berg", "Ana Souza", "Li Wei", "Omar Haddad"]
    assert [c["value"] for c in some] == ["Ana Souza"]


async def test_log_says_what_started_and_what_was_posted(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")
    url = world.serve("/logged.xml", items(2))
    daily = world.serve("/daily.xml", items(1, start=20))
    async with world.app() as app:  # type: ignore[attr-defined]
        started = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Started")]
        await world.command("feed", "add", {"url": url, "mode": "live", "backfill": 1})
        await world.emu.wait_for_messages(world.general, 1, timeout=WAIT)
        await world.command("feed", "add", {"url": daily, "channel": world.digest_channel})
        world.serve("/daily.xml", items(2, start=20))
        await poll(app, world)
        await world.command("digest", "now", {"channel": world.digest_channel})
        await world.emu.wait_for_messages(world.digest_channel, 1, timeout=WAIT)
        await app.outbox.drain()  # waits for the delivery loop's round, which logs
    assert len(started) == 1 and "in 1 server(s), polling 0 feed(s)" in started[0]
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Posted")]
    story = footers(world.emu.messages(world.general))[0].rsplit("#", 1)[1]
    assert f"Posted story #{story} to channel {world.general}." in lines
    assert any(
        line.startswith("Posted a digest of 1 story") and str(world.digest_channel) in line
        for line in lines
    ), lines
