"""Paragraphs of news text, boilerplate removal and whitespace. Pure functions.

- ``paragraphs(text)``: blank lines separate paragraphs; single newlines separate them too (feeds
  and the seed put one paragraph per line) unless a block is clearly hard-wrapped, in which case
  its lines are joined. Boilerplate paragraphs (bylines, "PUBLISHED: … | UPDATED: …", "Scroll down
  for video", "Sign up…", "Follow us…", "Read more", "Last updated at …") are dropped, and the same
  boilerplate run into a paragraph (as in CNN/Daily Mail dumps) is cut out of it. So is page
  furniture: datelines and site tags opening a paragraph ("WASHINGTON (AP) —"), list bullets
  and labels, promos ("SEE MORE:"), newsletter plugs, photo captions and a press release's
  "About …" footer; text the page broke ("Yobe North , Ahmad", "physician.Police", hover name
  cards) is mended, and so is a sentence the page's markup split over two paragraphs.
- ``headline_forms(title)`` / ``repeats_headline(sentence, forms)``: whether a sentence is the
  headline (whole, without its site name, or reworded).
- ``squash(text)``: each run of spaces (typographic ones too) as one plain space.
- ``strip_html(text)``: HTML given as text becomes plain text with blank-line paragraphs.
"""

from __future__ import annotations

import html
import re

from digests.condensing.lexicon import OPEN_ENDINGS

_BLANK_LINE = re.compile(r"\n[ \t\f\v]*\n")
# Spaces other than " ": tab, form feed, vertical tab, no-break and typographic spaces (en quad
# ... zero-width space).
_ODD_SPACES = "\t\f\v\u00a0\u202f\u205f\u3000" + "".join(map(chr, range(0x2000, 0x200C)))
_SPACE_RUN = re.compile("  +")


def squash(text: str) -> str:
    """Each run of spaces (typographic ones too) as one plain space."""
    for odd in _ODD_SPACES:
        text = text.replace(odd, " ")
    # (a substring test finds no double space many times faster than the regex's search does:
    # most texts reach here squashed already)
    return _SPACE_RUN.sub(" ", text) if "  " in text else text


def char_positions(text: str, chars: str) -> list[int]:
    """The offsets in ``text`` of each occurrence of any of ``chars``, in order.

    For the few characters a pattern's matches start with: ``str.find`` jumps from one to the
    next many times faster than the regex engine's search, which tests every character of the
    text against the set."""
    out: list[int] = []
    for ch in chars:
        i = text.find(ch)
        while i != -1:
            out.append(i)
            i = text.find(ch, i + 1)
    out.sort()
    return out


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd\ufeff]")


def _drop_control(text: str) -> str:
    """The text without control characters (but tab and line breaks) and U+FFFD, U+FEFF."""
    return _CONTROL.sub("", text)


# --- boilerplate ---------------------------------------------------------------------------
_MONTHS = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*"
_DM_STAMP = rf"\d{{1,2}}:\d{{2}}\s*[A-Z]{{2,4}},?\s*\d{{1,2}}\s+{_MONTHS}\s+\d{{4}}"


def _word(literal: str) -> str:
    """``\\b`` and ``literal`` (a fixed-width pattern starting with a letter), written with the
    literal first: the regex engine then jumps from one occurrence of it to the next instead of
    trying ``\\b`` at every character (fifty times slower over an article, a quarter of the
    time ``condense`` takes)."""
    return rf"{literal}(?<!\w{literal})"


# Boilerplate run into a paragraph, cut out of it in this order: each pattern with the words
# every match of it holds (a paragraph holding none is not searched: a substring test is many
# times faster than the regex's search, and most paragraphs hold no boilerplate).
_INLINE_RULES: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...] = tuple(
    (needles, re.compile(pattern))
    for needles, pattern in (
        # Daily Mail: "PUBLISHED: . 10:01 EST, 1 May 2013 . | . UPDATED: . 11:02 EST, …"
        (
            ("PUBLISHED", "Published"),
            rf"(?:PUBLISHED|Published):?\s*\.?\s*{_DM_STAMP}\s*\.?\s*\|?\s*\.?\s*"
            rf"(?:(?:UPDATED|Updated):?\s*\.?\s*{_DM_STAMP}\s*\.?)?",
        ),
        (("UPDATED",), rf"UPDATED:?\s*\.?\s*{_DM_STAMP}\s*\.?"),
        (("Last updated",), rf"Last updated:?\s*\.?\s*{_DM_STAMP}\s*\.?"),
        (
            ("Last updated at",),
            _word("Last updated at")
            + r" \d{1,2}:\d{2}(?:\s*[A-Z]{2,4})?(?: on \d{1,2} \w+ \d{4})?\s*\.?",
        ),
        # "By . Daily Mail Reporter ." / "By . John Smith and . Jane Doe ."
        (
            ("By",),
            _word("By")
            + r"\s+\.\s+(?:[A-Z][\w'’-]*\s+){1,4}"
            + r"(?:(?:and|for)\s+\.?\s*(?:[A-Z][\w'’-]*\s+){1,4})?\.\s*",
        ),
        (("croll down for",), _word("[Ss]croll down for") + r" videos?\b\s*\.?"),
        (
            ("Media playback",),
            _word("Media playback")
            + r" is (?:not )?(?:un)?supported on (?:this|your) device\b\s*\.?",
        ),
        (("CLICK HERE",), _word("CLICK HERE") + r"\b[^.!?]*[.!?]?"),
    )
)
# CNN dateline: "(CNN)" / "LONDON, England (CNN) --"
_DATELINE = re.compile(
    r"(?:[A-Z][A-Za-z.,' ]{0,40}\s)?\((?:CNN|EW\.com|Mashable|CNN Student News)\)\s*(?:--|—|-)?\s*"
)
# Any other dateline or site tag opening a paragraph, up to the dash, colon or tag that ends it:
# "WASHINGTON (AP) —", "(Reuters) —", "BUFFALO, N.Y. —", "Hong Kong (CNN Business)A…",
# "New York, NY –", "Washington, DC, United States:", "PanARMENIAN.Net -", "NEW DELHI:",
# "[엔터미디어=정덕현의 이슈공감]".
_CAPS_PLACE = r"[A-Z][A-Z.'’-]+(?:[ ][A-Z][A-Z.'’-]*){0,3}"  # MADRID, ST. JOSEPH, SAN FRANCISCO
_NAME_PLACE = r"[A-Z][a-z][\w.'’-]*(?:[ ][A-Z][\w.'’-]*){0,2}"  # Hong Kong, Dekalb, New York
_REGION = r"(?:,\s*[A-Z][\w.'’-]*(?:[ ][A-Z][\w.'’-]*){0,3})"  # ", N.Y.", ", United Arab Emirates"
_DAY = r"(?:,?\s*[A-Z][a-z]{2,8}\.?[ ]\d{1,2}(?:,[ ]\d{4})?)"  # ", Nov 19", ", Nov. 19, 2019"
# "(AP)", "(CNN Business)", "(HawaiiNewsNow)", a wire's "/PRNewswire/" or "--(BUSINESS WIRE)--"
_TAG = r"(?:\([A-Z][\w.&'’ /-]{0,40}\)|/[ ]?[A-Z][\w.&' -]{1,30}/)"
_SITE = r"[\w-]+(?:\.[\w-]+)*\.(?i:com|net|org|co\.uk|in|info|ng|ca|tv|am|news)"
_DASH = r"(?:--|[—–-])"
_LEAD_DATELINE = re.compile(
    rf"""(?:
        (?:(?:{_CAPS_PLACE}|{_NAME_PLACE}){_REGION}{{0,2}}{_DAY}?\s*{_DASH}?\s*)?{_TAG}\s*{_DASH}?\s*
      | {_CAPS_PLACE}{_REGION}{{0,2}}{_DAY}?\s*(?:{_DASH}|:)\s+
      | {_NAME_PLACE}{_REGION}{{1,2}}{_DAY}?\s*(?:{_DASH}|:)\s+
      | {_SITE}\s*{_DASH}\s+
    )(?=[\"“‘'(]?[A-Z0-9])
    | \[[^\[\]]{{2,40}}\]\s*(?=\w)   # a bracketed site tag: "[Site=Reporter's column]"
    """,
    re.VERBOSE,
)
_BOILERPLATE_PARA = re.compile(
    r"""^(?:
        (?:By|BY)\s+[A-Z][^.!?]{0,70}                    # byline "By Jane Doe, BBC News"
      | (?:PUBLISHED|UPDATED|Published|Updated|Last\ updated)(?::|\ at|\ on)?\s*\.?\s*\d.{0,80}
      | Follow\ (?:us|me|him|her|@|[^.!?]{0,60}\b(?:on|at)\ (?:Twitter|Facebook|Instagram|X)\b)
        .{0,200}
      | (?:Sign\ up|Subscribe|Share\ (?:this|on)|Read\ more
        |READ\ MORE|Related:|RELATED:|Advertisement|ADVERTISEMENT|Image\ (?:copyright|caption)
        |Media\ playback|Click\ here|CLICK\ HERE|Copyright|All\ rights\ reserved)\b.{0,200}
      | [Ss]croll\ down\ for\ videos?\.?
      | \d{1,2}\ [A-Z][a-z]+\ \d{4}(?:\ Last\ updated\ .{0,40})?    # "20 July 2016 Last updated…"
      | \S+@\S+\.\w+.{0,80}                               # contact e-mail lines
      | (?:SEE|See|ALSO|Also)\ (?:MORE|More|more|ALSO|also|READ|Read|read)\b.{0,200}  # promos
      | (?:READ|Read)\ (?:ALSO|also|NEXT|next)\b.{0,200}
      | (?:MORE|WATCH|Watch|LISTEN|Listen|RECOMMENDED|Recommended|TRENDING|Trending
        |Editor['’]s\ [Nn]ote|EDITOR['’]S\ NOTE|Sponsored|SPONSORED)\s*:.{0,300}
      | (?:-\s*)?This\ [^.!?]{0,60}\ is\ (?:sponsored|brought\ to\ you|supported)\ by\b.{0,200}
      | (?:Photo|PHOTO|Photograph|Image|IMAGE|Picture|Credit|Caption)(?:\ credit)?\s*:.{0,200}
      | .{0,250}\((?:AP|AFP|Reuters|Getty|Photo|Image)[^()]{0,60}     # "(AP Photo/Jane Doe)"
        (?:Photo|Images?|Credit)[^()]{0,60}\)
      | .{0,250}/\ ?(?:Getty\ Images|AFP|Reuters|Shutterstock|iStock)(?:\ Plus)?\)?
      | (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\ \d{1,2},\ \d{4}.{0,40}
    )$""",
    re.VERBOSE,
)
# A newsletter plug: "Sign up for our daily newsletter", "Get the … newsletter in your inbox".
_NEWSLETTER = re.compile(
    r"\bnewsletters?\b.{0,120}\b(?:sign\ up|subscribe|inbox|delivered)\b"
    r"|\b(?:sign\ up|subscribe)\b.{0,120}\bnewsletters?\b",
    re.IGNORECASE,
)
# Where a press release's boilerplate begins: "About Acme Corp", "###", "Media contact:".
_FOOTER_START = re.compile(
    r"^(?:About\ (?:the\ )?[A-Z0-9][\w.&'’,-]*(?:\ [\w.&'’,()-]+){0,6}:?|\#{3}|-\ ?ENDS\ ?-"
    r"|(?:Media|Press)\ [Cc]ontacts?:?.{0,120}|Forward[- ]Looking\ Statements?.{0,40})$",
    re.VERBOSE,
)


def clean_paragraph(para: str) -> str:
    """Whitespace-normalise one paragraph and cut boilerplate run into it."""
    return _cut_boilerplate(squash(para).strip())


def _cut_boilerplate(para: str) -> str:
    """``clean_paragraph`` of a paragraph already squashed and stripped."""
    if not para:
        return ""
    lead = _LIST_MARK.match(para) or _LABEL.match(para)
    if lead and lead.end() < len(para):
        para = para[lead.end() :]
    dateline = _DATELINE.match(para) or _LEAD_DATELINE.match(para)
    if dateline and dateline.end() < len(para):
        para = para[dateline.end() :]
    changed = False
    for needles, rule in _INLINE_RULES:
        if any(needle in para for needle in needles):
            para, n = rule.subn(" ", para)
            changed = changed or n > 0
    return _repaired(squash(para).strip(" |") if changed else para)


# A list bullet, and a label set before a story's text ("Summary:", "Breaking news:").
_LIST_MARK = re.compile(r"[-•*·▪►]\s+(?=\S)")
_LABEL = re.compile(
    r"(?:Summary|Breaking(?: [Nn]ews)?|Update(?:d)?|Exclusive|Analysis|Opinion|Watch|Listen)"
    r"\s*:\s+(?=[\"“‘'(]?[A-Z0-9])"
)
# Text the page's markup broke: a space before a comma or a full stop ("Yobe North , Ahmad"),
# a contraction split at its apostrophe ("isn ‘t"), two sentences glued at their full stop
# ("a physician.Police arrested"), a name's hover card run into it ("Kristi NoemKristi Lynn
# NoemSouth Dakota governor … MORE (R)").
# (each written with a literal first: the regex engine then jumps from one occurrence of it to
# the next, see ``_word``)
_SPACE_BEFORE_MARK = re.compile(r" +([,;.])(?= |$)")
_SPLIT_CONTRACTION = re.compile(r" [‘’'](?<=\wn [‘’'])(?=t\b)")
_GLUED_STOP = re.compile(r"\.(?<=[a-z]{3}\.)(?=[A-Z][a-z]{2,})")
_HOVER_CARD = re.compile(
    r"\b(?P<surname>[A-Z][a-z]+)[A-Z][\w.'’ -]{0,60}?(?P=surname)(?=[A-Z]).{0,600}? MORE\b"
)


def _repaired(para: str) -> str:
    """The paragraph with the breaks of ``_SPACE_BEFORE_MARK`` ... ``_HOVER_CARD`` mended."""
    if " MORE" in para:
        para = _HOVER_CARD.sub(r"\g<surname>", para)
    if " ," in para or " ." in para or " ;" in para:
        para = _SPACE_BEFORE_MARK.sub(_closed_up, para)
    if " ’t" in para or " 't" in para or " ‘t" in para:
        # (the pattern tries every space; it can only match where one of these follows)
        para = _SPLIT_CONTRACTION.sub("’", para)
    return _GLUED_STOP.sub(". ", para)


def _closed_up(m: re.Match[str]) -> str:
    """The mark without the spaces before it, when a word precedes them ("North , Ahmad")."""
    return m.group(1) if m.start() > 0 and m.string[m.start() - 1].isalnum() else m.group(0)


def is_boilerplate(para: str) -> bool:
    """True for a paragraph that is only site furniture (byline, stamp, share/follow links,
    promos, newsletter plugs, photo captions)."""
    if len(para) > 300:
        return False
    if _BOILERPLATE_PARA.match(para):
        return True
    plug = "ewsletter" in para or "EWSLETTER" in para  # (the search only where it can match)
    return plug and bool(_NEWSLETTER.search(para))


def starts_footer(para: str) -> bool:
    """True for the heading that opens a press release's boilerplate ("About Acme Inc.")."""
    return len(para) <= 120 and bool(_FOOTER_START.match(para))


# --- paragraphs ----------------------------------------------------------------------------
#: Paragraphs of story before an "About …" heading can open a press release's footer.
FOOTER_AFTER = 2
_TERMINAL = re.compile(r"[.!?…:;\"”’')\]]$")
_HAS_WORD = re.compile(r"\w")


def _is_hard_wrapped(lines: list[str]) -> bool:
    """A block of several lines of similar width that mostly end mid-sentence (e-mail style)."""
    if len(lines) < 3:
        return False
    body = lines[:-1]
    widths = [len(x) for x in body]
    if max(widths) > 100 or min(widths) < 30:
        return False
    mid_sentence = sum(1 for x in body if not _TERMINAL.search(x))
    return mid_sentence / len(body) >= 0.5 and max(widths) - min(widths) <= 40


def paragraphs(text: str) -> list[str]:
    """Split text into paragraphs: blank lines separate them; single newlines do too.

    A block that is clearly hard-wrapped (lines of similar width, mostly ending mid-sentence) is
    one paragraph. Boilerplate paragraphs are dropped; empty ones never appear.
    """
    text = _drop_control(text.replace("\r\n", "\n").replace("\r", "\n"))
    out: list[str] = []
    for block in _BLANK_LINE.split(text):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        if len(out) >= FOOTER_AFTER and starts_footer(squash(lines[0])):
            break  # the rest is the company's boilerplate, contacts and disclaimers
        pieces = [" ".join(lines)] if _is_hard_wrapped(lines) else lines
        for piece in pieces:
            squashed = squash(piece).strip()
            if is_boilerplate(squashed):
                continue
            cleaned = _cut_boilerplate(squashed)
            if not cleaned or not _HAS_WORD.search(cleaned):
                continue
            if is_boilerplate(cleaned):
                continue
            if out and continues(out[-1], cleaned):
                out[-1] = f"{out[-1]} {cleaned}"
            else:
                out.append(cleaned)
    return out


#: shorter than this together, two unpunctuated lines are list items or labels, not a sentence
MIN_MENDED_CHARS = 60
#: a word of letters (hyphens and apostrophes inside) opening a text: not "my6sense", "2008",
#: "http://…"
_LETTERS_WORD = re.compile(r"[^\W\d_](?:[-'’]?[^\W\d_])*(?=[,.;:!?]?(?:\s|$))")


def continues(previous: str, paragraph: str) -> bool:
    """Whether ``paragraph`` is the rest of ``previous``'s sentence, split off by the page's
    markup (a ``<br>`` or a new ``<p>`` in mid-sentence: "… looking stunning in new" /
    "make-up photos."). ``previous`` must end without a sentence's closing mark, and either
    ``paragraph`` opens on a lower-case word ("iPhone" does not count) or ``previous``
    stops on a word no sentence ends on ("the", "of")."""
    if _TERMINAL.search(previous) or len(previous) + len(paragraph) < MIN_MENDED_CHARS:
        return False
    first = _LETTERS_WORD.match(paragraph)
    if first is not None and first.group().islower():
        return True
    return previous.rsplit(maxsplit=1)[-1] in OPEN_ENDINGS


# --- HTML given as text --------------------------------------------------------------------
_DROP_ELEMENTS = re.compile(
    r"<(script|style|noscript|template|svg|head|nav|footer|aside|form|iframe)\b.*?</\1\s*>",
    re.IGNORECASE | re.DOTALL,
)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_BLOCK_TAG = re.compile(
    r"</?(?:p|div|br|hr|h[1-6]|li|ul|ol|tr|table|section|article|blockquote|figure|figcaption|header|main)\b[^>]*>",
    re.IGNORECASE,
)
_SPACE_BEFORE_PUNCT = re.compile(r" +([,.;:!?])(?=\s|$)")
_ANY_TAG = re.compile(r"<[^<>]{0,2000}>")


def strip_html(text: str) -> str:
    """Plain text from HTML: scripts/styles dropped, block tags become paragraph breaks."""
    text = _COMMENT.sub(" ", text)
    text = _DROP_ELEMENTS.sub(" ", text)
    text = _BLOCK_TAG.sub("\n\n", text)
    text = _ANY_TAG.sub(" ", text)
    text = html.unescape(text)
    lines = (_SPACE_BEFORE_PUNCT.sub(r"\1", squash(line)).strip() for line in text.split("\n"))
    return "\n".join(lines)


# --- headlines -----------------------------------------------------------------------------
_HEADLINE_WORD = re.compile(r"[^\W_]+")
# Where a headline's site name or kicker is joined on: "Title - Site", "Site | Title", "Kicker: …"
_HEADLINE_PART = re.compile(r"\s+[|\-–—•·]\s+|:\s+")
#: Share of shared words (of the union) from which a sentence is the headline reworded.
HEADLINE_OVERLAP = 0.8


def _headline_words(text: str) -> tuple[str, ...]:
    return tuple(_HEADLINE_WORD.findall(text.replace("’", "'").casefold()))


def headline_forms(title: str | None) -> list[tuple[str, ...]]:
    """The headline's words, whole and without the site name or kicker joined on (each piece
    between `` | ``, `` - ``, ``: ``...): what a sentence repeating it is compared with."""
    if not title:
        return []
    forms = [_headline_words(title)]
    forms += [_headline_words(piece) for piece in _HEADLINE_PART.split(title)]
    return [f for f in dict.fromkeys(forms) if len(f) >= 3]


def _contains(big: tuple[str, ...], small: tuple[str, ...]) -> bool:
    n = len(small)
    return any(big[i : i + n] == small for i in range(len(big) - n + 1))


def repeats_headline(sentence: str, forms: list[tuple[str, ...]]) -> bool:
    """True for a sentence that is the headline: part of it, the headline plus a few words, or
    mostly the same words in another order ("Julian Assange: Sweden drops rape investigation"
    for "Sweden drops Assange rape investigation")."""
    if not forms:
        return False
    words = _headline_words(sentence)
    if len(words) < 3:
        return False
    distinct = set(words)
    for form in forms:
        if len(form) >= len(words) and _contains(form, words):
            return True
        if len(form) >= 0.6 * len(words) and _contains(words, form):
            return True
        shared = distinct.intersection(form)
        if len(shared) >= HEADLINE_OVERLAP * len(distinct.union(form)):
            return True
    return False
