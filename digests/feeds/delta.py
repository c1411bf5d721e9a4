"""Parse only what is new in a changed feed document. Pure, no network.

A feed that changed usually gained one item and kept the rest byte for byte. Parsing the whole
document with feedparser costs ~10 ms; splitting it into its raw ``<item>``/``<entry>`` elements
and hashing each costs ~0.1 ms. With the hashes of the previous version, the service builds a
small document (the original head and tail around only the new items) and parses that.

Safety: the split is a plain byte scan, so it can be fooled (an ``</item>`` inside CDATA). The
caller checks that the small document yields exactly one entry per new item and otherwise parses
the full document; documents the scan does not understand (JSON, compressed, no items) are
always parsed in full.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

#: the start of an item's opening tag; its end is the next ``>`` (found with ``bytes.find``: a
#: ``[^>]*>`` here would rescan the rest of the document from every unclosed ``<item ``)
_OPEN = re.compile(rb"<((?:[A-Za-z_][\w.-]{0,64}:)?(?:item|entry))(?=[\s>/])")
_CLOSE_END = re.compile(rb"\s*>")
#: more raw items than this: parse in full (the parser keeps at most 1000 entries anyway)
MAX_ITEMS = 2000


@dataclass(frozen=True, slots=True)
class SplitDocument:
    head: bytes
    tail: bytes
    items: list[tuple[str, bytes]]

    @property
    def hashes(self) -> list[str]:
        return [h for h, _ in self.items]

    def with_items(self, wanted: list[bytes]) -> bytes:
        return self.head + b"\n".join(wanted) + self.tail


def item_hash(raw: bytes) -> str:
    return hashlib.blake2b(raw, digest_size=10).hexdigest()


def split_items(content: bytes) -> SplitDocument | None:
    """The document's head, tail and raw items with their hashes; None when not an XML feed
    whose items a byte scan can find.

    The scan is linear in the document's size whatever it holds (each search starts after the
    previous item's end), so a hostile body cannot make it slow."""
    start = content[:64].lstrip()
    if not start.startswith(b"<"):
        return None
    spans: list[tuple[int, int]] = []
    position = 0
    while True:
        opening = _OPEN.search(content, position)
        if opening is None:
            break
        tag_end = content.find(b">", opening.end())
        if tag_end == -1 or content[tag_end - 1 : tag_end] == b"/" or len(spans) >= MAX_ITEMS:
            return None
        end = _closing(content, opening.group(1), tag_end + 1)
        if end is None:
            return None
        spans.append((opening.start(), end))
        position = end
    if not spans:
        return None
    items = [(item_hash(content[a:b]), content[a:b]) for a, b in spans]
    return SplitDocument(head=content[: spans[0][0]], tail=content[spans[-1][1] :], items=items)


def _closing(content: bytes, tag: bytes, start: int) -> int | None:
    """The end of the first ``</tag>`` at or after ``start``."""
    marker = b"</" + tag
    at = content.find(marker, start)
    while at != -1:
        after = _CLOSE_END.match(content, at + len(marker))
        if after is not None:
            return after.end()
        at = content.find(marker, at + len(marker))
    return None


def new_items(split: SplitDocument, known: frozenset[str]) -> list[bytes]:
    """Raw items whose hash was not in the previous version (document order, no repeats)."""
    seen: set[str] = set()
    out: list[bytes] = []
    for digest, raw in split.items:
        if digest in known or digest in seen:
            continue
        seen.add(digest)
        out.append(raw)
    return out
