"""The feedparser-rs fast path and its agreement gate, on small synthetic documents.

Each document is one feedparser-rs reads differently from feedparser (or may): the gate must name
the check that catches it, and ``parse_feed`` must then give feedparser's records.
"""

from __future__ import annotations

import feedparser_rs
import pytest

from digests.feeds.fastparse import Rejected, parse_fast, shape
from digests.feeds.parse import map_parsed, parse_feed, prepare_xml
from digests.model import ParsedFeed

URL = "https://news.example.com/feeds/world.xml"
UTF8 = '<?xml version="1.0" encoding="utf-8"?>'


def item(n: int, extra: str = "") -> str:
    return (
        f"<item><title>Café story {n} über</title><link>https://news.example.com/{n}</link>"
        f"<guid>https://news.example.com/{n}</guid><pubDate>Mon, 0{n} Jun 2026 10:00:00 GMT"
        f"</pubDate><description>Crème brûlée number {n}.</description>{extra}</item>"
    )


def document(items: str, declaration: str = UTF8) -> str:
    return f'{declaration}<rss version="2.0"><channel><title>Wörld</title>{items}</channel></rss>'


def verdict(body: bytes) -> ParsedFeed | Rejected:
    prepared, headers = prepare_xml(body, url=URL, headers=None)
    shaped = parse_fast(prepared, url=URL, headers=headers, max_entries=1000)
    return shaped if isinstance(shaped, Rejected) else map_parsed(shaped, url=URL)


def feedparser_rs_alone(body: bytes) -> ParsedFeed:
    raw = feedparser_rs.parse(body, sanitize_html=False, resolve_relative_uris=False)
    return map_parsed(shape(raw), url=URL)


def test_a_plain_utf8_feed_takes_the_fast_path_with_feedparsers_records() -> None:
    body = document("".join(item(n) for n in range(1, 4))).encode()
    fast = verdict(body)
    assert isinstance(fast, ParsedFeed)
    assert fast == parse_feed(body, url=URL, fast=False) == parse_feed(body, url=URL)
    assert [e.title for e in fast.entries] == [f"Café story {n} über" for n in range(1, 4)]


@pytest.mark.parametrize(
    ("encoding", "declaration", "bom"),
    [
        ("latin-1", '<?xml version="1.0" encoding="iso-8859-1"?>', b""),
        ("utf-16-le", '<?xml version="1.0" encoding="utf-16"?>', b""),  # no BOM, as served
        ("utf-16-le", '<?xml version="1.0" encoding="utf-16"?>', b"\xff\xfe"),
    ],
)
def test_documents_not_in_utf8_go_to_feedparser(
    encoding: str, declaration: str, bom: bytes
) -> None:
    body = bom + document("".join(item(n) for n in range(1, 4)), declaration).encode(encoding)
    assert verdict(body) == Rejected("encoding", "not UTF-8")
    parsed = parse_feed(body, url=URL)
    assert parsed == parse_feed(body, url=URL, fast=False)
    assert [e.title for e in parsed.entries] == [f"Café story {n} über" for n in range(1, 4)]


def test_a_cdata_section_that_never_closes_goes_to_feedparser() -> None:
    broken = "<item><title>Broken</title><description><![CDATA[<p>cut off</description></item>"
    body = document(item(1) + broken).encode()
    assert verdict(body) == Rejected("cdata", "a CDATA section does not close")
    parsed = parse_feed(body, url=URL)
    assert parsed == parse_feed(body, url=URL, fast=False) and len(parsed.entries) == 2
    assert len(feedparser_rs_alone(body).entries) == 1  # what the check protects against


def test_an_item_feedparser_rs_does_not_see_fails_the_entry_count() -> None:
    body = document(f"{item(1)}<group>{item(2)}</group>{item(3)}").encode()
    assert len(feedparser_rs_alone(body).entries) == 2  # silently, without bozo
    assert verdict(body) == Rejected("entry count", "2 entries, 3 entry tags")
    parsed = parse_feed(body, url=URL)
    assert len(parsed.entries) == 3 and parsed == parse_feed(body, url=URL, fast=False)


def test_a_relative_guid_keeps_feedparsers_id() -> None:
    body = document(item(1).replace("<guid>https://news.example.com/1</guid>", "<guid>1</guid>"))
    fast_alone = feedparser_rs_alone(body.encode())
    assert fast_alone.entries[0].entry_id == "1"  # feedparser resolves it: another id, a repost
    assert verdict(body.encode()) == Rejected("relative id", "1")
    parsed = parse_feed(body.encode(), url=URL)
    assert parsed.entries[0].entry_id == "https://news.example.com/feeds/1"


def test_an_empty_author_element_does_not_borrow_the_next_elements_text() -> None:
    extra = "<dc:creator /><dc:date>2026-06-01T10:00:00Z</dc:date>"
    body = document(item(1, extra)).replace(
        '<rss version="2.0">', '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">'
    )
    assert feedparser_rs_alone(body.encode()).entries[0].author == "2026-06-01T10:00:00Z"
    assert verdict(body.encode()) == Rejected("empty field", "author")
    assert parse_feed(body.encode(), url=URL).entries[0].author is None


def test_the_feeds_author_is_not_given_to_atom_entries() -> None:
    body = (
        b'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        b"<title>Blog</title><author><name>Ann Author</name></author><id>tag:b,2026:f</id>"
        b'<entry><title>One</title><id>tag:b,2026:1</id><link href="https://b.example/1"/>'
        b"<updated>2026-06-01T10:00:00Z</updated><summary>Text.</summary></entry></feed>"
    )
    assert feedparser_rs_alone(body).entries[0].author == "Ann Author"
    assert verdict(body) == Rejected("inherited field", "0 author elements")
    assert parse_feed(body, url=URL).entries[0].author is None


def test_entities_in_atom_link_attributes_are_decoded() -> None:
    body = (
        b'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        b"<title>Blog</title><id>tag:b,2026:f</id><entry><title>One</title><id>tag:b,2026:1</id>"
        b'<link href="https://b.example/a?x=1&amp;y=2"/><author><name>Ann</name></author>'
        b"<updated>2026-06-01T10:00:00Z</updated><summary>Text.</summary></entry></feed>"
    )
    fast = verdict(body)
    assert isinstance(fast, ParsedFeed)
    assert fast.entries[0].url == "https://b.example/a?x=1&y=2"
    assert fast == parse_feed(body, url=URL, fast=False)
