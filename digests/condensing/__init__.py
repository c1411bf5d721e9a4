"""``condense(text)``: the gist plus the attributed key quotes. Pure and deterministic.

The summary is chosen first; the quotes a summary sentence already holds are ranked after the
others, so the key quotes a post shows beside it are the best ones it does not carry.

Bad input never ends in a traceback or a hang: HTML given as text is stripped to its text,
control characters and undecodable bytes are dropped, and only the first ``MAX_CHARS``
characters of a huge text are condensed (time and memory stay bounded). Text with no words at
all raises ``InputError`` with one sentence.
"""

from __future__ import annotations

import re

from digests.condensing.people import clean_name, name_pieces
from digests.condensing.quotes import find_quotes
from digests.condensing.summarize import quotes_repeated, stem, summarize
from digests.condensing.text import paragraphs, strip_html
from digests.errors import InputError
from digests.feeds.htmltext import looks_like_html
from digests.model import Condensed, Quote

#: Characters of (plain) text condensed; a long feature is ~40k characters.
MAX_CHARS = 60_000
#: Raw characters looked at before HTML stripping (pages carry scripts and markup).
MAX_RAW_CHARS = 2_000_000
MAX_SENTENCES = 10
KEY_QUOTES = 2

_WORD = re.compile(r"[^\W\d_]{2,}")


def _bounded(text: str, limit: int) -> str:
    """The text cut to ``limit`` characters, at a paragraph or line break when one is near."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    for sep in ("\n\n", "\n", ". ", " "):
        cut = head.rfind(sep)
        if cut >= limit // 2:
            return head[: cut + len(sep)]
    return head


def clear_caches() -> None:
    """Empty the bounded caches of the pure name functions kept between calls, so a benchmark
    can time from a cold start."""
    clean_name.cache_clear()
    name_pieces.cache_clear()
    stem.cache_clear()


def prepare(text: str) -> list[str]:
    """The paragraphs ``condense`` works on: HTML stripped, size bounded, boilerplate dropped."""
    text = _bounded(text, MAX_RAW_CHARS)
    if looks_like_html(text, evidence="tags"):
        text = strip_html(text)
    return paragraphs(_bounded(text, MAX_CHARS))


def condense(text: str, *, title: str | None = None, sentences: int = 3) -> Condensed:
    """Summarise ``text`` in ``sentences`` sentences and find its attributed quotes."""
    if not isinstance(text, str):
        raise InputError("The text to condense must be a string.")
    if not 1 <= sentences <= MAX_SENTENCES:
        raise InputError(f"The number of sentences must be between 1 and {MAX_SENTENCES}.")
    paras = prepare(text)
    if not any(_WORD.search(p) for p in paras):
        raise InputError("The text has no words to condense.")
    clean_title = " ".join(title.split())[:300] if title else None
    chosen = summarize(paras, title=clean_title or None, sentences=sentences, avoid=[])
    quotes = _unrepeated_first(find_quotes(paras), chosen)
    return Condensed(title=title, summary=" ".join(chosen), sentences=chosen, quotes=quotes)


def _unrepeated_first(quotes: list[Quote], summary: list[str]) -> list[Quote]:
    """The quotes in their ranking, those a summary sentence already holds moved last: the key
    quotes a post shows beside the summary are the best ones it does not already carry."""
    repeated = quotes_repeated(summary, [q.text for q in quotes])
    if not any(repeated):
        return quotes
    pairs = list(zip(quotes, repeated, strict=True))
    return [q for q, r in pairs if not r] + [q for q, r in pairs if r]
