"""The CPU work on untrusted documents, as the worker processes run it (``digests.workers``):
parse a feed body, extract teaser pages, condense entries.

A worker process imports this module, the parser, the extractor and the condenser, and nothing
of storage, networking or Discord: each worker is a copy of what it imports, so keeping
``aiohttp``, ``sqlite_utils`` (and the ``numpy`` it loads when installed) and the store out of
here keeps every worker, and the fork server they come from, small. The functions are module
level so a process pool can pickle them; without a pool the service runs them in a thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from digests.errors import ParseError
from digests.feeds import delta
from digests.feeds.urlsafety import redact_url
from digests.model import Condensed, Entry, ParsedFeed, Retrieved, StoryWrite

log = logging.getLogger(__name__)

FALLBACK_SUMMARY_CHARS = 400


class Condenser(Protocol):
    def __call__(self, text: str, *, title: str | None = None) -> Condensed: ...


class FeedParser(Protocol):
    def __call__(
        self, content: bytes, *, url: str, headers: Mapping[str, str] | None = None
    ) -> ParsedFeed: ...


@dataclass(frozen=True, slots=True)
class PageText:
    text: str
    image: str | None


#: html bytes + url -> the article's text and lead image (None when nothing usable)
Extractor = Callable[[bytes, str], PageText | None]


def default_condense(text: str, *, title: str | None = None) -> Condensed:
    from digests.condensing import condense

    return condense(text, title=title)


def default_parse(
    content: bytes, *, url: str, headers: Mapping[str, str] | None = None
) -> ParsedFeed:
    """``digests.feeds.parse.parse_feed`` (module level, so a process pool can pickle it)."""
    from digests.feeds.parse import parse_feed

    return parse_feed(content, url=url, headers=headers)


def default_extract(html: bytes, url: str) -> PageText | None:
    from digests.feeds.extract import extract_article

    article = extract_article(html, url=url)
    if article is None:
        return None
    return PageText(text=article.text, image=article.image)


def fallback_condensed(text: str, title: str | None) -> Condensed:
    """When the condenser cannot help: the opening of the text, cut at a word boundary."""
    flat = " ".join(text.split())
    if len(flat) > FALLBACK_SUMMARY_CHARS:
        flat = flat[:FALLBACK_SUMMARY_CHARS].rsplit(" ", 1)[0] + "…"
    return Condensed(title=title, summary=flat, sentences=[flat] if flat else [], quotes=[])


def prepare_writes(
    condense: Condenser,
    extract: Extractor,
    todo: list[tuple[Entry, str, int | None]],
    pages: list[Retrieved | None],
) -> list[StoryWrite]:
    """Extract teaser pages and condense each entry (CPU work: runs in a thread or process)."""
    writes: list[StoryWrite] = []
    for (entry, content_hash, story_id), page in zip(todo, pages, strict=True):
        text, image = entry.text, entry.image
        if page is not None:
            article = _safe_extract(extract, page)
            if article is not None and len(article.text) > len(text):
                text, image = article.text, image or article.image
        writes.append(
            StoryWrite(
                entry=entry,
                content_hash=content_hash,
                text=text,
                image=image,
                condensed=_safe_condense(condense, text, entry.title),
                story_id=story_id,
            )
        )
    return writes


def _safe_extract(extract: Extractor, page: Retrieved) -> PageText | None:
    try:
        return extract(page.content, page.url)
    except Exception as exc:  # any extractor failure: keep the feed's own text
        log.info("article page %s not extracted: %s", redact_url(page.url), exc)
        return None


def _safe_condense(condense: Condenser, text: str, title: str | None) -> Condensed:
    if not text.strip():
        return fallback_condensed(title or "", title)
    try:
        return condense(text, title=title)
    except Exception as exc:  # any condenser failure: store the opening of the text
        log.info("story %r not condensed: %s", title, exc)
        return fallback_condensed(text, title)


@dataclass(frozen=True, slots=True)
class ParseOutcome:
    #: None when the document holds no item we have not seen
    parsed: ParsedFeed | None
    item_hashes: list[str] | None


def parse_job(
    parse: FeedParser,
    content: bytes,
    url: str,
    headers: dict[str, str],
    known: frozenset[str] | None = None,
) -> ParseOutcome:
    """Parse a feed body, skipping items unchanged since the last version (see delta.py)."""
    split = delta.split_items(content)
    hashes = split.hashes if split is not None else None
    if split is not None and known is not None:
        fresh = delta.new_items(split, known)
        if not fresh:
            return ParseOutcome(parsed=None, item_hashes=hashes)
        if len(fresh) < len(split.items):
            try:
                small = parse(split.with_items(fresh), url=url, headers=headers)
            except ParseError:
                small = None
            if small is not None and len(small.entries) == len(fresh):
                return ParseOutcome(parsed=small, item_hashes=hashes)
    return ParseOutcome(parsed=parse(content, url=url, headers=headers), item_hashes=hashes)
