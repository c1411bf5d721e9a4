"""Frozen dataclasses shared across the library. Plain values only: no discord, no sqlite rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

Mode = Literal["live", "digest"]
#: when a scheduled digest is posted: every day, or once a week on that day
Day = Literal["daily", "mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[Day, ...] = ("daily", "mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: how a subscription's story posts look: today's embed, a short embed, or title and link only
Style = Literal["full", "compact", "headline"]
#: threads in a text or announcement channel: none, one on each story post, one per digest
#: (a forum channel always makes each story, and each digest, a forum post of its own)
ThreadMode = Literal["none", "per-story", "per-digest"]
THREAD_MODES: tuple[ThreadMode, ...] = ("none", "per-story", "per-digest")
FilterKind = Literal["include", "exclude"]
FilterField = Literal["any", "title", "summary", "text", "category", "author"]


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose stories a read may see: one server's (the stories of the feeds it subscribes) or,
    for the operator's own tools only, every server's. Every story read takes one; there is no
    default, so no read can silently widen to every server.

    Build it with ``Scope.server(guild_id)`` or ``Scope.everything()``."""

    #: the asking server; None only for ``everything()``
    guild_id: int | None

    @classmethod
    def server(cls, guild_id: int) -> Scope:
        return cls(guild_id)

    @classmethod
    def everything(cls) -> Scope:
        """Every server's stories: the command line and the service's own lookups."""
        return cls(None)


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
    #: the item's categories / tags, as the feed gives them
    categories: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    info: FeedInfo
    entries: list[Entry]


@dataclass(frozen=True, slots=True)
class Retrieved:
    """A 200 response. ``headers`` has lower-cased names; ``url`` is the final URL."""

    url: str
    content: bytes
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    #: seconds until the next poll is welcome (Cache-Control max-age or Retry-After), if given
    max_age: int | None = None


@dataclass(frozen=True, slots=True)
class NotModified:
    """A 304 response to a conditional GET."""

    url: str
    max_age: int | None = None


@dataclass(frozen=True, slots=True)
class StoryWrite:
    """A new or changed entry, condensed, ready to store (``story_id`` set for an update)."""

    entry: Entry
    content_hash: str
    text: str
    image: str | None
    condensed: Condensed
    story_id: int | None = None
    #: stored as parsed: ``condensed`` is not the story's gist yet (see ``Story.condensed``)
    parsed_only: bool = False


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
    author: str | None = None
    categories: tuple[str, ...] = ()
    #: the feed's own image (its icon), shown as a webhook post's avatar
    feed_image: str | None = None
    #: False while the story is stored as parsed (no summary, sentences or quotes yet): it is
    #: condensed when it is first posted or asked for (``DigestService.condensed``)
    condensed: bool = True
    #: the feed's text is a teaser: condensing fetches the article page first
    teaser: bool = False


@dataclass(frozen=True, slots=True)
class Coverage:
    """Another outlet covering the same story."""

    feed: str
    url: str | None


@dataclass(frozen=True, slots=True)
class DigestPage:
    """One digest delivery to queue: a header and its items (story id + other coverage)."""

    header: str
    items: list[tuple[int, list[Coverage]]]
    #: roles the page mentions (subscriptions' opt-in pings of its stories)
    pings: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class DigestPlan:
    """A channel's digest, decided (pure, ``compose.plan_digest``) from its pending stories:
    the pages to queue and the other stories to mark handled (the other members of each
    cluster, and everything past the item limit). The store applies it in one transaction."""

    pages: list[DigestPage]
    skipped: list[int]

    def story_ids(self) -> set[int]:
        """Every story the plan handles (queued or skipped)."""
        return {sid for page in self.pages for sid, _ in page.items} | set(self.skipped)

    def skipping(self, story_ids: Sequence[int]) -> DigestPlan:
        """The plan with these stories marked handled too."""
        return DigestPlan(pages=self.pages, skipped=[*self.skipped, *story_ids])


@dataclass(frozen=True, slots=True)
class DigestRun:
    """One scheduled digest period (``schedule_id``, [start, end]): queued at most once."""

    schedule_id: int
    start: datetime
    end: datetime


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


FeedHealth = Literal["ok", "failing", "disabled"]
DeliveryKind = Literal["story", "digest", "notice"]


@dataclass(frozen=True, slots=True)
class FeedStatus:
    """A feed's polling health."""

    feed_id: int
    url: str
    title: str | None
    health: FeedHealth
    last_fetched: datetime | None
    next_fetch: datetime | None
    failing_since: datetime | None
    failures: int
    last_error: str | None


@dataclass(frozen=True, slots=True)
class Subscription:
    """A feed posted to one channel (a "destination") of one server ("guild")."""

    subscription_id: int
    guild_id: int
    channel_id: int
    mode: Mode
    feed: FeedStatus
    style: Style = "full"
    #: the role the subscription's posts mention (opt-in), or None
    ping_role_id: int | None = None
    thread: ThreadMode = "none"
    #: post under the feed's name and icon through the bot's webhook
    webhook: bool = False


@dataclass(frozen=True, slots=True)
class SubscriptionOptions:
    """A change of a subscription's options (``/feed edit``): None keeps the current value;
    ``clear_ping`` removes its role ping."""

    style: Style | None = None
    thread: ThreadMode | None = None
    webhook: bool | None = None
    ping_role_id: int | None = None
    clear_ping: bool = False


@dataclass(frozen=True, slots=True)
class Filter:
    """One include/exclude rule of a subscription: keywords (comma-separated, whole words,
    any case) or a regular expression (RE2 syntax), over one field or ``any`` of them. An
    include rule may name a role to mention when it matches."""

    filter_id: int
    subscription_id: int
    kind: FilterKind
    pattern: str
    regex: bool
    field: FilterField = "any"
    ping_role_id: int | None = None


@dataclass(frozen=True, slots=True)
class PostRules:
    """What decides a subscription's posts: its filters, style and ping."""

    subscription_id: int
    channel_id: int
    style: Style = "full"
    ping_role_id: int | None = None
    filters: tuple[Filter, ...] = ()


@dataclass(frozen=True, slots=True)
class AddResult:
    subscription: Subscription
    preview: Story | None
    #: outbox deliveries queued for the backfill (posted by the delivery loop)
    backfilled: int
    #: True when the feed had been disabled and this add re-enabled it
    reenabled: bool = False


@dataclass(frozen=True, slots=True)
class StoryDetail:
    story: Story
    also_covered_by: list[Coverage] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One pending post in the outbox (every post the bot makes goes through it).

    - ``kind == "story"``: one story embed (live mode, backfill); ``items`` holds just that story.
    - ``kind == "digest"``: one digest message of at most 10 stories (``items``), headed by
      ``header`` (the period it covers; "(continued)" on later pages).
    - ``kind == "notice"``: plain text ``notice`` (e.g. a feed was disabled).

    ``nonce`` is stable for the delivery (at most 25 chars) so a resend after a crash can be
    recognised; ``attempts`` counts earlier tries that may or may not have reached Discord, the
    first of them at ``attempted_at``.
    """

    delivery_id: int
    channel_id: int
    kind: DeliveryKind
    nonce: str
    items: list[StoryDetail] = field(default_factory=list)
    header: str | None = None
    notice: str | None = None
    attempts: int = 0
    attempted_at: datetime | None = None
    #: the posted message, for an edit (``pending_edits``)
    message_id: int | None = None
    #: the outbox row's edit count when read: recorded as done once sent or edited
    edit_version: int = 0
    #: how a story post looks (digest pages keep the digest layout)
    style: Style = "full"
    #: the roles the post mentions (a subscription's opt-in ping); never anyone else
    pings: tuple[int, ...] = ()
    #: a thread on a story post (per-story), or the digest's thread (per-digest, first page)
    thread: ThreadMode = "none"
    #: a story post sent through the channel's webhook under the feed's name and icon
    webhook: bool = False
    #: the steps done so far (recorded one by one so a crash repeats none of them)
    progress: DeliveryProgress = field(default_factory=lambda: DeliveryProgress())
    #: a digest's later page: the thread its first page opened (None: post in the channel)
    first_page_thread: int | None = None
    #: a digest's later page: its first page's delivery (whose thread it goes into)
    follows: int | None = None


@dataclass(frozen=True, slots=True)
class DeliveryProgress:
    """What a delivery already did. ``message_id`` (in ``Delivery``) is set once the message
    exists; then the thread it opens and its publication follow, each recorded when done."""

    #: where the message lives: the channel, or a thread (a forum post, a digest's later page)
    message_channel_id: int | None = None
    thread_id: int | None = None
    published: bool = False
    #: the webhook that sent the message (its edits go through it)
    webhook_id: int | None = None


@dataclass(frozen=True, slots=True)
class LivePost:
    """A story recently posted (or queued) alone in a channel: a live post that a later
    version of the same story from another outlet edits rather than repeats."""

    channel_id: int
    story: Story


@dataclass(frozen=True, slots=True)
class SpeakerQuote:
    story_id: int
    story_title: str | None
    story_url: str | None
    published: datetime | None
    quote: Quote


@dataclass(frozen=True, slots=True)
class SearchHit:
    story_id: int
    title: str | None
    url: str | None
    feed_title: str | None
    published: datetime | None
    snippet: str


@dataclass(frozen=True, slots=True)
class Schedule:
    """A channel's digest at a local time in an IANA timezone, every day or once a week."""

    schedule_id: int
    guild_id: int
    channel_id: int
    hour: int
    minute: int
    timezone: str
    created_at: datetime
    day: Day = "daily"

    @property
    def period(self) -> timedelta:
        """What one digest covers: a day, or a week for a weekly one."""
        return timedelta(days=1) if self.day == "daily" else timedelta(days=7)


@dataclass(frozen=True, slots=True)
class UpdateResult:
    """The outcome of polling one feed: counts, or the error as a value (one sentence)."""

    url: str
    new_stories: int = 0
    updated_stories: int = 0
    not_modified: bool = False
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Pruned:
    """What one housekeeping pass dropped (``Store.prune``)."""

    #: stories whose article text was dropped (their summary, quotes and identity stay)
    stories: int = 0
    #: sent or dropped outbox rows deleted
    deliveries: int = 0
