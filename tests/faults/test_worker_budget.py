"""Issue 12: with a WorkerPool, a feed whose parse (or an entry whose extraction) runs past the
per-document budget is abandoned; the feed gets one sentence of error and the usual backoff, and
the other feeds' polls are not held up.

Real parts: worker processes, a loopback FeedServer, the real Fetcher, SQLite in tmp_path. The
runaway work is a parser/extractor stand-in that spins on a marker (module-level, so it pickles);
every other document goes through the real parser.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from pathlib import Path

import pytest

from digests.feeds.fetch import FetchLimits
from digests.jobs import PageText, default_extract, default_parse
from digests.model import ParsedFeed
from digests.workers import PoolClosed, WorkerPool
from tests.builders import Item, rss
from tests.faults.helpers import assert_one_sentence, item, service_env
from tests.feedserver import FeedServer

MARKER = b"RUNAWAY-DOCUMENT"
BUDGET = 1.0


def spin_forever() -> None:
    while True:
        pass


def runaway_parse(
    content: bytes, *, url: str, headers: Mapping[str, str] | None = None
) -> ParsedFeed:
    if MARKER in content:
        spin_forever()
    return default_parse(content, url=url, headers=headers)


def runaway_extract(html: bytes, url: str) -> PageText | None:
    if MARKER in html:
        spin_forever()
    return default_extract(html, url)


@pytest.mark.slow
async def test_a_runaway_parse_fails_its_feed_only(tmp_path: Path, feed_server: FeedServer) -> None:
    async with (
        WorkerPool(2) as pool,
        service_env(tmp_path, parse=runaway_parse, cpu_executor=pool, cpu_budget=BUDGET) as env,
    ):
        urls = {}
        for name in ("alpha", "beta", "victim"):
            feed_server.add(f"/{name}.xml", rss(name, [item(1, title=f"{name} one")]))
            urls[name] = feed_server.url(f"/{name}.xml")
        for channel, url in enumerate(urls.values(), start=10):
            await env.service.add_feed(guild_id=1, channel_id=channel, url=url, mode="live")
        feed_server.add("/alpha.xml", rss("alpha", [item(2, title="alpha two"), item(1)]))
        feed_server.add("/beta.xml", rss("beta", [item(3, title="beta three"), item(1)]))
        feed_server.add("/victim.xml", rss("victim", [item(4)]) + MARKER)
        env.later()

        started = time.perf_counter()
        results = {r.url: r for r in await env.service.update_due_feeds()}
        elapsed = time.perf_counter() - started

        assert elapsed < 10 * BUDGET, f"the poll took {elapsed:.1f}s"
        assert results[urls["alpha"]].new_stories == 1
        assert results[urls["beta"]].new_stories == 1
        error = results[urls["victim"]].error
        assert_one_sentence(error)
        assert error is not None and "took more than 1 seconds" in error
        [victim] = [s for s in await env.service.feed_status(1) if s.url == urls["victim"]]
        assert victim.health == "failing" and victim.last_error == error
        assert victim.next_fetch is not None and victim.next_fetch > env.clock.now()


@pytest.mark.slow
async def test_a_runaway_extraction_keeps_the_feed_text(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    async with (
        WorkerPool(1) as pool,
        service_env(tmp_path, extract=runaway_extract, cpu_executor=pool, cpu_budget=BUDGET) as env,
    ):
        feed_server.add("/page.html", b"<html><body><p>" + MARKER + b"</p></body></html>")
        teaser = Item(
            guid="teaser",
            title="A teaser story",
            text="The council met on Tuesday. Read more",
            link=feed_server.url("/page.html"),
        )
        feed_server.add("/t.xml", rss("Teasers", [teaser]))
        started = time.perf_counter()
        added = await env.service.add_feed(guild_id=1, channel_id=10, url=feed_server.url("/t.xml"))
        assert time.perf_counter() - started < 10 * BUDGET
        assert feed_server.hits("/page.html") == 1
        assert added.preview is not None
        assert added.preview.summary.startswith("The council met on Tuesday.")
        [status] = await env.service.feed_status(1)
        assert status.health == "ok"


@pytest.mark.slow
async def test_runaway_pages_hold_their_feed_for_one_budget_only(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    """Five teasers whose pages all run away, shown together: the first is stopped at the
    budget, the others are not tried (four budgets would have held the digest for 4 s). Pages unpaced:
    the time measured is the worker budget's, not the per-host politeness."""
    unpaced = FetchLimits(page_interval=0.0)
    async with (
        WorkerPool(1) as pool,
        service_env(
            tmp_path,
            limits=unpaced,
            extract=runaway_extract,
            cpu_executor=pool,
            cpu_budget=BUDGET,
        ) as env,
    ):
        feed_server.add("/page.html", b"<html><body><p>" + MARKER + b"</p></body></html>")
        await pool.run(len, b"warm", budget=30)  # the worker is up: only the budget is timed
        teasers = [
            Item(
                guid=f"teaser-{n}",
                title=f"Teaser number {n}",
                text=f"Teaser {n} opens here. Read more",
                link=feed_server.url(f"/page.html?n={n}"),
            )
            for n in range(5)
        ]
        feed_server.add("/t.xml", rss("Teasers", teasers))
        await env.service.add_feed(guild_id=1, channel_id=10, url=feed_server.url("/t.xml"))
        assert feed_server.hits("/page.html") == 1  # the preview's; the rest when shown
        started = time.perf_counter()
        # the stories are shown together (a digest posts them): their pages are fetched and
        # extracted then, within the feed's budgets
        stories = await env.service.condensed(env.store.newest_stories(1, 10))
        elapsed = time.perf_counter() - started
        assert elapsed < 3 * BUDGET, f"the feed was held for {elapsed:.1f}s"
        assert feed_server.hits("/page.html") == 5
        assert sorted(s.title for s in stories) == [f"Teaser number {n}" for n in range(5)]
        assert all(s.condensed and s.summary.startswith("Teaser ") for s in stories)


@pytest.mark.slow
async def test_a_shutdown_during_a_parse_is_not_the_feeds_failure(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    """Closing the pool (the service stopping) ends the running parse; the feed is not charged
    a failure (no backoff after the restart)."""
    pool = WorkerPool(1)
    async with service_env(tmp_path, parse=runaway_parse, cpu_executor=pool, cpu_budget=60) as env:
        feed_server.add("/f.xml", rss("Feed", [item(1)]))
        await env.service.add_feed(guild_id=1, channel_id=10, url=feed_server.url("/f.xml"))
        feed_server.add("/f.xml", rss("Feed", [item(2)]) + MARKER)
        env.later()
        await pool.run(len, b"warm", budget=30)  # the worker is up
        poll = asyncio.create_task(env.service.update_due_feeds())
        await asyncio.sleep(0.5)  # by now the parse runs (it would for 60 s)
        await pool.close()
        with pytest.raises(PoolClosed):
            await asyncio.wait_for(poll, 10)
        [status] = await env.service.feed_status(1)
        assert status.health == "ok" and status.last_error is None


@pytest.mark.slow
async def test_runaway_pages_of_one_feed_do_not_cost_another_feed_its_pages(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    """Stories of two feeds shown together (one digest): each feed's pages get the worker time a
    poll of that feed would, so one feed's runaway pages leave the other's extracted."""
    unpaced = FetchLimits(page_interval=0.0)
    async with (
        WorkerPool(1) as pool,
        service_env(
            tmp_path, limits=unpaced, extract=runaway_extract, cpu_executor=pool, cpu_budget=BUDGET
        ) as env,
    ):
        feed_server.add("/bad.html", b"<html><body><p>" + MARKER + b"</p></body></html>")
        article = " ".join(
            f"The harbour board approved the new ferry terminal plan number {n} on Tuesday."
            for n in range(12)
        )
        feed_server.add(
            "/good.html", f"<html><body><article><p>{article}</p></article></body></html>".encode()
        )
        await pool.run(len, b"warm", budget=30)
        for name, page in (("bad", "/bad.html"), ("good", "/good.html")):
            teasers = [
                Item(
                    guid=f"{name}-{n}",
                    title=f"{name} teaser {n}",
                    text=f"Teaser {n} opens here. Read more",
                    link=feed_server.url(f"{page}?n={n}"),
                )
                for n in range(3)
            ]
            feed_server.add(f"/{name}.xml", rss(name, teasers))
            await env.service.add_feed(
                guild_id=1, channel_id=10, url=feed_server.url(f"/{name}.xml")
            )
        waiting = [s for feed in (1, 2) for s in env.store.newest_stories(feed, 10)]
        waiting = [s for s in waiting if not s.condensed]
        assert len(waiting) == 4  # each feed's preview was condensed when it was added
        shown = await env.service.condensed(waiting)
        good = [s for s in shown if s.title and s.title.startswith("good")]
        assert len(good) == 2
        assert all("ferry terminal" in s.summary for s in good)
