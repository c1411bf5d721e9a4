"""Stories and digests as Discord embeds. Pure: no client, no I/O.

Every Discord limit is respected by construction (text is cut at a word boundary with "…"), and
feed text is made harmless: ``@everyone``/``@here`` get a zero-width space after the "@" and
user, role and channel mentions (``<@…>``, ``<@&…>``, ``<#…>``) are broken the same way, so nothing
renders as a ping even before ``AllowedMentions.none()`` is applied.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

import discord

from digests.condensing.sentences import sentence_starts
from digests.feeds.urlsafety import redact_url
from digests.model import Coverage, Quote, Story, StoryDetail, Style

# Discord's limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits)
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
FIELDS_MAX = 25
EMBED_TOTAL_MAX = 6000
CONTENT_MAX = 2000
EMBEDS_PER_MESSAGE = 10
URL_MAX = 2048
BUTTON_URL_MAX = 512

ELLIPSIS = "…"
ZWSP = "\u200b"
KEY_QUOTES = 2
#: sentences of a story's summary a digest shows (its gist)
DIGEST_GIST = 2
ALSO_NAME = "Also covered by"

_MASS_MENTION = re.compile(r"@(everyone|here)", re.IGNORECASE)
_ANGLE_MENTION = re.compile(r"<(?=[@#])")
_SPACES = re.compile(r"[ \t\r\f\v]+")
#: characters that end or break a masked link's target, percent-encoded inside it
_LINK_TARGET_ESCAPES = str.maketrans(
    {
        "(": "%28",
        ")": "%29",
        "<": "%3C",
        ">": "%3E",
        "[": "%5B",
        "]": "%5D",
        "`": "%60",
        "*": "%2A",
        "_": "%5F",
        "~": "%7E",
        "|": "%7C",
    }
)
_MARKDOWN_CHAR = re.compile(r"([\\*_~|`\[\]])")
_LINE_OPENER = re.compile(r"(?m)^([ \t]*)([>#-])")
_URL_IN_TEXT = re.compile(r"(?i)\bhttps?://[^\s<>\"']*[^\s<>\"'.,;:!?)\]]")
_URL_TEXT_ESCAPES = str.maketrans(
    {"(": "%28", ")": "%29", "[": "%5B", "]": "%5D", "<": "%3C", ">": "%3E", "`": "%60"}
)
_UNESCAPED_BRACKET = re.compile(r"(?<!\\)([\[\]])")
#: FTS5 snippet highlight markers (``Store.search``)
HIGHLIGHT = "**"


@dataclass(frozen=True, slots=True)
class Rendered:
    """One message's worth of content: text and embeds, within every limit."""

    content: str | None
    embeds: list[discord.Embed] = field(default_factory=list)
    #: roles the message mentions (a subscription's opt-in ping); nobody else, ever
    roles: tuple[int, ...] = ()

    def allowed_mentions(self) -> discord.AllowedMentions:
        """Exactly the chosen roles, or nobody: never @everyone, @here, users or replies."""
        if not self.roles:
            return discord.AllowedMentions.none()
        return discord.AllowedMentions(
            everyone=False,
            users=False,
            roles=[discord.Object(id=role) for role in self.roles],
            replied_user=False,
        )


def neutralize(text: str) -> str:
    """Make mentions harmless: ``@\u200beveryone``, ``<\u200b@123>`` etc."""
    text = _MASS_MENTION.sub(lambda m: "@" + ZWSP + m.group(1), text)
    return _ANGLE_MENTION.sub("<" + ZWSP, text)


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary, ending with "…"."""
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    if limit == 1:
        return ELLIPSIS
    head = text[: limit - 1]
    cut = max(head.rfind(" "), head.rfind("\n"))
    if cut >= (limit - 1) // 2:
        head = head[:cut]
    head = head.rstrip(" \n\t,;:–—-")
    if head.endswith("\\"):  # never leave a dangling escape before the ellipsis
        head = head[:-1]
    return head + ELLIPSIS


def clean(text: str | None) -> str:
    """Feed text made safe for Discord: mentions neutralised, markdown escaped, spaces tidied."""
    if not text:
        return ""
    text = _SPACES.sub(" ", text).strip()
    return neutralize(escape_markdown(text))


def escape_markdown(text: str) -> str:
    """``text`` shown literally: every markdown character (``\\ * _ ~ | ` [ ]``) and every
    line-opening ``>``, ``#`` or ``-`` gets a backslash, so no bold, spoiler, heading or masked
    link can form. Web addresses in it stay clickable: they are not escaped, but the characters
    that could end them early and open a masked link (``( ) [ ] < >`` and backticks) are
    percent-encoded. (``discord.utils.escape_markdown`` escapes only the first of several
    ``[text](url)`` and nothing after it.)"""
    out: list[str] = []
    start = 0
    for match in _URL_IN_TEXT.finditer(text):
        out.append(_escape_plain(text[start : match.start()]))
        out.append(match.group().translate(_URL_TEXT_ESCAPES))
        start = match.end()
    out.append(_escape_plain(text[start:]))
    return _LINE_OPENER.sub(r"\1\\\2", "".join(out))


def _escape_plain(text: str) -> str:
    return _MARKDOWN_CHAR.sub(r"\\\1", text)


def safe_url(url: str | None, limit: int = URL_MAX) -> str | None:
    """``url`` when Discord accepts it as a link (http/https, no spaces, short enough)."""
    if not url or len(url) > limit or any(ch.isspace() for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return None
    return url


def masked_link(text: str, url: str | None, limit: int = URL_MAX) -> str:
    """``[text](url)`` when ``url`` is a usable link, else ``text``. ``text`` must already be
    cleaned (``clean``); its brackets are escaped and the characters that could end the target
    early or start markdown (``)``, ``]``, ``<``…) are percent-encoded, so a crafted URL cannot
    close the link and inject another one."""
    target = safe_url(url, limit)
    if not target:
        return text
    label = _UNESCAPED_BRACKET.sub(r"\\\1", text)
    return f"[{label}]({target.translate(_LINK_TARGET_ESCAPES)})"


def shown_url(url: str) -> str:
    """A feed URL as people may see it: credentials redacted, markdown escaped."""
    return clean(redact_url(url))


def highlighted(snippet: str, limit: int) -> str:
    """A search snippet whose ``**…**`` highlights stay bold while the words themselves are
    escaped like any feed text (``clean``); cut to ``limit`` characters."""
    parts = snippet.split(HIGHLIGHT)
    plain = clip(clean("".join(parts)), limit)
    if len(parts) % 2 == 0:  # unbalanced markers: show it all as plain text
        return plain
    pieces = [neutralize(escape_markdown(_SPACES.sub(" ", p))) for p in parts]
    text = "".join(
        f"{HIGHLIGHT}{p}{HIGHLIGHT}" if i % 2 and p.strip() else p for i, p in enumerate(pieces)
    ).strip()
    return text if len(text) <= limit else plain


def source_name(story: Story) -> str:
    """The outlet's name: the feed title, else the feed's host."""
    if story.feed_title and story.feed_title.strip():
        return story.feed_title.strip()
    host = urlsplit(story.feed_url).hostname
    return host or redact_url(story.feed_url)


def footer_text(story: Story) -> str:
    """``Source · #<story number>``; the number is never cut off."""
    tail = f" · #{story.story_id}"
    return clip(neutralize(source_name(story)), min(FOOTER_MAX, 200) - len(tail)) + tail


def quote_text(quote: Quote) -> str:
    """The quotation as shown: cleaned, without the comma that belongs to "…," he said."""
    text = clean(quote.text)
    return text.rstrip(",;: ") or text


def quote_line(quote: Quote, limit: int = FIELD_VALUE_MAX) -> str:
    """``> “…” — Speaker`` cut to ``limit`` characters (the speaker is kept)."""
    speaker = f" — {clip(clean(quote.speaker), 100)}" if quote.speaker else ""
    room = limit - len(speaker) - len("> “”")
    return f"> “{clip(quote_text(quote), room)}”{speaker}"


def quotes_block(quotes: Sequence[Quote], limit: int, most: int = KEY_QUOTES) -> str:
    """Up to ``most`` key quotes, one per line, each whole (never cut mid-quote): a quote too
    long for what is left of ``limit`` is left out (``/story`` shows every quote)."""
    lines: list[str] = []
    used = 0
    for quote in quotes:
        if len(lines) >= most:
            break
        line = quote_line(quote, 10**6)
        extra = len(line) + (1 if lines else 0)
        if used + extra <= limit:
            lines.append(line)
            used += extra
    return "\n".join(lines)


def story_sentences(story: Story) -> list[str]:
    """The story's gist as sentences: its condensed sentences, else its summary split."""
    chosen = [s for s in story.sentences if s.strip()]
    if chosen:
        return chosen
    summary = story.summary.strip()
    if not summary:
        return []
    starts = sentence_starts(summary)
    ends = [*starts[1:], len(summary)]
    return [summary[a:b].strip() for a, b in zip(starts, ends, strict=True) if summary[a:b].strip()]


def whole_sentences(sentences: Sequence[str], limit: int, most: int | None = None) -> str:
    """As many of the first (at most ``most``) sentences as fit whole in ``limit`` characters,
    cleaned for Discord; "" when not even the first fits. Never cuts a sentence."""
    out: list[str] = []
    used = 0
    for sentence in sentences[:most]:
        text = clean(sentence)
        if not text:
            continue
        extra = len(text) + (1 if out else 0)
        if used + extra > limit:
            break
        out.append(text)
        used += extra
    return " ".join(out)


def coverage_text(others: Sequence[Coverage], limit: int) -> str:
    """The "Also covered by" names, linked where the link is usable; whole names only (the
    links are dropped first when they do not all fit)."""
    parts: list[str] = []
    for other in others:
        name = clip(clean(other.feed), 80)
        parts.append(masked_link(name, other.url, 300))
    text = ", ".join(parts)
    if len(text) <= limit:
        return text
    return lines_within([clip(clean(o.feed), 80) for o in others], limit, joiner=", ")


def story_title(story: Story) -> str:
    return clip(clean(story.title) or f"Story #{story.story_id}", TITLE_MAX)


def story_embed(
    story: Story,
    *,
    also: Sequence[Coverage] = (),
    budget: int = EMBED_TOTAL_MAX,
    gist: int | None = None,
    quotes: int = KEY_QUOTES,
) -> discord.Embed:
    """The story as one embed using at most ``budget`` characters (Discord counts title,
    description, field names and values, footer): the title linked to the article, the summary
    as whole sentences that fit (at most ``gist`` of them), up to ``quotes`` key quotes whole,
    and the other outlets. Nothing is cut mid-sentence or mid-quote: what does not fit whole is
    left out (``/story`` and the details menu show everything), except that a live post
    (``gist`` None) whose first "sentence" alone is too long shows its opening."""
    budget = min(budget, EMBED_TOTAL_MAX)
    title = clip(story_title(story), max(budget // 2, 20))
    footer = footer_text(story)
    embed = discord.Embed(title=title, url=safe_url(story.url), timestamp=_aware(story.published))
    embed.colour = discord.Colour.blurple()
    embed.set_footer(text=footer)
    image = safe_url(story.image)
    if image:
        embed.set_thumbnail(url=image)
    room = budget - len(title) - len(footer)
    covered = ""
    if also:
        covered = coverage_text(also, min(FIELD_VALUE_MAX, max(room // 4, 0)))
        room -= len(ALSO_NAME) + len(covered) if covered else 0
    sentences = story_sentences(story)
    first = whole_sentences(sentences, min(DESCRIPTION_MAX, max(room, 0)), 1)
    quote_name = "Key quote" if quotes == 1 else "Key quotes"
    block = quotes_block(
        story.quotes, min(FIELD_VALUE_MAX, room - len(first) - len(quote_name)), quotes
    )
    if block:
        embed.add_field(name=quote_name, value=block, inline=False)
        room -= len(quote_name) + len(block)
    if covered:
        embed.add_field(name=ALSO_NAME, value=covered, inline=False)
    limit = min(DESCRIPTION_MAX, max(room, 0))
    description = whole_sentences(sentences, limit, gist)
    if not description and gist is None:
        # a live post whose summary is one giant run-on "sentence": its opening, not nothing
        description = clip(clean(story.summary), limit)
    if description:
        embed.description = description
    return embed


def story_message(detail: StoryDetail) -> Rendered:
    """A live / backfill post: one story embed."""
    return Rendered(content=None, embeds=[story_embed(detail.story, also=detail.also_covered_by)])


def digest_message(header: str | None, items: Sequence[StoryDetail]) -> Rendered:
    """One digest page: the period as content, then at most 10 embeds within 6000 characters,
    each story its title link, a one- or two-sentence gist and its key quote, whole."""
    content = clip(clean(header), CONTENT_MAX) if header else None
    chosen = list(items[:EMBEDS_PER_MESSAGE])
    if not chosen:
        return Rendered(content=content or "No new stories.")
    budget = EMBED_TOTAL_MAX // len(chosen)
    embeds = [
        story_embed(d.story, also=d.also_covered_by, budget=budget, gist=DIGEST_GIST, quotes=1)
        for d in chosen
    ]
    return Rendered(content=content, embeds=embeds)


def notice_message(text: str) -> Rendered:
    """A plain-text notice (a feed was turned off): it quotes feed titles and server replies, so
    all of it is shown as text (markdown escaped, mentions broken), never as links or formatting."""
    return Rendered(content=clip(clean(text), CONTENT_MAX))


def message_length(rendered: Rendered) -> int:
    """Characters Discord counts against the 6000 limit across a message's embeds."""
    return sum(len(e) for e in rendered.embeds)


def story_details(detail: StoryDetail) -> discord.Embed:
    """The full condensed story (``/story``, the "Details" button): summary, every quote, source,
    link, other outlets covering it."""
    story = detail.story
    embed = story_embed(story, also=detail.also_covered_by)
    embed.clear_fields()
    title, footer = embed.title or "", embed.footer.text or ""
    room = EMBED_TOTAL_MAX - len(title) - len(footer) - len(embed.description or "")
    for name, value in _quote_fields(story.quotes):
        if len(embed.fields) >= FIELDS_MAX - 2 or len(name) + len(value) > room:
            break
        embed.add_field(name=name, value=value, inline=False)
        room -= len(name) + len(value)
    source = clip(clean(source_name(story)), 200)
    source_value = masked_link(source, story.url, 800)
    if len(source_value) + 6 <= room:
        embed.add_field(name="Source", value=source_value, inline=False)
        room -= len(source_value) + 6
    if detail.also_covered_by and room > 40:
        covered = coverage_text(detail.also_covered_by, min(FIELD_VALUE_MAX, room - 20))
        embed.add_field(name="Also covered by", value=covered, inline=False)
    return embed


def quotes_embed(story: Story) -> discord.Embed:
    """Every quote of a story with its speaker (the "Quotes" button, ``/quotes story:``)."""
    title = clip(f"Quotes · {story_title(story)}", TITLE_MAX)
    footer = footer_text(story)
    embed = discord.Embed(title=title, url=safe_url(story.url), colour=discord.Colour.blurple())
    embed.set_footer(text=footer)
    if not story.quotes:
        embed.description = "This story has no direct quotations."
        return embed
    room = EMBED_TOTAL_MAX - len(title) - len(footer)
    lines: list[str] = []
    used = 0
    for quote in story.quotes:
        line = quote_line(quote, 1000)
        if used + len(line) + 2 > min(DESCRIPTION_MAX, room):
            lines.append(f"…and {len(story.quotes) - len(lines)} more.")
            break
        lines.append(line)
        used += len(line) + 2
    embed.description = clip("\n\n".join(lines), min(DESCRIPTION_MAX, room))
    return embed


def _quote_fields(quotes: Sequence[Quote]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for number, quote in enumerate(quotes, start=1):
        speaker = clip(clean(quote.speaker), 200) if quote.speaker else "Unattributed"
        name = clip(f"{number}. {speaker}", FIELD_NAME_MAX)
        out.append((name, f"“{clip(quote_text(quote), FIELD_VALUE_MAX - 2)}”"))
    return out


def _aware(when: datetime | None) -> datetime | None:
    return when if when is not None and when.tzinfo is not None else None


def lines_within(lines: Sequence[str], limit: int, *, joiner: str = "\n") -> str:
    """As many whole lines as fit in ``limit`` characters (the last one clipped if it is first)."""
    out: list[str] = []
    used = 0
    for line in lines:
        extra = len(line) + (len(joiner) if out else 0)
        if used + extra > limit:
            if not out:
                out.append(clip(line, limit))
            break
        out.append(line)
        used += extra
    return joiner.join(out)


# --- post styles and role pings ----------------------------------------------------------------
#: how many characters a compact post's gist and quote may take together
COMPACT_TEXT_MAX = 700
#: a headline post's link is at most this long (with the title, its source line and the
#: mentions of up to 21 roles it stays within the 2000 characters of a message)
HEADLINE_URL_MAX = 1000


def styled_story_message(detail: StoryDetail, style: Style) -> Rendered:
    """A live / backfill post in the subscription's style: ``full`` (the story embed),
    ``compact`` (title link, a one-sentence gist, the top quote) or ``headline`` (title and
    link only, as classic feed bots post)."""
    if style == "compact":
        return Rendered(content=None, embeds=[compact_embed(detail.story)])
    if style == "headline":
        return Rendered(content=headline_text(detail.story))
    return story_message(detail)


def compact_embed(story: Story) -> discord.Embed:
    """Title linked to the article, the gist in one whole sentence, the top quote when it fits
    whole, and the usual footer (source and story number)."""
    title = story_title(story)
    embed = discord.Embed(title=title, url=safe_url(story.url), timestamp=_aware(story.published))
    embed.colour = discord.Colour.blurple()
    embed.set_footer(text=footer_text(story))
    gist = whole_sentences(story.sentences or [story.summary], COMPACT_TEXT_MAX, most=1)
    parts = [gist] if gist else []
    if story.quotes:
        quote = story.quotes[0]
        speaker = f" — {clean(quote.speaker)}" if quote.speaker else ""
        line = f"> “{quote_text(quote)}”{speaker}"
        if len(gist) + len(line) + 2 <= COMPACT_TEXT_MAX:
            parts.append(line)
    if parts:
        embed.description = "\n\n".join(parts)
    return embed


def headline_text(story: Story) -> str:
    """``**Title**``, the link (Discord shows its preview), and a small ``Source · #n`` line
    (the number lets a resend after a crash be recognised)."""
    url = safe_url(story.url, HEADLINE_URL_MAX)
    tail = f"-# {footer_text(story)}"
    lines = [f"**{story_title(story)}**"]
    if url:
        lines.append(url)
    lines.append(tail)
    return "\n".join(lines)


def with_pings(rendered: Rendered, roles: Sequence[int]) -> Rendered:
    """The message mentioning ``roles`` first (and allowing exactly those mentions)."""
    chosen = tuple(dict.fromkeys(roles))
    if not chosen:
        return rendered
    mentions = " ".join(f"<@&{role}>" for role in chosen)
    content = f"{mentions}\n{rendered.content}" if rendered.content else mentions
    if len(content) > CONTENT_MAX:
        content = mentions
    return Rendered(content=content, embeds=rendered.embeds, roles=chosen)
