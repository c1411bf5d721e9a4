"""Per-subscription filters: the pure matching rules (RE2), and the service applying them to
live posts, digests and dry runs over a real SQLite file and a loopback feed server."""

from __future__ import annotations

import time
from datetime import timedelta
from xml.sax.saxutils import escape

import pytest

from digests import filters
from digests.errors import FeedNotFoundError, InputError
from digests.filters import Subject
from digests.model import Filter, FilterField, FilterKind, PostRules
from tests.digests.test_service import START, Env, env, long_item, serve

__all__ = ["env"]


def rule(
    kind: FilterKind,
    pattern: str,
    *,
    regex: bool = False,
    field: FilterField = "any",
    ping: int | None = None,
) -> Filter:
    return Filter(
        filter_id=1,
        subscription_id=1,
        kind=kind,
        pattern=pattern,
        regex=regex,
        field=field,
        ping_role_id=ping,
    )


def rules(*found: Filter, ping: int | None = None) -> PostRules:
    return PostRules(subscription_id=1, channel_id=10, ping_role_id=ping, filters=found)


SPORT = Subject(title="Cup final tonight", summary="The final kicks off.", categories=("Sport",))
POLITICS = Subject(
    title="Budget vote delayed", summary="MPs delay the vote.", author="Jane Roe", text="Budget."
)


def test_catastrophic_pattern_on_a_long_input_returns_at_once() -> None:
    subject = Subject(title="a" * 50_000 + "!")
    started = time.perf_counter()
    assert not filters.matches(rule("include", "(a+)+$", regex=True), subject)
    assert time.perf_counter() - started < 0.5


def test_include_keeps_only_matching_stories_and_exclude_drops_them() -> None:
    include = rules(rule("include", "final, derby"))
    exclude = rules(rule("exclude", "final, derby"))
    assert filters.verdict(include, SPORT).posts
    assert not filters.verdict(include, POLITICS).posts
    assert not filters.verdict(exclude, SPORT).posts
    assert filters.verdict(exclude, POLITICS).posts


def test_keywords_match_whole_words_in_any_case() -> None:
    assert filters.matches(rule("include", "CUP FINAL"), SPORT)
    assert not filters.matches(rule("include", "fin"), SPORT)


def test_fields_restrict_where_a_pattern_looks() -> None:
    assert filters.matches(rule("include", "sport", field="category"), SPORT)
    assert not filters.matches(rule("include", "sport", field="title"), SPORT)
    assert filters.matches(rule("include", "^Jane", regex=True, field="author"), POLITICS)
    assert not filters.matches(rule("include", "^Jane", regex=True, field="title"), POLITICS)
    assert filters.matches(rule("include", "budget", field="text"), POLITICS)


def test_exclude_wins_over_include() -> None:
    both = rules(rule("include", "final"), rule("exclude", "cup"))
    assert not filters.verdict(both, SPORT).posts


def test_pings_name_the_subscription_role_and_matching_include_roles_once() -> None:
    decided = filters.verdict(
        rules(rule("include", "final", ping=7), rule("include", "cup", ping=7), ping=5), SPORT
    )
    assert decided.pings == (5, 7)
    assert filters.verdict(rules(rule("include", "budget", ping=7)), SPORT).posts is False


@pytest.mark.parametrize(
    ("pattern", "regex", "says"),
    [
        ("(?<=a)b", True, "not valid"),
        ("x" * 201, False, "too long"),
        ("   ", False, "empty"),
        (" , ,", False, "no keywords"),
    ],
)
def test_bad_patterns_are_refused_in_one_sentence(pattern: str, regex: bool, says: str) -> None:
    with pytest.raises(InputError) as caught:
        filters.check_pattern(pattern, regex=regex)
    message = caught.value.message
    assert says in message and message.endswith(".") and "\n" not in message


async def test_live_posts_follow_the_filters(env: Env) -> None:
    url = serve(env, "/a.xml", "Alpha", [long_item(1)])
    added = await env.service.add_feed(guild_id=1, channel_id=10, url=url, mode="live")
    sub = added.subscription.subscription_id
    await env.service.add_filter(
        guild_id=1, subscription_id=sub, kind="include", pattern="harbour", ping_role_id=77
    )
    await env.service.add_filter(
        guild_id=1, subscription_id=sub, kind="exclude", pattern=r"\bferr(y|ies)\b", regex=True
    )
    items = [
        long_item(2, title="Harbour reopens after storm"),
        long_item(3, title="Harbour ferry cancelled"),
        long_item(4, title="Council debates parking"),
        long_item(1),
    ]
    serve(env, "/a.xml", "Alpha", items, version="v2")
    env.later()
    await env.service.update_due_feeds()
    pending = await env.service.pending_deliveries()
    assert [(d.items[0].story.title, d.pings) for d in pending] == [
        ("Harbour reopens after storm", (77,))
    ]


async def test_digests_leave_out_filtered_stories_and_mention_roles(env: Env) -> None:
    url = serve(env, "/a.xml", "Alpha", [long_item(1)])
    added = await env.service.add_feed(guild_id=1, channel_id=10, url=url)
    sub = added.subscription.subscription_id
    await env.service.add_filter(
        guild_id=1, subscription_id=sub, kind="exclude", pattern="parking", field="title"
    )
    await env.service.add_filter(
        guild_id=1, subscription_id=sub, kind="include", pattern="storm", ping_role_id=9
    )
    items = [
        long_item(2, title="Storm closes harbour"),
        long_item(3, title="Storm hits parking garage"),
        long_item(4, title="Council debates budget"),
        long_item(1),
    ]
    serve(env, "/a.xml", "Alpha", items, version="v2")
    env.later()
    await env.service.update_due_feeds()
    assert await env.service.queue_digest(10) == 1
    [page] = await env.service.pending_deliveries()
    assert [d.story.title for d in page.items] == ["Storm closes harbour"]
    assert page.pings == (9,)
    # the left-out stories are handled: the next digest does not bring them back
    env.later()
    assert await env.service.queue_digest(10) == 0


async def test_filter_test_is_a_dry_run_over_recent_stories(env: Env) -> None:
    items = [
        long_item(1, title="Storm closes harbour"),
        long_item(2, title="Council debates budget", published=START - timedelta(hours=2)),
    ]
    url = serve(env, "/a.xml", "Alpha", items)
    added = await env.service.add_feed(guild_id=1, channel_id=10, url=url, mode="live")
    sub = added.subscription
    await env.service.add_filter(
        guild_id=1, subscription_id=sub.subscription_id, kind="include", pattern="storm"
    )
    tried = await env.service.test_filters(guild_id=1, subscription=sub)
    assert [(s.title, ok) for s, ok in tried] == [
        ("Storm closes harbour", True),
        ("Council debates budget", False),
    ]
    assert await env.service.pending_deliveries() == []


async def test_filters_are_bounded_and_scoped_to_the_server(env: Env) -> None:
    url = serve(env, "/a.xml", "Alpha", [long_item(1)])
    added = await env.service.add_feed(guild_id=1, channel_id=10, url=url)
    sub = added.subscription.subscription_id
    with pytest.raises(FeedNotFoundError):
        await env.service.add_filter(guild_id=2, subscription_id=sub, kind="include", pattern="x")
    with pytest.raises(InputError):
        await env.service.add_filter(
            guild_id=1, subscription_id=sub, kind="exclude", pattern="x", ping_role_id=3
        )
    for n in range(filters.MAX_FILTERS):
        await env.service.add_filter(
            guild_id=1, subscription_id=sub, kind="include", pattern=f"word{n}"
        )
    with pytest.raises(InputError, match="filters already"):
        await env.service.add_filter(guild_id=1, subscription_id=sub, kind="include", pattern="y")
    first = (await env.service.filters(guild_id=1, subscription_id=sub))[0]
    with pytest.raises(InputError):
        await env.service.remove_filter(guild_id=2, filter_id=first.filter_id)
    removed = await env.service.remove_filter(guild_id=1, filter_id=first.filter_id)
    assert removed.pattern == "word0"
    assert (
        len(await env.service.filters(guild_id=1, subscription_id=sub)) == filters.MAX_FILTERS - 1
    )


async def test_categories_and_author_are_parsed_and_stored(env: Env) -> None:
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Cats</title>'
        "<link>https://news.example/</link><description>d</description><item>"
        "<guid>c1</guid><title>Tagged story</title><link>https://news.example/c1</link>"
        "<category>Science</category><category>Space &amp; Time</category>"
        "<author>ann@example.org (Ann Lee)</author>"
        f"<description>{escape(long_item(1).text)}</description></item></channel></rss>"
    ).encode()
    env.server.add("/c.xml", body, content_type="application/rss+xml")
    added = await env.service.add_feed(guild_id=1, channel_id=10, url=env.server.url("/c.xml"))
    story = added.preview
    assert story is not None
    assert story.categories == ("Science", "Space & Time")
    assert story.author and "Ann Lee" in story.author
    subject = Subject.of_story(story)
    assert filters.matches(rule("include", "space & time", field="category"), subject)


def test_json_feed_tags_are_categories() -> None:
    import json

    from digests.feeds.jsonfeed import parse_json_feed

    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "J",
        "items": [
            {
                "id": "1",
                "title": "T",
                "content_text": "Body.",
                "tags": ["Space", "space", " ", 7, "Rockets"],
                "authors": [{"name": "Ann Lee"}],
            }
        ],
    }
    [entry] = parse_json_feed(json.dumps(doc).encode(), url="https://j.example/feed.json").entries
    assert entry.categories == ("Space", "Rockets")
    assert entry.author == "Ann Lee"


async def test_backfill_posts_take_the_style_and_the_ping(env: Env) -> None:
    url = serve(env, "/a.xml", "Alpha", [long_item(1), long_item(2)])
    added = await env.service.add_feed(
        guild_id=1, channel_id=10, url=url, backfill=1, style="headline", ping_role_id=5
    )
    assert (added.subscription.style, added.subscription.ping_role_id) == ("headline", 5)
    [post] = await env.service.pending_deliveries()
    assert (post.style, post.pings) == ("headline", (5,))
    with pytest.raises(InputError):
        await env.service.add_feed(guild_id=1, channel_id=11, url=url, style="huge")  # type: ignore[arg-type]
