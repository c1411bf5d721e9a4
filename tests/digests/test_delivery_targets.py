"""Subscription delivery options (thread, webhook) and the outbox's recorded steps (migration
0006_delivery_targets), on each backend: a real SQLite file, and PostgreSQL when a test server is
set."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from digests.model import SubscriptionOptions
from digests.store import Store, open_store
from tests.digests.test_storage import NOW, pages_of_ten, save, write


@pytest.fixture
def store(db_target: str) -> Iterator[Store]:
    opened = open_store(db_target)
    yield opened
    opened.close()


def subscribe(store: Store, channel: int, mode: str = "live", **options: object) -> int:
    feed = store.ensure_feed("https://a.example/rss", NOW)
    store.subscribe(
        guild_id=1,
        channel_id=channel,
        feed_id=feed.feed_id,
        mode=mode,  # type: ignore[arg-type]
        backfill=0,
        now=NOW - timedelta(days=1),
        next_fetch=NOW,
        feed_limit=50,
        **options,  # type: ignore[arg-type]
    )
    return feed.feed_id


def test_live_posts_carry_the_subscriptions_thread_and_webhook_options(store: Store) -> None:
    feed_id = subscribe(store, 100, thread="per-story", webhook=True)
    subscribe(store, 200)
    save(store, feed_id, [write("g1", "Fresh")])
    threaded, plain = store.pending_deliveries(50)
    assert (threaded.channel_id, threaded.thread, threaded.webhook) == (100, "per-story", True)
    assert (plain.channel_id, plain.thread, plain.webhook) == (200, "none", False)
    [sub] = store.subscriptions(1, 100)
    assert (sub.thread, sub.webhook) == ("per-story", True)


def test_each_step_is_recorded_and_read_back(store: Store) -> None:
    feed_id = subscribe(store, 100, thread="per-story")
    save(store, feed_id, [write("g1", "Fresh")])
    [delivery] = store.pending_deliveries(50)
    assert delivery.message_id is None and delivery.progress.thread_id is None
    store.mark_posted(delivery.delivery_id, 7001, where=100, webhook_id=55)
    [posted] = store.pending_deliveries(50)  # still pending: its thread is to come
    assert posted.message_id == 7001
    assert posted.progress.message_channel_id == 100 and posted.progress.webhook_id == 55
    store.mark_thread(delivery.delivery_id, 7001)
    store.mark_published(delivery.delivery_id)
    [stepped] = store.pending_deliveries(50)
    assert stepped.progress.thread_id == 7001 and stepped.progress.published
    store.mark_delivered(delivery.delivery_id, 7001, NOW)
    assert store.pending_deliveries(50) == []


def test_a_digests_later_pages_follow_the_thread_of_its_first(store: Store) -> None:
    feed_id = subscribe(store, 100, mode="digest", thread="per-digest")
    save(store, feed_id, [write(f"g{i}", f"Story {i}") for i in range(12)])
    assert store.queue_digest(100, pages_of_ten(store.pending_digest(100)), NOW) == 12
    first, second = store.pending_deliveries(50)
    assert first.thread == "per-digest" and second.thread == "none"
    assert second.first_page_thread is None  # the first page has opened no thread yet
    store.mark_posted(first.delivery_id, 8001, where=100)
    store.mark_thread(first.delivery_id, 8001)
    store.mark_delivered(first.delivery_id, 8001, NOW)
    [later] = store.pending_deliveries(50)
    assert later.first_page_thread == 8001


def test_options_are_changed_in_place_and_the_ping_cleared(store: Store) -> None:
    subscribe(store, 100, ping_role_id=42)
    [sub] = store.subscriptions(1)
    changed = store.update_subscription(
        1,
        sub.subscription_id,
        SubscriptionOptions(style="headline", thread="per-story", webhook=True, clear_ping=True),
    )
    assert changed is not None
    assert (changed.style, changed.thread, changed.webhook) == ("headline", "per-story", True)
    assert changed.ping_role_id is None
    kept = store.update_subscription(1, sub.subscription_id, SubscriptionOptions(webhook=False))
    assert kept is not None and (kept.style, kept.webhook) == ("headline", False)
    assert store.update_subscription(2, sub.subscription_id, SubscriptionOptions()) is None


def test_a_webhook_fallback_is_noticed_once_until_restored(store: Store) -> None:
    assert store.webhook_fell_back(100, "gone", "Posting normally.", NOW)
    assert not store.webhook_fell_back(100, "gone again", "Posting normally.", NOW)
    assert [d.notice for d in store.pending_deliveries(50)] == ["Posting normally."]
    store.webhook_restored(100)
    assert store.webhook_fell_back(100, "lost", "Posting normally.", NOW)
    assert len(store.pending_deliveries(50)) == 2
