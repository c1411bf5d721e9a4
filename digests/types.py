"""Frozen dataclasses shared across the library. Plain values only: no discord, no sqlite rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Mode = Literal["live", "digest"]


@dataclass(frozen=True, slots=True)
class Quote:
    """A direct quotation and who said it (full name, the article's description, or None)."""

    text: str
    speaker: str | None
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "speaker": self.speaker, "score": round(self.score, 4)}


@dataclass(frozen=True, slots=True)
class Condensed:
    """A condensed story: its gist (summary = the joined sentences) and its ranked quotes."""

    title: str | None
    summary: str
    sentences: list[str]
    quotes: list[Quote]

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "summary": self.summary,
            "sentences": list(self.sentences),
            "quotes": [q.to_dict() for q in self.quotes],
        }


@dataclass(frozen=True, slots=True)
class FeedInfo:
    """What a feed says about itself."""

    url: str
    title: str | None
    link: str | None = None
    image: str | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    """One feed item as parsed (before condensing).

    ``entry_id`` is stable across runs: the guid, else the link, else a content hash.
    ``text`` is plain text with paragraphs separated by blank lines (from content:encoded or the
    summary); ``is_teaser`` says the text is too short to condense and the page should be fetched.
    """

    entry_id: str
    url: str | None
    title: str | None
    text: str
    published: datetime | None
    updated: datetime | None = None
    image: str | None = None
    author: str | None = None
    is_teaser: bool = False


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    info: FeedInfo
    entries: list[Entry]


@dataclass(frozen=True, slots=True)
class Story:
    """A stored, condensed story. ``story_id`` is the number users see (``#42``)."""

    story_id: int
    feed_url: str
    feed_title: str | None
    entry_id: str
    url: str | None
    title: str | None
    published: datetime | None
    summary: str
    sentences: list[str]
    quotes: list[Quote]
    image: str | None = None
    cluster_id: int | None = None
    text: str = ""


@dataclass(frozen=True, slots=True)
class Coverage:
    """Another outlet covering the same story."""

    feed: str
    url: str | None


@dataclass(frozen=True, slots=True)
class DigestItem:
    story: Story
    also_covered_by: list[Coverage] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Digest:
    """Ranked, de-duplicated stories for one destination over a period."""

    period_start: datetime | None
    period_end: datetime
    items: list[DigestItem]
