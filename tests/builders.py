"""The one builder of synthetic RSS 2.0 feeds for every test (and benchmarks/chaos.py,
benchmarks/e2e_latency.py).

    from tests.builders import Item, rss

    body = rss("Alpha News", [Item("story-1", "Council debates the plan", text="Long text…")])
    feed_server.add("/a.xml", body, content_type="application/rss+xml")

An ``Item`` is one ``<item>``: ``guid``, ``title``, ``<link>`` (default: the channel link joined
with the guid, so every default link stays on loopback), ``<pubDate>``, a plain-text
``<description>`` (default: the first paragraph) and, when ``paragraphs`` are given, the full
HTML text in ``<content:encoded>`` as one ``<p>`` each. Text is XML-escaped. Parser tests that
need odd markup pass ``extra`` (raw XML inside the item) or a raw ``"<item>…</item>"`` string in
place of an ``Item``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape

#: the default channel link: loopback port 9 (discard) refuses at once, so a default item link
#: (a teaser whose page the service fetches) never leaves the machine
NOWHERE = "http://127.0.0.1:9/"
#: the default ``<pubDate>``: an hour before the 09:00 UTC start of the suites' fake clocks
PUBLISHED = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
UTF8 = '<?xml version="1.0" encoding="utf-8"?>'
_NAMESPACES = (
    'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
    'xmlns:media="http://search.yahoo.com/mrss/" '
    'xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"'
)


@dataclass(frozen=True, slots=True)
class Item:
    """One RSS ``<item>``; see the module docstring for the defaults."""

    guid: str
    title: str
    text: str = ""
    link: str = ""
    published: datetime | None = PUBLISHED
    paragraphs: Sequence[str] = ()
    extra: str = ""


def rss(
    title: str,
    items: Iterable[Item | str],
    *,
    link: str = NOWHERE,
    description: str = "Synthetic test feed",
    declaration: str = UTF8,
) -> bytes:
    """An RSS 2.0 document, UTF-8 encoded whatever ``declaration`` claims (tests of wrong
    declarations rely on that)."""
    if isinstance(items, str):
        raise TypeError("pass a list of items (a raw string is one item: put it in a list)")
    body = "\n".join(i if isinstance(i, str) else _item(i, link) for i in items)
    return (
        f'{declaration}\n<rss version="2.0" {_NAMESPACES}><channel>'
        f"<title>{escape(title)}</title><link>{escape(link)}</link>"
        f"<description>{escape(description)}</description>\n{body}\n</channel></rss>"
    ).encode()


def _item(item: Item, channel_link: str) -> str:
    link = item.link or f"{channel_link.rstrip('/')}/{item.guid}"
    text = item.text or (item.paragraphs[0] if item.paragraphs else "")
    parts = [
        f'<guid isPermaLink="false">{escape(item.guid)}</guid>',
        f"<title>{escape(item.title)}</title>",
        f"<link>{escape(link)}</link>",
    ]
    if item.published is not None:
        parts.append(f"<pubDate>{format_datetime(item.published)}</pubDate>")
    if text:
        parts.append(f"<description>{escape(text)}</description>")
    if item.paragraphs:
        html = "".join(f"<p>{escape(p)}</p>" for p in item.paragraphs)
        parts.append(f"<content:encoded><![CDATA[{html}]]></content:encoded>")
    parts.append(item.extra)
    return f"<item>{''.join(parts)}</item>"
