"""OPML: reading the exports of common feed readers (fixtures in tests/data/opml/ modelled on
Feedly, Inoreader, NetNewsWire and Miniflux), refusing hostile files in one sentence, importing
through the service (each feed checked like /feed add: real fetches from a loopback server)
and exporting back."""

from __future__ import annotations

from pathlib import Path

import pytest

from digests.errors import InputError
from digests.feeds import opml
from digests.feeds.fetch import Fetcher
from digests.service import DigestService
from tests.digests.test_service import START, UA, Env, env, long_item, serve

__all__ = ["env"]

DATA = Path(__file__).parent.parent / "data" / "opml"
PLACEHOLDER = b"https://feeds.example.net"


def fixture(name: str) -> bytes:
    return (DATA / name).read_bytes()


def test_feedly_folders_become_categories_and_repeats_count_once() -> None:
    feeds = opml.parse_opml(fixture("feedly.opml"))
    assert [(f.title, f.category) for f in feeds] == [
        ("Ars Technica", "Tech"),
        ("Hacker News: Front Page", "Tech"),
        ("The Verge - All Posts", "Must Read"),
    ]
    assert feeds[0].url == "https://feeds.example.net/ars.xml"
    assert feeds[0].html_url == "https://arstechnica.example.net"


def test_inoreader_netnewswire_and_miniflux_exports() -> None:
    inoreader = opml.parse_opml(fixture("inoreader.opml"))
    assert [f.category for f in inoreader] == ["News", "News", "Science & Nature"]
    netnewswire = opml.parse_opml(fixture("netnewswire.opml"))
    assert [(f.title, f.category) for f in netnewswire] == [
        ("Daring Fireball", None),
        ("Six Colors", None),
        ("Gone Away Blog", "Blogs"),
    ]
    miniflux = opml.parse_opml(fixture("miniflux.opml"))
    assert [f.title for f in miniflux] == ["Tom & Jerry's <Weekly> News", "Café Society"]


def test_a_category_attribute_is_used_without_folders() -> None:
    doc = (
        b'<opml version="2.0"><body><outline text="X" xmlUrl="https://a.example/x" '
        b'category="/Tech/Linux,/News"/></body></opml>'
    )
    assert opml.parse_opml(doc)[0].category == "Tech / Linux"


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (
            b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><opml><body>'
            b'<outline text="&b;" xmlUrl="https://a.example/x"/></body></opml>',
            "DTD or entities",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE opml SYSTEM "file:///etc/passwd"><opml/>',
            "DTD or entities",
        ),
        (b"<opml><body><outline", "not valid OPML"),
        (b"<rss><channel/></rss>", "not OPML"),
        (b'<opml version="2.0"><head/></opml>', "no <body>"),
    ],
)
def test_hostile_or_broken_files_are_refused_in_one_sentence(content: bytes, says: str) -> None:
    with pytest.raises(InputError) as caught:
        opml.parse_opml(content)
    assert says in caught.value.message and caught.value.message.endswith(".")


def test_a_50_mb_file_is_refused_before_parsing() -> None:
    huge = b'<opml><body><outline text="' + b"a" * (50 * 2**20) + b'"/></body></opml>'
    with pytest.raises(InputError, match="too large"):
        opml.parse_opml(huge)


def test_too_many_feeds_are_refused() -> None:
    outlines = "".join(
        f'<outline xmlUrl="https://a.example/{n}"/>' for n in range(opml.MAX_OPML_FEEDS + 1)
    )
    with pytest.raises(InputError, match="more than"):
        opml.parse_opml(f"<opml><body>{outlines}</body></opml>".encode())


def test_export_reads_back_the_same_feeds() -> None:
    feeds = [
        opml.OpmlFeed("https://a.example/x", "A & B", "https://a.example/", "#news"),
        opml.OpmlFeed("https://b.example/y", None, None, None),
    ]
    document = opml.to_opml(feeds, title="t", created=START)
    again = opml.parse_opml(document)
    assert again == [feeds[0], opml.OpmlFeed("https://b.example/y", "https://b.example/y")]


async def test_importing_fixtures_counts_added_skipped_and_refused(env: Env) -> None:
    for path in ("/bbc.xml", "/reuters.xml", "/nature.xml", "/df.json", "/sixcolors.xml"):
        serve(env, path, path.strip("/").split(".")[0].title(), [long_item(1)])
    env.server.status("/gone.xml", 404)
    base = env.server.base.encode()
    existing = env.server.url("/bbc.xml")
    await env.service.add_feed(guild_id=1, channel_id=10, url=existing)

    report = await env.service.import_opml(
        guild_id=1, channel_id=10, content=fixture("inoreader.opml").replace(PLACEHOLDER, base)
    )
    assert len(report.added) == 2 and len(report.refused) == 0
    assert report.skipped == [(existing, "That feed is already posted in that channel.")]
    report = await env.service.import_opml(
        guild_id=1,
        channel_id=10,
        content=fixture("netnewswire.opml").replace(PLACEHOLDER, base),
        mode="live",
    )
    assert (len(report.added), len(report.skipped), len(report.refused)) == (2, 0, 1)
    assert report.summary() == "Added 2 feeds, skipped 0 and refused 1."
    subs = await env.service.subscriptions(1)
    assert len(subs) == 5
    assert {s.mode for s in subs if "sixcolors" in s.feed.url} == {"live"}

    exported = await env.service.export_opml(1, category=lambda s: f"channel {s.channel_id}")
    assert {f.url for f in opml.parse_opml(exported)} == {s.feed.url for s in subs}


async def test_file_and_private_urls_are_refused_without_the_private_setting(env: Env) -> None:
    doc = (
        b'<opml version="2.0"><body>'
        b'<outline text="local" xmlUrl="file:///etc/passwd"/>'
        b'<outline text="intranet" xmlUrl="http://10.0.0.8/feed.xml"/>'
        b'<outline text="loopback" xmlUrl="' + env.server.url("/x.xml").encode() + b'"/>'
        b"</body></opml>"
    )
    async with Fetcher(user_agent=UA, allow_private=False) as strict:
        service = DigestService(env.store, strict, clock=env.clock)
        report = await service.import_opml(guild_id=1, channel_id=10, content=doc)
    assert report.added == [] and len(report.refused) == 3
    for _, message in report.refused:
        assert message.endswith(".") and "\n" not in message
    assert "file" in report.refused[0][1]
    assert env.server.hits("/x.xml") == 0
