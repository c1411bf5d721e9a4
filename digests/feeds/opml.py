"""OPML in and out: the subscription lists feed readers export (Feedly, Inoreader, NetNewsWire,
Miniflux, …) and import. Pure: no network, no database.

Reading is hardened like feeds: the file is capped in size (``MAX_OPML_BYTES``), parsed with
defusedxml with every DTD refused (so no entity can expand or reach outside), and bounded in
the number of feeds it may list. Categories are the nested outlines' titles (``Tech / Linux``)
or, failing that, a ``category`` attribute. Each failure is one sentence (``InputError``).
"""

from __future__ import annotations

import xml.etree.ElementTree as StdET
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from xml.etree.ElementTree import Element, SubElement, tostring

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from digests.errors import InputError

MAX_OPML_BYTES = 5 * 1024 * 1024
MAX_OPML_FEEDS = 500
MAX_DEPTH = 20
_TITLE_CHARS = 300


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    """One feed an OPML file lists."""

    url: str
    title: str | None = None
    html_url: str | None = None
    #: the outline folders it sits in, joined with " / " (or the category attribute)
    category: str | None = None


@dataclass(slots=True)
class ImportReport:
    """What an import did with each feed of the file: (URL, one sentence) for those it did not
    add."""

    added: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        """``Added 3 feeds, skipped 1 and refused 2.``"""
        added = len(self.added)
        return (
            f"Added {added} feed{'' if added == 1 else 's'}, skipped {len(self.skipped)} "
            f"and refused {len(self.refused)}."
        )


def parse_opml(content: bytes) -> list[OpmlFeed]:
    """The feeds an OPML document lists, in document order, each URL once."""
    if len(content) > MAX_OPML_BYTES:
        raise InputError(f"The OPML file is too large: at most {MAX_OPML_BYTES // 2**20} MB.")
    try:
        root = SafeET.fromstring(content, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise InputError(
            "The OPML file declares a DTD or entities, which newsdigest refuses."
        ) from exc
    except (StdET.ParseError, ValueError) as exc:
        raise InputError("The file is not valid OPML (its XML could not be read).") from exc
    if _local(root.tag) != "opml":
        raise InputError("The file is not OPML: it has no <opml> root element.")
    body = next((child for child in root if _local(child.tag) == "body"), None)
    if body is None:
        raise InputError("The OPML file has no <body> with feeds.")
    found: dict[str, OpmlFeed] = {}
    for feed in _outlines(body, (), 0):
        found.setdefault(feed.url, feed)
        if len(found) > MAX_OPML_FEEDS:
            raise InputError(f"The OPML file lists more than {MAX_OPML_FEEDS} feeds.")
    return list(found.values())


def to_opml(feeds: Sequence[OpmlFeed], *, title: str, created: datetime) -> bytes:
    """An OPML 2.0 document of ``feeds``, grouped in one folder per category (in order)."""
    root = Element("opml", version="2.0")
    head = SubElement(root, "head")
    SubElement(head, "title").text = title
    SubElement(head, "dateCreated").text = format_datetime(created)
    body = SubElement(root, "body")
    folders: dict[str, Element] = {}
    for feed in feeds:
        parent = body
        if feed.category:
            parent = folders.get(feed.category) or SubElement(
                body, "outline", text=feed.category, title=feed.category
            )
            folders[feed.category] = parent
        name = feed.title or feed.url
        attributes = {"type": "rss", "text": name, "title": name, "xmlUrl": feed.url}
        if feed.html_url:
            attributes["htmlUrl"] = feed.html_url
        SubElement(parent, "outline", attributes)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + tostring(root, encoding="unicode").encode()


def _outlines(parent: Element, folders: tuple[str, ...], depth: int) -> Iterator[OpmlFeed]:
    if depth > MAX_DEPTH:
        raise InputError(f"The OPML file nests outlines more than {MAX_DEPTH} deep.")
    for outline in parent:
        if _local(outline.tag) != "outline":
            continue
        attributes = {key.lower(): value for key, value in outline.attrib.items()}
        name = _tidy(attributes.get("title") or attributes.get("text"))
        url = (attributes.get("xmlurl") or "").strip()
        if url:
            category = " / ".join(folders) or _category(attributes.get("category"))
            yield OpmlFeed(
                url=url,
                title=name,
                html_url=(attributes.get("htmlurl") or "").strip() or None,
                category=category or None,
            )
        yield from _outlines(outline, (*folders, name) if name and not url else folders, depth + 1)


def _category(value: str | None) -> str | None:
    """The first of a comma-separated ``category`` attribute (``/Tech/Linux,/News``)."""
    first = (value or "").split(",")[0].strip().strip("/")
    return " / ".join(part for part in first.split("/") if part.strip()) or None


def _tidy(value: str | None) -> str | None:
    text = " ".join((value or "").split())
    return text[:_TITLE_CHARS] or None


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1].lower()
