"""Resident memory of `newsdigest run` with 10,000 feeds, 100,000 stories and 1,000 servers.

Builds the state in a real SQLite file (feeds spread over the servers' channels, stories with
quotes, indexed for search), starts the loopback Discord emulator with that many guilds in a
process of its own and the synthetic feed server of ``poll_throughput.py`` in another, then runs
the real application (``bot.runner.compose``: store, service, worker pool, scheduler, outbox and
the unmodified discord.py client) in this process and prints its memory at each step:

- ready: connected, every GUILD_CREATE handled, jobs rebuilt, outbox running;
- after a poll cycle of every feed (all answer 304, as in the steady state);
- after /search, /story and /status from members of 50 servers.

RSS is this process's resident set (VmRSS; VmHWM is its peak); the worker processes (forked from
one fork server, sharing most pages) are reported as their proportional share (PSS), which adds
up without counting shared pages twice.

    python benchmarks/memory.py [--feeds 10000] [--stories 100000] [--guilds 1000]

Measured 6 Dec 2026 (2 shared cores, defaults), RSS of the service process, then the workers' PSS:

==================  ============  ====================  ================  =======
code                ready         after a 304 cycle     after reads       workers
==================  ============  ====================  ================  =======
main (a2805fd)      89.2 MB       122.1 MB (peak 124.7) 126.7 MB          72-74 MB
perf branch         89.2 MB       108.3 MB              114.8 MB          72-74 MB
==================  ============  ====================  ================  =======

Measured 6 Dec 2026 again, three runs each, when the workers stopped importing the service:

==================  ============  ====================  ================  =======
code                ready         after a 304 cycle     after reads       workers
==================  ============  ====================  ================  =======
d61e1d7             89.6-89.7 MB  108.2-116.2 MB        111.1-120.4 MB    78.2-78.4 MB
digests/jobs.py     89.5-89.7 MB  108.4-114.5 MB        111.1-117.0 MB    65.4-65.6 MB
==================  ============  ====================  ================  =======

About 15 MB of the service's memory is numpy, which sqlite-utils imports when it is installed
(here by the test extras' rouge-score; a production install has none); the workers import
neither. discord.py's share for 1,000 servers is
small (ready - imported: ~8 MB): the client keeps no message or member cache.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

TOKEN = "memory.bot.token-0123456789"  # noqa: S105 - the emulator's made-up token
START = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
MANAGE_CHANNELS = 1 << 4
PARAGRAPH = (
    "The council met on Tuesday to discuss the {topic} plan, which has divided residents for "
    "months. Supporters say it will bring jobs, while opponents fear higher rents and the loss "
    "of green space. A final vote is expected next month after public hearings. "
)
QUOTE = '"We will deliver the {topic} plan on time," said {speaker}, who leads the project. '
SPEAKERS = ("Jane Smith", "Omar Haddad", "Li Wei", "Ana Souza", "Tom Berg")


# --- memory readings -----------------------------------------------------------------------------
def status_kb(pid: int | str, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    out: list[int] = []
    todo = list(children.get(pid, []))
    while todo:
        child = todo.pop()
        out.append(child)
        todo += children.get(child, [])
    return out


def report(label: str, helpers: set[int]) -> dict[str, float]:
    import os

    me = os.getpid()
    workers = [p for p in descendants(me) if p not in helpers]
    figures = {
        "rss_mb": status_kb("self", "VmRSS") / 1024,
        "peak_mb": status_kb("self", "VmHWM") / 1024,
        "workers_pss_mb": sum(pss_kb(p) for p in workers) / 1024,
        "workers": len(workers),
    }
    print(
        f"{label:<34} RSS {figures['rss_mb']:6.1f} MB  (peak {figures['peak_mb']:6.1f} MB)"
        f"   + {figures['workers']} worker processes PSS {figures['workers_pss_mb']:6.1f} MB",
        flush=True,
    )
    return figures


# --- the emulator (its own process) -------------------------------------------------------------
def run_emulator(guilds: int, members: int, pipe: Any) -> None:
    sys.path.insert(0, str(ROOT))
    from tests.discord_emulator import DiscordEmulator, GuildSpec

    async def main() -> None:
        specs = [
            GuildSpec(f"Server {n}", ("news", "digests"), id=10**17 + n) for n in range(guilds)
        ]
        async with DiscordEmulator(token=TOKEN, guilds=specs) as emu:
            world: dict[str, Any] = {"api_base": emu.api_base, "guilds": []}
            for spec in specs:
                assert spec.id is not None
                people = [
                    await emu.add_member(permissions=MANAGE_CHANNELS, guild_id=spec.id)
                    for _ in range(members)
                ]
                world["guilds"].append(
                    {
                        "id": spec.id,
                        "news": emu.channel_id("news", spec.id),
                        "digests": emu.channel_id("digests", spec.id),
                        "member": people[0] if people else None,
                    }
                )
            pipe.send(world)
            await asyncio.to_thread(pipe.recv)  # until the benchmark says stop

    asyncio.run(main())


# --- the state ---------------------------------------------------------------------------------
def build_database(
    db: Path, urls: list[str], guilds: list[dict[str, Any]], stories: int, etags: list[str]
) -> None:
    """Feeds with their validators, each subscribed by one server's channel, and ``stories``
    stories (with one quote each) spread over the feeds: plain SQL, the triggers index them."""
    from digests.store import Store
    from digests.store.base import ts

    Store(db).close()  # create and migrate
    stamp = ts(START - timedelta(days=2))
    conn = sqlite3.connect(db)
    with conn:
        conn.executemany(
            "INSERT INTO feeds(url, title, etag, last_modified, body_hash, created_at,"
            " next_fetch) VALUES (?, ?, ?, 'Sun, 01 Nov 2026 00:00:00 GMT', 'x', ?, ?)",
            [(u, f"Feed {n}", etags[n], stamp, stamp) for n, u in enumerate(urls)],
        )
        conn.executemany(
            "INSERT INTO subscriptions(guild_id, channel_id, feed_id, mode, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [
                (
                    guilds[n % len(guilds)]["id"],
                    guilds[n % len(guilds)]["news" if n % 2 else "digests"],
                    n + 1,
                    "live" if n % 2 else "digest",
                    stamp,
                )
                for n in range(len(urls))
            ],
        )
    per_feed = max(1, stories // len(urls))
    batch: list[tuple[Any, ...]] = []
    quotes: list[tuple[Any, ...]] = []
    story_id = 0
    with conn:
        for feed in range(len(urls)):
            for n in range(per_feed):
                story_id += 1
                topic = f"harbour {feed}-{n}"
                speaker = SPEAKERS[(feed + n) % len(SPEAKERS)]
                text = "\n\n".join(
                    [QUOTE.format(topic=topic, speaker=speaker)]
                    + [PARAGRAPH.format(topic=topic)] * 4
                )
                when = ts(START - timedelta(minutes=feed % 600 + n))
                batch.append(
                    (
                        story_id,
                        feed + 1,
                        f"item-{feed}-{n}",
                        f"http://news.invalid/{feed}/{n}",
                        f"Council debates the {topic} plan",
                        when,
                        f"h{story_id}",
                        text,
                        PARAGRAPH.format(topic=topic),
                        json.dumps([PARAGRAPH.format(topic=topic)]),
                        when,
                        when,
                    )
                )
                quotes.append(
                    (story_id, 0, f"We will deliver the {topic} plan on time", speaker, 0.9)
                )
            if len(batch) >= 5000:
                _insert_stories(conn, batch, quotes)
                batch, quotes = [], []
        _insert_stories(conn, batch, quotes)
    conn.close()


def _insert_stories(
    conn: sqlite3.Connection, batch: list[tuple[Any, ...]], quotes: list[tuple[Any, ...]]
) -> None:
    conn.executemany(
        "INSERT INTO stories(story_id, feed_id, entry_id, url, title, published, content_hash,"
        " text, summary, sentences, first_seen, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        batch,
    )
    conn.executemany(
        "INSERT INTO quotes(story_id, position, text, speaker, score) VALUES (?,?,?,?,?)", quotes
    )


# --- the application -----------------------------------------------------------------------------
async def measure(db: Path, world: dict[str, Any], helpers: set[int]) -> None:
    from bot.runner import compose, point_discord_at, shutdown, start_background, start_bot
    from bot.scheduling import poll_feeds
    from bot.settings import load_settings
    from digests.clock import FakeClock

    loaded = [
        name for name in ("numpy", "trafilatura", "lxml", "feedparser") if name in sys.modules
    ]
    report("imported" + (f" ({', '.join(loaded)})" if loaded else ""), helpers)
    settings = load_settings(
        DISCORD_TOKEN=TOKEN,
        NEWSDIGEST_DB=str(db),
        NEWSDIGEST_ALLOW_PRIVATE_URLS=True,
        DISCORD_API_BASE_URL=world["api_base"],
        NEWSDIGEST_LOG_LEVEL="WARNING",
    )
    clock = FakeClock(START)
    point_discord_at(settings.api_base_url)  # REST and, through GET /gateway/bot, the gateway
    async with compose(settings, clock=clock, guild_ready_timeout=2.0) as app:
        t0 = time.perf_counter()
        bot_task = await start_bot(app, TOKEN)
        background: list[asyncio.Task[None]] = []
        try:
            await asyncio.wait_for(app.bot.wait_until_ready(), 600)
            background = await start_background(app, paused=True)
            print(
                f"  connected to {len(app.bot.guilds)} servers in {time.perf_counter() - t0:.1f} s",
                flush=True,
            )
            report("ready", helpers)
            clock.advance(timedelta(hours=1))
            t0 = time.perf_counter()
            results = await poll_feeds(app.jobs.ctx)
            unchanged = sum(r.not_modified for r in results)
            print(
                f"  polled {len(results)} feeds ({unchanged} unchanged) in "
                f"{time.perf_counter() - t0:.1f} s",
                flush=True,
            )
            report("after a poll cycle", helpers)
            await reads(app, world)
            report("after /search, /story, /status", helpers)
        finally:
            await shutdown(app, *background)
            bot_task.cancel()
            await asyncio.gather(bot_task, return_exceptions=True)


async def reads(app: Any, world: dict[str, Any]) -> None:
    """What members of 50 servers ask: the service calls the commands make."""
    from digests.model import Scope

    for guild in world["guilds"][:50]:
        scope = Scope.server(guild["id"])
        hits = await app.service.search("harbour plan", scope=scope)
        for hit in hits[:3]:
            await app.service.story(hit.story_id, scope=scope)
        await app.service.feed_status(guild["id"])


def main() -> int:
    import os

    import poll_throughput as pt

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=10_000)
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--guilds", type=int, default=1_000)
    parser.add_argument("--members", type=int, default=3, help="members per server")
    args = parser.parse_args()

    ctx = multiprocessing.get_context("spawn")
    port = pt.free_port()
    ready = ctx.Event()
    feeds = ctx.Process(target=pt.serve, args=(port, args.feeds, ready), daemon=True)
    feeds.start()
    ours, theirs = ctx.Pipe()
    emulator = ctx.Process(
        target=run_emulator, args=(args.guilds, args.members, theirs), daemon=True
    )
    emulator.start()
    helpers = {p.pid for p in (feeds, emulator) if p.pid is not None}
    try:
        ready.wait(60)
        world = ours.recv()
        state = pt._State(args.feeds)  # the server's validators
        etags = [state.validators(n)[0] for n in range(args.feeds)]
        urls = [f"http://127.0.0.1:{port}/feed/{n}.xml" for n in range(args.feeds)]
        with tempfile.TemporaryDirectory() as scratch:
            db = Path(scratch) / "newsdigest.db"
            t0 = time.perf_counter()
            build_database(db, urls, world["guilds"], args.stories, etags)
            size = sum(f.stat().st_size for f in Path(scratch).iterdir()) / 2**20
            print(
                f"{args.feeds} feeds, {args.stories} stories, {args.guilds} servers "
                f"({args.members} members each); database {size:.0f} MB built in "
                f"{time.perf_counter() - t0:.0f} s; {os.cpu_count()} CPUs",
                flush=True,
            )
            asyncio.run(measure(db, world, helpers))
    finally:
        ours.send("stop")
        emulator.join(10)
        feeds.terminate()
        feeds.join(5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
