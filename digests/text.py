"""Paragraph and sentence splitting for news text, and boilerplate removal. Pure functions.

(Minimal first version; the condensing work refines it. Signatures are stable.)
"""

from __future__ import annotations

import re

_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")


def paragraphs(text: str) -> list[str]:
    """Split text into paragraphs: blank lines separate them; single newlines do too."""
    blocks = _BLANK_LINE.split(text.replace("\r\n", "\n").replace("\r", "\n"))
    out: list[str] = []
    for block in blocks:
        out.extend(line.strip() for line in block.split("\n") if line.strip())
    return out


def split_sentences(paragraph: str) -> list[str]:
    """Split one paragraph into sentences."""
    parts = re.split(r"(?<=[.!?][\"”’)]?)\s+(?=[\"“‘(]?[A-Z0-9])", paragraph.strip())
    return [p for p in parts if p]
