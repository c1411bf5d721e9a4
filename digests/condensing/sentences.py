"""Sentence boundaries: one scanner, with two named rule sets.

A sentence ends at a run of sentence-final marks (plus closing quotes or brackets) followed by a
gap and what may open a sentence, unless the word before the mark is an abbreviation
(``lexicon.ABBREVIATIONS``) or an initial. ``sentence_ends(text, rules)`` lists those ends;
the rules are chosen by name, because the summary and the quotes have always drawn the line
differently and merging them would change both outputs:

- ``"summary"`` (``split_sentences``, the sentences a summary is made of): also ends at an
  ellipsis after three words or more, before an opening bracket or apostrophe, and at the
  full-width marks of Chinese and Japanese (``。！？``, no gap needed) and the marks of other
  scripts (``।``, ``؟``); what follows the gap may be any upper-case letter, a digit or a letter
  of a script without case (Russian, Korean and Hindi split too). A dotted acronym ("U.S.") or a
  state ("Mich.") ends a sentence only before a typical sentence opener; it knows every
  abbreviation of ``lexicon.ABBREVIATIONS`` (months, "etc", "vs"…) and keeps together names with
  marks ("E! News", "VW ID. SPACE VIZZION"), short quotations opened mid-sentence ("the slogan
  “Meth. We’re on it.”") and ordinal days ("am 3. Oktober"); needs a gap after the marks.
- ``"quotes"`` (``sentence_starts``, offsets for attribution work, on raw text): ends at ``.``,
  ``!`` or ``?`` only, also at the end of the text; knows only the title abbreviations
  (``lexicon.TITLE_ABBREVIATIONS``); an acronym's last dot always ends a sentence.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

from digests.condensing.lexicon import (
    ABBREVIATIONS,
    BANG_NAMES,
    FOREIGN_ABBREVIATIONS,
    ORDINAL_MONTHS,
    PLACE_ABBREVIATIONS,
    SENTENCE_STARTERS,
    STATE_LIKE_TITLES,
    TITLE_ABBREVIATIONS,
)
from digests.condensing.text import char_positions, squash

SentenceRules = Literal["summary", "quotes"]


@dataclass(frozen=True, slots=True)
class _Rules:
    """Where a sentence may end (``boundary``, each match starting with one of the characters
    ``marks``) and whether a candidate does (``ends``, given the text, the candidate and where
    the current sentence starts)."""

    boundary: re.Pattern[str]
    marks: str
    ends: Callable[[str, re.Match[str], int], bool]


# --- "summary" -----------------------------------------------------------------------------
# A run of sentence-final marks, closing quotes/brackets, a gap (none after the full-width marks
# of Chinese and Japanese), then what may open a sentence: not an ASCII lower-case letter (an
# upper-case letter, a digit or a letter of a script without case: Korean, Arabic, Hindi...).
_FULL_WIDTH_MARKS = "。！？"
# (a match starts with one of ``_SUMMARY_MARKS``: ``_boundaries`` tries the pattern there and
# nowhere else; ``full_width`` is then an empty group, set when a lookbehind finds that mark
# full-width)
_SUMMARY_MARKS = ".!?…।؟。！？"
_SUMMARY_BOUNDARY = re.compile(
    rf"[{_SUMMARY_MARKS}](?:(?<=[。！？])(?P<full_width>))?(?P<more>[.!?…。！？।؟]*)"
    r"(?P<close>[\"”’')\]»」』）]*)(?P<gap>(?(full_width)\s*|\s+))"
    r"(?=[\"“‘'(\[«„¿¡「『（]*(?P<next>[^\W_a-z]))"
)
_OPENERS = "\"“‘'([«„¿¡「『（"
_NEXT_WORD = re.compile(r"[\"“‘'(\[«„]*([^\W_]+)")
_INITIAL = re.compile(r"^[\"“‘'(]*[A-Z]$")
_ACRONYM = re.compile(r"^[\"“‘'(]*(?:[A-Za-z]\.)+[A-Za-z]$")
_CAPS_WORD = re.compile(r"[A-Z][A-Z0-9]+$")
_SHORT_NUMBER = re.compile(r"^\d{1,2}$")
#: An embedded quotation closing within this many characters keeps its full stops ("Meth. We're
#: on it.").
SHORT_QUOTE = 60


def _next_word(text: str, start: int) -> str:
    m = _NEXT_WORD.match(text, start)
    return m.group(1) if m else ""


def _next_words(text: str, start: int, count: int) -> list[str]:
    return text[start : start + 80].split(maxsplit=count)[:count]


def _summary_end(text: str, m: re.Match[str], start: int) -> bool:
    """Whether the candidate ``m`` of ``_SUMMARY_BOUNDARY`` ends the sentence begun at ``start``."""
    marks = text[m.start() : m.end("more")]
    if marks[-1] in _FULL_WIDTH_MARKS:
        # Chinese and Japanese: no gap, no case; but a quotation closed right before more of
        # the sentence runs on (「明日は雨です。」と言った。)
        return not m.group("close") or bool(m.group("gap")) or text[m.end()] in _OPENERS
    if m.group("next").islower():
        return False  # a lower-case letter of another script ("в", "é")
    if not m.group("close") and _inside_short_quote(text, start, m.start()):
        return False
    token = text[text.rfind(" ", 0, m.start()) + 1 : m.start()]
    bare = token.strip("\"“‘'([")
    if marks == "!":
        # "E! News", "Yahoo! Finance": a name, not an exclamation
        return not (_INITIAL.match(token) or bare.lower() in BANG_NAMES)
    if marks not in {".", "…", "..."} or m.group("close"):
        return True  # "!", "?", or a full stop followed by a closing quote
    if marks != ".":
        # An ellipsis before a capitalised word ends a sentence, but not a lone "Well…".
        return len(text[start : m.start()].split()) >= 3
    return _full_stop_ends(text, m, token, bare)


def _full_stop_ends(text: str, m: re.Match[str], token: str, bare: str) -> bool:
    """Whether a full stop after ``token`` (``bare`` without opening quotes) ends a sentence."""
    if bare.lower() in ABBREVIATIONS or bare in FOREIGN_ABBREVIATIONS:
        return False
    if _INITIAL.match(token):
        return False  # "J. K. Rowling"
    if _ACRONYM.match(token) or bare in PLACE_ABBREVIATIONS:
        # "U.S." or "Mich." ends a sentence only when a typical sentence opener follows.
        return _next_word(text, m.end()).lower() in SENTENCE_STARTERS
    if _SHORT_NUMBER.match(bare):
        # "am 3. Oktober": a day's ordinal before a month name
        return _next_word(text, m.end()).lower() not in ORDINAL_MONTHS
    if _CAPS_WORD.match(bare):
        # "VW ID. SPACE VIZZION": a capitalised name runs on when two capitalised words follow
        following = _next_words(text, m.end(), 2)
        return not (len(following) == 2 and all(_CAPS_WORD.match(w) for w in following))
    return True


def _inside_short_quote(text: str, start: int, pos: int) -> bool:
    """Whether ``pos`` lies inside a quotation opened mid-sentence (after a word) that closes
    soon after: a quoted slogan or title ("the slogan “Meth. We’re on it.”")."""
    opening = text.rfind("“", start, pos)
    if opening <= start or text.find("”", opening, pos) != -1:
        return False
    closing = text.find("”", pos, pos + SHORT_QUOTE)
    return closing != -1 and "“" not in text[pos:closing]


# --- "quotes" ------------------------------------------------------------------------------
# (one mark, then any more: a match starts with one of ``.!?``, where ``_boundaries`` tries it)
_QUOTES_BOUNDARY = re.compile(r"[.!?][.!?]*[\"”’)]*(?:\s+(?=[\"“‘(]?[A-Z0-9])|\s*$)")


def _quotes_end(text: str, m: re.Match[str], start: int) -> bool:
    """Whether the candidate ``m`` of ``_QUOTES_BOUNDARY`` ends a sentence: its first mark is
    not the full stop of a title abbreviation ("Sen.") or of an initial ("Donald J. Trump")."""
    dot = m.start()
    if text[dot] != ".":
        return True
    k = dot
    while k > 0 and text[k - 1].isalpha():
        k -= 1
    word = text[k:dot]
    if len(word) == 1 and word.isupper():
        return False  # an initial
    if word in STATE_LIKE_TITLES and not text[:k].rstrip().endswith(","):
        return False  # "said Del. Stacey Plaskett" (not "Dover, Del.")
    return not (word.lower() in TITLE_ABBREVIATIONS and (k == 0 or not text[k - 1].isalnum()))


_RULES: dict[SentenceRules, _Rules] = {
    "summary": _Rules(_SUMMARY_BOUNDARY, _SUMMARY_MARKS, _summary_end),
    "quotes": _Rules(_QUOTES_BOUNDARY, ".!?", _quotes_end),
}


def sentence_ends(text: str, rules: SentenceRules) -> Iterator[re.Match[str]]:
    """The boundaries that end the sentences of ``text`` under ``rules``, in order: the
    leftmost, non-overlapping matches of the rules' boundary pattern that end a sentence."""
    chosen = _RULES[rules]
    start = 0
    for m in _boundaries(text, chosen):
        if chosen.ends(text, m, start):
            yield m
            start = m.end()


def _boundaries(text: str, rules: _Rules) -> Iterator[re.Match[str]]:
    """``rules.boundary.finditer(text)``, tried only at the marks a match starts with (found
    by ``char_positions``, several times faster than the regex engine's search); a mark inside
    the previous match is passed over, as the search would."""
    end = 0
    for i in char_positions(text, rules.marks):
        if i >= end:
            m = rules.boundary.match(text, i)
            if m is not None:
                yield m
                end = m.end()


def split_sentences(paragraph: str) -> list[str]:
    """The sentences of one paragraph under the ``"summary"`` rules (never empty strings).

    Survives "Mr.", "U.S.", initials ("J. K. Rowling"), ellipses, decimals ("3.5") and sentences
    ending inside quotes (``…he said." "Next…``). A sentence runs to its marks and closing
    quotes; the gap after them is left out.
    """
    text = squash(paragraph).strip()
    out: list[str] = []
    start = 0
    for m in sentence_ends(text, "summary"):
        out.append(text[start : m.end("close")])
        start = m.end()
    if start < len(text):
        out.append(text[start:])
    return out


def sentence_starts(text: str) -> list[int]:
    """Offsets where the sentences of ``text`` start under the ``"quotes"`` rules (always
    begins with 0)."""
    return [0, *(m.end() for m in sentence_ends(text, "quotes"))]


def start_of_sentence(starts: list[int], pos: int) -> int:
    """The start of the sentence containing ``pos`` (a boundary ending at ``pos`` counts)."""
    return starts[sentence_index(starts, pos)]


def sentence_index(starts: list[int], pos: int) -> int:
    """The index in ``starts`` of the sentence containing ``pos``."""
    return bisect.bisect_right(starts, pos) - 1


def first_sentence(text: str) -> str:
    """``text`` up to and including the mark that ends its first sentence (``"quotes"`` rules)."""
    end = next(sentence_ends(text, "quotes"), None)
    return text if end is None else text[: end.start() + 1]


def last_sentence(text: str) -> tuple[int, str]:
    """The last sentence of ``text`` (``"quotes"`` rules) and its offset."""
    start = sentence_starts(text)[-1]
    return start, text[start:]
