"""End-to-end latency: from a new item appearing in a feed to its post in Discord.

Runs the real service (bot.runner's composition root, the real DigestService on a SQLite file)
against the loopback Discord emulator (tests/discord_emulator) with ``--feeds`` loopback feeds
(default 1,000) posted live to ``--channels`` channels (default 50). After subscribing every feed,
``--rounds`` rounds each publish one new item in ``--changed`` feeds; a round then runs the polling
job once (what the scheduler does at its tick, with the fake clock moved past the poll interval)
and waits until every new story is posted. Latency = time from the item being served to the
emulator recording the post (poll + fetch + parse + condense + store + outbox + REST).

In production a new item additionally waits for its feed's next poll: on average half the poll
interval (NEWSDIGEST_POLL_MINUTES, feeds spread across it), which this benchmark reports separately
rather than sleeping through it.

    python benchmarks/e2e_latency.py [--feeds 1000] [--channels 50] [--changed 100] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.scheduling import poll_feeds  # noqa: E402
from digests.clock import FakeClock  # noqa: E402
from tests.bot.harness import (  # noqa: E402
    START,
    TOKEN,
    VOCABULARY,
    article,
    e2e_settings,
    running_app,
)
from tests.builders import Item, rss  # noqa: E402
from tests.discord_emulator import DiscordEmulator, GuildSpec  # noqa: E402
from tests.discord_emulator.state import RecordedMessage  # noqa: E402
from tests.feedserver import FeedServer  # noqa: E402


def rss_kb() -> int:
    """Resident memory of this process in KiB (Linux /proc)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


#: digits spelled as letters: a digit inside a word counts as a number in the same-story test
LETTERS = str.maketrans("0123456789-", "abcdefghijk")


def tag(feed: int, n: int) -> str:
    """Letters of their own for item ``n`` of ``feed`` (no digits, see ``LETTERS``)."""
    return f"{feed}x{n}".translate(LETTERS)


def distinct(feed: int, n: int, words: int) -> list[str]:
    """Words of their own for each item: an item whose headline and lede look like another
    outlet's live post in the channel is posted as an edit of that post (one story, once)."""
    suffix = tag(feed, n)
    return [f"{word}{suffix}" for word in random.Random(suffix).sample(VOCABULARY, words)]


def speaker(feed: int, n: int) -> str:
    """A person of the item's own: the quote's sentence is the same in every item, so two
    items quoting one person share most of their opening words and names, and the bot merges
    them as the same story (as it did with four speakers shared by all)."""
    return " ".join(word.capitalize() for word in distinct(feed, 100 + n, 2))


def feed_items(feed: int, count: int) -> list[Item]:
    return [
        Item(
            guid=f"f{feed}-i{n}",
            title=" ".join(distinct(feed, n, 5)).capitalize() + f" {feed}-{n}",
            paragraphs=article(
                f"project {tag(feed, n)}",
                speaker(feed, n),
                words=80,
                lede=" ".join(distinct(feed, -n - 1, 14)).capitalize() + " were approved.",
            ),
            published=START - timedelta(hours=24) + timedelta(minutes=n),
        )
        for n in range(count)
    ]


def publish(server: FeedServer, feed: int, items: list[Item]) -> None:
    server.add(
        f"/f/{feed}.xml",
        rss(f"Feed {feed}", items, link=server.url("/s")),
        content_type="application/rss+xml",
        etag=f'"{feed}-{len(items)}"',
    )


#: a feed's name under "Also covered by" in a live post
COVERED_FEED = re.compile(r"\bFeed (\d+)\b")


def merged_feeds(messages: list[RecordedMessage]) -> dict[int, str]:
    """Feed number -> title of the earlier post that names the feed under "Also covered by":
    the bot merged the feed's new item into that post as the same story (edited it, or sent it
    with the name when the merge came first)."""
    merged: dict[int, str] = {}
    for message in messages:
        if not message.embeds:
            continue
        for embed_field in message.embeds[0].get("fields", []):
            if embed_field.get("name") == "Also covered by":
                for number in COVERED_FEED.findall(str(embed_field.get("value", ""))):
                    merged.setdefault(int(number), str(message.embeds[0].get("title", "")))
    return merged


def posted_titles(messages: list[RecordedMessage]) -> set[str]:
    return {str(m.embeds[0].get("title", "")) for m in messages if m.embeds}


#: seconds a round may take to post its items (a full-scale round takes about 2)
ROUND_TIMEOUT = 300.0


async def wait_posted(
    emu: DiscordEmulator, first: int, new: dict[str, int]
) -> list[RecordedMessage]:
    """The messages from index ``first`` on, once every new item (title -> feed) is posted or
    merged into an earlier post as the same story. Exits naming the merged items: they get no
    post of their own, so the round would otherwise wait for posts that never come."""

    def settled() -> bool:
        messages = emu.all_messages()
        posted = posted_titles(messages[first:])
        merged = merged_feeds(messages)
        return all(title in posted or feed in merged for title, feed in new.items())

    await emu.wait_until(settled, timeout=ROUND_TIMEOUT, what="every new item posted or merged")
    messages = emu.all_messages()
    posted = posted_titles(messages[first:])
    merged = merged_feeds(messages)
    missing = [feed for title, feed in new.items() if title not in posted]
    if missing:
        pairs = "; ".join(f"Feed {feed} into {merged[feed]!r}" for feed in missing)
        raise SystemExit(
            f"{len(missing)} new items were merged into earlier posts as the same story instead "
            f"of posted ({pairs}): the synthetic items must not look alike"
        )
    return messages[first:]


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


async def main_async(args: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.ERROR)
    channels = tuple(f"news-{i}" for i in range(args.channels))
    base_items = 3
    async with (
        DiscordEmulator(token=TOKEN, guilds=[GuildSpec("Bench", channels)]) as emu,
        FeedServer() as server,
    ):
        channel_ids = [emu.channel_id(name) for name in channels]
        items = {f: feed_items(f, base_items) for f in range(args.feeds)}
        for feed, entries in items.items():
            publish(server, feed, entries)
        with tempfile.TemporaryDirectory() as tmp:
            settings = e2e_settings(emu, Path(tmp), NEWSDIGEST_FEED_LIMIT=args.feeds + 10)
            clock = FakeClock(START)
            rss_start = rss_kb()
            async with running_app(emu, settings, clock, ready_timeout=60) as app:
                t0 = time.perf_counter()
                sem = asyncio.Semaphore(32)

                async def subscribe(feed: int) -> None:
                    async with sem:
                        await app.service.add_feed(
                            guild_id=emu.default_guild_id,
                            channel_id=channel_ids[feed % len(channel_ids)],
                            url=server.url(f"/f/{feed}.xml"),
                            mode="live",
                        )

                await asyncio.gather(*(subscribe(f) for f in range(args.feeds)))
                setup_s = time.perf_counter() - t0
                print(
                    f"subscribed {args.feeds} feeds to {args.channels} channels in "
                    f"{setup_s:.1f} s; RSS {rss_kb() / 1024:.0f} MiB"
                )

                latencies: list[float] = []
                cycle_times: list[float] = []
                poll_times: list[float] = []
                posted_before = len(emu.all_messages())
                for round_no in range(args.rounds):
                    changed = [
                        (round_no * args.changed + k) % args.feeds for k in range(args.changed)
                    ]
                    appeared: dict[str, float] = {}
                    feed_of: dict[str, int] = {}
                    for feed in changed:
                        new = feed_items(feed, base_items + round_no + 1)[-1]
                        items[feed].append(new)
                        publish(server, feed, items[feed])
                        appeared[new.title] = time.monotonic()
                        feed_of[new.title] = feed
                    clock.advance(timedelta(hours=2))
                    start = time.perf_counter()
                    await poll_feeds(app.jobs.ctx)
                    poll_times.append(time.perf_counter() - start)
                    posts = await wait_posted(emu, posted_before, feed_of)
                    cycle_times.append(time.perf_counter() - start)
                    for message in posts:
                        title = message.embeds[0]["title"] if message.embeds else ""
                        if title in appeared:
                            latencies.append(message.created_at - appeared.pop(title))
                    posted_before = len(emu.all_messages())
                    print(
                        f"round {round_no + 1}: {len(changed)} new items over {args.feeds} "
                        f"feeds posted in {cycle_times[-1]:.2f} s (polling {poll_times[-1]:.2f} s)"
                    )
                peak = rss_kb()
            print()
            print(
                f"feeds {args.feeds}, channels {args.channels}, new items "
                f"{len(latencies)} in {args.rounds} rounds"
            )
            print(
                f"latency item served -> posted (poll cycle + delivery): "
                f"p50 {statistics.median(latencies):.2f} s, "
                f"p95 {percentile(latencies, 95):.2f} s, max {max(latencies):.2f} s"
            )
            print(f"poll cycle incl. delivery: mean {statistics.mean(cycle_times):.2f} s")
            print(
                f"plus waiting for the next poll in production: on average half of "
                f"NEWSDIGEST_POLL_MINUTES ({settings.poll_minutes / 2:.1f} min by default)"
            )
            print(
                f"resident memory: start {rss_start / 1024:.0f} MiB, end {peak / 1024:.0f} MiB "
                f"(emulator and feed server in the same process)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--channels", type=int, default=50)
    parser.add_argument("--changed", type=int, default=100, help="new items per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    args.changed = min(args.changed, args.feeds)
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
