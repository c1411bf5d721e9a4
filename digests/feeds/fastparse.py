"""The fast path: feedparser-rs behind an agreement gate. Pure, no network.

feedparser-rs parses the corpus feeds about 100 times faster than feedparser, but it does not
agree with feedparser everywhere (``benchmarks/parser_agreement.py``): it loses entries on
legacy encodings, UTF-16 and broken CDATA, ignores FeedBurner's origLink and the iTunes
vocabulary, does not resolve ``xml:base``, leaves entities in attribute values undecoded, and
picks nested elements (an author's ``<title>``) or unparsed dates differently. Switching parsers
must not change what a feed yields, and a feed may go through either parser from one poll to the
next, so an entry's id, link and fields must be feedparser's.

``parse_fast`` is tried after ``parse.prepare_xml`` (the size caps, entity refusal and linear
scans stay in front of both parsers). It returns feedparser-rs's result shaped like feedparser's
only when every check of the gate passes, else a ``Rejected`` naming the first check that failed,
and the caller parses with feedparser:

- encoding: UTF-8 only (no other BOM or declared charset, valid UTF-8 bytes, no double-encoded
  UTF-8, which feedparser repairs);
- cdata: every CDATA section closes;
- vocabulary: nothing the parsers map differently (``xml:base``, FeedBurner, iTunes,
  ``atom:updated`` in RSS items);
- parser error: no exception, no ``bozo`` (feedparser-rs's "this is broken" flag), a version;
- entry count: as many entries as a linear count of ``<item``/``<entry`` start tags;
- relative id: every entry id absolute (feedparser resolves relative ids against the feed URL);
- inherited field: no more entry authors than author elements among the entries
  (feedparser-rs gives entries the feed's author, feedparser does not);
- empty field: no empty field element (``<dc:creator />``: feedparser-rs takes the next one's
  text);
- missing field: no entry without a date, author, category or title while the entries' part of
  the document has such elements;
- nested field: no title, date or author element more often than there are entries (nested
  elements, where the parsers choose differently).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
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
    "missing field",
    "nested field",
    "inherited field",
    "empty field",
]

#: namespaces (and attributes) whose elements feedparser maps in ways feedparser-rs does not
_DIVERGENT_MARKUP = (
    b"xml:base",
    b"http://rssnamespace.org/feedburner/ext/1.0",
    b"http://www.itunes.com/dtds/podcast-1.0.dtd",
)
_FOREIGN_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")
_UTF8_BOM = b"\xef\xbb\xbf"
_DECLARED_ENCODING = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)", re.I)
_UTF8_NAMES = frozenset({"utf-8", "utf8"})
#: "Ã³" for "ó": UTF-8 read as Latin-1 and encoded again, which feedparser repairs
_DOUBLE_ENCODED = re.compile(rb"[\xc2\xc3][\x80-\xbf]\xc2[\x80-\xbf]")
_AUTHOR_TAG = re.compile(rb"<(?:[\w.-]+:)?(?:author|creator)[\s>]")
_ENTRY_START = re.compile(rb"<(?:[\w.-]+:)?(?:item|entry)[\s/>]", re.I)
#: element names (any namespace prefix) per field, as feedparser reads them into an entry
_FIELD_TAGS: dict[str, bytes] = {
    "date": rb"pubdate|date|published|updated|issued|modified|created",
    "author": rb"author|creator",
    "category": rb"category|subject",
    "title": rb"title",
}
#: fields whose elements feedparser reads once per entry (more: nested, ambiguous)
_ONCE_PER_ENTRY: dict[str, bytes] = {
    "title": rb"<(?:atom:)?title[\s>]",
    "published": rb"<(?:atom:)?published[\s>]",
    "updated": rb"<(?:atom:)?updated[\s>]",
    "pubdate": rb"<pubdate[\s>]",
    "author": rb"<(?:atom:)?author[\s>]",
}
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
    shaped = shape(raw)
    rejected = _check_result(shaped["entries"], lowered, url, str(raw.get("version")))
    return shaped if rejected is None else rejected


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


# --- checks after parsing ------------------------------------------------------------------


def _check_result(
    entries: Sequence[Mapping[str, Any]], lowered: bytes, url: str, version: str
) -> Rejected | None:
    starts = list(_ENTRY_START.finditer(lowered))
    if len(starts) != len(entries):
        return Rejected("entry count", f"{len(entries)} entries, {len(starts)} entry tags")
    for entry in entries:
        guid = entry.get("id")
        if guid and urljoin(url, guid) != guid:
            return Rejected("relative id", str(guid)[:80])
    region = lowered[starts[0].start() :] if starts else b""
    if version.startswith("rss") and b"<atom:updated" in region:
        return Rejected("vocabulary", "atom:updated in RSS items")
    authors = len(_AUTHOR_TAG.findall(region))
    if sum(1 for e in entries if e.get("author")) > authors:
        return Rejected("inherited field", f"{authors} author elements")
    return _check_fields(entries, region)


def _check_fields(entries: Sequence[Mapping[str, Any]], region: bytes) -> Rejected | None:
    present = {
        "date": lambda e: e.get("published_parsed") or e.get("updated_parsed"),
        "author": lambda e: e.get("author"),
        "category": lambda e: e.get("tags"),
        "title": lambda e: e.get("title"),
    }
    for field, names in _FIELD_TAGS.items():
        if re.search(rb"<(?:[\w.-]+:)?(?:" + names + rb")\s*/>", region):
            return Rejected("empty field", field)  # feedparser-rs reads the next element's text
        has_elements = re.search(rb"<(?:[\w.-]+:)?(?:" + names + rb")[\s>]", region)
        if has_elements and not all(present[field](e) for e in entries):
            return Rejected("missing field", field)
    for field, pattern in _ONCE_PER_ENTRY.items():
        if len(re.findall(pattern, region)) > len(entries):
            return Rejected("nested field", field)
    return None


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
