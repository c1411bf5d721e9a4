"""``newsdigest digest FEED [FEED ...]``: one de-duplicated, ranked digest without Discord.

Sources are ``http(s)://`` URLs (fetched with the same safety rules as feeds) or local feed
files. Each goes through the same pipeline as the service (parse, fetch teaser pages, condense,
store) into the database at ``db_path`` (a temporary one when None), so a second run reuses
what is stored: a 304 or unchanged entries cost no condensing. A source that fails is reported
as ``(source, one sentence)`` and the others go on.
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from digests import compose
from digests.clock import Clock, SystemClock
from digests.errors import DigestError
from digests.jobs import (
    Condenser,
    Extractor,
    FeedParser,
    default_condense,
    default_extract,
    default_parse,
)
from digests.model import Digest, Story
from digests.service import DigestService, FeedFetcher, off_loop
from digests.store import Store, StoredFeed
from digests.workers import WorkerPool

#: local feed files larger than this are refused rather than read whole
MAX_FILE_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class OneShotDigest:
    digest: Digest
    #: (source as given, one sentence) for each source that failed
    failures: list[tuple[str, str]] = field(default_factory=list)


async def digest_sources(
    sources: list[str],
    *,
    fetcher: FeedFetcher,
    limit: int = 10,
    db_path: str | None = None,
    clock: Clock | None = None,
    condense: Condenser = default_condense,
    parse: FeedParser = default_parse,
    extract: Extractor = default_extract,
    workers: WorkerPool | None = None,
) -> OneShotDigest:
    """Fetch/read every source, condense its newest ``limit`` stories, and build one digest of
    at most ``limit`` items, clustered across sources and ranked by recency and coverage.
    ``workers`` parses, extracts and condenses each document within a time budget."""
    clock = clock or SystemClock()
    with tempfile.TemporaryDirectory(prefix="newsdigest-") as scratch:
        path = db_path or str(Path(scratch) / "digest.db")
        store = await off_loop(Store, path)
        try:
            service = DigestService(
                store,
                fetcher,
                clock=clock,
                condense=condense,
                parse=parse,
                extract=extract,
                cpu_executor=workers,
                max_entries=max(1, limit),
            )
            outcomes = await asyncio.gather(
                *(_one(service, store, source, clock.now()) for source in sources)
            )
            failures: list[tuple[str, str]] = []
            feeds: list[StoredFeed] = []
            for source, outcome in zip(sources, outcomes, strict=True):
                if isinstance(outcome, str):
                    failures.append((source, outcome))
                else:
                    feeds.append(outcome)
            stories: list[Story] = []
            for feed in {f.feed_id: f for f in feeds}.values():
                stories += await off_loop(store.newest_stories, feed.feed_id, limit)
            stories = await service.condensed(stories)
            digest = compose.build_digest(stories, now=clock.now(), limit=limit)
        finally:
            await off_loop(store.close)
    return OneShotDigest(digest=digest, failures=failures)


async def _one(
    service: DigestService, store: Store, source: str, now: datetime
) -> StoredFeed | str:
    """The stored feed for ``source``, or one sentence saying why not."""
    try:
        if "://" in source:
            feed = await off_loop(store.ensure_feed, source, now)
            [result] = await service.poll_feeds([feed])
            if result.error is not None:
                return result.error
            return feed
        content, uri = await off_loop(_read_file, source)
        stored, _ = await service.ingest_document(uri, content, {"content-location": uri})
        return stored
    except DigestError as exc:
        return exc.message


def _read_file(source: str) -> tuple[bytes, str]:
    """The file's bytes and its ``file://`` URI (relative links in it resolve against that)."""
    path = Path(source)
    try:
        if path.is_dir():
            raise _FileProblem(f"{source} is a directory, not a feed file.")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise _FileProblem(f"{source} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.")
        return path.read_bytes(), path.resolve().as_uri()
    except FileNotFoundError as exc:
        raise _FileProblem(f"There is no file {source}.") from exc
    except PermissionError as exc:
        raise _FileProblem(f"{source} cannot be read (permission denied).") from exc
    except OSError as exc:
        raise _FileProblem(f"{source} cannot be read ({exc.strerror or 'I/O error'}).") from exc


class _FileProblem(DigestError):
    """A local feed file cannot be read."""


# --- output -----------------------------------------------------------------------------------
def iso_utc(when: datetime | None) -> str | None:
    if when is None:
        return None
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def digest_to_json(digest: Digest) -> dict[str, Any]:
    """Exactly the ``digest --format json`` shape of interface.md §1."""
    return {
        "stories": [
            {
                "id": item.story.story_id,
                "feed": item.story.feed_title or item.story.feed_url,
                "title": item.story.title,
                "url": item.story.url,
                "published": iso_utc(item.story.published),
                "summary": item.story.summary,
                "quotes": [q.to_dict() for q in item.story.quotes],
                "also_covered_by": [{"feed": c.feed, "url": c.url} for c in item.also_covered_by],
            }
            for item in digest.items
        ]
    }


def digest_to_text(digest: Digest) -> str:
    """A terminal rendering: numbered stories with source, summary, two quotes, link, coverage."""
    if not digest.items:
        return "No stories."
    blocks: list[str] = []
    for number, item in enumerate(digest.items, start=1):
        story = item.story
        lines = [f"{number}. {story.title or story.url or 'Untitled'}"]
        source = story.feed_title or story.feed_url
        when = story.published.astimezone(UTC) if story.published else None
        lines.append(f"   {source}" + (f" · {when:%d %b %Y %H:%M} UTC" if when else ""))
        if story.summary:
            lines.append(f"   {story.summary}")
        for quote in story.quotes[:2]:
            speaker = f" — {quote.speaker}" if quote.speaker else ""
            lines.append(f"   “{quote.text}”{speaker}")
        if story.url:
            lines.append(f"   {story.url}")
        if item.also_covered_by:
            outlets = ", ".join(c.feed for c in item.also_covered_by)
            lines.append(f"   Also covered by: {outlets}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
