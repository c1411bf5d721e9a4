"""Building ``Entry`` values from raw feed fields: shared by the XML (parse.py) and JSON Feed
(jsonfeed.py) parsers. Pure.

Decides the stable ``entry_id`` (guid, else link, else a content hash), bounds every field (a
2 MB title becomes a 300-character line), strips feed trailers ("Continue reading →",
"The post … appeared first on …") and says whether the entry is a teaser.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import datetime

from digests.feeds.htmltext import MAX_TEXT_CHARS, absolute, one_line
from digests.model import Entry

#: Fewer words than this and the text is too short to condense: fetch the page.
TEASER_WORDS = 80
MAX_TITLE_CHARS = 300
MAX_AUTHOR_CHARS = 200
MAX_ID_CHARS = 512
MAX_CATEGORY_CHARS = 100
MAX_CATEGORIES = 20

_WORD = re.compile(r"\w+")
_TRAILER = re.compile(
    r"^(?:[^\w]{0,4}(?:click here to |to )?(?:read more|continue reading|read the (?:full|rest)|"
    r"full (?:story|article)|keep reading|weiterlesen|lire la suite|leer más|leia mais)\b.{0,80}"
    r"|the post .{1,300} appeared first on .{1,200}"
    r"|\(?(?:more|mehr|more\.\.\.)\)?\s*[»›→]?)$",
    re.IGNORECASE,
)
_CUT_ENDINGS = ("…", "...", "[…]", "[...]", "[…]", "(…)", "(...)", "»", "→")


def build_entry(
    *,
    guid: str | None,
    url: str | None,
    title: str | None,
    text: str,
    published: datetime | None,
    updated: datetime | None = None,
    image: str | None = None,
    author: str | None = None,
    categories: Sequence[str | None] = (),
) -> Entry:
    """An ``Entry`` from already-plain-text fields (titles and authors may still hold markup)."""
    clean_title = one_line(title, limit=MAX_TITLE_CHARS) if title else None
    body, had_trailer = strip_trailers(text[: MAX_TEXT_CHARS + 1000])
    clean_url = absolute(url, None)
    return Entry(
        entry_id=entry_id(guid, clean_url, clean_title, body),
        url=clean_url,
        title=clean_title or None,
        text=body,
        published=published or updated,
        updated=updated,
        image=absolute(image, clean_url),
        author=(one_line(author, limit=MAX_AUTHOR_CHARS) or None) if author else None,
        is_teaser=clean_url is not None and (had_trailer or is_teaser_text(body)),
        categories=clean_categories(categories),
    )


def clean_categories(raw: Sequence[str | None]) -> tuple[str, ...]:
    """The item's categories as one-line strings, without blanks and repeats, bounded."""
    found: dict[str, None] = {}
    for value in raw:
        text = one_line(value, limit=MAX_CATEGORY_CHARS) if value else ""
        if text and text.casefold() not in {k.casefold() for k in found}:
            found[text] = None
        if len(found) == MAX_CATEGORIES:
            break
    return tuple(found)


def entry_id(guid: str | None, url: str | None, title: str | None, text: str) -> str:
    """The guid, else the link, else a hash of the content (stable across runs)."""
    for candidate in (guid, url):
        value = (candidate or "").strip()
        if value:
            if len(value) <= MAX_ID_CHARS:
                return value
            return "sha256:" + hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()
    digest = hashlib.sha256(f"{title or ''}\n{text}".encode("utf-8", "replace")).hexdigest()
    return "sha256:" + digest


def strip_trailers(text: str) -> tuple[str, bool]:
    """Drop "Read more" / "Continue reading" / "The post … appeared first on …" paragraphs (and
    such a phrase ending the last paragraph); say whether anything was dropped."""
    paragraphs = text.split("\n\n")
    dropped = False
    while paragraphs and _TRAILER.match(paragraphs[-1].strip()):
        paragraphs.pop()
        dropped = True
    if paragraphs:
        last = paragraphs[-1]
        trimmed = re.sub(
            r"\s*(?:(?:…|\.\.\.)\s*)?[\[(]?(?:read more|continue reading|keep reading|"
            r"read the (?:full|rest)(?: \w+)?)\b[^\w]{0,6}$",
            "",
            last,
            flags=re.IGNORECASE,
        )
        if trimmed != last and trimmed.strip():
            paragraphs[-1] = trimmed.rstrip() + ("…" if not trimmed.rstrip().endswith("…") else "")
            dropped = True
    return "\n\n".join(paragraphs), dropped


def is_teaser_text(text: str) -> bool:
    """Too short to condense, or visibly cut off."""
    stripped = text.rstrip()
    if len(_WORD.findall(stripped)) < TEASER_WORDS:
        return True
    return stripped.endswith(_CUT_ENDINGS)
