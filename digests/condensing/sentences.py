"""Sentence boundaries: one scanner, with two named rule sets.

A sentence ends at a run of sentence-final marks (plus closing quotes or brackets) followed by a
gap and what may open a sentence, unless the word before the mark is an abbreviation
(``lexicon.ABBREVIATIONS``) or an initial. ``sentence_ends(text, rules)`` lists those ends;
the rules are chosen by name, because the summary and the quotes have always drawn the line
differently and merging them would change both outputs:

- ``"summary"`` (``split_sentences``, the sentences a summary is made of): also ends at an
  ellipsis after three words or more, before an opening bracket or apostrophe; a dotted acronym
  ("U.S.") ends a sentence only before a typical sentence opener; knows every abbreviation of
  ``lexicon.ABBREVIATIONS`` (months, "etc", "vs"…); needs a gap after the marks.
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

from digests.condensing.lexicon import ABBREVIATIONS, SENTENCE_STARTERS, TITLE_ABBREVIATIONS
from digests.condensing.text import squash

SentenceRules = Literal["summary", "quotes"]


@dataclass(frozen=True, slots=True)
class _Rules:
    """Where a sentence may end (``boundary``) and whether a candidate does (``ends``, given the
    text, the candidate and where the current sentence starts)."""

    boundary: re.Pattern[str]
    ends: Callable[[str, re.Match[str], int], bool]


# --- "summary" -----------------------------------------------------------------------------
# A run of sentence-final marks, closing quotes/brackets, a gap, then what may open a sentence.
_SUMMARY_BOUNDARY = re.compile(r"[.!?…]([.!?…]*)([\"”’')\]]*)\s+(?=[\"“‘'(\[]*[A-Z0-9])")
_NEXT_WORD = re.compile(r"[\"“‘'(\[]*([A-Za-z0-9]+)")
_INITIAL = re.compile(r"^[\"“‘'(]*[A-Z]$")
_ACRONYM = re.compile(r"^[\"“‘'(]*(?:[A-Za-z]\.)+[A-Za-z]$")


def _next_word(text: str, start: int) -> str:
    m = _NEXT_WORD.match(text, start)
    return m.group(1).lower() if m else ""


def _summary_end(text: str, m: re.Match[str], start: int) -> bool:
    """Whether the candidate ``m`` of ``_SUMMARY_BOUNDARY`` ends the sentence begun at ``start``."""
    end = text[m.start() : m.end(1)]
    if end not in {".", "…", "..."} or m.group(2):
        return True  # "!", "?", or a full stop followed by a closing quote
    if end != ".":
        # An ellipsis before a capitalised word ends a sentence, but not a lone "Well…".
        return len(text[start : m.start()].split()) >= 3
    token = text[text.rfind(" ", 0, m.start()) + 1 : m.start()]
    if token.strip("\"“‘'([").lower() in ABBREVIATIONS:
        return False
    if _INITIAL.match(token):
        return False  # "J. K. Rowling"
    if _ACRONYM.match(token):
        # "U.S." ends a sentence only when a typical sentence opener follows.
        return _next_word(text, m.end()) in SENTENCE_STARTERS
    return True


# --- "quotes" ------------------------------------------------------------------------------
_QUOTES_BOUNDARY = re.compile(r"[.!?]+[\"”’)]*(?:\s+(?=[\"“‘(]?[A-Z0-9])|\s*$)")


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
    return not (word.lower() in TITLE_ABBREVIATIONS and (k == 0 or not text[k - 1].isalnum()))


_RULES: dict[SentenceRules, _Rules] = {
    "summary": _Rules(_SUMMARY_BOUNDARY, _summary_end),
    "quotes": _Rules(_QUOTES_BOUNDARY, _quotes_end),
}


def sentence_ends(text: str, rules: SentenceRules) -> Iterator[re.Match[str]]:
    """The boundaries that end the sentences of ``text`` under ``rules``, in order: the
    leftmost, non-overlapping matches of the rules' boundary pattern that end a sentence."""
    chosen = _RULES[rules]
    start = 0
    for m in chosen.boundary.finditer(text):
        if chosen.ends(text, m, start):
            yield m
            start = m.end()


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
        out.append(text[start : m.end(2)])
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
