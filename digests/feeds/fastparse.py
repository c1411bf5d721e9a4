"""The fast path: feedparser-rs behind an agreement gate. Pure, no network.

feedparser-rs parses the corpus feeds 40-100 times faster than feedparser, but it does not
agree with feedparser everywhere (``benchmarks/parser_agreement.py``): it loses entries on
legacy encodings, UTF-16 and broken CDATA, ignores FeedBurner's origLink and the iTunes
vocabulary, does not resolve ids or ``xml:base``, leaves entities in attribute values
undecoded, gives entries the feed's author, reads untyped Atom text as HTML, and picks nested
elements (an author's ``<title>``) or empty ones differently. Switching parsers
must not change what a feed yields, and a feed may go through either parser from one poll to the
next, so an entry's id, link and fields must be feedparser's.

``parse_fast`` is tried after ``parse.prepare_xml`` (the size caps, entity refusal and linear
scans stay in front of both parsers). It returns feedparser-rs's result shaped like feedparser's
only when every check of the gate passes, else a ``Rejected`` naming the first check that failed,
and the caller parses with feedparser. Every check is a linear scan of the bytes:

- encoding: UTF-8 only (no other BOM or declared charset, valid UTF-8 bytes, no double-encoded
  UTF-8, which feedparser repairs);
- cdata: every CDATA section closes;
- vocabulary: nothing the parsers map differently (FeedBurner's origLink, ``itunes:image``,
  iTunes elements in entries, ``atom:updated`` in RSS items);
- parser error: no exception, no ``bozo`` (feedparser-rs's "this is broken" flag), a version;
- entry count: as many entries as ``<item``/``<entry`` start tags, which also gives each entry
  its slice of the document for the checks below;
- relative url: no relative enclosure or media URL (feedparser resolves them against the feed,
  we against the article), no empty ``href``, and under another base (``xml:base``, a
  Content-Location header other than the feed URL) no relative id or link either;
- inline markup: no unescaped elements inside a title, description or summary (feedparser keeps
  them as HTML, feedparser-rs keeps only their text);
- empty field: no empty field element (``<dc:creator />``: feedparser-rs takes the next one's
  text);
- missing field: no entry without a date, author, category or title when its slice has such an
  element;
- nested field: no slice with two title, date, author or id elements (nested elements, where
  the parsers choose differently);
- relative id: no relative id left that feedparser would have resolved;
- missing field: also no empty link or enclosure URL (feedparser-rs blanks those to loopback
  and private addresses).

What can be aligned is aligned instead, from the entry's slice: a relative permalink id is
resolved against the feed URL (``isPermaLink`` read as feedparser reads it) and, without a link,
becomes the link; the link is the last HTML alternate (not a PDF); an entry without author
elements gets no author (feedparser-rs gives it the feed's); an Atom title or summary without
``type`` is text; entities left in attribute URLs are decoded.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urljoin

import feedparser_rs

Check = Literal[
    "encoding",
    "cdata",
    "vocabulary",
    "parser error",
    "entry count",
    "relative id",
    "relative url",
    "inline markup",
    "empty field",
    "missing field",
    "nested field",
]

#: namespaces (and attributes) whose elements feedparser maps in ways feedparser-rs does not
_DIVERGENT_MARKUP = (b"<feedburner:origlink", b"<itunes:image")
_FOREIGN_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")
_UTF8_BOM = b"\xef\xbb\xbf"
_DECLARED_ENCODING = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)", re.I)
_UTF8_NAMES = frozenset({"utf-8", "utf8"})
#: "Ã³" for "ó": UTF-8 read as Latin-1 and encoded again, which feedparser repairs
_DOUBLE_ENCODED = re.compile(rb"\xc3[\x82-\xb4]\xc2[\x80-\xbf]")
_ENTRY_START = re.compile(rb"<(?:[\w.-]+:)?(?:item|entry)[\s/>]", re.I)
#: an element (any namespace prefix) that feedparser reads into the entry's field
_FIELD_ELEMENT: dict[str, re.Pattern[bytes]] = {
    name: re.compile(rb"<(?:[\w.-]+:)?(?:" + names + rb")[\s>]")
    for name, names in {
        "date": rb"pubdate|date|published|updated|issued|modified|created",
        "author": rb"author|creator",
        "category": rb"category|subject",
        "title": rb"title",
    }.items()
}
_EMPTY_FIELD = re.compile(
    rb"<(?:[\w.-]+:)?(?:pubdate|date|published|updated|issued|modified|created|author|creator"
    rb"|category|subject|title)\s*/>"
)
#: elements feedparser reads once per entry (two in one entry: nested, ambiguous)
_ONCE_PER_ENTRY: dict[str, re.Pattern[bytes]] = {
    name: re.compile(pattern)
    for name, pattern in {
        "title": rb"<(?:atom:)?title[\s>]",
        "published": rb"<(?:atom:)?published[\s>]",
        "updated": rb"<(?:atom:)?updated[\s>]",
        "pubdate": rb"<pubdate[\s>]",
        "author": rb"<(?:[\w.-]+:)?(?:author|creator)[\s>]",
        "id": rb"<(?:atom:)?(?:id|guid)[\s>]",
    }.items()
}
_ATOM_TITLE = re.compile(rb"<(?:atom:)?title(\s[^>]*)?>")
_ATOM_SUMMARY = re.compile(rb"<(?:atom:)?summary(\s[^>]*)?>")
_HTML_LINK_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_EMPTY_HREF = re.compile(rb"\shref\s*=\s*(?:\"\"|'')")
_TEXT_ELEMENT = re.compile(
    rb"<((?:atom:)?(?:title|summary|content)|description|content:encoded)(\s[^>]*)?/?>"
)
_XHTML_TYPE = re.compile(rb"\stype\s*=\s*[\"'](?:xhtml|application/xhtml\+xml)[\"']")
_CDATA = re.compile(rb"<!\[cdata\[.*?\]\]>", re.S)
_GUID_TAG = re.compile(rb"<(?:atom:)?(?:id|guid)(\s[^>]*)?>")
_PERMALINK = re.compile(rb"\s(?i:ispermalink)\s*=\s*([\"'])(.*?)\1")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_XML_ENTITY = re.compile(r"&(?:(amp|lt|gt|quot|apos)|#(\d{1,7})|#x([0-9A-Fa-f]{1,6}));")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


@dataclass(frozen=True, slots=True)
class Rejected:
    """The gate's answer when feedparser must parse the document: the check that failed."""

    check: Check
    detail: str = ""


def parse_fast(
    body: bytes, *, url: str, headers: Mapping[str, str], max_entries: int
) -> dict[str, Any] | Rejected:
    """``body`` (already through ``prepare_xml``) parsed by feedparser-rs and shaped like
    feedparser's result (for ``parse.map_parsed``), or the check that failed."""
    lowered = body.lower()
    rejected = _check_document(body, lowered, headers)
    if rejected is not None:
        return rejected
    try:
        raw = feedparser_rs.parse_with_limits(
            body,
            limits=feedparser_rs.ParserLimits(max_entries=2 * max_entries + 1),
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except Exception as exc:  # a parser failure only means feedparser gets the document
        return Rejected("parser error", type(exc).__name__)
    if raw.get("bozo") or not raw.get("version"):
        return Rejected("parser error", str(raw.get("bozo_exception") or "no feed version"))
    try:
        shaped = shape(raw)
        version = str(raw.get("version"))
        # feedparser resolves against xml:base or the Content-Location header, we against url
        based = b"xml:base" in lowered or headers.get("content-location", url) != url
        return _align_and_check(shaped, body, lowered, url=url, version=version, based=based)
    except (TypeError, ValueError, AttributeError, KeyError) as exc:  # an odd shape: feedparser
        return Rejected("parser error", f"{type(exc).__name__} while shaping")


# --- checks before parsing -----------------------------------------------------------------


def _check_document(body: bytes, lowered: bytes, headers: Mapping[str, str]) -> Rejected | None:
    if not _is_utf8(body, headers):
        return Rejected("encoding", "not UTF-8")
    if _DOUBLE_ENCODED.search(body):
        return Rejected("encoding", "double-encoded UTF-8")
    if lowered.count(b"<![cdata[") != lowered.count(b"]]>"):
        return Rejected("cdata", "a CDATA section does not close")
    for marker in _DIVERGENT_MARKUP:
        if marker in lowered:
            return Rejected("vocabulary", marker.decode())
    return None


def _is_utf8(body: bytes, headers: Mapping[str, str]) -> bool:
    """No foreign byte order mark, no declared charset but UTF-8, and valid UTF-8 bytes."""
    if body.startswith(_FOREIGN_BOMS) and not body.startswith(_UTF8_BOM):
        return False
    declared = _DECLARED_ENCODING.match(body.removeprefix(_UTF8_BOM)[:512])
    names = {declared.group(1).decode().lower()} if declared else set()
    content_type = headers.get("content-type", "")
    for part in content_type.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            names.add(value.strip("\"' ").lower())
    if not names <= _UTF8_NAMES:
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# --- checks after parsing, entry by entry ------------------------------------------------


def _align_and_check(
    shaped: dict[str, Any],
    body: bytes,
    lowered: bytes,
    *,
    url: str,
    version: str,
    based: bool,
) -> dict[str, Any] | Rejected:
    entries: list[dict[str, Any]] = shaped["entries"]
    starts = [m.start() for m in _ENTRY_START.finditer(lowered)]
    if len(starts) != len(entries):
        return Rejected("entry count", f"{len(entries)} entries, {len(starts)} entry tags")
    first = starts[0] if starts else len(lowered)
    if version.startswith("rss") and lowered.find(b"<atom:updated", first) != -1:
        return Rejected("vocabulary", "atom:updated in RSS items")
    if lowered.find(b"<itunes:", first) != -1:
        return Rejected("vocabulary", "iTunes elements in entries")
    if version.startswith("atom"):
        _align_text_types(shaped["feed"], lowered, 0, first)
    if _blanked(shaped["feed"]):
        return Rejected("missing field", "feed link")
    _align_link(shaped["feed"])
    feed_link = shaped["feed"].get("link")
    if based and feed_link and not _absolute(feed_link):
        return Rejected("relative url", "feed link under another base")
    ends = [*starts[1:], len(lowered)] if starts else []
    for entry, start, end in zip(entries, starts, ends, strict=True):
        _align(entry, body, lowered, start, end, url=url, based=based)
        if version.startswith("atom"):
            _align_text_types(entry, lowered, start, end)
        rejected = _check_entry(entry, lowered, start, end, based=based)
        if rejected is not None:
            return rejected
    return shaped


def _align(
    entry: dict[str, Any],
    body: bytes,
    lowered: bytes,
    start: int,
    end: int,
    *,
    url: str,
    based: bool,
) -> None:
    """What feedparser does differently with this entry, from its slice of the document."""
    if not _ONCE_PER_ENTRY["author"].search(lowered, start, end):
        entry.pop("author", None)  # feedparser-rs gave it the feed's author
    _align_id(entry, body, lowered, start, end, url=url, based=based)
    _align_link(entry)


def _align_id(
    entry: dict[str, Any],
    body: bytes,
    lowered: bytes,
    start: int,
    end: int,
    *,
    url: str,
    based: bool,
) -> None:
    """feedparser resolves an id against the feed URL unless ``isPermaLink`` is not ``"true"``
    (attribute name in any case, value exactly), and then also takes it as the link."""
    guid = entry.get("id")
    tag = _GUID_TAG.search(lowered, start, end)
    if not guid or tag is None:
        return
    permalink = _PERMALINK.search(body, tag.start(), tag.end())  # ``lower`` keeps offsets
    entry["guidislink"] = permalink is None or permalink.group(2) == b"true"
    if entry["guidislink"] and not based and not _absolute(guid):
        entry["id"] = urljoin(url, guid)


def _align_link(entry: dict[str, Any]) -> None:
    """feedparser's link: the last alternate HTML link, else a permalink id, else none."""
    html = [
        link["href"]
        for link in entry.get("links") or []
        if link.get("href")
        and link.get("rel", "alternate") == "alternate"
        and link.get("type", "text/html") in _HTML_LINK_TYPES
    ]
    if html:
        entry["link"] = html[-1]
    elif entry.get("link") and entry.get("links"):
        entry.pop("link")  # an alternate of another type (a PDF), which feedparser skips
    if not entry.get("link") and entry.get("guidislink") and entry.get("id"):
        entry["link"] = entry["id"]


def _align_text_types(target: dict[str, Any], lowered: bytes, start: int, end: int) -> None:
    """An Atom title or summary without ``type`` is text (feedparser-rs says HTML)."""
    for key, element in (("title_detail", _ATOM_TITLE), ("summary_detail", _ATOM_SUMMARY)):
        tag = element.search(lowered, start, end)
        detail = target.get(key)
        if tag and isinstance(detail, dict) and b"type=" not in (tag.group(1) or b""):
            target[key] = {**detail, "type": "text/plain"}


def _check_entry(
    entry: Mapping[str, Any], lowered: bytes, start: int, end: int, *, based: bool
) -> Rejected | None:
    media = [m.get("url") for key in ("media_thumbnail", "media_content") for m in entry[key]]
    urls = [e.get("href") for e in entry["enclosures"]] + media
    if based:
        urls += [entry.get("id"), entry.get("link")] + [
            x.get("href") for x in entry.get("links") or []
        ]
    if not all(_absolute(u) for u in urls if u):
        return Rejected("relative url", str(next(u for u in urls if u and not _absolute(u))))
    if markup := _inline_markup(lowered, start, end):
        return Rejected("inline markup", markup)  # feedparser keeps it as HTML, rs its text
    if _EMPTY_HREF.search(lowered, start, end):
        return Rejected("relative url", "empty href")  # feedparser makes it the base URL
    if _blanked(entry):
        return Rejected("missing field", "link")
    if empty := _EMPTY_FIELD.search(lowered, start, end):  # feedparser-rs reads the next text
        return Rejected("empty field", empty.group().decode())
    present = {
        "date": entry.get("published_parsed") or entry.get("updated_parsed"),
        "author": entry.get("author"),
        "category": entry.get("tags"),
        "title": entry.get("title"),
    }
    for field, element in _FIELD_ELEMENT.items():
        if not present[field] and element.search(lowered, start, end):
            return Rejected("missing field", field)
    for field, element in _ONCE_PER_ENTRY.items():
        if len(element.findall(lowered, start, end)) > 1:
            return Rejected("nested field", field)
    guid = entry.get("id")
    if guid and not _absolute(guid) and entry.get("guidislink") is not False:
        return Rejected("relative id", str(guid)[:80])
    return None


def _inline_markup(lowered: bytes, start: int, end: int) -> str | None:
    """The first text element (title, description, summary, content) holding unescaped child
    elements outside CDATA, other than Atom XHTML content."""
    for tag in _TEXT_ELEMENT.finditer(lowered, start, end):
        name, attributes = tag.group(1), tag.group(2) or b""
        if tag.group().endswith(b"/>") or _XHTML_TYPE.search(attributes):
            continue
        close = lowered.find(b"</" + name, tag.end(), end)
        inner = _CDATA.sub(b"", lowered[tag.end() : close if close != -1 else end])
        if b"<" in inner:
            return name.decode()
    return None


def _blanked(target: Mapping[str, Any]) -> bool:
    """An empty link or enclosure URL: feedparser-rs blanks those to loopback and private
    addresses (intranet feeds, which ``NEWSDIGEST_ALLOW_PRIVATE_URLS`` lets through)."""
    hrefs = [x.get("href") for x in [*target.get("links", []), *target.get("enclosures", [])]]
    return target.get("link") == "" or "" in hrefs


def _absolute(url: object) -> bool:
    return isinstance(url, str) and _SCHEME.match(url) is not None


# --- feedparser-rs's result shaped like feedparser's ---------------------------------------


def shape(parsed: Any) -> dict[str, Any]:
    """feedparser-rs's result as feedparser-shaped dicts for ``map_parsed``: its objects
    (``Tag``, ``Link``, ``TextConstruct`` …) become dicts without their ``None`` values (which
    feedparser leaves out), and the entities it leaves in attribute values are decoded."""
    atom = str(parsed.get("version") or "").startswith("atom")
    return {
        "feed": _plain(parsed.feed),
        "entries": [_decode_attributes(_plain(e), atom=atom) for e in parsed.entries],
    }


def _plain(value: Any) -> Any:
    if isinstance(value, str | bytes | int | float | time.struct_time):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "keys") and hasattr(value, "get"):
        return {k: _plain(v) for k in value.keys() if (v := value.get(k)) is not None}  # noqa: SIM118
    return value


def _decode_attributes(entry: dict[str, Any], *, atom: bool) -> dict[str, Any]:
    """Links are ``href`` attributes in Atom (element text in RSS); enclosures and media
    elements always carry their URL in an attribute."""
    if atom:
        if isinstance(entry.get("link"), str):
            entry["link"] = _unescape(entry["link"])
        entry["links"] = [_with_decoded(link, "href") for link in entry.get("links") or []]
    entry["enclosures"] = [_with_decoded(e, "href") for e in entry.get("enclosures") or []]
    for key in ("media_thumbnail", "media_content"):
        entry[key] = [_with_decoded(media, "url") for media in entry.get(key) or []]
    return entry


def _with_decoded(item: Any, key: str) -> Any:
    if isinstance(item, dict) and isinstance(item.get(key), str):
        return {**item, key: _unescape(item[key])}
    return item


def _unescape(text: str) -> str:
    """XML's five named entities and character references (not HTML's)."""

    def one(match: re.Match[str]) -> str:
        named, decimal, hexadecimal = match.groups()
        if named:
            return _NAMED[named]
        code = int(decimal) if decimal else int(hexadecimal, 16)
        return chr(code) if 0 < code <= 0x10FFFF else match.group()

    return _XML_ENTITY.sub(one, text)
