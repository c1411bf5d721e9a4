"""Rendering builds real discord.Embed objects within every Discord limit, with harmless mentions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import discord
import pytest

from bot import render
from bot.exts.feeds import subscription_line
from bot.exts.status import status_line
from bot.exts.stories import hit_line
from digests.model import (
    Coverage,
    FeedStatus,
    Quote,
    SearchHit,
    Story,
    StoryDetail,
    Subscription,
)

WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "zeta",
    "eta",
    "theta",
    "iota",
    "kappa",
    "lambda",
    "mu",
]


def words(count: int) -> str:
    return " ".join(WORDS[i % len(WORDS)] for i in range(count))


def make_story(
    story_id: int = 42,
    *,
    title: str | None = "Council approves new bridge",
    summary: str = "The council approved the bridge. Work starts in May.",
    quotes: list[Quote] | None = None,
    url: str | None = "https://news.example.com/bridge",
    image: str | None = "https://news.example.com/bridge.jpg",
    feed_title: str | None = "Example News",
) -> Story:
    return Story(
        story_id=story_id,
        feed_url="https://news.example.com/feed.xml",
        feed_title=feed_title,
        entry_id=f"e{story_id}",
        url=url,
        title=title,
        published=datetime(2026, 11, 25, 9, 30, tzinfo=UTC),
        summary=summary,
        sentences=[summary],
        quotes=quotes
        if quotes is not None
        else [
            Quote("We will build it on time", "Jane Smith", 0.9),
            Quote("It is a great day for the town", "John Doe", 0.8),
            Quote("A third quote that is not shown", "Someone Else", 0.1),
        ],
        image=image,
    )


def within_limits(embed: discord.Embed) -> None:
    data = embed.to_dict()
    assert len(data.get("title", "")) <= 256
    assert len(data.get("description", "")) <= 4096
    assert len(data.get("fields", [])) <= 25
    for field in data.get("fields", []):
        assert len(field["name"]) <= 256
        assert 0 < len(field["value"]) <= 1024
    assert len(data.get("footer", {}).get("text", "")) <= 2048
    assert len(embed) <= 6000


def test_story_embed_shape() -> None:
    story = make_story()
    embed = render.story_embed(story)
    assert embed.title == "Council approves new bridge"
    assert embed.url == "https://news.example.com/bridge"
    assert embed.description == story.summary
    assert embed.footer.text == "Example News · #42"
    assert embed.timestamp == story.published
    assert embed.thumbnail.url == "https://news.example.com/bridge.jpg"
    assert len(embed.fields) == 1
    value = embed.fields[0].value or ""
    assert value.splitlines() == [
        "> “We will build it on time” — Jane Smith",
        "> “It is a great day for the town” — John Doe",
    ]
    within_limits(embed)


def test_no_quotes_no_field_and_no_bad_urls() -> None:
    story = make_story(quotes=[], url="javascript:alert(1)", image="not a url", title=None)
    embed = render.story_embed(story)
    assert embed.fields == []
    assert embed.url is None
    assert embed.thumbnail.url is None
    assert embed.title == "Story #42"


def test_footer_falls_back_to_host() -> None:
    embed = render.story_embed(make_story(feed_title=None))
    assert embed.footer.text == "news.example.com · #42"


def test_huge_story_within_every_limit() -> None:
    huge = words(1800)  # over 10,000 characters
    assert len(huge) >= 10_000
    story = make_story(
        title=words(100),
        summary=huge,
        quotes=[Quote(words(400), words(60), 1.0), Quote(words(400), None, 0.5)],
        feed_title=words(500),
    )
    embed = render.story_embed(story, also=[Coverage(words(50), None)] * 40)
    within_limits(embed)
    assert (embed.description or "").endswith("…")
    assert (embed.title or "").endswith("…")
    assert embed.footer.text is not None and embed.footer.text.endswith(" · #42")
    # cut at a word boundary: the text before the ellipsis is whole words of the original
    kept = (embed.description or "")[:-1].split()
    assert kept == huge.split()[: len(kept)]

    details = render.story_details(StoryDetail(story, [Coverage(words(50), None)] * 40))
    within_limits(details)
    within_limits(render.quotes_embed(story))


def test_digest_page_within_message_limits() -> None:
    items = [
        StoryDetail(
            make_story(i, summary=words(1700), title=words(80)),
            [Coverage("Other Paper", "https://other.example/x")],
        )
        for i in range(1, 13)
    ]
    page = render.digest_message("Digest · 25 Nov 2026 09:00 – 26 Nov 2026 09:00 UTC", items)
    assert page.content == "Digest · 25 Nov 2026 09:00 – 26 Nov 2026 09:00 UTC"
    assert len(page.embeds) == 10
    for embed in page.embeds:
        within_limits(embed)
    assert render.message_length(page) <= 6000
    assert [e.footer.text for e in page.embeds][-1] == "Example News · #10"


def test_mentions_neutralised() -> None:
    hostile = "Hi @everyone and @here, <@123> <@!456> <@&789> <#1011> ping!"
    story = make_story(
        title="@everyone look",
        summary=hostile,
        quotes=[Quote("@here is <@&1>", "<@2>", 1.0)],
        feed_title="@everyone news",
    )
    embed = render.story_embed(story)
    texts = [embed.title or "", embed.description or "", embed.footer.text or ""]
    texts += [f.value or "" for f in embed.fields]
    joined = "\n".join(texts)
    assert "@everyone" not in joined
    assert "@here" not in joined
    for raw in ("<@123>", "<@!456>", "<@&789>", "<#1011>", "<@&1>", "<@2>"):
        assert raw not in joined
    assert "@\u200beveryone" in joined
    assert "<\u200b@" in joined


def test_clip_word_boundary() -> None:
    assert render.clip("short", 10) == "short"
    assert render.clip("one two three four", 12) == "one two…"
    assert len(render.clip("x" * 50, 10)) == 10
    assert render.clip("anything", 0) == ""


@pytest.mark.parametrize("limit", [5, 37, 1024, 2000])
def test_clip_never_exceeds(limit: int) -> None:
    out = render.clip(words(3000), limit)
    assert len(out) <= limit
    assert out.endswith("…")


def test_notice_message() -> None:
    notice = render.notice_message("Feed @everyone disabled " + words(2000))
    assert notice.content is not None
    assert len(notice.content) <= 2000
    assert "@everyone" not in notice.content


SENTENCES = [
    "The council approved the new bridge over the river on Tuesday after a long debate.",
    'Work starts in May and should finish within two years, officials said, "if the '
    'weather allows it."',
    "Residents of both banks have waited for a crossing since the ferry stopped in 2019.",
    "The cost, 40 million euros, is shared by the city and the region.",
]


def sentence_story(story_id: int, quote: str) -> Story:
    story = make_story(
        story_id,
        title=f"Council approves the new river bridge, story {story_id}",
        summary=" ".join(SENTENCES),
        quotes=[Quote(quote, "Jane Smith", 0.9), Quote("Short and whole.", "Li Wei", 0.5)],
    )
    return replace(story, sentences=list(SENTENCES))


def test_digest_stories_are_whole_sentences_and_whole_quotes() -> None:
    long_quote = " ".join(["We will build it on time and on budget"] * 12)
    items = [
        StoryDetail(sentence_story(i, long_quote), [Coverage("Other Paper", None)])
        for i in range(10)
    ]
    page = render.digest_message("Digest · today", items)
    assert len(page.embeds) == 10
    assert render.message_length(page) <= render.EMBED_TOTAL_MAX
    for embed in page.embeds:
        within_limits(embed)
        description = embed.description or ""
        # a one- or two-sentence gist, each sentence whole
        assert description in (
            render.clean(SENTENCES[0]),
            render.clean(SENTENCES[0]) + " " + render.clean(SENTENCES[1]),
        )
        assert "…" not in description
        # its key quote whole: the long one does not fit, the short one does
        quotes = [f["value"] for f in embed.to_dict()["fields"] if f["name"] == "Key quote"]
        assert quotes == ["> “Short and whole.” — Li Wei"]


def test_whole_sentences_never_cuts() -> None:
    assert render.whole_sentences(SENTENCES, 10) == ""
    two = render.whole_sentences(SENTENCES, 200, 2)
    assert two == render.clean(SENTENCES[0]) + " " + render.clean(SENTENCES[1])
    assert render.whole_sentences(SENTENCES, 10_000) == " ".join(render.clean(s) for s in SENTENCES)


def test_notice_shows_feed_title_and_server_reason_as_text() -> None:
    notice = (
        "The feed [Click me](https://evil.example) **urgent** was turned off after 8 failed "
        "updates in a row; add it again with /feed add to retry. Last error: HTTP 500 "
        "([login here](https://evil.example/login))."
    )
    content = render.notice_message(notice).content or ""
    assert "\\[Click me\\](https://evil.example)" in content
    assert "(\\[login here\\](https://evil.example/login))" in content
    assert "\\*\\*urgent\\*\\*" in content


INJECTING_URL = "https://news.example.com/a)[Official-notice](https://evil.example/x)"


def test_a_url_cannot_close_its_link_and_inject_another() -> None:
    story = make_story(url=INJECTING_URL)
    also = [Coverage(feed="Other [Paper]", url=INJECTING_URL)]
    embed = render.story_details(StoryDetail(story=story, also_covered_by=also))
    fields = {f.name: f.value or "" for f in embed.fields}
    for name in ("Source", "Also covered by"):
        value = fields[name]
        assert "](https://evil.example" not in value, value
        assert value.count("](") == 1 and value.endswith("%29)"), value
    assert "Other \\[Paper\\]" in fields["Also covered by"]


def test_search_snippet_highlights_stay_bold_and_the_words_escaped() -> None:
    shown = render.highlighted("…the **Labour** party_leader said *x* and **won**", 200)
    assert shown == "…the **Labour** party\\_leader said \\*x\\* and **won**"
    assert render.highlighted("an **odd marker", 200) == "an odd marker"


def test_search_hits_and_feed_lines_keep_one_link_each() -> None:
    hit = SearchHit(
        story_id=7,
        title="Budget **vote** [live]",
        url=INJECTING_URL,
        feed_title="Gazette",
        published=None,
        snippet="the **Labour** whip",
    )
    line = hit_line(hit)
    assert line.count("](") == 1 and "](https://evil.example" not in line
    assert "Budget \\*\\*vote\\*\\* \\[live\\]" in line
    assert line.endswith("the **Labour** whip")
    status = FeedStatus(7, INJECTING_URL, None, "ok", None, None, None, 0, None)
    listed = subscription_line(Subscription(1, 2, 3, "live", status))
    assert listed.count("](") == 1 and "](https://evil.example" not in listed


def test_status_line_counts_one_failure_in_the_singular() -> None:
    since = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
    one = FeedStatus(1, "https://n.example/f.xml", "News", "failing", since, None, since, 1, "x")
    assert "(1 failure)" in status_line(one)
    two = FeedStatus(1, "https://n.example/f.xml", "News", "failing", since, None, since, 2, "x")
    assert "(2 failures)" in status_line(two)


def test_compact_post_keeps_whole_sentences_and_drops_what_does_not_fit() -> None:
    story = replace(make_story(), sentences=["One. ", "Two."])
    embed = render.compact_embed(story)
    assert embed.description == "One.\n\n> “We will build it on time” — Jane Smith"
    long_one = words(200) + "."
    story = replace(story, sentences=[long_one])
    embed = render.compact_embed(story)
    # a sentence longer than the compact budget is left out, never cut
    assert embed.description == "> “We will build it on time” — Jane Smith"
    assert "…" not in (embed.description or "")


def test_headline_post_is_title_link_and_source_within_limits() -> None:
    text = render.headline_text(make_story(title=words(900)))
    first, link, source = text.split("\n")
    assert len(text) <= render.CONTENT_MAX and first.startswith("**") and first.endswith("…**")
    assert link == "https://news.example.com/bridge"
    assert source == "-# Example News · #42"
    longest = make_story(title=words(900), url="https://e.example/" + "a" * 981)
    pinged = render.with_pings(
        render.Rendered(render.headline_text(longest)), range(10**18, 10**18 + 21)
    )
    assert pinged.content is not None and len(pinged.content) <= render.CONTENT_MAX
    assert pinged.content.endswith("-# Example News · #42")


def test_pings_allow_exactly_the_chosen_roles() -> None:
    plain = render.story_message(StoryDetail(make_story()))
    assert plain.allowed_mentions().to_dict() == discord.AllowedMentions.none().to_dict()
    pinged = render.with_pings(plain, [5, 5, 7])
    assert pinged.content == "<@&5> <@&7>"
    allowed = pinged.allowed_mentions().to_dict()
    assert allowed["parse"] == [] and allowed["roles"] == [5, 7]
    assert not allowed.get("users") and not allowed.get("replied_user")
