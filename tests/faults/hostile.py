"""Hostile feed documents and servers (issue 5), shared by test_hostile_feeds.py and chaos.py.

Each ``Hostile`` installs itself on a FeedServer path. ``fails`` says whether the feed must end in
an error (one sentence in feed_status) or may be read (a bounded, sane result).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from tests.builders import Item, rss
from tests.faults.helpers import START, item
from tests.feedserver import FeedServer

MB = 1024 * 1024
SECRET = "TOP-SECRET-MARKER-7f3a"

_LOL = '<!ENTITY lol0 "lollollollollollollollollollol">' + "".join(
    f'<!ENTITY lol{i} "' + f"&lol{i - 1};" * 10 + '">' for i in range(1, 10)
)


def billion_laughs(prefix: str = "") -> bytes:
    return (
        f'<?xml version="1.0"?>{prefix}<!DOCTYPE rss [{_LOL}]><rss version="2.0"><channel>'
        "<title>Laughs</title><item><guid>lol</guid><title>&lol9;</title>"
        "<description>&lol9;</description></item></channel></rss>"
    ).encode()


def external_entity(secret_url: str, secret_file: Path) -> bytes:
    return (
        '<?xml version="1.0"?><!DOCTYPE rss ['
        f'<!ENTITY net SYSTEM "{secret_url}"><!ENTITY disk SYSTEM "{secret_file.as_uri()}">]>'
        '<rss version="2.0"><channel><title>XXE</title><item><guid>xxe</guid>'
        "<title>Leak &net;</title><description>File: &disk;</description></item>"
        "</channel></rss>"
    ).encode()


def garbage(size: int = 256 * 1024, seed: int = 5) -> bytes:
    return random.Random(seed).randbytes(size)


HTML_PAGE = (
    b"<!doctype html><html><head><title>Welcome</title>"
    b'<link rel="alternate" type="application/rss+xml" href="/real-feed.xml"></head>'
    b"<body><h1>Our news site</h1><p>Read the latest stories below.</p></body></html>"
)


def wrong_encoding_latin1_declared() -> bytes:
    """Declared ISO-8859-1, bytes really UTF-8 (the usual mojibake trap)."""
    text = rss("Café Zürich", [item(1, title="Café owners in Zürich protest")])
    return text.replace(b'encoding="utf-8"', b'encoding="iso-8859-1"')


def wrong_encoding_utf8_declared() -> bytes:
    """Declared UTF-8, bytes really Windows-1252 (invalid UTF-8)."""
    doc = rss("Cafe News", [item(1, title="Café owners in Zürich protest")])
    return doc.decode("utf-8").encode("cp1252")


def many_entries(count: int = 10_000) -> bytes:
    items = [
        Item(
            guid=f"bulk-{n}",
            title=f"Bulk story number {n}",
            text=f"Bulk story {n} says little.",
            published=START - timedelta(minutes=n),
        )
        for n in range(count)
    ]
    return rss("Bulk", items)


def huge_title(size: int = 2 * MB) -> bytes:
    return rss("Titles", [item(1, title="Enormous " + "title " * (size // 6))])


@dataclass(frozen=True, slots=True)
class Hostile:
    name: str
    #: installs the hostile route at ``path`` (server, path, scratch dir)
    install: Callable[[FeedServer, str, Path], None]
    #: True: the feed must fail with one sentence; False: it may be read, bounded
    fails: bool
    #: a short description of what was tried
    tried: str


def _static(
    body: Callable[[], bytes], content_type: str = "application/rss+xml"
) -> Callable[[FeedServer, str, Path], None]:
    def install(server: FeedServer, path: str, scratch: Path) -> None:
        server.add(path, body(), content_type=content_type)

    return install


def _xxe(server: FeedServer, path: str, scratch: Path) -> None:
    secret_file = scratch / "secret.txt"
    secret_file.write_text(SECRET)
    server.add("/secret", SECRET.encode(), content_type="text/plain")
    server.add(path, external_entity(server.url("/secret"), secret_file))


HOSTILE: tuple[Hostile, ...] = (
    Hostile("billion laughs", _static(billion_laughs), True, "9-level nested entities"),
    Hostile(
        "laughs behind 300 KB padding",
        _static(lambda: billion_laughs(" " * 300_000)),
        True,
        "the DOCTYPE bomb after 300 KB of whitespace",
    ),
    Hostile(
        "laughs behind a 300 KB comment",
        _static(lambda: billion_laughs("<!--" + "x" * 300_000 + "-->")),
        True,
        "the DOCTYPE bomb after a 300 KB comment",
    ),
    Hostile("external entity", _xxe, True, "SYSTEM entities to a loopback URL and a file"),
    Hostile(
        "50 MB body (declared)",
        lambda s, p, _d: s.huge(p, 50 * MB, declare_length=True),
        True,
        "Content-Length 50 MB",
    ),
    Hostile("50 MB body (chunked)", lambda s, p, _d: s.huge(p, 50 * MB), True, "50 MB, no length"),
    Hostile(
        "50 MB gzip bomb",
        lambda s, p, _d: s.huge(p, 50 * MB, gzip=True),
        True,
        "gzip decoding to 50 MB",
    ),
    Hostile(
        "drip 1 byte/s",
        lambda s, p, _d: s.drip(p, interval=1.0, max_seconds=30.0),
        True,
        "one byte a second",
    ),
    Hostile("garbage bytes", _static(garbage, "application/octet-stream"), True, "256 KB random"),
    Hostile("HTML at feed URL", _static(lambda: HTML_PAGE, "text/html"), True, "a web page"),
    Hostile(
        "declared latin-1, really UTF-8",
        _static(wrong_encoding_latin1_declared),
        False,
        "mojibake trap",
    ),
    Hostile(
        "declared UTF-8, really cp1252",
        _static(wrong_encoding_utf8_declared),
        False,
        "invalid UTF-8 bytes",
    ),
    Hostile("10,000 entries", _static(many_entries), False, "10,000 items in one document"),
    Hostile("2 MB title", _static(huge_title), False, "one title of 2 MB"),
)
