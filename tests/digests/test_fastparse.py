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


@pytest.mark.parametrize(
    ("guid", "entry_id"),
    [
        ("<guid>1</guid>", "https://news.example.com/feeds/1"),  # a permalink: resolved
        ('<guid isPermalink="false">1</guid>', "1"),  # the attribute's name in any case
        ('<guid isPermaLink="True">1</guid>', "1"),  # its value exactly "true"
    ],
)
def test_a_relative_guid_gets_feedparsers_id(guid: str, entry_id: str) -> None:
    body = document(item(1).replace("<guid>https://news.example.com/1</guid>", guid)).encode()
    fast = verdict(body)
    assert isinstance(fast, ParsedFeed) and fast.entries[0].entry_id == entry_id
    assert fast == parse_feed(body, url=URL, fast=False)  # another id would mean a repost


def test_a_relative_id_under_xml_base_goes_to_feedparser() -> None:
    body = (
        b'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" '
        b'xml:base="https://other.example/blog/"><title>Blog</title><id>tag:b,2026:f</id>'
        b'<link href="https://other.example/"/><entry><title>One</title><id>posts/1</id>'
        b'<link href="https://b.example/1"/><author><name>Ann</name></author>'
        b"<updated>2026-06-01T10:00:00Z</updated><summary>Text.</summary></entry></feed>"
    )
    assert verdict(body) == Rejected("relative url", "posts/1")
    assert parse_feed(body, url=URL).entries[0].entry_id == "https://other.example/blog/posts/1"


def test_an_empty_author_element_does_not_borrow_the_next_elements_text() -> None:
    extra = "<dc:creator /><dc:date>2026-06-01T10:00:00Z</dc:date>"
    body = document(item(1, extra)).replace(
        '<rss version="2.0">', '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">'
    )
    assert feedparser_rs_alone(body.encode()).entries[0].author == "2026-06-01T10:00:00Z"
    assert verdict(body.encode()) == Rejected("empty field", "<dc:creator />")
    assert parse_feed(body.encode(), url=URL).entries[0].author is None


def test_the_feeds_author_is_not_given_to_atom_entries() -> None:
    body = (
        b'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        b"<title>Blog</title><author><name>Ann Author</name></author><id>tag:b,2026:f</id>"
        b'<entry><title>One</title><id>tag:b,2026:1</id><link href="https://b.example/1"/>'
        b"<updated>2026-06-01T10:00:00Z</updated><summary>Text.</summary></entry></feed>"
    )
    assert feedparser_rs_alone(body).entries[0].author == "Ann Author"
    fast = verdict(body)
    assert isinstance(fast, ParsedFeed) and fast.entries[0].author is None
    assert fast == parse_feed(body, url=URL, fast=False)


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


def atom(entry: str, feed_extra: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Blog</title><id>tag:b,2026:f</id>{feed_extra}<entry><id>tag:b,2026:1</id>"
        f"<author><name>Ann</name></author><updated>2026-06-01T10:00:00Z</updated>{entry}"
        "</entry></feed>"
    ).encode()


def test_an_atom_summary_without_type_is_plain_text() -> None:
    body = atom(
        '<title>One</title><link href="https://b.example/1"/>'
        "<summary>Fish &amp;amp; chips &lt;b&gt;now&lt;/b&gt;</summary>"
    )
    assert feedparser_rs_alone(body).entries[0].text == "Fish & chips now"  # read as HTML
    fast = verdict(body)
    assert isinstance(fast, ParsedFeed) and fast.entries[0].text == "Fish &amp; chips <b>now</b>"
    assert fast == parse_feed(body, url=URL, fast=False)


def test_an_alternate_link_to_a_pdf_is_not_the_article() -> None:
    body = atom(
        '<title>Thesis</title><link rel="alternate" type="application/pdf" '
        'href="https://b.example/thesis.pdf"/><summary>Text.</summary>'
    )
    assert feedparser_rs_alone(body).entries[0].url == "https://b.example/thesis.pdf"
    fast = verdict(body)
    assert isinstance(fast, ParsedFeed) and fast.entries[0].url is None
    assert fast == parse_feed(body, url=URL, fast=False)


def test_an_empty_href_goes_to_feedparser() -> None:
    body = atom('<title>One</title><link rel="alternate" href=""/><summary>Text.</summary>')
    assert verdict(body) == Rejected("relative url", "empty href")
    assert parse_feed(body, url=URL).entries[0].url == URL  # feedparser: the base URL


@pytest.mark.parametrize(
    ("extra", "namespace", "check"),
    [
        (
            "<feedburner:origLink>https://real.example/1</feedburner:origLink>",
            'xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"',
            Rejected("vocabulary", "<feedburner:origlink"),
        ),
        (
            "<itunes:keywords>sport, news</itunes:keywords>",
            'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"',
            Rejected("vocabulary", "iTunes elements in entries"),
        ),
        (
            "<atom:updated>2026-06-03T10:00:00Z</atom:updated>",
            'xmlns:atom="http://www.w3.org/2005/Atom"',
            Rejected("vocabulary", "atom:updated in RSS items"),
        ),
    ],
)
def test_elements_feedparser_rs_maps_differently_go_to_feedparser(
    extra: str, namespace: str, check: Rejected
) -> None:
    body = document(item(1, extra)).replace(
        '<rss version="2.0">', f'<rss version="2.0" {namespace}>'
    )
    assert feedparser_rs_alone(body.encode()) != parse_feed(body.encode(), url=URL, fast=False)
    assert verdict(body.encode()) == check


def test_an_entry_missing_a_field_its_elements_give_goes_to_feedparser() -> None:
    body = document(item(1, "<categories><category>Sport</category></categories>")).encode()
    assert feedparser_rs_alone(body).entries[0].categories == ()
    assert verdict(body) == Rejected("missing field", "category")
    assert parse_feed(body, url=URL).entries[0].categories == ("Sport",)


def test_a_nested_title_goes_to_feedparser() -> None:
    body = document(item(1, "<author><name>Ann</name><title>Editor</title></author>")).encode()
    assert feedparser_rs_alone(body).entries[0].title == "Editor"
    assert verdict(body) == Rejected("nested field", "title")
    assert parse_feed(body, url=URL) == parse_feed(body, url=URL, fast=False)


def test_double_encoded_utf8_goes_to_feedparser_which_repairs_it() -> None:
    body = document(item(1).replace("Café", "CafÃ©")).encode()
    assert feedparser_rs_alone(body).entries[0].title == "CafÃ© story 1 über"
    assert verdict(body) == Rejected("encoding", "double-encoded UTF-8")
    assert parse_feed(body, url=URL) == parse_feed(body, url=URL, fast=False)


def test_unescaped_markup_in_a_description_goes_to_feedparser() -> None:
    inline = "<description><p>How &lt;!ENTITY x&gt; attacks <b>work</b>.</p></description>"
    body = document(item(1).replace("<description>Crème brûlée number 1.</description>", inline))
    assert feedparser_rs_alone(body.encode()).entries[0].text == "How attacks work"
    assert verdict(body.encode()) == Rejected("inline markup", "description")
    assert parse_feed(body.encode(), url=URL).entries[0].text == "How <!ENTITY x> attacks work."


def test_a_content_location_elsewhere_is_another_base() -> None:
    body = document(item(1).replace("https://news.example.com/1</link>", "1.html</link>"))
    headers = {"Content-Location": "https://mirror.example.org/x/feed.xml"}
    prepared, prepared_headers = prepare_xml(body.encode(), url=URL, headers=headers)
    shaped = parse_fast(prepared, url=URL, headers=prepared_headers, max_entries=1000)
    assert shaped == Rejected("relative url", "1.html")
    parsed = parse_feed(body.encode(), url=URL, headers=headers)
    assert parsed.entries[0].url == "https://mirror.example.org/x/1.html"


@pytest.mark.parametrize("host", ["127.0.0.1:8080", "10.0.0.5", "localhost"])
def test_links_to_private_hosts_are_kept(host: str) -> None:
    body = document(item(1).replace("https://news.example.com/1</link>", f"http://{host}/a</link>"))
    assert feedparser_rs_alone(body.encode()).entries[0].url is None  # blanked by feedparser-rs
    assert verdict(body.encode()) == Rejected("missing field", "link")
    assert parse_feed(body.encode(), url=URL).entries[0].url == f"http://{host}/a"
