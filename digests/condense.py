"""``condense(text)``: the gist plus the attributed key quotes. Pure and deterministic."""

from __future__ import annotations

from digests.quotes import find_quotes
from digests.summarize import summarize
from digests.text import paragraphs
from digests.types import Condensed


def condense(text: str, *, title: str | None = None, sentences: int = 3) -> Condensed:
    paras = paragraphs(text)
    quotes = find_quotes(paras)
    chosen = summarize(paras, title=title, sentences=sentences, avoid=[q.text for q in quotes[:2]])
    return Condensed(title=title, summary=" ".join(chosen), sentences=chosen, quotes=quotes)
