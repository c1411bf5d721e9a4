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

_ITEM = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?(?:item|entry))\b[^>]*?(?<!/)>.*?</\1\s*>", re.S)


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
    whose items a byte scan can find."""
    start = content[:64].lstrip()
    if not start.startswith(b"<"):
        return None
    matches = list(_ITEM.finditer(content))
    if not matches:
        return None
    items = [(item_hash(m.group(0)), m.group(0)) for m in matches]
    return SplitDocument(
        head=content[: matches[0].start()], tail=content[matches[-1].end() :], items=items
    )


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
