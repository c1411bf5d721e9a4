"""Feed parsing: feedparser-rs behind an agreement gate, else feedparser, on bytes (+ our JSON
Feed parser). No network.

Interface: ``parse_feed(content: bytes, *, url: str, headers: Mapping[str, str] | None = None)
-> ParsedFeed``; raises ``ParseError`` (one sentence) when the document is not a usable feed.

What happens to a document, in order:

1. A gzip body that arrived without ``Content-Encoding`` is unpacked (bounded).
2. JSON (``{`` first) goes to ``jsonfeed.parse_json_feed``.
3. XML whose DOCTYPE declares entities that could expand (external, nested, long or many: the
   "billion laughs" and external-entity attacks) is refused before feedparser sees it.
4. A single-byte declared encoding over bytes that are really UTF-8 is corrected (mojibake guard);
   undeclared legacy encodings are left to feedparser + chardet.
5. feedparser-rs parses the bytes when ``fastparse``'s gate lets it (UTF-8, nothing the two
   parsers read differently, every entry found, no field missing): 40-100 times faster, with
   feedparser's records. Otherwise (or when it finds no entries) feedparser runs on the bytes
   with the response headers (``content-location`` = the feed URL, so relative links resolve)
   and ``sanitize_html=False, resolve_relative_uris=False``: we never render feed HTML, we
   reduce it to plain text (``htmltext``) and resolve the few URLs we keep.
6. Documents without entries: a web page, a broken document or something that is not a feed is a
   ``ParseError``; a well-formed feed that simply has no items yet gives ``entries == []``.
"""

from __future__ import annotations

import logging
import re
import zlib
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from time import struct_time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import feedparser

from digests.errors import ParseError
from digests.feeds.entry import build_entry
from digests.feeds.fastparse import Rejected, parse_fast
from digests.feeds.htmltext import absolute, html_to_text_and_images, one_line, plain_to_text
from digests.feeds.jsonfeed import looks_like_json, parse_json_feed
from digests.model import Entry, FeedInfo, ParsedFeed

log = logging.getLogger(__name__)

#: The most entries one parse returns (newest first when there are more).
MAX_ENTRIES = 1000
#: The most a gzip body without Content-Encoding may unpack to.
MAX_UNPACKED_BYTES = 20 * 1024 * 1024
#: More item (or entry) start tags than end tags than this: a broken or hostile document.
MAX_UNCLOSED_ENTRIES = 1000
#: The DOCTYPE (and its entity declarations) must lie within this many bytes of the start.
_PROLOG_WINDOW = 256 * 1024

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "html", "xhtml"})
_GZIP_MAGIC = b"\x1f\x8b"
_XML_DECL = re.compile(rb"^(\s*<\?xml[^>]*?encoding\s*=\s*[\"'])([A-Za-z0-9._:-]+)([\"'])", re.I)
_SINGLE_BYTE_WESTERN = frozenset(
    {"iso-8859-1", "latin-1", "latin1", "iso8859-1", "windows-1252", "cp1252", "us-ascii", "ascii"}
)
_UTF32_BOMS = (b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")
#: "<?xm" in EBCDIC (code page 037)
_EBCDIC_XML = b"\x4c\x6f\xa7\x94"
_FIRST_ELEMENT = re.compile(r"<[A-Za-z_:]")
#: the inside of one ``<!ENTITY …>`` declaration (its text up to the first ``>``)
_ENTITY_BODY = re.compile(r"\s+(%\s*)?[^\s>]+\s+(.*)", re.S)
_ENTITY_REF = re.compile(r"[&%][A-Za-z_:][\w.:-]*;")
_HTML_ROOT = re.compile(r"<html[\s>]", re.I)
_HTML_HEAD = re.compile(r"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]", re.I)
_FEED_TYPE = re.compile(r"\btype=[\"']application/(?:rss|atom)\+xml[\"']", re.I)
_HREF = re.compile(r"\bhref=[\"']([^\"']+)[\"']", re.I)
_REDDIT_LINK = re.compile(r"<a\s+href=\"([^\"]+)\">\s*\[link\]\s*</a>", re.I)
_IMAGE_EXT = re.compile(r"\.(?:jpe?g|png|gif|webp|avif)(?:$|[?#])", re.I)


def parse_feed(
    content: bytes,
    *,
    url: str,
    headers: Mapping[str, str] | None = None,
    max_entries: int = MAX_ENTRIES,
    fast: bool = True,
) -> ParsedFeed:
    """Parse a feed document (RSS 0.9x/1.0/2.0, Atom, JSON Feed) into plain-text entries;
    ``fast=False`` skips feedparser-rs (what the gate's results are compared with)."""
    body = _unpack_gzip(content, url)
    if not body.lstrip(b"\xef\xbb\xbf").strip():
        raise ParseError(url, f"The document at {url} is empty.")
    if looks_like_json(body):
        return parse_json_feed(body, url=url, max_items=max_entries)
    body, response_headers = prepare_xml(body, url=url, headers=headers, max_entries=max_entries)
    if fast:
        shaped = parse_fast(body, url=url, headers=response_headers, max_entries=max_entries)
        if isinstance(shaped, Rejected):
            log.debug("feedparser parses %s (gate: %s %s)", url, shaped.check, shaped.detail)
        else:
            result = map_parsed(shaped, url=url, max_entries=max_entries)
            if result.entries:  # an empty one goes to feedparser, which tells empty from broken
                return result
    try:
        parsed: Any = feedparser.parse(
            body,
            response_headers=response_headers,
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except Exception as exc:  # feedparser on hostile bytes: report, never propagate
        raise ParseError(url, f"The document at {url} could not be read as a feed.") from exc
    result = map_parsed(parsed, url=url, max_entries=max_entries)
    if not result.entries:
        _explain_empty(parsed, body, url)
    return result


def prepare_xml(
    body: bytes, *, url: str, headers: Mapping[str, str] | None, max_entries: int = MAX_ENTRIES
) -> tuple[bytes, dict[str, str]]:
    """Steps 3-4 on an XML document: refuse what could hang or expand, correct a wrong declared
    encoding, cut far too many entries; the bytes and the headers to parse them with."""
    response_headers = {k.lower(): v for k, v in (headers or {}).items()}
    _refuse_entity_declarations(body, url, _charset(response_headers.get("content-type", "")))
    if _is_web_page(body):  # no need for feedparser, which is slow on hostile HTML
        raise _web_page_error(body, url)
    _refuse_unclosed_entries(body, url)
    body, response_headers = _fix_declared_encoding(body, response_headers)
    body = _truncate_entries(body, max_entries)
    response_headers.setdefault("content-location", url)
    # without a content type feedparser never consults chardet for undeclared legacy encodings
    response_headers.setdefault("content-type", "application/xml")
    return body, response_headers


def map_parsed(parsed: Any, *, url: str, max_entries: int = MAX_ENTRIES) -> ParsedFeed:
    """feedparser's result (or one shaped like it: mappings with feedparser's keys) as our
    records: the feed's title/link/image and each entry's plain text, real URL, dates, image,
    author and categories."""
    raw_entries = list(parsed.get("entries") or [])
    feed = parsed.get("feed") or {}
    info = _feed_info(feed, url)
    if len(raw_entries) > max_entries:
        raw_entries = _newest(raw_entries, max_entries)
    entries = [e for raw in raw_entries if (e := _entry(raw, feed_url=url)) is not None]
    return ParsedFeed(info=info, entries=entries)


# --- safety and decoding ------------------------------------------------------------------


def _unpack_gzip(content: bytes, url: str) -> bytes:
    if not content.startswith(_GZIP_MAGIC):
        return content
    unpacker = zlib.decompressobj(wbits=47)
    try:
        body = unpacker.decompress(content, MAX_UNPACKED_BYTES)
    except zlib.error as exc:
        raise ParseError(url, f"The document at {url} is a broken gzip file.") from exc
    if unpacker.unconsumed_tail:
        raise ParseError(
            url, f"The document at {url} unpacks to more than {MAX_UNPACKED_BYTES // 2**20} MB."
        )
    return body


def _truncate_entries(content: bytes, max_entries: int) -> bytes:
    """Cut a document with far more than ``max_entries`` entries after the first ``max_entries``
    (feeds list newest first), closing the root again, so feedparser's time stays bounded."""
    closers = (b"</item>", b"</entry>")
    if max(content.count(tag, 0, 64 * 1024 * 1024) for tag in closers) <= 2 * max_entries:
        return content
    tag = max(closers, key=content.count)
    end = -1
    for _ in range(max_entries):
        end = content.find(tag, end + 1)
    if end < 0:
        return content
    head = content[: end + len(tag)]
    if b"<rdf:RDF" in content[:4096]:
        return head + b"</rdf:RDF>"
    if tag == b"</entry>":
        return head + b"</feed>"
    return head + b"</channel></rss>"


def _refuse_entity_declarations(content: bytes, url: str, charset: str | None = None) -> None:
    """Refuse UTF-32 documents, and DOCTYPEs whose entities could expand: external
    (SYSTEM/PUBLIC), parameter, referring to other entities, long, or numerous. Plain
    character-reference aliases such as ``<!ENTITY nbsp "&#160;">`` (old RSS 0.91 feeds) are
    harmless and pass. The prolog is read in every encoding the parser might use (the byte
    order mark, the HTTP charset, the XML declaration), so an encoding cannot hide a DOCTYPE."""
    head = content[:_PROLOG_WINDOW]
    declared = _XML_DECL.match(head[:512])
    names = {n.lower() for n in (charset, declared.group(2).decode() if declared else None) if n}
    if _is_utf32(head, names):
        raise ParseError(
            url, f"The document at {url} is encoded in UTF-32, which newsdigest does not read."
        )
    main, *others = _head_texts(head, names)
    prolog = _prolog(main, truncated=len(content) > len(head))
    if prolog is None:
        raise ParseError(
            url,
            f"The document at {url} has more than {_PROLOG_WINDOW // 1024} KB before its first "
            "element, so newsdigest refuses to read it.",
        )
    prologs = [prolog, *(p for text in others if (p := _prolog(text, truncated=False)))]
    if any(_unsafe_entities(p) for p in prologs):
        raise ParseError(
            url,
            f"The document at {url} declares XML entities that could expand without limit, "
            "so newsdigest refuses to read it.",
        )


def _refuse_unclosed_entries(content: bytes, url: str) -> None:
    """Thousands of ``<item`` without ``</item>``: feedparser's fallback parser would nest them
    all, for seconds to minutes (1 MB of ``<item `` takes 7 s), to find a broken feed."""
    for tag in (b"item", b"entry"):
        opened = content.count(b"<" + tag + b" ") + content.count(b"<" + tag + b">")
        unclosed = opened - content.count(b"</" + tag + b">")
        if unclosed > MAX_UNCLOSED_ENTRIES:
            raise ParseError(
                url, f"The feed at {url} is broken: {unclosed} of its items never end."
            )


def _is_utf32(head: bytes, declared: set[str]) -> bool:
    """A UTF-32 byte order mark, ASCII characters padded with three zero bytes, or a declared
    UTF-32/UCS-4 encoding."""
    return (
        head.startswith(_UTF32_BOMS)
        or head[:4].count(b"\x00") == 3
        or any(
            name.replace("-", "").replace("_", "").startswith(("utf32", "ucs4"))
            for name in declared
        )
    )


def _head_texts(head: bytes, declared: set[str]) -> list[str]:
    """The document's first bytes as text: first as the byte order mark says (UTF-16) or
    byte for byte, then EBCDIC and the declared encodings, which a parser may honour."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[:2].count(b"\x00"):
        texts = [head.decode("utf-16", "ignore")]
    else:
        texts = [head.decode("latin-1")]
    if head.startswith(_EBCDIC_XML):
        texts.append(head.decode("cp037"))
    for name in sorted(declared):
        try:
            texts.append(head.decode(name, "ignore"))
        except (LookupError, UnicodeError):
            continue  # an encoding Python does not know: the parser cannot use it either
    return texts


def _prolog(text: str, *, truncated: bool) -> str | None:
    """The text before the document's first element (where a DOCTYPE lives), comments removed;
    None when the prolog does not end within ``text`` while the document goes on
    (``truncated``), or a comment in it never closes there, so a DOCTYPE hidden behind padding
    cannot slip past the entity check."""
    text = _without_comments(text)
    match = _FIRST_ELEMENT.search(text)
    prolog = text[: match.start()] if match else text
    if "<!--" in prolog or (match is None and truncated):
        return None
    return prolog


def _unsafe_entities(prolog: str) -> bool:
    if "<!ENTITY" not in prolog.upper():
        return False
    declarations = _entity_declarations(prolog)
    if len(declarations) > 64 or prolog.upper().count("<!ENTITY") != len(declarations):
        return True
    for parameter, definition in declarations:
        value = definition.strip()
        external = value[:6].upper() in ("SYSTEM", "PUBLIC")
        if parameter or external or len(value) > 200 or _ENTITY_REF.search(value):
            return True
    return False


def _without_comments(text: str) -> str:
    """``text`` without its ``<!-- … -->`` comments; an unclosed one and what follows it stay.
    One pass with ``str.find`` (a regex would rescan the rest from every ``<!--``)."""
    kept: list[str] = []
    position = 0
    while (start := text.find("<!--", position)) != -1:
        end = text.find("-->", start + 4)
        if end == -1:
            break
        kept.append(text[position:start])
        position = end + 3
    kept.append(text[position:])
    return "".join(kept)


def _tags(text: str, opening: str) -> Iterator[str]:
    """Each ``opening…>`` in ``text`` (``opening`` matched case-insensitively), in one pass: a
    tag runs to the first ``>`` after it; an unclosed one ends the scan."""
    marker = re.compile(re.escape(opening), re.I)
    position = 0
    while (found := marker.search(text, position)) is not None:
        end = text.find(">", found.end())
        if end == -1:
            return
        yield text[found.start() : end + 1]
        position = end + 1


def _entity_declarations(prolog: str) -> list[tuple[str, str]]:
    """(parameter marker, definition) of each well-formed ``<!ENTITY name definition>``."""
    found: list[tuple[str, str]] = []
    for tag in _tags(prolog, "<!ENTITY"):
        body = _ENTITY_BODY.match(tag, len("<!ENTITY"), len(tag) - 1)
        if body is not None:
            found.append((body.group(1) or "", body.group(2)))
    return found


def _fix_declared_encoding(content: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    """Declared Latin-1/Windows-1252/ASCII over bytes that are valid, non-ASCII UTF-8 means the
    declaration is wrong (the common mojibake case): say UTF-8 instead."""
    declared = _XML_DECL.match(content[:512])
    http_charset = _charset(headers.get("content-type", ""))
    claimed = {
        c.lower() for c in (declared.group(2).decode() if declared else None, http_charset) if c
    }
    if not claimed or not claimed <= _SINGLE_BYTE_WESTERN or content.isascii():
        return content, headers
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return content, headers
    if declared:
        content = _XML_DECL.sub(rb"\1utf-8\3", content[:512], count=1) + content[512:]
    if http_charset:
        headers = {**headers, "content-type": "application/xml; charset=utf-8"}
    return content, headers


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            return value.strip("\"' ")
    return None


# --- documents without entries ------------------------------------------------------------


def _explain_empty(parsed: Any, content: bytes, url: str) -> None:
    """Raise ParseError for a document with no entries, unless it is a well-formed empty feed."""
    version = parsed.get("version") or ""
    bozo = bool(parsed.get("bozo"))
    head = content[:4096].decode("latin-1")
    if not version and _HTML_HEAD.search(head):
        raise _web_page_error(content, url)
    if not version:
        raise ParseError(
            url,
            f"The document at {url} is not a feed newsdigest can read (RSS, Atom or JSON Feed).",
        )
    if bozo and not _harmless_bozo(parsed.get("bozo_exception")):
        raise ParseError(url, f"The feed at {url} is broken and has no readable entries.")


def _is_web_page(content: bytes) -> bool:
    """The document's first element (within its first 4 KB) is ``<html>`` and its first 64 KB
    hold no feed element (feedparser also reads a feed inside XHTML)."""
    text = _without_comments(content[:4096].decode("latin-1"))
    first = _FIRST_ELEMENT.search(text)
    if first is None or _HTML_ROOT.match(text, first.start()) is None:
        return False
    lowered = content[: 64 * 1024].lower()
    return not any(root in lowered for root in (b"<feed", b"<rss", b"<rdf:rdf", b"<channel"))


def _web_page_error(content: bytes, url: str) -> ParseError:
    found = _alternate_feed(content, url)
    hint = f"; its feed may be at {found}" if found else ""
    return ParseError(url, f"The address {url} is a web page, not a feed{hint}.")


def _harmless_bozo(exc: object) -> bool:
    """Encoding overrides and undeclared namespaces do not mean the document is broken."""
    name = type(exc).__name__
    return name in {"CharacterEncodingOverride", "NonXMLContentType", "CharacterEncodingUnknown"}


def _alternate_feed(content: bytes, url: str) -> str | None:
    text = content[: 512 * 1024].decode("utf-8", "ignore")
    for tag in _tags(text, "<link"):
        after_name = tag[len("<link") : len("<link") + 1]
        if after_name.isalnum() or after_name == "_" or not _FEED_TYPE.search(tag):
            continue  # <linkage …> or a link to something else
        href = _HREF.search(tag)
        if href:
            return absolute(href.group(1), url)
    return None


# --- feed and entries ---------------------------------------------------------------------


def _feed_info(feed: Any, url: str) -> FeedInfo:
    title_detail = feed.get("title_detail") or {}
    title = feed.get("title")
    link = absolute(feed.get("link"), url)
    image = (feed.get("image") or {}).get("href") or feed.get("logo") or feed.get("icon")
    return FeedInfo(
        url=url,
        title=(one_line(title, html=_is_html(title_detail)) or None) if title else None,
        link=link,
        image=absolute(image, link or url),
    )


def _entry(raw: Any, *, feed_url: str) -> Entry | None:
    link = _article_url(raw, feed_url)
    text, images = _text(raw)
    title = raw.get("title")
    title_text = one_line(title, html=_is_html(raw.get("title_detail") or {})) if title else None
    if not (title_text or text or link):
        return None
    base = link or feed_url
    image = _media_image(raw) or (images[0] if images else None)
    return build_entry(
        guid=raw.get("id"),
        url=link,
        title=title_text,
        text=text,
        published=_datetime(raw.get("published_parsed") or raw.get("created_parsed")),
        updated=_datetime(raw.get("updated_parsed")),
        image=absolute(image, base),
        author=raw.get("author"),
        categories=[tag.get("term") or tag.get("label") for tag in raw.get("tags") or []],
    )


def _article_url(raw: Any, feed_url: str) -> str | None:
    """The real article URL: FeedBurner's origlink, an alternate link, the link; Google Alerts
    redirects unwrapped; reddit posts' "[link]" target rather than the comments page."""
    alternates = [
        link.get("href")
        for link in raw.get("links") or []
        if link.get("rel", "alternate") == "alternate" and "html" in link.get("type", "text/html")
    ]
    candidates: list[str | None] = [raw.get("feedburner_origlink"), *alternates, raw.get("link")]
    for candidate in candidates:
        url = absolute(candidate, feed_url)
        if url:
            return _reddit_target(raw, _unwrap_redirect(url))
    guid = raw.get("id")
    if raw.get("guidislink") and guid:
        return absolute(guid, feed_url)
    return None


def _unwrap_redirect(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if host.startswith("www.google.") and parts.path == "/url":
        target = parse_qs(parts.query).get("url") or parse_qs(parts.query).get("q")
        unwrapped = absolute(target[0], None) if target else None
        if unwrapped:
            return unwrapped
    return url


def _reddit_target(raw: Any, url: str) -> str:
    host = urlsplit(url).hostname or ""
    if not (host == "reddit.com" or host.endswith(".reddit.com")):
        return url
    for html in _html_values(raw):
        match = _REDDIT_LINK.search(html)
        if match:
            target = absolute(match.group(1), url)
            if target and "reddit.com/r/" not in target:
                return target
    return url


def _html_values(raw: Any) -> list[str]:
    values = [c.get("value", "") for c in raw.get("content") or []]
    values.append(raw.get("summary") or "")
    return [v for v in values if v]


def _text(raw: Any) -> tuple[str, list[str]]:
    """The entry's longest text (content:encoded / atom content vs summary) and its images."""
    best_text, best_images = "", list[str]()
    details = list(raw.get("content") or [])
    if raw.get("summary"):
        details.append(raw.get("summary_detail") or {"type": "text/html", "value": raw["summary"]})
    for detail in details:
        value = detail.get("value") or ""
        if _is_html(detail):
            text, images = html_to_text_and_images(value)
        else:
            text, images = plain_to_text(value), []
        if len(text) > len(best_text):
            best_text = text
        if not best_images:
            best_images = images
    return best_text, best_images


def _is_html(detail: Mapping[str, Any]) -> bool:
    kind = str(detail.get("type") or "text/html").lower()
    return kind in _HTML_TYPES or "html" in kind


def _media_image(raw: Any) -> str | None:
    for thumb in raw.get("media_thumbnail") or []:
        if thumb.get("url"):
            return str(thumb["url"])
    for media in raw.get("media_content") or []:
        kind = str(media.get("type") or "")
        medium = str(media.get("medium") or "")
        media_url = media.get("url")
        if media_url and (
            medium == "image"
            or kind.startswith("image/")
            or (not kind and not medium and _IMAGE_EXT.search(media_url))
        ):
            return str(media_url)
    for enclosure in list(raw.get("enclosures") or []) + [
        link for link in raw.get("links") or [] if link.get("rel") == "enclosure"
    ]:
        if str(enclosure.get("type") or "").startswith("image/") and enclosure.get("href"):
            return str(enclosure["href"])
    image = raw.get("image")
    if isinstance(image, Mapping) and image.get("href"):
        return str(image["href"])
    return None


def _datetime(value: struct_time | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _newest(raw_entries: list[Any], count: int) -> list[Any]:
    """The ``count`` newest raw entries (undated ones last), in that order."""

    def key(raw: Any) -> tuple[int, ...]:
        when = raw.get("published_parsed") or raw.get("updated_parsed")
        return tuple(when[:6]) if when else (0,)

    return sorted(raw_entries, key=key, reverse=True)[:count]
