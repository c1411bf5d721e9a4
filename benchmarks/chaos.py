"""Chaos run: the fault and hostile-input scenarios of issue 5, with what was tried and what was
lost or duplicated, as a table.

    python benchmarks/chaos.py            # full: 20 kills x 200 stories, 60 s Discord outage
    python benchmarks/chaos.py --quick    # 3 kills, 3 s outage

Everything is real and on loopback: the feed servers and the Discord emulator of tests/, the real
Fetcher/service/CLI/bot, SQLite files in a scratch directory, the service as a subprocess that is
killed with SIGKILL. Reuses the helpers of tests/faults/.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from digests.errors import DigestError, InvalidFeedURLError
from digests.feeds.fetch import FetchLimits
from tests.builders import rss
from tests.faults.helpers import item, service_env

MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Row:
    scenario: str
    tried: str
    lost: int
    duplicated: int
    expected: str
    ok: bool
    seconds: float = 0.0


def one_sentence(message: str | None) -> bool:
    from tests.faults.helpers import assert_one_sentence

    try:
        assert_one_sentence(message)
    except AssertionError:
        return False
    return True


# --- URL safety ---------------------------------------------------------------------------------
async def url_matrix(scratch: Path) -> list[Row]:
    from tests.faults.netmatrix import (
        ALL_TARGETS,
        PUBLIC_NAME,
        SCHEMES,
        TARGETS,
        TestResolver,
        cli_environment,
        run_cli,
        servers,
    )

    rows: list[Row] = []
    # /feed add (the service), direct and behind a redirect, strict and allow_private
    tried = refused = allowed_ok = allowed_tried = leaked = 0
    for n, target in enumerate(ALL_TARGETS):
        for redirect in (False, True):
            async with (
                servers() as srv,
                service_env(
                    scratch / f"m{n}{redirect}",
                    allow_private=False,
                    resolver=TestResolver(),
                    allow_hosts=(PUBLIC_NAME,),
                ) as env,
            ):
                url = srv.url(target, "/feed.xml")
                if redirect:
                    srv.redirect("/go", url)
                    url = srv.public("/go")
                tried += 1
                try:
                    await env.service.add_feed(guild_id=1, channel_id=10, url=url)
                except InvalidFeedURLError as exc:
                    refused += one_sentence(exc.message)
                leaked += srv.hits("/feed.xml")
    for n, target in enumerate(TARGETS + SCHEMES):
        if not (target.loopback or target.scheme):
            continue
        async with servers() as srv, service_env(scratch / f"a{n}", resolver=TestResolver()) as env:
            allowed_tried += 1
            try:
                await env.service.add_feed(
                    guild_id=1, channel_id=10, url=srv.url(target, "/feed.xml")
                )
                allowed_ok += not target.scheme
            except InvalidFeedURLError:
                allowed_ok += target.scheme
    rows.append(
        Row(
            "URL safety: /feed add",
            f"{tried} unsafe URLs (direct + redirected)",
            0,
            0,
            f"{refused}/{tried} refused in one sentence, {leaked} requests reached a target; "
            f"allow_private: {allowed_ok}/{allowed_tried} as expected",
            refused == tried and leaked == 0 and allowed_ok == allowed_tried,
        )
    )
    # the command line
    for command in ("condense", "digest"):
        path = "/page.html" if command == "condense" else "/feed.xml"
        tried = refused = leaked = 0
        for n, target in enumerate(ALL_TARGETS):
            for redirect in (False, True):
                async with servers() as srv:
                    url = srv.url(target, path)
                    if redirect:
                        srv.redirect("/go", url)
                        url = srv.public("/go")
                    where = scratch / f"c{command}{n}{redirect}"
                    where.mkdir()
                    argv = [command, url] + (
                        ["--db", str(where / "x.db")] if command == "digest" else []
                    )
                    with cli_environment(where, False, TestResolver()):
                        run = await asyncio.to_thread(run_cli, argv)
                    tried += 1
                    line = run.err.strip().removeprefix("newsdigest: ")
                    if command == "digest":
                        line = line.split(": ", 1)[-1]
                    refused += run.status == 1 and run.err.count("\n") == 1 and one_sentence(line)
                    leaked += srv.hits(path)
        rows.append(
            Row(
                f"URL safety: newsdigest {command} URL",
                f"{tried} unsafe URLs (direct + redirected)",
                0,
                0,
                f"{refused}/{tried} exit 1 + one sentence, {leaked} requests reached a target",
                refused == tried and leaked == 0,
            )
        )
    return rows


# --- hostile feeds ------------------------------------------------------------------------------
async def hostile_feeds(scratch: Path) -> list[Row]:
    from tests.faults.hostile import HOSTILE
    from tests.feedserver import FeedServer

    rows: list[Row] = []
    limits = FetchLimits(total_timeout=2.5, read_timeout=2.0, connect_timeout=2.0)
    for n, hostile in enumerate(HOSTILE):
        where = scratch / f"h{n}"
        where.mkdir()
        async with FeedServer() as server, service_env(where, limits=limits) as env:
            server.add("/a.xml", rss("Alpha", [item(1)]))
            server.add("/v.xml", rss("Victim", [item(2)]))
            for channel, path in ((10, "/a.xml"), (12, "/v.xml")):
                await env.service.add_feed(
                    guild_id=1, channel_id=channel, url=server.url(path), mode="live"
                )
            hostile.install(server, "/v.xml", where)
            server.add("/a.xml", rss("Alpha", [item(3), item(1)]))
            env.later()
            tracemalloc.start()
            started = time.monotonic()
            try:
                results = {r.url: r for r in await env.service.update_due_feeds()}
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
            elapsed = time.monotonic() - started
            good = results[server.url("/a.xml")]
            victim = results[server.url("/v.xml")]
            lost = 0 if good.error is None and good.new_stories == 1 else 1
            if hostile.fails:
                as_expected = one_sentence(victim.error)
                outcome = f"error: {victim.error}" if victim.error else "no error!"
            else:
                as_expected = victim.error is None
                outcome = "read fine" if victim.error is None else f"error: {victim.error}"
            rows.append(
                Row(
                    f"hostile feed: {hostile.name}",
                    hostile.tried,
                    lost,
                    0,
                    f"{_short(outcome, 70)}; other feed went on; peak {peak / MB:.1f} MB",
                    as_expected and lost == 0 and peak < 40 * MB,
                    elapsed,
                )
            )
    return rows


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- feed outage --------------------------------------------------------------------------------
async def feed_outage(scratch: Path) -> list[Row]:
    from tests.feedserver import FeedServer

    async with FeedServer() as server, service_env(scratch, max_failures=4) as env:
        server.add("/a.xml", rss("Outage News", [item(1)]))
        url = server.url("/a.xml")
        for guild, channel in ((1, 10), (1, 11), (2, 20)):
            await env.service.add_feed(guild_id=guild, channel_id=channel, url=url)
        server.status("/a.xml", 500)
        gaps: list[float] = []
        for _ in range(8):
            due = await env.service.next_poll_at()
            if due is None:
                break
            env.clock.set(max(due, env.clock.now()))
            await env.service.update_due_feeds()
            [status] = await env.service.feed_status(1)
            if status.next_fetch and status.last_fetched and status.health != "disabled":
                gaps.append((status.next_fetch - status.last_fetched).total_seconds() / 60)
        [status] = await env.service.feed_status(1)
        notices = collections.Counter(
            d.channel_id for d in await env.service.pending_deliveries() if d.kind == "notice"
        )
        server.add("/a.xml", rss("Outage News", [item(2), item(1)]))
        again = await env.service.add_feed(guild_id=1, channel_id=10, url=url)
    duplicated = sum(c - 1 for c in notices.values())
    lost = sum(1 for c in (10, 11, 20) if notices[c] == 0)
    pretty = ", ".join(f"{g:.1f}" for g in gaps)
    return [
        Row(
            "feed outage",
            "HTTP 500 on every poll, max_failures=4, 3 channels",
            lost,
            duplicated,
            f"backoff {pretty} min; {status.health} after {status.failures}; "
            f"notices {dict(notices)}; re-add re-enabled={again.reenabled}",
            status.health == "disabled" and again.reenabled and lost == 0 and duplicated == 0,
        )
    ]


# --- Discord ------------------------------------------------------------------------------------
async def mentions(scratch: Path) -> list[Row]:
    from tests.discord_emulator.mentions import pings
    from tests.faults.discordworld import WAIT, visible, world
    from tests.faults.test_mentions import hostile_items

    async with world(scratch, settings={"NEWSDIGEST_MAX_FAILURES": 1}) as w:
        news, digests = w.channel("news"), w.channel("digests")
        live = w.serve("/live.xml", "@everyone News <@&1>", hostile_items(w.reader))
        await w.command(
            "feed", "add", {"url": live, "channel": news, "mode": "live", "backfill": 3}
        )
        await w.emu.wait_for_messages(news, 3, timeout=WAIT)
        batch = w.serve("/d.xml", "@here Digest", [])
        await w.command("feed", "add", {"url": batch, "channel": digests})
        w.serve("/d.xml", "@here Digest", hostile_items(w.reader, start=10))
        await w.poll()
        await w.command("digest", "now", {"channel": digests})
        await w.emu.wait_for_messages(digests, 1, timeout=WAIT)
        await w.command("quotes", None, {"speaker": "Jane Doe"})
        await w.command("search", None, {"query": "everyone"})
        w.feeds.status("/live.xml", 500)
        await w.poll(60 * 24)
        await w.emu.wait_until(
            lambda: any("turned off" in visible(m.content) for m in w.emu.messages(news)), WAIT
        )
        messages = w.emu.all_messages()
        pinged = sum(1 for m in messages if m.pings or pings(m.content, None))
        unguarded = sum(1 for m in messages if (m.allowed_mentions or {}).get("parse") != [])
        answers = sum(1 for a in w.answers for r in a.responses if r.is_answer)
        answer_pings = sum(
            1
            for a in w.answers
            for r in a.responses
            if r.is_answer and pings(r.content or "", None)
        )
    return [
        Row(
            "mention injection",
            f"{len(messages)} posts + {answers} answers carrying @everyone/@here/<@&r>/<@u>",
            0,
            0,
            f"{pinged + answer_pings} pings, {unguarded} posts without parse=[]",
            pinged == answer_pings == unguarded == 0,
        )
    ]


async def discord_outage(scratch: Path, window: float, hard: bool = False) -> list[Row]:
    from tests.faults.outage import discord_outage as run

    started = time.monotonic()
    report = await run(scratch, window=window, hard=hard)
    how = ", gateway aborted + invalidated" if hard else ""
    return [
        Row(
            f"Discord outage ({window:g} s{how})",
            f"500s, 429s (retry_after), gateway dropped; {report.stories} stories meanwhile",
            report.lost,
            report.duplicated,
            f"{report.faulted_requests} faulted requests, reconnected {report.reconnects}x "
            f"by itself, all posted {report.recovery_seconds:.0f} s after",
            report.lost == report.duplicated == 0 and report.connected_after,
            time.monotonic() - started,
        )
    ]


async def crash(scratch: Path, kills: int, channels: int, per_channel: int) -> list[Row]:
    from tests.faults.crash import crash_restart

    started = time.monotonic()
    report = await crash_restart(scratch, channels=channels, per_channel=per_channel, kills=kills)
    t = report.tally
    return [
        Row(
            "crash (kill -9) + restart",
            f"{report.kills} kills, {t.expected} stories to {channels} channels",
            t.lost,
            t.duplicated,
            f"{report.interrupted} sends interrupted and recovered, {t.unexpected} unexpected, "
            f"{report.pending_after} pending; token in logs: {report.token_leaked}",
            t.lost == t.duplicated == t.unexpected == report.pending_after == 0
            and not report.token_leaked,
            time.monotonic() - started,
        )
    ]


async def crash_polling(scratch: Path, kills: int) -> list[Row]:
    from tests.faults.crash import crash_while_polling

    started = time.monotonic()
    report = await crash_while_polling(scratch, kills=kills, per_channel=20)
    return [
        Row(
            "kill -9 during the service's poll",
            f"{report.kills} kills right after polling began, {report.expected} new stories",
            report.lost,
            report.duplicated,
            f"{report.polls_interrupted} runs killed before all was posted; "
            f"exit {report.exit_code}",
            report.lost == report.duplicated == 0 and report.posted == report.expected,
            time.monotonic() - started,
        )
    ]


async def storage(scratch: Path) -> list[Row]:
    from digests.store import Store
    from tests.faults.test_secrets_storage import corrupt, filled_db, locked

    db = filled_db(scratch)
    corrupt(db)
    messages: list[str] = []
    for name, path in (("corrupt", db), ("locked", scratch / "locked.db")):
        try:
            if name == "locked":
                with locked(path):
                    Store(path, busy_timeout_ms=200)
            else:
                Store(path)
        except DigestError as exc:
            messages.append(exc.message)
    good = [m for m in messages if one_sentence(m)]
    return [
        Row(
            "corrupt / locked database",
            "open a corrupted file and an exclusively locked one",
            0,
            0,
            " | ".join(messages),
            len(good) == 2,
        )
    ]


# --- main ---------------------------------------------------------------------------------------
def print_table(rows: list[Row]) -> None:
    headers = ("scenario", "tried", "lost", "dup", "ok", "refused / errors / notes")
    table = [
        (r.scenario, r.tried, str(r.lost), str(r.duplicated), "yes" if r.ok else "NO", r.expected)
        for r in rows
    ]
    widths = [max(len(h), *(len(t[i]) for t in table)) for i, h in enumerate(headers[:5])]
    line = "  ".join(h.ljust(w) for h, w in zip(headers[:5], widths, strict=True))
    print(line + "  " + headers[5])
    print("-" * (len(line) + 30))
    for t in table:
        print("  ".join(c.ljust(w) for c, w in zip(t[:5], widths, strict=True)) + "  " + t[5])
    lost = sum(r.lost for r in rows)
    dup = sum(r.duplicated for r in rows)
    bad = [r.scenario for r in rows if not r.ok]
    print(f"\ntotal lost {lost}, duplicated {dup}; scenarios not as expected: {bad or 'none'}")


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 kills and a 3 s outage")
    parser.add_argument("--kills", type=int, default=None)
    parser.add_argument("--window", type=float, default=None, help="Discord outage seconds")
    parser.add_argument("--only", default="", help="comma-separated scenario keys")
    args = parser.parse_args(argv)
    kills = args.kills if args.kills is not None else (3 if args.quick else 20)
    window = args.window if args.window is not None else (3.0 if args.quick else 60.0)
    channels, per = (4, 10) if args.quick else (10, 20)
    scenarios: dict[str, Callable[[Path], Awaitable[list[Row]]]] = {
        "urls": url_matrix,
        "hostile": hostile_feeds,
        "feed-outage": feed_outage,
        "storage": storage,
        "mentions": mentions,
        "discord-outage": lambda p: discord_outage(p, window),
        "discord-outage-hard": lambda p: discord_outage(p, min(window, 10.0), hard=True),
        "crash": lambda p: crash(p, kills, channels, per),
        "crash-polling": lambda p: crash_polling(p, 3),
    }
    chosen = [k for k in args.only.split(",") if k] or list(scenarios)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="newsdigest-chaos-") as scratch:
        for key in chosen:
            where = Path(scratch) / key
            where.mkdir()
            started = time.monotonic()
            print(f"[{key}] running…", file=sys.stderr, flush=True)
            got = await scenarios[key](where)
            print(f"[{key}] {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
            rows += got
    print_table(rows)
    return 0 if all(r.ok for r in rows) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
