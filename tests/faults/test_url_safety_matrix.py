"""URL safety matrix: every address form of issue 5, directly and behind a redirect from an
allowed URL, through ``/feed add`` (DigestService.add_feed), ``newsdigest condense URL`` and
``newsdigest digest URL``. Refused with one clear sentence (and no request reaching the target)
unless NEWSDIGEST_ALLOW_PRIVATE_URLS is on; then everything is allowed except non-http schemes.

Real parts: loopback servers on 127.0.0.1 and [::1], the real Fetcher/service/CLI, a SQLite file.
The only injected piece is DNS (tests/faults/netmatrix.py TestResolver).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from digests.errors import DigestError, InvalidFeedURLError, UnsafeURLError
from digests.feeds.fetch import CheckingResolver
from digests.feeds.urlsafety import check_url
from tests.faults.helpers import assert_one_sentence, service_env
from tests.faults.netmatrix import (
    ALL_TARGETS,
    PUBLIC_NAME,
    SCHEMES,
    TARGETS,
    Servers,
    Target,
    TestResolver,
    cli_environment,
    run_cli,
    servers,
    target_ids,
)

REDIRECTABLE = TARGETS + SCHEMES


def _path(target: Target, kind: str) -> str:
    return "/page.html" if kind == "page" else "/feed.xml"


# --- /feed add (DigestService.add_feed) ---------------------------------------------------------
@pytest.mark.parametrize("target", ALL_TARGETS, ids=target_ids(ALL_TARGETS))
async def test_feed_add_refuses_every_unsafe_address(tmp_path: Path, target: Target) -> None:
    resolver = TestResolver()
    async with (
        servers() as srv,
        service_env(tmp_path, allow_private=False, resolver=resolver) as env,
    ):
        url = srv.url(target, "/feed.xml")
        with pytest.raises(InvalidFeedURLError) as caught:
            await env.service.add_feed(guild_id=1, channel_id=10, url=url)
        if not target.scheme:
            assert isinstance(caught.value, UnsafeURLError)
        assert_one_sentence(caught.value.message)
        assert srv.hits("/feed.xml") == 0
        assert await env.service.subscriptions(1) == []
        assert await env.service.feed_status(1) == []


@pytest.mark.parametrize("target", REDIRECTABLE, ids=target_ids(REDIRECTABLE))
async def test_feed_add_refuses_a_redirect_to_every_unsafe_address(
    tmp_path: Path, target: Target
) -> None:
    resolver = TestResolver()
    async with (
        servers() as srv,
        service_env(
            tmp_path, allow_private=False, resolver=resolver, allow_hosts=(PUBLIC_NAME,)
        ) as env,
    ):
        srv.redirect("/go", srv.url(target, "/feed.xml"))
        start = srv.public("/go")
        with pytest.raises(InvalidFeedURLError) as caught:
            await env.service.add_feed(guild_id=1, channel_id=10, url=start)
        assert_one_sentence(caught.value.message)
        assert srv.hits("/go") == 1  # the allowed first hop was fetched ...
        assert srv.hits("/feed.xml") == 0  # ... the unsafe target never was
        assert await env.service.subscriptions(1) == []


async def test_the_allowed_start_of_the_redirects_is_itself_fine(tmp_path: Path) -> None:
    """Control: the redirect tests fail for the right reason (the first hop alone is accepted)."""
    async with (
        servers() as srv,
        service_env(
            tmp_path, allow_private=False, resolver=TestResolver(), allow_hosts=(PUBLIC_NAME,)
        ) as env,
    ):
        added = await env.service.add_feed(guild_id=1, channel_id=10, url=srv.public("/feed.xml"))
        assert added.subscription.feed.title == "Matrix News"


LOOPBACK = tuple(t for t in TARGETS if t.loopback)
ELSEWHERE = tuple(t for t in TARGETS if not t.loopback)


@pytest.mark.parametrize("target", LOOPBACK, ids=target_ids(LOOPBACK))
async def test_feed_add_allows_loopback_forms_with_allow_private(
    tmp_path: Path, target: Target
) -> None:
    async with servers() as srv, service_env(tmp_path, resolver=TestResolver()) as env:
        added = await env.service.add_feed(
            guild_id=1, channel_id=10, url=srv.url(target, "/feed.xml")
        )
        assert added.subscription.feed.title == "Matrix News"
        assert srv.hits("/feed.xml") == 1
        # and behind a redirect
        srv.redirect("/go", srv.url(target, "/feed.xml"))
        again = await env.service.add_feed(
            guild_id=1, channel_id=11, url=srv.url(TARGETS[0], "/go")
        )
        assert again.subscription.feed.title == "Matrix News"
        assert srv.hits("/feed.xml") == 2


@pytest.mark.parametrize("target", ELSEWHERE, ids=target_ids(ELSEWHERE))
async def test_private_networks_pass_the_safety_layer_with_allow_private(target: Target) -> None:
    """Allowed mode for addresses off this machine, checked where the decision is made (the URL
    check and the connector's resolver) rather than by sending traffic there."""
    url = target.url("/feed.xml", 8080, 8080)
    with pytest.raises(UnsafeURLError):
        check_url(url)
    checked = check_url(url, allow_private=True)
    assert checked.address is not None
    resolver = CheckingResolver(TestResolver(), allow_private=True)
    [result] = await resolver.resolve(checked.host, checked.port)
    assert result["host"] == str(checked.address)
    strict = CheckingResolver(TestResolver())
    with pytest.raises(OSError, match="resolves to"):
        await strict.resolve(checked.host, checked.port)


@pytest.mark.parametrize("target", SCHEMES, ids=target_ids(SCHEMES))
async def test_other_schemes_are_refused_even_with_allow_private(
    tmp_path: Path, target: Target
) -> None:
    async with servers() as srv, service_env(tmp_path, resolver=TestResolver()) as env:
        with pytest.raises(InvalidFeedURLError) as caught:
            await env.service.add_feed(guild_id=1, channel_id=10, url=srv.url(target, "/feed.xml"))
        assert_one_sentence(caught.value.message)
        srv.redirect("/go", srv.url(target, "/feed.xml"))
        with pytest.raises(InvalidFeedURLError) as caught:
            await env.service.add_feed(guild_id=1, channel_id=10, url=srv.url(TARGETS[0], "/go"))
        assert_one_sentence(caught.value.message)
        assert await env.service.subscriptions(1) == []


# --- the command line ---------------------------------------------------------------------------
def _argv(command: str, url: str, tmp_path: Path) -> list[str]:
    if command == "condense":
        return ["condense", url, "--format", "json"]
    return ["digest", url, "--format", "json", "--db", str(tmp_path / "cli.db")]


def _cli_path(command: str) -> str:
    return "/page.html" if command == "condense" else "/feed.xml"


async def _cli(srv: Servers, tmp_path: Path, command: str, url: str, allow: bool) -> object:
    resolver = TestResolver()
    with cli_environment(tmp_path, allow, resolver):
        return await asyncio.to_thread(run_cli, _argv(command, url, tmp_path))


def _assert_refused(run: object, srv: Servers, command: str) -> None:
    status, out, err = run.status, run.out, run.err  # type: ignore[attr-defined]
    assert status == 1, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("newsdigest: ")
    message = lines[0].removeprefix("newsdigest: ")
    if command == "digest":  # "newsdigest: URL: sentence"
        message = message.split(": ", 1)[1]
    assert_one_sentence(message)
    assert srv.hits(_cli_path(command)) == 0
    if command == "digest":
        assert '"stories": []' in out


@pytest.mark.parametrize("command", ["condense", "digest"])
@pytest.mark.parametrize("target", ALL_TARGETS, ids=target_ids(ALL_TARGETS))
async def test_cli_refuses_every_unsafe_address(
    tmp_path: Path, target: Target, command: str
) -> None:
    async with servers() as srv:
        run = await _cli(srv, tmp_path, command, srv.url(target, _cli_path(command)), False)
        _assert_refused(run, srv, command)


@pytest.mark.parametrize("command", ["condense", "digest"])
@pytest.mark.parametrize("target", REDIRECTABLE, ids=target_ids(REDIRECTABLE))
async def test_cli_refuses_a_redirect_to_every_unsafe_address(
    tmp_path: Path, target: Target, command: str
) -> None:
    async with servers() as srv:
        srv.redirect("/go", srv.url(target, _cli_path(command)))
        run = await _cli(srv, tmp_path, command, srv.public("/go"), False)
        _assert_refused(run, srv, command)
        assert srv.hits("/go") == 1


@pytest.mark.parametrize("command", ["condense", "digest"])
@pytest.mark.parametrize("target", LOOPBACK, ids=target_ids(LOOPBACK))
async def test_cli_allows_loopback_forms_with_allow_private(
    tmp_path: Path, target: Target, command: str
) -> None:
    async with servers() as srv:
        path = _cli_path(command)
        run = await _cli(srv, tmp_path, command, srv.url(target, path), True)
        assert run.status == 0, run.err  # type: ignore[attr-defined]
        assert "harbour" in run.out.lower()  # type: ignore[attr-defined]
        srv.redirect("/go", srv.url(target, path))
        run = await _cli(srv, tmp_path, command, srv.url(TARGETS[0], "/go"), True)
        assert run.status == 0, run.err  # type: ignore[attr-defined]
        assert srv.hits(path) == 2


@pytest.mark.parametrize("command", ["condense", "digest"])
@pytest.mark.parametrize("target", SCHEMES, ids=target_ids(SCHEMES))
async def test_cli_refuses_other_schemes_with_allow_private(
    tmp_path: Path, target: Target, command: str
) -> None:
    async with servers() as srv:
        run = await _cli(srv, tmp_path, command, srv.url(target, _cli_path(command)), True)
        _assert_refused(run, srv, command)
        srv.redirect("/go", srv.url(target, _cli_path(command)))
        run = await _cli(srv, tmp_path, command, srv.url(TARGETS[0], "/go"), True)
        _assert_refused(run, srv, command)


def test_every_refusal_is_a_digest_error() -> None:
    """The service contract: refusals are InvalidFeedURLError (a DigestError the bot shows)."""
    assert issubclass(UnsafeURLError, InvalidFeedURLError)
    assert issubclass(InvalidFeedURLError, DigestError)


# --- links inside a feed: teaser pages are fetched under the same rules ------------------------
@pytest.mark.parametrize("target", ALL_TARGETS, ids=target_ids(ALL_TARGETS))
async def test_teaser_links_to_unsafe_addresses_are_never_fetched(
    tmp_path: Path, target: Target
) -> None:
    """An allowed feed whose items link to unsafe pages (the service fetches a teaser item's
    page to condense it): the page is not fetched, the story is still stored from the teaser."""
    from tests.builders import Item, rss

    async with (
        servers() as srv,
        service_env(
            tmp_path, allow_private=False, resolver=TestResolver(), allow_hosts=(PUBLIC_NAME,)
        ) as env,
    ):
        srv.redirect("/hop", srv.url(target, "/page.html"))
        teasers = [
            Item(
                guid="direct",
                title="Direct link",
                text="Read more.",
                link=srv.url(target, "/page.html"),
            ),
            Item(guid="hop", title="Redirected link", text="Read more.", link=srv.public("/hop")),
        ]
        srv.add("/teasers.xml", rss("Teasers", teasers), "application/rss+xml")
        added = await env.service.add_feed(
            guild_id=1, channel_id=10, url=srv.public("/teasers.xml")
        )
        assert srv.hits("/page.html") == 0
        stories = env.store.newest_stories(added.subscription.feed.feed_id, 10)
        assert sorted(s.title or "" for s in stories) == ["Direct link", "Redirected link"]


async def test_teaser_pages_are_fetched_when_allowed(tmp_path: Path) -> None:
    """Control for the test above: a teaser item's page is fetched when the address is allowed."""
    from tests.builders import Item, rss

    async with servers() as srv, service_env(tmp_path, resolver=TestResolver()) as env:
        link = srv.url(TARGETS[0], "/page.html")
        srv.add(
            "/teasers.xml",
            rss("Teasers", [Item(guid="d", title="Direct link", text="Read more.", link=link)]),
            "application/rss+xml",
        )
        await env.service.add_feed(
            guild_id=1, channel_id=10, url=srv.url(TARGETS[0], "/teasers.xml")
        )
        assert srv.hits("/page.html") == 1
