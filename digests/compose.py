"""Digests from stories: cluster the same story across feeds, pick a representative, rank. Pure.

Two stories from *different* feeds are the same story when they were published within
``window`` of each other and their titles, their ledes (the opening words of the text), or both
share enough content words (Jaccard similarity), or their title and first sentence share some
words and their first sentences enough names and numbers (the same people, places, figures).
Clusters are the connected components of that relation. The representative is the most
complete member (longest text), the earliest on a tie. Items are ranked by recency (half-life
``half_life``) boosted by coverage (how many outlets carry the story).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from digests.condensing.lexicon import CLUSTER_STOPWORDS, DESCRIPTORS, NON_NAME_CAPS, TITLES
from digests.condensing.people import NAME_RUN
from digests.feeds.urlsafety import redact_url
from digests.model import (
    Coverage,
    Digest,
    DigestItem,
    DigestPage,
    DigestPlan,
    LivePost,
    Story,
)

_WORD = re.compile(r"\w+", re.UNICODE)
LEDE_WORDS = 60
#: the opening words (about a sentence) that, with the title, make a story's headline words
HEADLINE_LEDE_WORDS = 30


@dataclass(frozen=True, slots=True)
class ClusterPolicy:
    window: timedelta = timedelta(hours=36)
    #: titles alone this similar mean the same story (0.6 and 0.3 below until real pages of one
    #: week showed outlets' headlines of one event sharing about half their words, their ledes
    #: opening on different angles; benchmarks/same_story.py, fit half)
    title_threshold: float = 0.5
    #: or title and lede both at least this similar
    pair_threshold: float = 0.25
    #: or ledes alone this similar
    lede_threshold: float = 0.5
    #: or, as outlets word their headlines differently, the words of title and opening sentence
    #: at least this similar ...
    headline_threshold: float = 0.1
    #: ... and at least this share of the names and numbers of the opening sentence in common
    #: (the same people, places and figures: another event on the same topic has its own),
    #: provided the titles share a word at all (pairs of one campaign's different events that
    #: passed on their names shared none, in both halves of benchmarks/same_story.py).
    #: 0.25 until real multi-outlet coverage (benchmarks/same_story.py, fit half) showed
    #: same-day stories about one campaign passing it with the same two or three people
    names_threshold: float = 0.35


@dataclass(frozen=True, slots=True)
class RankPolicy:
    half_life: timedelta = timedelta(hours=12)
    #: each extra outlet adds this much to the recency score's multiplier
    coverage_boost: float = 0.5


def content_words(text: str | None, limit: int | None = None) -> frozenset[str]:
    words = [w.lower() for w in _WORD.findall(text or "")]
    if limit is not None:
        words = words[:limit]
    return frozenset(w for w in words if (len(w) > 2 or w.isdigit()) and w not in CLUSTER_STOPWORDS)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    shared = len(a & b) if len(a) <= len(b) else len(b & a)
    return shared / (len(a) + len(b) - shared)


@dataclass(frozen=True, slots=True)
class _Sig:
    title: frozenset[str]
    lede: frozenset[str]
    #: the title's words and the first sentence's or so: what outlets word differently
    headline: frozenset[str]
    #: the names (capitalised runs) and numbers of the first sentence or so
    names: frozenset[str]


def _signature(story: Story) -> _Sig:
    lede_source = story.text or story.summary
    title = content_words(story.title)
    opening = " ".join(lede_source.split()[:HEADLINE_LEDE_WORDS])
    return _Sig(
        title=title,
        lede=content_words(lede_source, LEDE_WORDS),
        headline=title | content_words(opening),
        names=names_and_numbers(opening),
    )


#: a figure as a whole token: 6.1, 1,100, 18-14, 9/11 (not the digits of "ferry5x3" or "2km")
_NUMBER = re.compile(r"\d+(?:[.,:/\-–]\d+)*")
#: what may wrap a figure without making it part of a word: punctuation, currency, percent
_NUMBER_EDGES = "\"“”‘’'()[]{}.,;:!?$£€¥#%"
_POSSESSIVE_END = re.compile(r"['’]s?$")
#: capitalised words that name no particular person, place or event: weekdays and months (every
#: story of a day shares them), titles and descriptors ("President", "Republican", "House")
_NOT_NAMES = NON_NAME_CAPS | TITLES | DESCRIPTORS


def numbers(text: str) -> frozenset[str]:
    """The figures of ``text``: tokens (between spaces, wrapping punctuation stripped) that are
    numbers as a whole, so "255-5" is one figure and "ferry5x3" none."""
    tokens = (token.strip(_NUMBER_EDGES) for token in text.split())
    return frozenset(token for token in tokens if _NUMBER.fullmatch(token))


def names_and_numbers(text: str) -> frozenset[str]:
    """The words of the capitalised runs (people, places, organisations; a sentence's first
    word too) and the numbers in ``text``, lower-cased, possessives, stopwords and words that
    name nobody in particular (weekdays, titles, party and role descriptors) dropped."""
    words: set[str] = set(numbers(text))
    for run in NAME_RUN.finditer(text):
        for word in run.group(0).split():
            word = _POSSESSIVE_END.sub("", word.strip('.,;:!?"“”()[]')).lower()
            if len(word) > 1 and word not in CLUSTER_STOPWORDS and word not in _NOT_NAMES:
                words.add(word)
    return frozenset(words)


def same_story(a: Story, b: Story, policy: ClusterPolicy = ClusterPolicy()) -> bool:
    """True when ``a`` and ``b`` (from different feeds) look like the same story."""
    return _same(a, b, _signature(a), _signature(b), policy)


def _same(a: Story, b: Story, sa: _Sig, sb: _Sig, policy: ClusterPolicy) -> bool:
    if a.feed_url == b.feed_url:
        return False
    if (
        a.published is not None
        and b.published is not None
        and abs(a.published - b.published) > policy.window
    ):
        return False
    title = jaccard(sa.title, sb.title)
    if title >= policy.title_threshold:
        return True
    lede = jaccard(sa.lede, sb.lede)
    return (
        lede >= policy.lede_threshold
        or (title >= policy.pair_threshold and lede >= policy.pair_threshold)
        or (
            title > 0  # the titles share a word: another event of the same people shares none
            and jaccard(sa.headline, sb.headline) >= policy.headline_threshold
            and jaccard(sa.names, sb.names) >= policy.names_threshold
        )
    )


def live_merges(
    new: Sequence[Story], posted: Sequence[LivePost], policy: ClusterPolicy = ClusterPolicy()
) -> dict[str, dict[int, int]]:
    """entry id -> channel id -> the story number of an earlier live post in that channel that
    ``new`` (another outlet's entry) is a version of; the earliest such post wins."""
    out: dict[str, dict[int, int]] = {}
    sigs = {id(p.story): _signature(p.story) for p in posted}
    for story in new:
        sig = _signature(story)
        for post in posted:
            channels = out.setdefault(story.entry_id, {})
            if post.channel_id in channels:
                continue
            if _same(story, post.story, sig, sigs[id(post.story)], policy):
                channels[post.channel_id] = post.story.story_id
    return {entry: channels for entry, channels in out.items() if channels}


def cluster_stories(
    stories: Sequence[Story], policy: ClusterPolicy = ClusterPolicy()
) -> list[list[Story]]:
    """Groups of the same story (each group's first member is its representative)."""
    sigs = [_signature(s) for s in stories]
    parent = list(range(len(stories)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in _candidate_pairs(sigs):
        if _same(stories[i], stories[j], sigs[i], sigs[j], policy):
            ri, rj = find(i), find(j)
            if ri != rj:
                parent[rj] = ri
    groups: dict[int, list[Story]] = {}
    for i, story in enumerate(stories):
        groups.setdefault(find(i), []).append(story)
    return [_order_group(group) for group in groups.values()]


#: words shared by more stories than this are too common to suggest a pair on their own
MAX_POSTINGS = 200


def _candidate_pairs(sigs: Sequence[_Sig]) -> list[tuple[int, int]]:
    """Pairs (i < j) sharing at least one not-too-common title or lede word: a pair sharing
    none cannot reach any similarity threshold, so large digests avoid comparing every pair."""
    postings: dict[str, list[int]] = {}
    for index, sig in enumerate(sigs):
        for word in sig.title | sig.lede:
            postings.setdefault(word, []).append(index)
    pairs: set[tuple[int, int]] = set()
    for members in postings.values():
        if len(members) < 2 or len(members) > MAX_POSTINGS:
            continue
        for a, i in enumerate(members):
            for j in members[a + 1 :]:
                pairs.add((i, j))
    return sorted(pairs)


def _order_group(group: list[Story]) -> list[Story]:
    def key(s: Story) -> tuple[int, float, int]:
        when = s.published.timestamp() if s.published else math.inf
        return (-len(s.text or s.summary), when, s.story_id)

    return sorted(group, key=key)


def coverage_of(group: Sequence[Story]) -> list[Coverage]:
    """Other outlets in a group (one entry per feed, the representative's feed excluded)."""
    if not group:
        return []
    seen = {group[0].feed_url}
    out: list[Coverage] = []
    for story in group[1:]:
        if story.feed_url in seen:
            continue
        seen.add(story.feed_url)
        name = story.feed_title or redact_url(story.feed_url)  # shown in public posts
        out.append(Coverage(feed=name, url=story.url))
    return out


def score(group: Sequence[Story], now: datetime, policy: RankPolicy = RankPolicy()) -> float:
    """Recency (exponential decay of the newest member's age) times a coverage boost."""
    times = [s.published for s in group if s.published is not None]
    newest = max(times) if times else now
    age_hours = max(0.0, (now - newest).total_seconds() / 3600)
    half = policy.half_life.total_seconds() / 3600
    recency = 0.5 ** (age_hours / half) if half > 0 else 1.0
    outlets = len({s.feed_url for s in group})
    return recency * (1 + policy.coverage_boost * (outlets - 1))


def rank_groups(
    groups: Sequence[list[Story]], now: datetime, policy: RankPolicy = RankPolicy()
) -> list[list[Story]]:
    def key(group: list[Story]) -> tuple[float, float, int]:
        newest = max((s.published.timestamp() for s in group if s.published), default=0.0)
        return (-score(group, now, policy), -newest, group[0].story_id)

    return sorted(groups, key=key)


def build_digest(
    stories: Sequence[Story],
    *,
    now: datetime,
    period_start: datetime | None = None,
    limit: int | None = None,
    cluster_policy: ClusterPolicy = ClusterPolicy(),
    rank_policy: RankPolicy = RankPolicy(),
) -> Digest:
    """Cluster, rank and cut to ``limit`` items; ``now`` ends the period."""
    groups = rank_groups(cluster_stories(stories, cluster_policy), now, rank_policy)
    if limit is not None:
        groups, _ = fair_share(groups, limit)
    items = [DigestItem(story=g[0], also_covered_by=coverage_of(g)) for g in groups]
    return Digest(period_start=period_start, period_end=now, items=items)


def fair_share(
    groups: Sequence[list[Story]], limit: int
) -> tuple[list[list[Story]], list[list[Story]]]:
    """At most ``limit`` of the ranked ``groups`` (chosen, rest), both in rank order, shared
    fairly between sources (a group counts for its representative's feed): round by round each
    feed that still has a story gives its best remaining one, so no feed takes more than its
    fair share while another has stories left (max-min fairness). Within a round the better
    ranked go first, so a cut round favours the top stories."""
    queues: dict[str, list[int]] = {}
    for index, group in enumerate(groups):
        queues.setdefault(group[0].feed_url, []).append(index)
    picked: set[int] = set()
    depth = 0
    while len(picked) < max(0, limit):
        round_ = sorted(q[depth] for q in queues.values() if depth < len(q))
        if not round_:
            break
        picked.update(round_[: max(0, limit) - len(picked)])
        depth += 1
    chosen = [g for i, g in enumerate(groups) if i in picked]
    rest = [g for i, g in enumerate(groups) if i not in picked]
    return chosen, rest


def ranked_groups(
    stories: Sequence[Story],
    *,
    now: datetime,
    cluster_policy: ClusterPolicy = ClusterPolicy(),
    rank_policy: RankPolicy = RankPolicy(),
) -> list[list[Story]]:
    """Clusters in rank order (representative first): for callers that need every member."""
    return rank_groups(cluster_stories(stories, cluster_policy), now, rank_policy)


#: stories per digest delivery
PAGE_SIZE = 10
#: a digest clusters at most this many of the newest pending stories (the rest are skipped)
MAX_DIGEST_CANDIDATES = 300
#: a digest reads at most this many of the newest pending stories (its filters choose among
#: them); older ones are skipped unread, so a long-idle channel costs no more than a busy day
DIGEST_LOOKBACK = 2_000


def plan_digest(
    stories: Sequence[Story],
    *,
    start: datetime | None,
    end: datetime,
    max_items: int,
    cluster_policy: ClusterPolicy = ClusterPolicy(),
    zone: str = "UTC",
) -> DigestPlan:
    """A channel's digest from its pending stories: pages of at most ``PAGE_SIZE`` items, and
    the other story ids to mark handled (the other members of each cluster, and everything past
    ``max_items``, chosen by ``fair_share``). Without ``start`` the period opens at the oldest
    story. The header reads in ``zone`` (an IANA name: the schedule's own time zone)."""
    floor = datetime.min.replace(tzinfo=UTC)
    by_age = sorted(stories, key=lambda s: (s.published or floor, s.story_id), reverse=True)
    considered, too_old = by_age[:MAX_DIGEST_CANDIDATES], by_age[MAX_DIGEST_CANDIDATES:]
    groups = ranked_groups(considered, now=end, cluster_policy=cluster_policy)
    if start is None and stories:
        times = [s.published for s in stories if s.published is not None]
        start = min(times) if times else None
    chosen, rest = fair_share(groups, max_items)
    skipped = [s.story_id for g in chosen for s in g[1:]]
    skipped += [s.story_id for g in rest for s in g]
    skipped += [s.story_id for s in too_old]
    pages = [
        DigestPage(
            header=period_header(start, end, page=n, zone=zone),
            items=[(g[0].story_id, coverage_of(g)) for g in chosen[i : i + PAGE_SIZE]],
        )
        for n, i in enumerate(range(0, len(chosen), PAGE_SIZE))
    ]
    return DigestPlan(pages=pages, skipped=skipped)


def period_header(
    start: datetime | None, end: datetime, *, page: int = 0, zone: str = "UTC"
) -> str:
    """ "Digest · 25 Nov 2026 09:00 – 26 Nov 2026 09:00 UTC" in ``zone`` (an IANA name; the
    abbreviation in force at the end closes it, e.g. EST), "(continued)" on later pages."""
    if page > 0:
        return "Digest (continued)"
    tz = ZoneInfo(zone)
    local_end = end.astimezone(tz)
    end_text = f"{_when(local_end)} {local_end:%Z}"
    if start is None:
        return f"Digest · until {end_text}"
    return f"Digest · {_when(start.astimezone(tz))} – {end_text}"


def _when(moment: datetime) -> str:
    return f"{moment.day} {moment:%b %Y %H:%M}"
