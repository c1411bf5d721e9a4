"""Mention injection: feed titles, texts and quotes containing ``@everyone``, ``@here``,
``<@&role>`` and ``<@user>`` reach Discord as live posts, digests, notices and command answers.
Zero pings: every recorded message has ``allowed_mentions`` with an empty ``parse`` (and nothing
in its content would ping even without it), and the text still shows the words harmlessly.

Real parts: the loopback Discord emulator, the real app (bot.runner composition root), loopback
feeds, a SQLite file; a FakeClock drives polls.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from xml.sax.saxutils import escape

from tests.builders import Item, rss
from tests.faults.discordworld import (
    WAIT,
    assert_no_pings_answer,
    assert_no_pings_message,
    message_texts,
    visible,
    world,
)
from tests.faults.helpers import START

ROLE = 123456789012345678


def hostile_items(user: int, start: int = 0) -> list[Item]:
    lines = [
        f"@everyone the harbour closes tonight <@&{ROLE}>",
        f"@here: <@{user}> and <@!{user}> named in council row",
        "Residents @everyone @here protest the tram plan",
    ]
    items = []
    for n, title in enumerate(lines, start=start):
        text = (
            f"Story {n}. The council voted on the plan on Tuesday, officials said. "
            f'"@everyone should read this, <@&{ROLE}> and <@{user}> too," said Jane Doe, '
            f"the mayor. Critics said @here the vote was rushed. {'More detail follows. ' * 5}"
        )
        items.append(
            Item(
                guid=f"m{n}",
                title=title,
                text=text,
                published=START - timedelta(hours=1, minutes=n),
            )
        )
    return items


async def test_feed_text_never_pings_anyone(tmp_path: Path) -> None:
    async with world(tmp_path, settings={"NEWSDIGEST_MAX_FAILURES": 1}) as w:
        news, digests = w.channel("news"), w.channel("digests")
        live = w.serve("/live.xml", "@everyone News <@&1>", hostile_items(w.reader))
        added = await w.command(
            "feed", "add", {"url": live, "channel": news, "mode": "live", "backfill": 3}
        )
        assert "News" in added.text
        posted = await w.emu.wait_for_messages(news, 3, timeout=WAIT)

        digest_feed = w.serve("/digest.xml", "@here Digest <@&2>", [])
        await w.command("feed", "add", {"url": digest_feed, "channel": digests})
        w.serve("/digest.xml", "@here Digest <@&2>", hostile_items(w.reader, start=10))
        await w.poll()
        await w.command("digest", "now", {"channel": digests})
        await w.emu.wait_for_messages(digests, 1, timeout=WAIT)

        # command answers that echo feed text
        number = int(posted[0].embeds[0]["footer"]["text"].rsplit("#", 1)[1])
        await w.command("story", None, {"story": str(number)})
        await w.command("quotes", None, {"story": str(number)})
        await w.command("quotes", None, {"speaker": "Jane Doe"})
        await w.command("search", None, {"query": "everyone"})
        await w.command("feed", "list", {})
        await w.command("status", None, {})

        # the live feed breaks: the disable notice names it (its title has mentions)
        w.feeds.status("/live.xml", 500)
        await w.poll(60 * 24)
        await w.emu.wait_until(
            lambda: any("turned off" in visible(m.content) for m in w.emu.messages(news)), WAIT
        )

        messages = w.emu.all_messages()
        assert len(messages) >= 5
        for message in messages:
            assert_no_pings_message(message)
        for answer in w.answers:
            assert_no_pings_answer(answer)

        # the words are still there for people to read
        shown = visible("\n".join(message_texts(m) for m in messages))
        assert "@everyone the harbour closes tonight" in shown
        assert f"<@&{ROLE}>" in shown or f"@&{ROLE}" in shown
        assert "@here" in shown
        notice = next(m for m in w.emu.messages(news) if "turned off" in visible(m.content))
        assert "@everyone News" in visible(notice.content)
        answers = visible("\n".join(a.text for a in w.answers))
        assert "@everyone" in answers


def _url_fields(message: object) -> list[str]:
    urls: list[str] = []
    for embed in message.embeds:  # type: ignore[attr-defined]
        urls.append(str(embed.get("url") or "https://x"))
        urls += [str(embed[key].get("url")) for key in ("thumbnail", "image") if embed.get(key)]
    for row in message.components:  # type: ignore[attr-defined]
        urls += [str(c["url"]) for c in row.get("components", []) if c.get("url")]
    return urls


async def test_hostile_links_and_images_never_cost_a_post(tmp_path: Path) -> None:
    """Item links and images Discord would refuse (javascript:, data:, ftp:, spaces, 5,000
    characters) are left out of the post; the story is still posted, exactly once."""
    bad_links = [
        "javascript:alert(1)",
        "ftp://127.0.0.1:9/story",
        "http://127.0.0.1:9/a b c",
        "http://127.0.0.1:9/" + "x" * 5000,
        "data:text/html,<script>alert(1)</script>",
    ]
    items = [
        Item(
            guid=f"bad-{n}",
            title=f"Odd link story {n}",
            link=link,
            published=None,
            text=f"Story {n}. The council voted on the harbour plan on Tuesday, officials said, "
            "after a long debate among residents.",
            extra=f'<enclosure url="{escape(image)}" type="image/png" length="1"/>',
        )
        for n, (link, image) in enumerate(zip(bad_links, reversed(bad_links), strict=True))
    ]
    doc = rss("Odd Links", items, link="javascript:void(0)")
    async with world(tmp_path) as w:
        news = w.channel("news")
        w.feeds.add("/odd.xml", doc, content_type="application/rss+xml")
        result = await w.command(
            "feed", "add",
            {"url": w.feeds.url("/odd.xml"), "channel": news, "mode": "live", "backfill": 5},
        )  # fmt: skip
        assert "Odd Links" in result.text
        posted = await w.emu.wait_for_messages(news, 5, timeout=WAIT)
        await w.app.outbox.drain()
        assert len(w.emu.messages(news)) == 5
        assert await w.app.service.pending_deliveries() == []
        titles = sorted(m.embeds[0]["title"] for m in posted)
        assert titles == [f"Odd link story {n}" for n in range(5)]
        for message in posted:
            for url in _url_fields(message):
                assert url.startswith(("http://", "https://")) and " " not in url, url
                assert len(url) <= 2048


async def test_error_answers_that_echo_user_text_ping_nobody(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        w.feeds.add(
            "/page.html", b"<html><body><p>Hello</p></body></html>", content_type="text/html"
        )
        url = w.feeds.url("/page.html") + f"?x=@everyone&y=<@&{ROLE}>&z=@here"
        result = await w.command("feed", "add", {"url": url})
        assert result.ephemeral
        assert "web page" in visible(result.content or "")
        for response in result.responses:
            if response.is_answer:
                allowed = response.allowed_mentions
                assert allowed is not None and allowed.get("parse") == [], response.payload
