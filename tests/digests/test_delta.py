"""Splitting a feed document into raw items, to parse only the new ones."""

from __future__ import annotations

from digests.feeds.delta import item_hash, new_items, split_items
from digests.feeds.parse import parse_feed

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>T</title>
<link>https://news.example/</link>
<item><title>One</title><link>https://news.example/1</link><dc:creator>Ann</dc:creator></item>
<item><title>Two</title><link>https://news.example/2</link></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
<entry><id>urn:1</id><title>One</title><link href="https://news.example/1"/></entry>
<entry><id>urn:2</id><title>Two</title><link href="https://news.example/2"/></entry></feed>"""


def test_split_rss_keeps_head_and_tail_and_hashes_items() -> None:
    split = split_items(RSS)
    assert split is not None
    assert len(split.items) == 2
    assert split.head.rstrip().endswith(b"<link>https://news.example/</link>")
    assert split.tail.strip() == b"</channel></rss>"
    assert split.hashes == [item_hash(raw) for _, raw in split.items]


def test_small_document_of_new_items_parses_with_namespaces() -> None:
    split = split_items(RSS)
    assert split is not None
    known = frozenset(split.hashes[1:])
    fresh = new_items(split, known)
    assert len(fresh) == 1
    parsed = parse_feed(split.with_items(fresh), url="https://news.example/rss")
    assert [e.title for e in parsed.entries] == ["One"]
    assert parsed.entries[0].author == "Ann"
    assert parsed.info.title == "T"


def test_atom_entries_split() -> None:
    split = split_items(ATOM)
    assert split is not None and len(split.items) == 2
    parsed = parse_feed(split.with_items(new_items(split, frozenset())), url="https://a.example/")
    assert [e.entry_id for e in parsed.entries] == ["urn:1", "urn:2"]


def test_documents_a_byte_scan_cannot_split_are_left_whole() -> None:
    assert split_items(b'{"version": "https://jsonfeed.org/version/1.1", "items": []}') is None
    assert split_items(b"\x1f\x8b\x08compressed") is None
    assert split_items(b"<rss><channel><title>empty</title></channel></rss>") is None


def test_hostile_bodies_are_scanned_in_linear_time() -> None:
    import time

    started = time.perf_counter()
    assert split_items(b"<rss>" + b"<item>" * 500_000) is None  # never closed
    assert split_items(b"<rss>" + b"<item></item>" * 100_000) is None  # too many items
    assert split_items(b"<rss>" + b"<item/>" + b"<item></item>") is None  # self-closing
    assert time.perf_counter() - started < 5.0
