"""Issue 12: the scans over a feed document take time linear in its size whatever it holds.

Each hostile document is 1 MB of one repeated fragment that used to make a regex (or
html.parser) rescan the rest of the document from every occurrence: seconds at 100 KB, hours at
1 MB. Each must now be handled within a generous 2 s (typically well under 0.5 s), measured with
``time.perf_counter``. Also issue 10: an encoding (UTF-32, EBCDIC) cannot hide entity
declarations from the check.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from digests.errors import ParseError
from digests.feeds import delta
from digests.feeds.htmltext import html_to_text
from digests.feeds.parse import parse_feed
from tests.builders import rss
from tests.faults.helpers import assert_one_sentence, item
from tests.faults.hostile import MB, billion_laughs

BOUND = 2.0
URL = "https://news.example/feed.xml"
RSS_HEAD = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'


def repeated(fragment: bytes, size: int = MB) -> bytes:
    return fragment * (size // len(fragment))


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    try:
        work()
    except ParseError:
        pass  # refusing the document is a fine outcome; the time is what is tested
    return time.perf_counter() - started


def test_item_split_over_unclosed_items() -> None:
    document = RSS_HEAD + repeated(b"<item ")
    assert timed(lambda: delta.split_items(document)) < BOUND
    assert delta.split_items(document) is None


def test_feed_of_unclosed_items() -> None:
    document = RSS_HEAD + repeated(b"<item ")
    assert timed(lambda: parse_feed(document, url=URL)) < BOUND
    with pytest.raises(ParseError, match="items never end") as caught:
        parse_feed(document, url=URL)
    assert_one_sentence(caught.value.message)


def test_prolog_with_unclosed_comments() -> None:
    document = b'<?xml version="1.0"?>' + repeated(b"<!--") + b'<rss version="2.0"/>'
    assert timed(lambda: parse_feed(document, url=URL)) < BOUND


def test_doctype_with_unclosed_entity_declarations() -> None:
    """Within the 256 KB prolog window (no ``>`` before the first element), then 800 KB of a
    plain feed."""
    document = (
        b'<?xml version="1.0"?><!DOCTYPE rss ['
        + repeated(b"<!ENTITY a ", 250 * 1024)
        + RSS_HEAD[len(b'<?xml version="1.0"?>') :]
        + repeated(b"<item><title>x</title></item>", 800 * 1024)
        + b"</channel></rss>"
    )
    assert timed(lambda: parse_feed(document, url=URL)) < BOUND
    with pytest.raises(ParseError, match="entities"):
        parse_feed(document, url=URL)


@pytest.mark.parametrize(
    "fragment", [b"<link ", b'<link type="application/rss+xml" '], ids=["bare", "typed"]
)
def test_web_page_with_unclosed_links(fragment: bytes) -> None:
    document = b"<!doctype html><html><head>" + repeated(fragment)
    assert timed(lambda: parse_feed(document, url=URL)) < BOUND
    with pytest.raises(ParseError, match="web page"):
        parse_feed(document, url=URL)


def test_web_page_still_names_its_feed() -> None:
    document = (
        b'<!doctype html><html><head><link rel="alternate" href="/a.xml" '
        b'type="application/atom+xml"></head><body>' + repeated(b"<p>Hello</p>", 300 * 1024)
    )
    with pytest.raises(ParseError, match=r"its feed may be at https://news\.example/a\.xml"):
        parse_feed(document, url=URL)


@pytest.mark.parametrize("fragment", ["<p ", "</ ", "<? ", "<![CDATA[ >", "<![if x >"])
def test_html_text_of_unclosed_markup(fragment: str) -> None:
    html = fragment * (MB // len(fragment))
    assert timed(lambda: html_to_text(html)) < BOUND


def test_unclosed_markup_keeps_its_text() -> None:
    assert html_to_text("<p>Hello <b>world</b></p><p>Trailing <p two") == (
        "Hello world\n\nTrailing <p two"
    )


def test_feed_item_of_unclosed_paragraphs() -> None:
    description = repeated(b"&lt;p ")
    document = (
        RSS_HEAD
        + b"<item><guid>p</guid><title>Paragraphs</title><description>"
        + description
        + b"</description></item></channel></rss>"
    )
    assert timed(lambda: parse_feed(document, url=URL)) < BOUND
    [entry] = parse_feed(document, url=URL).entries
    assert entry.title == "Paragraphs"


@pytest.mark.parametrize(
    "encode",
    [
        lambda d: d.encode("utf-32"),
        lambda d: d.encode("utf-32-be"),
        lambda d: d.replace('version="1.0"?', 'version="1.0" encoding="utf-32le"?').encode(
            "utf-32-le"
        ),
    ],
    ids=["bom", "big-endian-no-bom", "declared-le"],
)
def test_utf32_documents_are_refused(encode: Callable[[str], bytes]) -> None:
    document = encode(billion_laughs().decode())
    with pytest.raises(ParseError, match="UTF-32") as caught:
        parse_feed(document, url=URL)
    assert_one_sentence(caught.value.message)


def test_utf32_charset_header_is_refused() -> None:
    document = billion_laughs().decode().encode("utf-32")
    headers = {"Content-Type": "application/rss+xml; charset=UTF-32"}
    with pytest.raises(ParseError, match="UTF-32"):
        parse_feed(document, url=URL, headers=headers)


def test_entities_in_ebcdic_are_refused() -> None:
    document = billion_laughs().decode()
    document = document.replace('version="1.0"?', 'version="1.0" encoding="cp037"?')
    with pytest.raises(ParseError, match="entities"):
        parse_feed(document.encode("cp037"), url=URL)


def test_utf16_feeds_still_read() -> None:
    document = rss("Wide", [item(1, title="A wide story")]).decode().replace("utf-8", "utf-16")
    [entry] = parse_feed(document.encode("utf-16"), url=URL).entries
    assert entry.title == "A wide story"
