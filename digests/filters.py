"""Per-subscription filters: which stories a subscription posts, and which roles a post mentions.

Pure. User patterns never run on Python's backtracking ``re``: keywords and regular expressions
both compile to Google's RE2 (``google-re2``), whose matching time is linear in the input, so a
pattern such as ``(a+)+$`` cannot hang the bot. Patterns are bounded in length and in compiled
size, and a subscription holds at most ``MAX_FILTERS`` of them.

A story passes a subscription when no exclude rule matches and, if it has include rules, at
least one of them matches. A passing story's post mentions the subscription's role (if any) and
the role of every matching include rule that names one.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import re2

from digests.errors import InputError
from digests.model import DigestPlan, Filter, FilterField, PostRules, Story

MAX_PATTERN_CHARS = 200
MAX_FILTERS = 20
#: RE2's memory budget per compiled pattern: refuses patterns that would expand hugely
_MAX_PROGRAM_BYTES = 1 << 20
#: the text a filter looks at per field (article texts beyond this are not searched)
MAX_FIELD_CHARS = 100_000
#: a character that is not part of a word, in any script
_NOT_WORD = r"[^\pL\pN_]"
FIELDS: tuple[FilterField, ...] = ("any", "title", "summary", "text", "category", "author")


@dataclass(frozen=True, slots=True)
class Subject:
    """What filters look at in a story."""

    title: str = ""
    summary: str = ""
    text: str = ""
    categories: tuple[str, ...] = ()
    author: str = ""

    @classmethod
    def of_story(cls, story: Story) -> Subject:
        return cls(
            title=story.title or "",
            summary=story.summary,
            text=story.text,
            categories=story.categories,
            author=story.author or "",
        )

    def field(self, name: FilterField) -> str:
        if name == "any":
            parts = [self.title, self.summary, self.text, *self.categories, self.author]
            return "\n".join(part[:MAX_FIELD_CHARS] for part in parts if part)
        if name == "category":
            return "\n".join(self.categories)
        value: str = getattr(self, name)
        return value[:MAX_FIELD_CHARS]


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a subscription posts a story, and the roles its post mentions."""

    posts: bool
    pings: tuple[int, ...] = ()


def keywords(pattern: str) -> list[str]:
    """The comma-separated keywords (or phrases) of a keyword pattern, tidied."""
    return [" ".join(word.split()) for word in pattern.split(",") if word.strip()]


def check_pattern(pattern: str, *, regex: bool) -> str:
    """The pattern tidied, or InputError (one sentence) when it is empty, too long or invalid."""
    tidy = pattern.strip()
    if not tidy:
        raise InputError("The pattern is empty.")
    if len(tidy) > MAX_PATTERN_CHARS:
        raise InputError(f"The pattern is too long: at most {MAX_PATTERN_CHARS} characters.")
    if not regex and not keywords(tidy):
        raise InputError("The pattern has no keywords.")
    try:
        _compiled(tidy, regex)
    except re2.error as exc:
        raise InputError(f"That regular expression is not valid: {_reason(exc)}.") from exc
    return tidy


def matches(rule: Filter, subject: Subject) -> bool:
    """Whether the rule's pattern occurs in the rule's field of the subject."""
    text = subject.field(rule.field)
    if not text:
        return False
    try:
        return _compiled(rule.pattern, rule.regex).search(text) is not None
    except re2.error:  # stored before a stricter check: such a rule matches nothing
        return False


def verdict(rules: PostRules, subject: Subject) -> Verdict:
    """Whether the subscription posts the story and whom its post mentions."""
    includes = [f for f in rules.filters if f.kind == "include"]
    excludes = [f for f in rules.filters if f.kind == "exclude"]
    if any(matches(f, subject) for f in excludes):
        return Verdict(posts=False)
    matched = [f for f in includes if matches(f, subject)]
    if includes and not matched:
        return Verdict(posts=False)
    roles = [rules.ping_role_id, *(f.ping_role_id for f in matched)]
    return Verdict(posts=True, pings=tuple(dict.fromkeys(r for r in roles if r is not None)))


def dry_run(rules: PostRules, stories: Sequence[Story]) -> list[tuple[Story, bool]]:
    """Each story with whether the subscription would post it."""
    return [(story, verdict(rules, Subject.of_story(story)).posts) for story in stories]


def describe(rule: Filter) -> str:
    """``include title ~ /regex/`` or ``exclude any: apple, pear`` (for lists and answers)."""
    where = "" if rule.field == "any" else f" in {rule.field}"
    shown = f"/{rule.pattern}/" if rule.regex else ", ".join(keywords(rule.pattern))
    return f"{rule.kind}{where}: {shown}"


@functools.lru_cache(maxsize=512)
def _compiled(pattern: str, regex: bool) -> Any:
    """RE2 program for a pattern (keywords: whole words or phrases, any case)."""
    options = re2.Options()
    options.max_mem = _MAX_PROGRAM_BYTES
    options.log_errors = False
    if regex:
        return re2.compile(pattern, options)
    options.case_sensitive = False
    words = "|".join(_phrase(word) for word in keywords(pattern))
    return re2.compile(rf"(?:^|{_NOT_WORD})(?:{words})(?:{_NOT_WORD}|$)", options)


def _phrase(words: str) -> str:
    """A keyword phrase whose spaces match any run of spaces."""
    return r"\s+".join(re2.escape(word) for word in words.split())


def _reason(exc: Exception) -> str:
    detail = exc.args[0] if exc.args else exc
    text = detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)
    return text.rstrip(".") or "RE2 refused it"


@dataclass(frozen=True, slots=True)
class DigestChoice:
    """A channel's pending digest stories as its subscriptions' filters decide them."""

    kept: list[Story]
    left_out: list[int]
    pings: dict[int, tuple[int, ...]]

    def apply(self, plan: DigestPlan) -> DigestPlan:
        """The plan with the left-out stories marked handled and each page mentioning the roles
        of its stories (first seen first, each once)."""
        pages = [
            replace(page, pings=_roles(self.pings.get(sid, ()) for sid, _ in page.items))
            for page in plan.pages
        ]
        return DigestPlan(pages=pages, skipped=[*plan.skipped, *self.left_out])


def live_routes(
    rules: Sequence[PostRules], entries: Sequence[tuple[str, Subject]]
) -> dict[tuple[int, str], tuple[int, ...] | None]:
    """For each live subscription and new entry (entry id, subject): the roles its post
    mentions, or None when the filters leave it out."""
    routes: dict[tuple[int, str], tuple[int, ...] | None] = {}
    for rule in rules:
        for entry_id, subject in entries:
            decided = verdict(rule, subject)
            routes[(rule.channel_id, entry_id)] = decided.pings if decided.posts else None
    return routes


def digest_choice(rules: Mapping[str, PostRules], stories: Sequence[Story]) -> DigestChoice:
    """Which pending stories a channel's digest may carry (``rules`` by feed URL; a feed
    without rules keeps everything) and the roles each mentions."""
    kept: list[Story] = []
    left_out: list[int] = []
    pings: dict[int, tuple[int, ...]] = {}
    for story in stories:
        rule = rules.get(story.feed_url)
        decided = verdict(rule, Subject.of_story(story)) if rule else Verdict(posts=True)
        if not decided.posts:
            left_out.append(story.story_id)
            continue
        kept.append(story)
        if decided.pings:
            pings[story.story_id] = decided.pings
    return DigestChoice(kept=kept, left_out=left_out, pings=pings)


def _roles(groups: Iterable[tuple[int, ...]]) -> tuple[int, ...]:
    return tuple(dict.fromkeys(role for group in groups for role in group))
