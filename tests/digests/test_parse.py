"""parse_feed / JSON Feed on small synthetic documents, including hostile ones."""

from __future__ import annotations

import gzip
import json
import random
import time
from datetime import UTC, datetime

import pytest

from digests.errors import ParseError
from digests.feeds.htmltext import html_to_text
from digests.feeds.parse import MAX_ENTRIES, parse_feed
from tests.builders import UTF8, rss

URL = "https://news.example.com/feeds/world.xml"
LONG_HTML = "".join(
    f"<p>Paragraph {n} says the minister spoke at length about the budget, the schools and the "
    f"roads of the region, and many people listened carefully.</p>"
    for n in range(6)
)


def world(items: str, *, declaration: str = UTF8) -> bytes:
    """The "World & More" feed around raw ``<item>`` markup (parser tests need odd markup)."""
    return rss("World & More", [items], link="/world/", declaration=declaration)


def item(body: str) -> str:
    return f"<item>{body}</item>"


def test_content_becomes_plain_text_with_paragraphs() -> None:
    html = (
        "<p>First <b>bold</b> paragraph.</p><script>alert('x')</script>"
        "<div>Second<br>third</div><style>p{}</style><figure><img src='/a.jpg'>"
        "<figcaption>Caption</figcaption></figure><p>  Tom &amp; Jerry&nbsp;said “hi”. </p>"
    )
    feed = world(
        item(
            f"<title>T</title><link>/a</link><content:encoded><![CDATA[{html}]]></content:encoded>"
        )
    )
    entry = parse_feed(feed, url=URL).entries[0]
    assert entry.text == "First bold paragraph.\n\nSecond\n\nthird\n\nTom & Jerry said “hi”."
    assert entry.image == "https://news.example.com/a.jpg"


def test_feed_info_and_relative_links_resolve_against_the_feed_url() -> None:
    parsed = parse_feed(world(item("<title>A</title><link>/2026/a.html</link>")), url=URL)
    assert parsed.info.title == "World & More"
    assert parsed.info.link == "https://news.example.com/world/"
    assert parsed.entries[0].url == "https://news.example.com/2026/a.html"


def test_content_location_header_wins_over_the_request_url() -> None:
    parsed = parse_feed(
        world(item("<title>A</title><link>a.html</link>")),
        url=URL,
        headers={"Content-Location": "https://mirror.example.org/x/feed.xml"},
    )
    assert parsed.entries[0].url == "https://mirror.example.org/x/a.html"


def test_feedburner_origlink_is_the_article_url() -> None:
    parsed = parse_feed(
        world(
            item(
                "<title>A</title><link>http://feedproxy.google.com/~r/x/~3/abc/</link>"
                "<feedburner:origLink>https://site.example/real-story</feedburner:origLink>"
            )
        ),
        url=URL,
    )
    assert parsed.entries[0].url == "https://site.example/real-story"


def test_google_alerts_redirect_is_unwrapped() -> None:
    atom = (
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Alert</title>'
        b'<entry><id>tag:google.com,2013:x</id><title>Story</title><link href="https://www.'
        b'google.com/url?rct=j&amp;sa=t&amp;url=https://paper.example/story-1&amp;ct=ga"/>'
        b"<updated>2026-01-02T03:04:05Z</updated></entry></feed>"
    )
    entry = parse_feed(atom, url=URL).entries[0]
    assert entry.url == "https://paper.example/story-1"
    assert entry.entry_id == "tag:google.com,2013:x"
    assert entry.published == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_entry_id_is_guid_then_link_then_a_stable_hash() -> None:
    feed = world(
        item("<guid isPermaLink='false'>g-1</guid><title>A</title><link>/a</link>")
        + item("<title>B</title><link>/b</link>")
        + item("<title>C</title><description>Only text here.</description>")
        + item("<title>D</title><description>Other text.</description>")
    )
    first = parse_feed(feed, url=URL).entries
    again = parse_feed(feed, url=URL).entries
    assert first[0].entry_id == "g-1"
    assert first[1].entry_id == "https://news.example.com/b"
    assert first[2].entry_id.startswith("sha256:")
    assert first[2].entry_id == again[2].entry_id
    assert first[2].entry_id != first[3].entry_id


def test_dates_are_aware_utc() -> None:
    entry = parse_feed(
        world(
            item(
                "<title>A</title><link>/a</link><pubDate>Tue, 03 Jun 2025 09:39:21 +0200</pubDate>"
            )
        ),
        url=URL,
    ).entries[0]
    assert entry.published == datetime(2025, 6, 3, 7, 39, 21, tzinfo=UTC)
    assert entry.published is not None and entry.published.tzinfo is UTC


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("<media:thumbnail url='https://img.example/t.jpg'/>", "https://img.example/t.jpg"),
        ("<media:content url='/m.png' medium='image'/>", "https://news.example.com/m.png"),
        (
            "<enclosure url='https://img.example/e.jpg' type='image/jpeg' length='1'/>",
            "https://img.example/e.jpg",
        ),
        (
            "<description><![CDATA[<img src='https://feeds.feedburner.com/~r/x/~4/pix' width='1' "
            "height='1'><p>x</p><img src='https://img.example/real.jpg'>]]></description>",
            "https://img.example/real.jpg",
        ),
        ("<enclosure url='https://a.example/e.mp3' type='audio/mpeg' length='1'/>", None),
    ],
)
def test_entry_image(markup: str, expected: str | None) -> None:
    entry = parse_feed(world(item(f"<title>A</title><link>/a</link>{markup}")), url=URL).entries[0]
    assert entry.image == expected


def test_teasers() -> None:
    feed = world(
        item("<title>Short</title><link>/s</link><description>One line.</description>")
        + item(
            f"<title>Full</title><link>/f</link><content:encoded><![CDATA[{LONG_HTML}]]>"
            "</content:encoded>"
        )
        + item(
            f"<title>Cut</title><link>/c</link><description><![CDATA[{LONG_HTML}"
            "<p><a href='/c'>Continue reading →</a></p>]]></description>"
        )
        + item("<title>No link</title><description>One line.</description>")
    )
    short, full, cut, nolink = parse_feed(feed, url=URL).entries
    assert short.is_teaser and not full.is_teaser and cut.is_teaser and not nolink.is_teaser
    assert "Continue reading" not in cut.text
    assert full.text.count("\n\n") == 5


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title>
<item><title>&lol9;</title><link>http://x.example/a</link></item></channel></rss>"""

QUADRATIC = (
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "' + b"A" * 50_000 + b'">]>'
    b"<rss version='2.0'><channel><title>" + b"&a;" * 10_000 + b"</title></channel></rss>"
)

EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>x</title><item><title>&xxe;</title>
<link>http://x.example/a</link></item></channel></rss>"""

PARAMETER = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY % ext SYSTEM "http://127.0.0.1/evil.dtd"> %ext;]>
<rss version="2.0"><channel><title>x</title></channel></rss>"""


@pytest.mark.parametrize("document", [BILLION_LAUGHS, QUADRATIC, EXTERNAL, PARAMETER])
def test_entity_bombs_and_external_entities_are_refused(document: bytes) -> None:
    started = time.monotonic()
    with pytest.raises(ParseError) as info:
        parse_feed(document, url=URL)
    assert time.monotonic() - started < 2
    assert str(info.value) == (
        f"The document at {URL} declares XML entities that could expand without limit, "
        "so newsdigest refuses to read it."
    )


def test_entity_bomb_in_utf16_is_refused() -> None:
    with pytest.raises(ParseError, match="declares XML entities"):
        parse_feed(
            BILLION_LAUGHS.decode()
            .replace('"1.0"?>', '"1.0" encoding="utf-16"?>', 1)
            .encode("utf-16"),
            url=URL,
        )


def test_character_alias_entities_are_harmless() -> None:
    document = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY nbsp "&#160;">]>'
        b"<rss version='0.91'><channel><title>Old</title><item><title>A&nbsp;B</title>"
        b"<link>http://x.example/a</link></item></channel></rss>"
    )
    assert parse_feed(document, url=URL).entries[0].title == "A B"


def test_entity_talk_inside_content_is_not_a_doctype() -> None:
    body = "<p>How &lt;!ENTITY lol &quot;lol&quot;&gt; attacks work.</p>"
    feed = world(item(f"<title>A</title><link>/a</link><description>{body}</description>"))
    assert "<!ENTITY" in parse_feed(feed, url=URL).entries[0].text


@pytest.mark.parametrize("seed", range(5))
def test_garbage_bytes_are_one_sentence(seed: int) -> None:
    garbage = random.Random(seed).randbytes(4096)
    with pytest.raises(ParseError) as info:
        parse_feed(garbage, url=URL)
    message = str(info.value)
    assert message.endswith(".") and "\n" not in message and URL in message


@pytest.mark.parametrize("document", [b"", b"   \n", b"\xef\xbb\xbf"])
def test_empty_documents(document: bytes) -> None:
    with pytest.raises(ParseError, match="is empty"):
        parse_feed(document, url=URL)


def test_html_page_at_a_feed_url() -> None:
    page = (
        b"<!DOCTYPE html><html><head><title>News</title>"
        b'<link rel="alternate" type="application/rss+xml" href="/rss.xml"></head>'
        b"<body><p>Welcome</p></body></html>"
    )
    with pytest.raises(ParseError) as info:
        parse_feed(page, url=URL)
    assert str(info.value) == (
        f"The address {URL} is a web page, not a feed; its feed may be at "
        "https://news.example.com/rss.xml."
    )
    with pytest.raises(ParseError, match="is a web page, not a feed"):
        parse_feed(b"<html><body>Document moved</body></html>", url=URL)


def test_declared_latin1_that_is_really_utf8() -> None:
    feed = world(
        item("<title>Zoë’s café</title><link>/a</link>"),
        declaration='<?xml version="1.0" encoding="ISO-8859-1"?>',
    )
    assert parse_feed(feed, url=URL).entries[0].title == "Zoë’s café"
    served = parse_feed(
        feed.replace(b'encoding="ISO-8859-1"', b""),
        url=URL,
        headers={"Content-Type": "text/xml; charset=iso-8859-1"},
    )
    assert served.entries[0].title == "Zoë’s café"


def test_declared_utf8_that_is_really_windows_1252() -> None:
    feed = world(item("<title>Caf\u00e9 na\u00efve</title><link>/a</link>")).decode()
    raw = feed.encode("utf-8").replace("Café naïve".encode(), "Café naïve".encode("cp1252"))
    assert parse_feed(raw, url=URL).entries[0].title == "Café naïve"


def test_undeclared_legacy_encoding_uses_chardet() -> None:
    title = "Как пережить новогоднюю ночь и не сойти с ума от праздничной суеты"
    feed = (
        '<rss version="2.0"><channel><title>Новости</title><item>'
        f"<title>{title}</title><link>http://x.example/a</link></item></channel></rss>"
    ).encode("koi8-r")
    assert parse_feed(feed, url=URL).entries[0].title == title


def test_utf16_feed() -> None:
    feed = (
        world(
            item("<title>Ünïcode</title><link>/a</link>"),
            declaration='<?xml version="1.0" encoding="utf-16"?>',
        )
        .decode()
        .encode("utf-16")
    )
    assert parse_feed(feed, url=URL).entries[0].title == "Ünïcode"


def test_ten_thousand_entries_are_bounded() -> None:
    items = "".join(
        item(
            f"<guid>id-{n}</guid><title>Story {n}</title><link>/s/{n}</link>"
            f"<pubDate>Tue, 03 Jun 2025 09:{n // 600 % 60:02d}:{n // 10 % 60:02d} GMT</pubDate>"
        )
        for n in range(10_000)
    )
    started = time.monotonic()
    parsed = parse_feed(world(items), url=URL)
    assert time.monotonic() - started < 10
    # feeds list newest first: the first MAX_ENTRIES in document order are kept
    assert [e.title for e in parsed.entries] == [f"Story {n}" for n in range(MAX_ENTRIES)]
    assert len(parse_feed(world(items), url=URL, max_entries=50).entries) == 50


def test_ten_thousand_atom_entries_are_bounded() -> None:
    entries = "".join(
        f"<entry><id>urn:e:{n}</id><title>E {n}</title><link href='/e/{n}'/>"
        f"<updated>2026-01-01T00:00:00Z</updated></entry>"
        for n in range(10_000)
    )
    document = (
        "<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><title>Many</title>"
        f"{entries}</feed>"
    ).encode()
    started = time.monotonic()
    parsed = parse_feed(document, url=URL)
    assert time.monotonic() - started < 10
    assert len(parsed.entries) == MAX_ENTRIES
    assert parsed.info.title == "Many"


def test_two_megabyte_title_is_bounded() -> None:
    huge = "word " * 400_000
    parsed = parse_feed(world(item(f"<title>{huge}</title><link>/a</link>")), url=URL)
    title = parsed.entries[0].title
    assert title is not None and len(title) <= 300 and title.endswith("…")


def test_gzip_body_without_content_encoding() -> None:
    feed = world(item("<title>Zipped</title><link>/a</link>"))
    assert parse_feed(gzip.compress(feed), url=URL).entries[0].title == "Zipped"


def test_gzip_bomb_is_refused() -> None:
    bomb = gzip.compress(b"<" * (40 * 1024 * 1024))
    with pytest.raises(ParseError, match="unpacks to more than"):
        parse_feed(bomb, url=URL)


def test_broken_feed_without_entries_is_reported() -> None:
    with pytest.raises(ParseError) as info:
        parse_feed(b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</ti', url=URL)
    assert str(info.value).endswith(".")


def test_well_formed_feed_without_items_is_empty_not_an_error() -> None:
    parsed = parse_feed(world(""), url=URL)
    assert parsed.entries == [] and parsed.info.title == "World & More"


# --- JSON Feed ----------------------------------------------------------------------------


def jsonfeed(version: str, items: list[dict[str, object]]) -> bytes:
    return json.dumps(
        {
            "version": f"https://jsonfeed.org/version/{version}",
            "title": "JF",
            "home_page_url": "https://jf.example/",
            "items": items,
        }
    ).encode()


def test_json_feed_1_1() -> None:
    parsed = parse_feed(
        jsonfeed(
            "1.1",
            [
                {
                    "id": "1",
                    "url": "https://jf.example/1",
                    "title": "One",
                    "content_html": f"{LONG_HTML}<img src='/i.png'>",
                    "date_published": "2026-02-03T04:05:06+01:00",
                    "authors": [{"name": "Ann Lee"}, {"name": "Bo Chen"}],
                },
                {
                    "id": 2,
                    "external_url": "https://elsewhere.example/x",
                    "content_text": "Hi.\n\nThere.",
                },
                {
                    "id": "3",
                    "summary": "Just a summary",
                    "url": "/3",
                    "attachments": [{"url": "https://jf.example/p.jpg", "mime_type": "image/jpeg"}],
                },
                "not an item",
            ],
        ),
        url="https://jf.example/feed.json",
    )
    one, two, three = parsed.entries
    assert parsed.info.title == "JF" and parsed.info.link == "https://jf.example/"
    assert one.entry_id == "1" and one.author == "Ann Lee, Bo Chen" and not one.is_teaser
    assert one.published == datetime(2026, 2, 3, 3, 5, 6, tzinfo=UTC)
    assert one.image == "https://jf.example/i.png"
    assert one.text.count("\n\n") == 5
    assert two.entry_id == "2" and two.url == "https://elsewhere.example/x"
    assert two.text == "Hi.\n\nThere." and two.is_teaser
    assert three.url == "https://jf.example/3" and three.image == "https://jf.example/p.jpg"


def test_json_feed_1_0_author() -> None:
    parsed = parse_feed(
        jsonfeed("1", [{"id": "a", "title": "T", "author": {"name": "Old Style"}}]), url=URL
    )
    assert parsed.entries[0].author == "Old Style"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": [', "is broken"),
        (b'{"hello": "world"}', "not a JSON Feed"),
        (b'{"version": "https://example.com/v9", "items": []}', "not a JSON Feed"),
        (b"[" * 100_000 + b"]" * 100_000, "not a feed newsdigest can read"),
        (b"{" + b'"a":[' * 50_000, "is broken"),
    ],
    ids=["truncated", "not-a-feed", "other-version", "deep-array", "deep-object"],
)
def test_bad_json(document: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_feed(document, url=URL)


def test_html_to_text_keeps_paragraphs_and_drops_scripts() -> None:
    assert html_to_text("<p>a</p><p>b<script>x</script></p><ul><li>c</li><li>d</li></ul>") == (
        "a\n\nb\n\nc\n\nd"
    )
    assert html_to_text("<iframe src=x>in</iframe>after<svg><text>s</text></svg>") == "after"


def test_titles_lose_bidi_overrides_and_zero_width_characters() -> None:
    hidden = "\u202eTrusted\u202c \u200bnews\u2066 \ufeffhere\u2069 \u200fnow\u2060"
    joined = "\U0001f468\u200d\U0001f469\u200d\U0001f467 Family"  # a ZWJ emoji sequence
    document = world(
        item(f"<title>{hidden}</title><link>https://n.example/1</link><description>x</description>")
        + item(
            f"<title>{joined}</title><link>https://n.example/2</link><description>y</description>"
        )
        + item(
            "<author>a\u202eb@example.com (Ann\u200b Lee)</author><title>t</title>"
            "<link>https://n.example/3</link><description>z</description>"
        )
    ).replace(b"World &amp; More", "World\u202e More".encode())
    parsed = parse_feed(document, url=URL)
    assert parsed.info.title == "World More"
    assert [e.title for e in parsed.entries] == ["Trusted news here now", joined, "t"]
    assert parsed.entries[2].author is not None and "\u202e" not in parsed.entries[2].author
    feed = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "Json\u202e Feed",
            "items": [{"id": "1", "title": hidden, "content_text": "words"}],
        }
    ).encode()
    parsed = parse_feed(feed, url=URL, headers={"content-type": "application/feed+json"})
    assert parsed.info.title == "Json Feed" and parsed.entries[0].title == "Trusted news here now"
