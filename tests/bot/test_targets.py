"""Where a delivery goes and which steps follow its message (bot/targets.py, pure)."""

from __future__ import annotations

import dataclasses

from bot.targets import Target, may_publish, plan_delivery, sender, thread_name
from digests.model import Delivery, StoryDetail
from tests.bot.test_render import make_story

FORUM = Target(kind="forum", tags={"example news": 7, "politics": 8, "sport": 9})


def story(**changes: object) -> Delivery:
    base = Delivery(1, 10, "story", "nd-1", items=[StoryDetail(make_story(5))])
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def digest(**changes: object) -> Delivery:
    items = [StoryDetail(make_story(i)) for i in range(1, 4)]
    base = Delivery(2, 10, "digest", "nd-2", items=items, header="Digest · 26 Nov 2026")
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_a_text_channel_post_has_no_later_steps_unless_asked() -> None:
    plan = plan_delivery(story(), Target())
    assert (plan.into, plan.forum_title, plan.thread_name, plan.publish) == (10, None, None, False)
    threaded = plan_delivery(story(thread="per-story"), Target())
    assert threaded.thread_name == "Council approves new bridge"
    # a digest's thread option is per-digest; a story's per-story
    assert plan_delivery(digest(thread="per-story"), Target()).thread_name is None
    assert plan_delivery(digest(thread="per-digest"), Target()).thread_name == (
        "Digest · 26 Nov 2026"
    )


def test_an_announcement_post_is_published_when_the_bot_may() -> None:
    news = Target(kind="announcement")
    assert plan_delivery(story(), news).publish
    assert may_publish(news, own=True)
    assert not may_publish(news, own=False)  # a webhook's message needs Manage Messages
    assert may_publish(dataclasses.replace(news, may_manage_messages=True), own=False)
    assert not may_publish(dataclasses.replace(news, may_send=False), own=True)
    assert not may_publish(Target(), own=True)


def test_a_forum_post_is_titled_by_the_story_and_tagged_by_feed_and_categories() -> None:
    tagged = dataclasses.replace(make_story(5), categories=("Politics", "Weather"))
    plan = plan_delivery(story(items=[StoryDetail(tagged)]), FORUM)
    assert plan.forum_title == "Council approves new bridge"
    assert plan.tags == (7, 8)  # the feed's name, then its categories, any case
    assert plan.thread_name is None and not plan.publish
    assert plan_delivery(digest(), FORUM).forum_title == "Digest · 26 Nov 2026"
    assert plan_delivery(digest(), FORUM).tags == ()


def test_a_digests_later_page_goes_into_the_first_pages_thread() -> None:
    plan = plan_delivery(digest(first_page_thread=555, thread="per-digest"), FORUM)
    assert (plan.into, plan.forum_title, plan.thread_name) == (555, None, None)


def test_webhooks_send_story_posts_under_the_feeds_name_and_icon() -> None:
    feed_story = dataclasses.replace(make_story(5), feed_image="https://news.example.com/i.png")
    delivery = story(items=[StoryDetail(feed_story)], webhook=True)
    assert plan_delivery(delivery, Target()).webhook
    assert not plan_delivery(digest(webhook=True), Target()).webhook
    who = sender(delivery)
    assert (who.username, who.avatar_url) == ("Example News", "https://news.example.com/i.png")
    reserved = dataclasses.replace(make_story(5), feed_title="The Discord Blog")
    assert sender(story(items=[StoryDetail(reserved)])).username == "newsdigest"


def test_thread_names_are_plain_and_within_discords_limit() -> None:
    assert thread_name("A\u202e title\u200b with\ncontrols") == "A title with controls"
    assert len(thread_name("word " * 60)) <= 100
    assert thread_name("\u200b") == "newsdigest"
    # zero-width joiners are kept, as in titles: Persian words and emoji sequences need them
    assert thread_name("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645") == (
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"
    )
