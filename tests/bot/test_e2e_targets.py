"""Delivery targets end to end (issue 13 items 2-3): announcement channels, forum channels,
threads per story and per digest, and webhooks, with the unmodified discord.py client against
the loopback Discord emulator, feeds on 127.0.0.1 and the real service on a SQLite file."""

from __future__ import annotations

from bot.runner import App
from tests.bot import test_e2e
from tests.bot.test_e2e import WAIT, World, assert_no_mentions, items, poll, title_of
from tests.builders import Item, rss
from tests.discord_emulator.state import MANAGE_WEBHOOKS

world = test_e2e.world  # the same emulator, feed server and clock fixture

CROSSPOSTED = 1
ICON = "https://gazette.example/icon.png"


def serve_with_icon(world: World, path: str, entries: list[Item]) -> str:
    """A feed with its own image (a webhook post's avatar) and categories on its items."""
    body = rss("Example Gazette", entries, link=world.feeds.url("/site"))
    image = f"<image><url>{ICON}</url><title>Example Gazette</title><link>x</link></image>"
    world.feeds.add(path, body.replace(b"<channel>", f"<channel>{image}".encode(), 1))
    return world.feeds.url(path)


def tagged(entries: list[Item], category: str) -> list[Item]:
    return [
        Item(
            guid=i.guid,
            title=i.title,
            paragraphs=i.paragraphs,
            published=i.published,
            extra=f"<category>{category}</category>",
        )
        for i in entries
    ]


async def test_announcement_posts_are_published_to_followers(world: World) -> None:
    url = world.serve("/gazette.xml", items(2))
    news = await world.emu.add_announcement_channel("announcements")
    async with world.app():  # type: ignore[attr-defined]
        added = await world.command(
            "feed", "add", {"url": url, "channel": news, "mode": "live", "backfill": 2}
        )
        assert "published to followers" in added.text  # type: ignore[attr-defined]
        posted = await world.emu.wait_for_messages(news, 2, timeout=WAIT)
        await world.emu.wait_until(
            lambda: all(m.flags & CROSSPOSTED for m in world.emu.messages(news)),
            WAIT,
            what="both posts published",
        )
    assert [m.embeds[0]["title"] for m in posted] == [title_of(1), title_of(2)]
    crossposts = [r for r in world.emu.requests if r.path.endswith("/crosspost")]
    assert len(crossposts) == 2 and all(r.status == 200 for r in crossposts)
    assert_no_mentions(world.emu.messages(news))


async def test_forum_posts_titled_by_story_tagged_and_a_digest_is_one_post(world: World) -> None:
    url = world.serve("/gazette.xml", tagged(items(2), "Politics"))
    digest_url = world.serve("/daily.xml", items(1, start=20), title="Daily Ledger")
    forum = await world.emu.add_forum_channel(
        "stories", tags=("Example Gazette", "politics", "Sport")
    )
    tags = world.emu.tag_ids(forum)
    async with world.app() as app:  # type: ignore[attr-defined]
        assert isinstance(app, App)
        added = await world.command(
            "feed", "add", {"url": url, "channel": forum, "mode": "live", "backfill": 2}
        )
        assert "each story a forum post" in added.text  # type: ignore[attr-defined]
        await world.emu.wait_until(lambda: len(world.emu.threads(forum)) == 2, WAIT, what="posts")
        await world.command("feed", "add", {"url": digest_url, "channel": forum})
        world.serve("/daily.xml", items(12, start=21), title="Daily Ledger")
        await world.command("digest", "now", {"channel": forum})
        await world.emu.wait_until(lambda: len(world.emu.threads(forum)) == 3, WAIT, what="digest")
        posts = world.emu.threads(forum)
        digest_post = posts[2]
        pages = await world.emu.wait_for_messages(digest_post.id, 2, timeout=WAIT)
    first, second = posts[:2]
    assert [first.name, second.name] == [title_of(1), title_of(2)]
    assert set(first.applied_tags) == {tags["Example Gazette"], tags["politics"]}
    [starter] = world.emu.messages(first.id)
    assert starter.id == first.id and starter.embeds[0]["title"] == title_of(1)
    assert digest_post.name.startswith("Digest · ")
    assert [len(p.embeds) for p in pages] == [10, 2]  # its later page inside the same post
    assert pages[0].id == digest_post.id


async def test_a_thread_on_each_story_post(world: World) -> None:
    url = world.serve("/gazette.xml", items(2))
    async with world.app() as app:  # type: ignore[attr-defined]
        assert isinstance(app, App)
        added = await world.command(
            "feed", "add", {"url": url, "mode": "live", "thread": "per-story", "backfill": 1}
        )
        assert "thread per-story" in added.text  # type: ignore[attr-defined]
        world.serve("/gazette.xml", items(3))
        await poll(app, world)
        await world.emu.wait_until(
            lambda: len(world.emu.threads(world.general)) == 2, WAIT, what="two threads"
        )
    posts = world.emu.messages(world.general)
    threads = world.emu.threads(world.general)
    assert [t.id for t in threads] == [m.id for m in posts]  # a thread on each post
    assert [t.name for t in threads] == [title_of(2), title_of(3)]


async def test_a_digest_in_a_thread_of_its_own(world: World) -> None:
    url = world.serve("/gazette.xml", items(1))
    async with world.app():  # type: ignore[attr-defined]
        await world.command(
            "feed", "add", {"url": url, "channel": world.digest_channel, "thread": "per-digest"}
        )
        world.serve("/gazette.xml", items(12, start=2))
        await world.command("digest", "now", {"channel": world.digest_channel})
        await world.emu.wait_until(
            lambda: len(world.emu.threads(world.digest_channel)) == 1, WAIT, what="a thread"
        )
        [thread] = world.emu.threads(world.digest_channel)
        [inside] = await world.emu.wait_for_messages(thread.id, 1, timeout=WAIT)
    [first] = world.emu.messages(world.digest_channel)
    assert thread.id == first.id and thread.name == first.content
    assert (len(first.embeds), len(inside.embeds)) == (10, 2)
    assert inside.request["nonce"]


async def test_webhook_posts_under_the_feeds_name_once_then_fall_back_with_one_notice(
    world: World,
) -> None:
    url = serve_with_icon(world, "/gazette.xml", items(2))
    await world.emu.restrict_bot(world.general, deny=0, allow=MANAGE_WEBHOOKS)
    async with world.app() as app:  # type: ignore[attr-defined]
        assert isinstance(app, App)
        added = await world.command(
            "feed", "add", {"url": url, "mode": "live", "webhook": True, "backfill": 2}
        )
        assert "posted under the feed's name" in added.text  # type: ignore[attr-defined]
        sent = await world.emu.wait_for_messages(world.general, 2, timeout=WAIT, source="webhook")
    assert [m.embeds[0]["title"] for m in sent] == [title_of(1), title_of(2)]
    for message in sent:
        assert message.data["author"]["username"] == "Example Gazette"
        assert message.request["avatar_url"] == ICON
        assert message.data["webhook_id"] == str(world.emu.webhooks(world.general)[0].id)
        assert message.request["allowed_mentions"]["parse"] == []
    [webhook] = world.emu.webhooks(world.general)  # made once, used for both
    executes = [r for r in world.emu.requests if r.path.startswith(f"/webhooks/{webhook.id}/")]
    assert len(executes) == 2
    assert all(r.query.get("wait") in ("1", "true") for r in executes)
    assert world.emu.messages(world.general) == []  # nothing from the bot itself

    # a restart reuses the same webhook
    serve_with_icon(world, "/gazette.xml", items(3))
    async with world.app() as app:  # type: ignore[attr-defined]
        assert isinstance(app, App)
        await poll(app, world)
        await world.emu.wait_for_messages(world.general, 3, timeout=WAIT, source="webhook")
        assert world.emu.webhooks(world.general) == [webhook]

        # the webhook deleted and the permission taken away: normal posts, one notice
        world.emu.delete_webhook(webhook.id)
        await world.emu.restrict_bot(world.general, deny=MANAGE_WEBHOOKS)
        for count in (4, 5):
            serve_with_icon(world, "/gazette.xml", items(count))
            await poll(app, world)
        await world.emu.wait_for_messages(world.general, 3, timeout=WAIT)
    own = world.emu.messages(world.general)
    notices = [m for m in own if not m.embeds]
    assert len(notices) == 1 and "Manage Webhooks" in notices[0].content
    assert {m.embeds[0]["title"] for m in own if m.embeds} == {title_of(4), title_of(5)}
    assert len(world.emu.messages(world.general, source="webhook")) == 3
    assert_no_mentions(own)


async def test_a_deleted_webhook_is_made_again_when_the_bot_may(world: World) -> None:
    url = world.serve("/gazette.xml", items(1))
    await world.emu.restrict_bot(world.general, deny=0, allow=MANAGE_WEBHOOKS)
    async with world.app() as app:  # type: ignore[attr-defined]
        assert isinstance(app, App)
        await world.command("feed", "add", {"url": url, "mode": "live", "webhook": True})
        world.serve("/gazette.xml", items(2))
        await poll(app, world)
        await world.emu.wait_for_messages(world.general, 1, timeout=WAIT, source="webhook")
        [old] = world.emu.webhooks(world.general)
        world.emu.delete_webhook(old.id)
        world.serve("/gazette.xml", items(3))
        await poll(app, world)
        posts = await world.emu.wait_for_messages(world.general, 2, timeout=WAIT, source="webhook")
    [new] = world.emu.webhooks(world.general)
    assert new.id != old.id and posts[1].data["webhook_id"] == str(new.id)
    assert world.emu.messages(world.general) == []  # no fallback, no notice


async def test_feed_edit_changes_how_an_existing_subscription_posts(world: World) -> None:
    role = await world.emu.add_role("breaking")
    url = world.serve("/gazette.xml", items(1))
    async with world.app() as app:  # type: ignore[attr-defined]
        assert isinstance(app, App)
        await world.command("feed", "add", {"url": url, "mode": "live", "ping": role})
        [sub] = await app.service.subscriptions(world.guild)
        answer = await world.command(
            "feed",
            "edit",
            {"feed": str(sub.subscription_id), "thread": "per-story", "no_ping": True},
        )
        text = answer.text  # type: ignore[attr-defined]
        assert "thread per-story" in text and "pinging" not in text, text
        assert answer.ephemeral  # type: ignore[attr-defined]
        [changed] = await app.service.subscriptions(world.guild)
        assert (changed.thread, changed.ping_role_id, changed.mode) == ("per-story", None, "live")
        world.serve("/gazette.xml", items(2))
        await poll(app, world)
        await world.emu.wait_until(
            lambda: len(world.emu.threads(world.general)) == 1, WAIT, what="a thread"
        )
        nothing = await world.command("feed", "edit", {"feed": str(sub.subscription_id)})
        assert "at least one option" in nothing.text  # type: ignore[attr-defined]
        listed = await world.command("feed", "list", {})
        assert "thread per-story" in listed.text  # type: ignore[attr-defined]
    [post] = world.emu.messages(world.general)
    assert post.embeds[0]["title"] == title_of(2) and not post.pings


async def test_a_webhook_post_is_edited_through_the_webhook_to_name_another_outlet(
    world: World,
) -> None:
    from tests.bot.test_e2e_delivery import OUTLETS, covered_by, serve_outlet, version

    names = list(OUTLETS)[:2]
    await world.emu.restrict_bot(world.general, deny=0, allow=MANAGE_WEBHOOKS)
    async with world.app() as app:  # type: ignore[attr-defined]
        assert isinstance(app, App)
        for name in names:
            url = serve_outlet(world, name, [])
            await world.command("feed", "add", {"url": url, "mode": "live", "webhook": True})
        for n, name in enumerate(names):
            serve_outlet(world, name, [version(name, n, *OUTLETS[name])])
            await poll(app, world, minutes=30)
        await world.emu.wait_until(
            lambda: names[1] in covered_by(world.emu.messages(world.general, source="webhook")[0]),
            WAIT,
            what="the webhook post naming the second outlet",
        )
    [post] = world.emu.messages(world.general, source="webhook")
    assert post.edits == 1 and post.data["author"]["username"] == names[0]
    [webhook] = world.emu.webhooks(world.general)
    edits = [r for r in world.emu.requests if r.method == "PATCH"]
    assert [r.path for r in edits] == [f"/webhooks/{webhook.id}/{webhook.token}/messages/{post.id}"]
    assert world.emu.messages(world.general) == []


async def test_a_webhook_post_pings_exactly_the_chosen_role(world: World) -> None:
    role = await world.emu.add_role("breaking")
    everyone = "@everyone <@&1> look"
    url = world.serve("/gazette.xml", [*items(1), Item(guid="loud", title=everyone)])
    await world.emu.restrict_bot(world.general, deny=0, allow=MANAGE_WEBHOOKS)
    async with world.app():  # type: ignore[attr-defined]
        await world.command(
            "feed",
            "add",
            {"url": url, "mode": "live", "webhook": True, "ping": role, "backfill": 2},
        )
        sent = await world.emu.wait_for_messages(world.general, 2, timeout=WAIT, source="webhook")
    for message in sent:
        assert message.pings.roles == (role,) and not message.pings.everyone
        assert [int(r) for r in message.request["allowed_mentions"]["roles"]] == [role]
        assert not message.request["allowed_mentions"].get("users")
