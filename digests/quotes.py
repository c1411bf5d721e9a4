"""Direct quotations and their speakers. Pure functions.

Interface: ``find_quotes(paras: list[str]) -> list[Quote]``: every direct quotation in the
paragraphs (``digests.text.paragraphs`` output), ranked by importance (highest ``score`` first).
"""

from __future__ import annotations

from digests.types import Quote


def find_quotes(paras: list[str]) -> list[Quote]:
    raise NotImplementedError
