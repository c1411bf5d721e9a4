"""Fetcher against real loopback servers (tests/feedserver.py). No traffic leaves 127.0.0.1."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest
from aiohttp import web

from digests.clock import FakeClock
from digests.errors import FetchError, InvalidFeedURLError, UnsafeURLError
from digests.feeds.fetch import Fetcher, FetchLimits
from digests.model import NotModified, Retrieved
from tests.feedserver import FeedServer

UA = "newsdigest-test/1.0 (+https://example.invalid)"
RSS = b"<?xml version='1.0'?><rss version='2.0'><channel><title>T</title></channel></rss>"
MB = 1024 * 1024


def loopback_resolver(*names: str):  # type: ignore[no-untyped-def]
    """A Resolver mapping the given names to 127.0.0.1 and every other name to nothing."""
    calls: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        if host in names:
            return ["127.0.0.1"]
        raise OSError(f"unknown host {host}")

    resolve.calls = calls  # type: ignore[attr-defined]
    return resolve


async def test_fetch_returns_body_headers_and_sends_user_agent(feed_server: FeedServer) -> None:
    feed_server.add(
        "/feed.xml",
        RSS,
        content_type="application/rss+xml",
        etag='"abc"',
        last_modified="Wed, 21 Oct 2026 07:28:00 GMT",
        headers={"Cache-Control": "public, max-age=600"},
    )
    async with Fetcher(user_agent=UA, allow_private=True) as fetcher:
        result = await fetcher.fetch(feed_server.url("/feed.xml"))
    assert isinstance(result, Retrieved)
    assert result.content == RSS
    assert result.url == feed_server.url("/feed.xml")
    assert result.headers["content-type"] == "application/rss+xml"
    assert result.etag == '"abc"'
    assert result.last_modified == "Wed, 21 Oct 2026 07:28:00 GMT"
    assert result.max_age == 600
    sent = feed_server.last_headers("/feed.xml")
    assert sent["User-Agent"] == UA
    assert "application/rss+xml" in sent["Accept"]


async def test_conditional_get_gives_not_modified(feed_server: FeedServer) -> None:
    feed_server.add("/f", RSS, etag='"v2"', last_modified="Wed, 21 Oct 2026 07:28:00 GMT")
    async with Fetcher(user_agent=UA, allow_private=True) as fetcher:
        by_etag = await fetcher.fetch(feed_server.url("/f"), etag='"v2"')
        by_date = await fetcher.fetch(
            feed_server.url("/f"), last_modified="Wed, 21 Oct 2026 07:28:00 GMT"
        )
        changed = await fetcher.fetch(feed_server.url("/f"), etag='"v1"')
    assert isinstance(by_etag, NotModified)
    assert isinstance(by_date, NotModified)
    assert isinstance(changed, Retrieved)
    first, second, _ = feed_server.requests("/f")
    assert first.headers["If-None-Match"] == '"v2"'
    assert second.headers["If-Modified-Since"] == "Wed, 21 Oct 2026 07:28:00 GMT"


async def test_gzip_is_decoded(feed_server: FeedServer) -> None:
    feed_server.add("/gz", RSS * 50, gzip=True)
    async with Fetcher(user_agent=UA, allow_private=True) as fetcher:
        result = await fetcher.fetch(feed_server.url("/gz"))
    assert isinstance(result, Retrieved)
    assert result.content == RSS * 50
    assert "gzip" in feed_server.last_headers("/gz").get("Accept-Encoding", "")


async def test_redirects_are_followed_to_the_final_url(feed_server: FeedServer) -> None:
    feed_server.redirect("/old", "/middle", status=301)
    feed_server.redirect("/middle", feed_server.url("/new"), status=308)
    feed_server.add("/new", RSS)
    async with Fetcher(user_agent=UA, allow_private=True) as fetcher:
        result = await fetcher.fetch(feed_server.url("/old"))
    assert isinstance(result, Retrieved)
    assert result.url == feed_server.url("/new")
    assert result.content == RSS


async def test_more_than_five_redirects_is_an_error(feed_server: FeedServer) -> None:
    for hop in range(7):
        feed_server.redirect(f"/r{hop}", f"/r{hop + 1}")
    feed_server.add("/r7", RSS)
    feed_server.redirect("/loop", "/loop")
    async with Fetcher(user_agent=UA, allow_private=True) as fetcher:
        with pytest.raises(FetchError, match="redirected more than 5 times"):
            await fetcher.fetch(feed_server.url("/r0"))
        with pytest.raises(FetchError, match="redirected more than 5 times"):
            await fetcher.fetch(feed_server.url("/loop"))
    assert feed_server.hits("/r7") == 0
    assert feed_server.hits("/loop") == 6


async def test_five_redirects_are_fine(feed_server: FeedServer) -> None:
    for hop in range(5):
        feed_server.redirect(f"/r{hop}", f"/r{hop + 1}")
    feed_server.add("/r5", RSS)
    async with Fetcher(user_agent=UA, allow_private=True) as fetcher:
        result = await fetcher.fetch(feed_server.url("/r0"))
    assert isinstance(result, Retrieved)


async def test_http_errors_carry_status_and_retry_after(feed_server: FeedServer) -> None:
    feed_server.status("/gone", 404, body=b"nope")
    feed_server.status("/busy", 503, headers={"Retry-After": "120"})
    feed_server.status("/later", 429, headers={"Retry-After": "Thu, 26 Nov 2026 12:10:00 GMT"})
    clock = FakeClock(datetime(2026, 11, 26, 12, 0, tzinfo=UTC))
    async with Fetcher(user_agent=UA, allow_private=True, clock=clock) as fetcher:
        with pytest.raises(FetchError) as gone:
            await fetcher.fetch(feed_server.url("/gone"))
        with pytest.raises(FetchError) as busy:
            await fetcher.fetch(feed_server.url("/busy"))
        with pytest.raises(FetchError) as later:
            await fetcher.fetch(feed_server.url("/later"))
    assert gone.value.status == 404
    assert str(gone.value) == "The feed's server answered with HTTP 404 (Not Found)."
    assert busy.value.status == 503 and busy.value.retry_after == 120
    assert later.value.status == 429 and later.value.retry_after == 600


async def test_not_modified_carries_max_age(feed_server: FeedServer) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(status=304, headers={"Cache-Control": "max-age=3600"})

    feed_server.handler("/f", handler)
    async with Fetcher(user_agent=UA, allow_private=True) as fetcher:
        result = await fetcher.fetch(feed_server.url("/f"), etag='"x"')
    assert result == NotModified(url=feed_server.url("/f"), max_age=3600)


# --- URL safety ---------------------------------------------------------------------------


async def test_loopback_is_refused_by_default_without_connecting(feed_server: FeedServer) -> None:
    feed_server.add("/feed", RSS)
    async with Fetcher(user_agent=UA) as fetcher:
        with pytest.raises(UnsafeURLError, match="newsdigest does not fetch"):
            await fetcher.fetch(feed_server.url("/feed"))
        with pytest.raises(UnsafeURLError):
            await fetcher.fetch(feed_server.url("/feed", host="localhost"))
    assert feed_server.hits("/feed") == 0


async def test_public_looking_name_resolving_to_loopback_is_refused(
    feed_server: FeedServer,
) -> None:
    feed_server.add("/feed", RSS)
    resolver = loopback_resolver("news.example.com")
    async with Fetcher(user_agent=UA, resolver=resolver) as fetcher:
        with pytest.raises(UnsafeURLError) as info:
            await fetcher.fetch(feed_server.url("/feed", host="news.example.com"))
    assert "127.0.0.1" in str(info.value)
    assert feed_server.hits("/feed") == 0
    assert resolver.calls == ["news.example.com"]  # type: ignore[attr-defined]


async def test_a_name_with_any_private_address_is_refused(feed_server: FeedServer) -> None:
    feed_server.add("/feed", RSS)

    async def mixed(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "10.0.0.7"]

    async with Fetcher(user_agent=UA, resolver=mixed) as fetcher:
        with pytest.raises(UnsafeURLError, match="private network"):
            await fetcher.fetch(feed_server.url("/feed", host="mixed.example.com"))


async def test_allowed_private_name_connects_to_the_resolved_address(
    feed_server: FeedServer,
) -> None:
    feed_server.add("/feed", RSS)
    resolver = loopback_resolver("intranet.test")
    async with Fetcher(user_agent=UA, allow_private=True, resolver=resolver) as fetcher:
        result = await fetcher.fetch(feed_server.url("/feed", host="intranet.test"))
    assert isinstance(result, Retrieved)
    assert feed_server.last_headers("/feed")["Host"].startswith("intranet.test")


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:{port}/secret",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:127.0.0.1]:{port}/secret",
        "http://2130706433:{port}/secret",
        "http://evil.test:{port}/secret",
        "http://localhost:{port}/secret",
    ],
)
async def test_redirect_to_private_address_is_refused(feed_server: FeedServer, target: str) -> None:
    """The first hop is allowed by ``allow_hosts`` (the test seam); the redirect target is not."""
    feed_server.redirect("/feed", target.format(port=feed_server.port))
    feed_server.add("/secret", b"internal data")
    resolver = loopback_resolver("public.test", "evil.test")
    async with Fetcher(user_agent=UA, resolver=resolver, allow_hosts={"public.test"}) as fetcher:
        with pytest.raises(UnsafeURLError) as info:
            await fetcher.fetch(feed_server.url("/feed", host="public.test"))
    assert str(info.value).endswith("which newsdigest does not fetch.")
    assert feed_server.hits("/feed") == 1
    assert feed_server.hits("/secret") == 0


async def test_redirect_to_another_scheme_is_refused(feed_server: FeedServer) -> None:
    feed_server.redirect("/feed", "file:///etc/passwd")
    async with Fetcher(user_agent=UA, allow_private=True) as fetcher:
        with pytest.raises(InvalidFeedURLError, match="Only http and https"):
            await fetcher.fetch(feed_server.url("/feed"))


async def test_non_http_urls_are_refused_even_with_private_allowed() -> None:
    async with Fetcher(user_agent=UA, allow_private=True) as fetcher:
        with pytest.raises(InvalidFeedURLError, match="Only http and https"):
            await fetcher.fetch("file:///etc/passwd")


# --- limits -------------------------------------------------------------------------------


@pytest.mark.parametrize(("declare_length", "gzip"), [(False, False), (True, False), (False, True)])
async def test_fifty_megabyte_body_is_cut_at_the_cap(
    feed_server: FeedServer, declare_length: bool, gzip: bool
) -> None:
    feed_server.huge("/big", 50 * MB, declare_length=declare_length, gzip=gzip)
    started = time.monotonic()
    async with Fetcher(user_agent=UA, allow_private=True) as fetcher:
        with pytest.raises(FetchError) as info:
            await fetcher.fetch(feed_server.url("/big"))
    assert str(info.value) == "The feed is larger than 10 MB, the most newsdigest downloads."
    assert time.monotonic() - started < 20
    # the client stopped reading long before the end (the wire carries less than the cap + slack)
    assert feed_server.bytes_sent("/big") < 20 * MB


async def test_page_cap_is_separate_and_configurable(feed_server: FeedServer) -> None:
    feed_server.add("/page", b"x" * 3000, content_type="text/html")
    limits = FetchLimits(feed_max_bytes=10_000, page_max_bytes=2048)
    async with Fetcher(user_agent=UA, allow_private=True, limits=limits) as fetcher:
        assert isinstance(await fetcher.fetch(feed_server.url("/page")), Retrieved)
        with pytest.raises(FetchError, match="The page is larger than 2 KB"):
            await fetcher.fetch(feed_server.url("/page"), kind="page")
    assert "text/html" in feed_server.last_headers("/page")["Accept"]


async def test_a_dripping_server_times_out(feed_server: FeedServer) -> None:
    feed_server.drip("/drip", RSS, interval=0.2, max_seconds=10)
    limits = FetchLimits(total_timeout=1.0, read_timeout=5.0)
    started = time.monotonic()
    async with Fetcher(user_agent=UA, allow_private=True, limits=limits) as fetcher:
        with pytest.raises(FetchError) as info:
            await fetcher.fetch(feed_server.url("/drip"))
    assert str(info.value) == "The feed took longer than 1 second to answer."
    assert time.monotonic() - started < 3


async def test_a_stalled_server_hits_the_read_timeout(feed_server: FeedServer) -> None:
    feed_server.drip("/stall", RSS, interval=5.0, max_seconds=6)
    limits = FetchLimits(total_timeout=10.0, read_timeout=0.3)
    started = time.monotonic()
    async with Fetcher(user_agent=UA, allow_private=True, limits=limits) as fetcher:
        with pytest.raises(FetchError, match=r"stopped sending for more than 0\.3 seconds"):
            await fetcher.fetch(feed_server.url("/stall"))
    assert time.monotonic() - started < 3


async def test_a_server_that_never_answers_hits_the_total_limit(feed_server: FeedServer) -> None:
    answered = asyncio.Event()

    async def mute(request: web.Request) -> web.StreamResponse:
        await answered.wait()  # no status line, no headers: the read limit has not begun
        return web.Response(body=RSS)

    feed_server.handler("/mute", mute)
    limits = FetchLimits(total_timeout=0.5, read_timeout=0.1)
    started = time.monotonic()
    try:
        async with Fetcher(user_agent=UA, allow_private=True, limits=limits) as fetcher:
            with pytest.raises(FetchError) as info:
                await fetcher.fetch(feed_server.url("/mute"))
    finally:
        answered.set()
    assert str(info.value) == "The feed took longer than 0.5 seconds to answer."
    assert time.monotonic() - started < 3


async def test_fetches_do_not_each_set_a_timer(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A steady cycle makes 10,000 requests: a timer per request (armed and cancelled again)
    cost ~0.3 s of its event loop's CPU. The fetches' limits share one timer instead."""
    feed_server.add("/feed.xml", RSS, etag='"v1"')
    loop = asyncio.get_running_loop()
    armed: list[float] = []
    call_at = loop.call_at

    def counting_call_at(when, callback, *args, context=None):  # type: ignore[no-untyped-def]
        armed.append(when)
        return call_at(when, callback, *args, context=context)

    monkeypatch.setattr(loop, "call_at", counting_call_at)
    async with Fetcher(user_agent=UA, allow_private=True) as fetcher:
        await fetcher.fetch(feed_server.url("/feed.xml"))  # connected: later GETs reuse it
        armed.clear()
        results = [
            await fetcher.fetch(feed_server.url("/feed.xml"), etag='"v1"') for _ in range(40)
        ]
    assert all(isinstance(r, NotModified) for r in results)
    assert len(armed) <= 2, f"{len(armed)} timers for 40 fetches"


async def test_connection_refused_and_unknown_host_are_one_sentence() -> None:
    async with FeedServer() as gone:
        port = gone.port
    resolver = loopback_resolver()
    async with Fetcher(user_agent=UA, allow_private=True, resolver=resolver) as fetcher:
        with pytest.raises(FetchError) as refused:
            await fetcher.fetch(f"http://127.0.0.1:{port}/feed")
        with pytest.raises(FetchError) as unknown:
            await fetcher.fetch("http://no-such-host.test/feed")
    assert (
        str(refused.value)
        == "Could not connect to the feed's server 127.0.0.1 (connection refused)."
    )
    assert str(unknown.value) == "The host name no-such-host.test could not be found."


async def test_per_host_and_global_bounds(feed_server: FeedServer) -> None:
    in_flight = 0
    peak = 0

    async def slow(request: web.Request) -> web.StreamResponse:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.05)
        in_flight -= 1
        return web.Response(body=RSS)

    feed_server.handler("/slow", slow)
    names = [f"h{i}.test" for i in range(4)]
    resolver = loopback_resolver(*names)
    one_host = FetchLimits(per_host=2, concurrency=50)
    async with Fetcher(
        user_agent=UA, allow_private=True, limits=one_host, resolver=resolver
    ) as fetcher:
        await asyncio.gather(
            *(fetcher.fetch(feed_server.url("/slow", host="h0.test")) for _ in range(8))
        )
    assert peak == 2
    peak = 0
    overall = FetchLimits(per_host=8, concurrency=3)
    async with Fetcher(
        user_agent=UA, allow_private=True, limits=overall, resolver=resolver
    ) as fetcher:
        await asyncio.gather(
            *(fetcher.fetch(feed_server.url("/slow", host=name)) for name in names * 3)
        )
    assert peak == 3
    assert feed_server.hits("/slow") == 8 + 12


# --- a hostile batch end to end: every feed ends in a result or one sentence ---------------


@pytest.mark.slow  # over 2 s of real waiting or CPU
async def test_hostile_feeds_each_end_in_one_sentence_and_the_others_go_on(
    feed_server: FeedServer,
) -> None:
    from digests.errors import DigestError
    from digests.feeds.parse import parse_feed
    from digests.model import ParsedFeed
    from tests.digests.test_parse import BILLION_LAUGHS, EXTERNAL, world

    good = world("<item><title>Fine</title><link>/fine</link></item>")
    many = world(
        "".join(f"<item><title>n{n}</title><link>/n/{n}</link></item>" for n in range(10_000))
    )
    feed_server.add("/good", good)
    feed_server.add("/bomb", BILLION_LAUGHS)
    feed_server.add("/xxe", EXTERNAL)
    feed_server.add("/garbage", bytes(range(256)) * 64, content_type="application/octet-stream")
    feed_server.add(
        "/page", b"<!doctype html><html><body><p>Hi</p></body></html>", content_type="text/html"
    )
    feed_server.add(
        "/title", world(f"<item><title>{'x' * 2_000_000}</title><link>/t</link></item>")
    )
    feed_server.add("/many", many, gzip=True)
    feed_server.huge("/huge", 50 * MB)
    feed_server.drip("/drip", good, interval=0.25, max_seconds=10)
    feed_server.redirect("/to-metadata", "http://169.254.169.254/latest/meta-data/")
    feed_server.status("/gone", 410)
    resolver = loopback_resolver("public.test")
    limits = FetchLimits(total_timeout=2.0)

    async def poll(fetcher: Fetcher, path: str) -> ParsedFeed | DigestError:
        try:
            result = await fetcher.fetch(feed_server.url(path, host="public.test"))
            assert isinstance(result, Retrieved)
            return await asyncio.to_thread(
                parse_feed, result.content, url=result.url, headers=result.headers
            )
        except DigestError as exc:
            return exc

    paths = [
        "/good",
        "/bomb",
        "/xxe",
        "/garbage",
        "/page",
        "/title",
        "/many",
        "/huge",
        "/drip",
        "/to-metadata",
        "/gone",
    ]
    started = time.monotonic()
    async with Fetcher(
        user_agent=UA, resolver=resolver, allow_hosts={"public.test"}, limits=limits
    ) as fetcher:
        results = dict(
            zip(paths, await asyncio.gather(*(poll(fetcher, p) for p in paths)), strict=True)
        )
    assert time.monotonic() - started < 30
    for path, result in results.items():
        if isinstance(result, DigestError):
            message = str(result)
            assert message.endswith(".") and "\n" not in message and len(message) < 300, path
    assert isinstance(results["/good"], ParsedFeed) and results["/good"].entries[0].title == "Fine"
    title = results["/title"]
    assert isinstance(title, ParsedFeed) and len(title.entries[0].title or "") <= 300
    assert isinstance(results["/many"], ParsedFeed) and len(results["/many"].entries) == 1000
    assert "expand without limit" in str(results["/bomb"]) and "expand" in str(results["/xxe"])
    assert isinstance(results["/garbage"], DigestError)
    assert "web page, not a feed" in str(results["/page"])
    assert "larger than 10 MB" in str(results["/huge"])
    assert "took longer than 2 seconds" in str(results["/drip"])
    assert isinstance(results["/to-metadata"], UnsafeURLError)
    assert getattr(results["/gone"], "status", None) == 410


async def test_checking_resolver_returns_exactly_the_checked_addresses() -> None:
    """A rebinding DNS server answers public first, loopback next: each answer is checked on
    its own and the connector only ever gets addresses that passed."""
    from digests.feeds.fetch import CheckingResolver

    answers = [["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"], ["127.0.0.1"]]

    async def rebinding(host: str, port: int) -> list[str]:
        return answers.pop(0)

    resolver = CheckingResolver(rebinding)
    first = await resolver.resolve("rebind.example", 443)
    assert [(r["host"], r["port"], r["hostname"]) for r in first] == [
        ("93.184.216.34", 443, "rebind.example"),
        ("2606:2800:220:1:248:1893:25c8:1946", 443, "rebind.example"),
    ]
    with pytest.raises(OSError, match=r"127\.0\.0\.1"):
        await resolver.resolve("rebind.example", 443)


@pytest.mark.parametrize(
    "host", ["①②⑦.0.0.1", "127。0。0。1", "１２７.０.０.１", "ｌｏｃａｌｈｏｓｔ"]
)
async def test_unicode_spellings_of_loopback_are_refused(
    feed_server: FeedServer, host: str
) -> None:
    """yarl folds these to 127.0.0.1 / localhost before connecting; the check must see that."""
    feed_server.add("/feed", RSS)
    async with Fetcher(user_agent=UA) as fetcher:
        with pytest.raises(UnsafeURLError):
            await fetcher.fetch(feed_server.url("/feed", host=host))
    assert feed_server.hits("/feed") == 0
