"""Scaling out: several ``newsdigest run`` processes, each owning some of Discord's shards, on one
database, against the emulator with 6 shards (issue 14, "past one machine").

Three real subprocesses own shards 0-1, 2-3 and 4-5 (or one process owns them all); six guilds,
one on each shard, each with a #news channel subscribed (live, through ``/feed add`` sent to
whichever process owns the guild) to its own feed and a #wire channel subscribed to one feed
shared by every guild. Then:

- every story is posted exactly once in every channel (titles counted in the emulator);
- each feed URL is fetched once per poll cycle across the processes (the feed server records
  when each request came: two polls of one URL are never closer than half the interval);
- one process is killed with SIGKILL while posting; a new batch of stories published while it is
  down is polled and posted by the others for their own channels, while its channels get nothing
  until it is restarted; then they get everything, nothing twice, nothing lost.

On PostgreSQL when ``NEWSDIGEST_TEST_DATABASE_URL`` is set (passed to the processes as
``NEWSDIGEST_DATABASE_URL``; use a scratch database), else that variant is skipped; on SQLite
(one WAL file) always. Polls come at the feeds' slots of a 1-minute interval, so a run takes a
few minutes: slow-marked.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import os
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.builders import Item, rss
from tests.discord_emulator import DiscordEmulator, GuildSpec
from tests.faults.crash import _quiet
from tests.faults.proc import TOKEN, ServiceProcess, bulk_items, service_environment
from tests.feedserver import FeedServer

pytestmark = pytest.mark.slow

SHARDS = 6
#: NEWSDIGEST_POLL_MINUTES of the processes: polls of one URL are this far apart
INTERVAL = 60.0
PER_BATCH = 3
#: bound for each wait: a feed's slot (one interval), a poll tick (15 s) and the posting
WAIT = 2 * INTERVAL + 30
DATABASE_URL = os.environ.get("NEWSDIGEST_TEST_DATABASE_URL", "")

LAYOUTS = {
    "three-processes": ("0-1", "2-3", "4-5"),
    "one-process": (None,),  # every shard, the count as Discord (the emulator) recommends
}


def guild_id(shard: int, salt: int) -> int:
    """A snowflake-shaped guild id on ``shard`` of ``SHARDS`` (salted: unique per run)."""
    return ((salt * SHARDS + shard) << 22) | 1


@dataclass(frozen=True, slots=True)
class World:
    emu: DiscordEmulator
    feeds: FeedServer
    #: channel id -> the feed path it is subscribed to
    routes: dict[int, str]
    #: channel id -> its guild
    guild: dict[int, int]


def titles(emu: DiscordEmulator, channel: int) -> list[str]:
    return [str(e.get("title", "")) for m in emu.messages(channel) for e in m.embeds]


def publish(feeds: FeedServer, path: str, batch: int) -> list[str]:
    """Batch ``batch`` of the feed at ``path`` (every earlier batch stays listed): the titles
    of all its items so far."""
    number = int(path.strip("/").split(".")[0].removeprefix("f"))
    items: list[Item] = [
        i for b in range(batch + 1) for i in bulk_items(number * 10 + b, PER_BATCH)
    ]
    feeds.add(path, rss(f"Feed {number}", items), etag=f'"{path}-{batch}"')
    return [i.title for i in items]


def fetch_gaps(feeds: FeedServer, paths: Sequence[str], since: float) -> dict[str, float]:
    """The shortest time between two requests to each path after ``since`` (inf: fewer than 2)."""
    gaps: dict[str, float] = {}
    for path in paths:
        times = sorted(r.at for r in feeds.requests(path) if r.at >= since)
        gaps[path] = min((b - a for a, b in itertools.pairwise(times)), default=1e9)
    return gaps


def processes(
    emu: DiscordEmulator, tmp_path: Path, layout: Sequence[str | None], backend: str
) -> list[ServiceProcess]:
    base = {
        "NEWSDIGEST_POLL_MINUTES": str(int(INTERVAL // 60)),
        # the items are teasers whose pages (on a closed loopback port) are tried: unpaced
        "NEWSDIGEST_PAGE_INTERVAL": "0",
    }
    if backend == "postgresql":
        base["NEWSDIGEST_DATABASE_URL"] = DATABASE_URL
    out = []
    for n, shards in enumerate(layout):
        extra = dict(base)
        if shards is not None:
            extra |= {"NEWSDIGEST_SHARDS": shards, "NEWSDIGEST_SHARD_COUNT": str(SHARDS)}
        env = service_environment(emu, tmp_path / "shared.db", **extra)
        out.append(ServiceProcess(env=env, log=tmp_path / f"run{n}.log", cwd=tmp_path))
    return out


async def started(emu: DiscordEmulator, procs: Sequence[ServiceProcess]) -> None:
    """Every process connected its shards and started its jobs (its log says so)."""
    await emu.wait_until(
        lambda: all(p.output().count("Started as") >= p.starts for p in procs) or _dead(procs),
        WAIT,
        what="every process started",
    )
    assert not _dead(procs), _logs(procs)


def _dead(procs: Sequence[ServiceProcess]) -> bool:
    return any(p.proc is not None and p.proc.returncode is not None for p in procs)


def _logs(procs: Sequence[ServiceProcess]) -> str:
    return "\n".join(f"--- run{n}\n{p.output()[-3000:]}" for n, p in enumerate(procs))


async def subscribe(world: World) -> None:
    """``/feed add`` in every channel, each answered by the process owning the guild."""
    emu = world.emu
    for channel, path in world.routes.items():
        handle = await emu.send_slash_command(
            world.guild[channel],
            channel,
            emu.app_owner_id,
            "feed",
            "add",
            {"url": world.feeds.url(path), "mode": "live"},
        )
        answer = await handle.wait_response(timeout=30)
        assert "Feed" in answer.text, answer.text


@pytest.mark.parametrize(
    "backend",
    [
        "sqlite",
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(
                not DATABASE_URL, reason="NEWSDIGEST_TEST_DATABASE_URL is not set"
            ),
        ),
    ],
)
@pytest.mark.parametrize("layout", list(LAYOUTS), ids=list(LAYOUTS))
async def test_processes_sharing_shards_post_everything_once(
    tmp_path: Path, layout: str, backend: str
) -> None:
    salt = random.Random().randrange(1, 1 << 20)
    guilds = [
        GuildSpec(f"Shard {s} Times", ("news", "wire"), id=guild_id(s, salt)) for s in range(SHARDS)
    ]
    async with (
        DiscordEmulator(token=TOKEN, guilds=guilds, shards=SHARDS, nonce_window=0) as emu,
        FeedServer() as feeds,
    ):
        routes: dict[int, str] = {}
        guild: dict[int, int] = {}
        shard: dict[int, int] = {}
        for s in range(SHARDS):
            gid = guild_id(s, salt)
            news, wire = emu.channel_id("news", gid), emu.channel_id("wire", gid)
            routes[news], routes[wire] = f"/f{s}.xml", "/f9.xml"
            guild[news] = guild[wire] = gid
            shard[news] = shard[wire] = s
        world = World(emu, feeds, routes, guild)
        paths = sorted(set(routes.values()))
        for path in paths:
            publish(feeds, path, 0)
        procs = processes(emu, tmp_path, LAYOUTS[layout], backend)
        victim = procs[len(procs) // 2]  # shards 2-3, or the only process
        victim_shards = {2, 3} if len(procs) > 1 else set(range(SHARDS))
        try:
            await asyncio.gather(*(p.start() for p in procs))
            await started(emu, procs)
            await subscribe(world)
            # batch 1: polled at the feeds' slots and posted by each channel's owner
            loop = asyncio.get_running_loop()
            polls_from = loop.time()
            expected = {c: publish(feeds, p, 1)[-PER_BATCH:] for c, p in routes.items()}

            def complete(channels: Sequence[int]) -> bool:
                return all(set(expected[c]) <= set(titles(emu, c)) for c in channels)

            mine = [c for c in routes if shard[c] in victim_shards]
            await emu.wait_until(
                lambda: any(titles(emu, c) for c in mine), WAIT, what="the victim posting"
            )
            await victim.kill9()  # while it posts (its channels may be part-way)
            await emu.wait_until(
                lambda: complete([c for c in routes if c not in mine]) or _dead(procs),
                WAIT,
                what="batch 1 in the other processes' channels",
            )
            # batch 2 while the victim is down
            for channel, path in routes.items():
                expected[channel] = expected[channel] + publish(feeds, path, 2)[-PER_BATCH:]
            others = [c for c in routes if c not in mine]
            if others:
                await emu.wait_until(
                    lambda: complete(others) or _dead([p for p in procs if p is not victim]),
                    WAIT,
                    what="batch 2 in the other processes' channels",
                )
                batch2 = {c: set(expected[c][-PER_BATCH:]) for c in mine}
                assert not any(batch2[c] & set(titles(emu, c)) for c in mine), (
                    "another process posted to the killed process's channels"
                )
            await victim.start()
            await started(emu, procs)
            await emu.wait_until(lambda: complete(list(routes)), WAIT, what="every story")
            await _quiet(emu, 1.0)  # a would-be duplicate arrives now (the outboxes are idle)
        finally:
            codes = [await p.stop() for p in procs]
        report = _logs(procs)
        for channel in routes:
            got = collections.Counter(titles(emu, channel))
            assert set(got) == set(expected[channel]), (channel, got, report)
            assert max(got.values()) == 1, (channel, got)  # nothing twice
        gaps = fetch_gaps(feeds, paths, polls_from)
        assert min(gaps.values()) >= INTERVAL / 2, gaps  # once per cycle across processes
        assert codes == [0] * len(procs), report
        # the PostgreSQL variant really ran there, not on a SQLite file beside it
        assert (tmp_path / "shared.db").exists() == (backend == "sqlite")
