"""JSON Feed 1.0 / 1.1 (https://www.jsonfeed.org/version/1.1/) to ``ParsedFeed``. Pure.

feedparser 6 does not read JSON Feed, so we do. Unknown fields are ignored, wrong types are
treated as absent, and anything that is not a JSON object with an ``items`` list (or a JSON Feed
``version``) is a ``ParseError`` in one sentence.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from digests.errors import ParseError
from digests.feeds.entry import build_entry
from digests.feeds.htmltext import absolute, html_to_text_and_images, one_line, plain_to_text
from digests.model import Entry, FeedInfo, ParsedFeed

VERSION_PREFIX = "https://jsonfeed.org/version/"
MAX_ITEMS = 1000


def looks_like_json(content: bytes) -> bool:
    """True when the document starts (after a BOM and whitespace) with ``{``."""
    head = content[:64].lstrip(b"\xef\xbb\xbf").lstrip()
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", "ignore").encode("utf-8").lstrip()
    return head.startswith(b"{")


def parse_json_feed(content: bytes, *, url: str, max_items: int = MAX_ITEMS) -> ParsedFeed:
    try:
        document = json.loads(_decode(content))
    except (ValueError, RecursionError) as exc:
        raise ParseError(url, f"The document at {url} looks like JSON but is broken.") from exc
    if not isinstance(document, dict) or not isinstance(document.get("items"), list):
        raise ParseError(url, f"The document at {url} is JSON but not a JSON Feed.")
    version = _str(document.get("version"))
    if version is not None and not version.startswith(VERSION_PREFIX):
        raise ParseError(url, f"The document at {url} is JSON but not a JSON Feed.")
    home = absolute(_str(document.get("home_page_url")), url)
    info = FeedInfo(
        url=url,
        title=_line(document.get("title")),
        link=home,
        image=absolute(_str(document.get("icon")) or _str(document.get("favicon")), url),
    )
    entries = [
        entry
        for item in document["items"][:max_items]
        if isinstance(item, dict) and (entry := _entry(item, base=home or url)) is not None
    ]
    return ParsedFeed(info=info, entries=entries)


def _entry(item: dict[str, Any], *, base: str) -> Entry | None:
    link = absolute(_str(item.get("url")) or _str(item.get("external_url")), base)
    images: list[str] = []
    html = _str(item.get("content_html"))
    if html is not None:
        text, images = html_to_text_and_images(html)
    else:
        text = plain_to_text(_str(item.get("content_text")) or _str(item.get("summary")) or "")
    title = _str(item.get("title"))
    raw_id = item.get("id")
    guid = str(raw_id) if isinstance(raw_id, str | int) and not isinstance(raw_id, bool) else None
    if not (title or text or link):
        return None
    image = _str(item.get("image")) or _str(item.get("banner_image"))
    image = image or _attachment_image(item.get("attachments")) or (images[0] if images else None)
    return build_entry(
        guid=guid,
        url=link,
        title=title,
        text=text,
        published=_date(item.get("date_published")),
        updated=_date(item.get("date_modified")),
        image=absolute(image, link or base),
        author=_author(item),
        categories=_tags(item.get("tags")),
    )


def _decode(content: bytes) -> str:
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8", "replace")
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return content.decode("utf-16", "replace")
    return content.decode("utf-8", "replace")


def _str(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _line(value: object) -> str | None:
    text = _str(value)
    return one_line(text) or None if text else None


def _date(value: object) -> datetime | None:
    text = _str(value)
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def _author(item: dict[str, Any]) -> str | None:
    authors = item.get("authors")
    candidates = authors if isinstance(authors, list) else [item.get("author")]
    names = [name for a in candidates if isinstance(a, dict) and (name := _str(a.get("name")))]
    return ", ".join(names) or None


def _tags(value: object) -> list[str | None]:
    if not isinstance(value, list):
        return []
    return [tag for tag in value if isinstance(tag, str)]


def _attachment_image(attachments: object) -> str | None:
    if not isinstance(attachments, list):
        return None
    for attachment in attachments:
        if isinstance(attachment, dict):
            mime = _str(attachment.get("mime_type")) or ""
            if mime.startswith("image/"):
                return _str(attachment.get("url"))
    return None
