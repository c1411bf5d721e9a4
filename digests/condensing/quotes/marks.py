"""Pairing quotation marks inside one paragraph. Pure, linear scans.

Double marks (“…”, "…", «…», „…“, »…«, ”…”, 「…」) are paired by their context: an opening mark
follows a space or the start and precedes a non-space; a closing mark does the reverse. A
right-hand mark in an opening context opens (”…” in Nordic and Finnish text, »…« in German and
Danish); AP-style doubled single marks (‘‘…’’) count as double ones; guillemets nest
(«… «…» …»), and so do corner brackets (「…『…』…」). Marks of another family inside
an open quotation are nested and stay part of it. A second opening mark of the same family while a
quotation is open means the first one lost its closing mark (a paragraph break lost in transit):
the first quotation ends there (or before a last sentence ending in a colon, which
introduces the next quotation). A quotation still open at the end of the paragraph runs to its end
(it continues in the next paragraph). Single marks (‘…’, '…') count only outside double quotations,
only with a clear opening and closing context (apostrophes inside words never qualify).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from digests.condensing.sentences import sentence_starts
from digests.condensing.text import char_positions

_OPEN_CONTEXT = frozenset(" \t\n([{—–-/:;,")
_CLOSE_AFTER = frozenset(" \t\n.,;:!?)]}—–-…")
_DOUBLE_FAMILY = {
    '"': "straight",
    "“": "curly",
    "”": "curly",
    "„": "curly",
    "«": "guil",
    "»": "guil",
    "「": "corner",
    "」": "corner",
    "『": "corner2",
    "』": "corner2",
}
#: Marks that always open or close a quotation (corner brackets).
_ALWAYS_OPEN = frozenset("「『")
_ALWAYS_CLOSE = frozenset("」』")
#: AP style: two single marks for a double one, replaced (same length) before pairing.
_AP_MARKS = (("‘‘", "“ "), ("’’", " ”"))


@dataclass(frozen=True, slots=True)
class Span:
    """Quoted text ``para[start:end]`` (marks excluded); ``closed`` is False when it runs on."""

    start: int
    end: int
    closed: bool
    single: bool = False


# ``''`` (two apostrophes, an old wire-service convention) is not treated as a quotation mark:
# the gold sets do not count it, and it is rare in feeds.
_SINGLE_MARKS = "‘’'"
_DOUBLE_MARKS = '"“”„«»「」『』'


@dataclass(frozen=True, slots=True)
class _Mark:
    """One double quotation mark at ``text[start:end]``."""

    ch: str
    start: int
    end: int
    prev: str
    next: str


def _prev(text: str, i: int) -> str:
    return text[i - 1] if i > 0 else " "


def _next(text: str, i: int) -> str:
    return text[i + 1] if i + 1 < len(text) else " "


def _opener_like(m: _Mark) -> bool:
    if m.ch in "“„«" or m.ch in _ALWAYS_OPEN:
        return True
    if m.ch in _ALWAYS_CLOSE:
        return False
    if m.ch in "”»":
        return False
    return (m.prev in _OPEN_CONTEXT or m.prev in "“‘") and not m.next.isspace()


def _closer_like(m: _Mark) -> bool:
    if m.ch in _ALWAYS_CLOSE:
        return True
    if m.ch in _ALWAYS_OPEN:
        return False
    if m.ch in "”»“":
        return m.ch != "“" or m.next in _CLOSE_AFTER
    if m.ch in "„«":
        return False
    return not m.prev.isspace() and (m.next in _CLOSE_AFTER or m.next in "”’\"'")


def _trimmed(text: str, start: int, end: int, *, closed: bool, single: bool = False) -> Span:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end, closed, single)


def _marks(text: str) -> list[_Mark]:
    out = []
    n = len(text)
    for a in char_positions(text, _DOUBLE_MARKS):
        b = a + 1
        out.append(_Mark(text[a], a, b, text[a - 1] if a > 0 else " ", text[b] if b < n else " "))
    return out


def _lost_close(text: str, open_at: int, next_open: int) -> int:
    """Where a quotation that lost its closing mark ends, given the next opening mark: before
    a last sentence introducing the next quotation ('… seconds. Arsene Wenger said: "…')."""
    body = text[open_at:next_open].rstrip()
    if not body.endswith(":"):
        return next_open
    last = sentence_starts(body)[-1]
    return open_at + last if last > 0 else next_open


def _opens_reversed(m: _Mark, right_opens: bool) -> bool:
    """A right-hand mark in an opening context: ”…” (Nordic, Finnish; only where the text
    never opens with “: ``right_opens``), »…« (German, Danish)."""
    return (
        (m.ch == "»" or (m.ch == "”" and right_opens))
        and m.prev in _OPEN_CONTEXT
        and not m.next.isspace()
    )


def double_spans(text: str, *, right_opens: bool = True) -> list[Span]:
    """Top-level double-quoted spans of one paragraph, in order; ``right_opens``: a ” may open
    a quotation (the article never opens one with “)."""
    spans: list[Span] = []
    open_at = -1
    family = ""
    opener = ""  # the mark that opened the current quotation
    nested = 0
    for m in _marks(text):
        fam = _DOUBLE_FAMILY[m.ch]
        if open_at < 0:
            if (
                _opener_like(m)
                or (not _closer_like(m) and m.ch == '"')
                or _opens_reversed(m, right_opens)
            ):
                open_at, family, opener, nested = m.end, fam, m.ch, 0
            continue
        if fam != family:
            # another family inside the quotation: nested marks, part of the quote; with
            # nothing nested, a closing mark of another family closes it ("…” after "…)
            if _opener_like(m) and not _closer_like(m):
                nested += 1
            elif nested:
                nested -= 1
            elif _closer_like(m) and family not in {"guil", "corner", "corner2"}:
                spans.append(_trimmed(text, open_at, m.start, closed=True))
                open_at = -1
            continue
        if family == "guil":
            # «… «…» …» nests; »…« closes with «
            if m.ch != ("»" if opener == "«" else "«"):
                nested += 1
                continue
            if nested:
                nested -= 1
                continue
            spans.append(_trimmed(text, open_at, m.start, closed=True))
            open_at = -1
            continue
        if m.ch in "“„«" and not (m.ch == "“" and _closer_like(m)):
            # same-family opener while open: the previous quotation lost its closing mark
            spans.append(_trimmed(text, open_at, _lost_close(text, open_at, m.start), closed=False))
            open_at, nested = m.end, 0
            continue
        if m.ch == '"' and _opener_like(m) and not _closer_like(m):
            spans.append(_trimmed(text, open_at, _lost_close(text, open_at, m.start), closed=False))
            open_at, nested = m.end, 0
            continue
        spans.append(_trimmed(text, open_at, m.start, closed=True))
        open_at = -1
    if open_at >= 0:
        spans.append(_trimmed(text, open_at, len(text), closed=False))
    return [s for s in spans if s.end > s.start]


def _single_open(text: str, i: int) -> bool:
    nxt = _next(text, i)
    return (
        text[i] in "‘'"
        and (_prev(text, i) in _OPEN_CONTEXT or _prev(text, i) in '“"')
        and (nxt.isalpha() or nxt in "…")
    )


def _single_close(text: str, i: int) -> bool:
    nxt = _next(text, i)
    prev = _prev(text, i)
    return text[i] in "’'" and not prev.isspace() and (nxt in _CLOSE_AFTER or nxt in '”"')


def single_spans(text: str, taken: list[Span]) -> list[Span]:
    """Single-quoted spans outside the double-quoted ones; both marks must be unambiguous."""
    blocked = sorted((s.start - 1, s.end + 1) for s in taken)
    starts = [a for a, _ in blocked]

    def free(i: int) -> bool:
        k = bisect.bisect_right(starts, i) - 1
        return k < 0 or i >= blocked[k][1]

    spans: list[Span] = []
    open_at = -1
    last = len(text) - 1
    for i in char_positions(text, _SINGLE_MARKS):
        if 0 < i < last and text[i - 1].isalpha() and text[i + 1].isalpha():
            continue  # inside a word ("don't"): can neither open nor close a span
        if open_at >= 0 and bisect.bisect_right(starts, i) != bisect.bisect_right(
            starts, open_at - 1
        ):
            open_at = -1  # a double quotation began inside: not a single-quoted span
        if not free(i) or text[i - 1 : i + 1] == "''" or text[i : i + 2] == "''":
            continue
        if open_at < 0:
            if _single_open(text, i):
                open_at = i + 1
        elif _single_close(text, i) and not (
            # possessive plural: "the players' union"
            _prev(text, i) == "s"
            and _next(text, i) == " "
            and i + 2 < len(text)
            and text[i + 2].islower()
            and text[open_at - 1] == "'"
        ):
            spans.append(_trimmed(text, open_at, i, closed=True, single=True))
            open_at = -1
    return [s for s in spans if s.end > s.start]


def quote_spans(text: str, *, right_opens: bool = True) -> list[Span]:
    """All quotation spans of one paragraph, in order of position (offsets into ``text``);
    ``right_opens``: a ” may open a quotation (the article never opens one with “)."""
    if "‘‘" in text or "’’" in text:
        for ap, double in _AP_MARKS:
            text = text.replace(ap, double)  # same length: the offsets hold
    doubles = double_spans(text, right_opens=right_opens)
    singles = single_spans(text, doubles) if any(c in text for c in "‘'") else []
    return sorted(doubles + singles, key=lambda s: s.start)
