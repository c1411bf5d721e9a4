"""Sentence boundaries for attribution work: one linear scan per paragraph.

A boundary is ``.``, ``!`` or ``?`` (plus closing marks) followed by space and a capital, a digit or
an opening mark, or the end of the text; not after abbreviations ("Mr.", "Sen.") or initials.
"""

from __future__ import annotations

import bisect
import re

from digests.condensing.lexicon import word_set

_MARK = re.compile(r"[.!?]")
_BOUNDARY = re.compile(r"[.!?]+[\"”’)]*(?:\s+(?=[\"“‘(]?[A-Z0-9])|\s*$)")
_ABBREVIATIONS = word_set(
    "mr mrs ms dr st sen rep gov jr sr gen lt col sgt capt maj adm cmdr prof rev fr no"
)

_LONGEST_ABBREVIATION = max(len(w) for w in _ABBREVIATIONS)


def _is_abbreviation(text: str, dot: int) -> bool:
    if text[dot] != ".":
        return False
    k = dot - 1
    stop = dot - _LONGEST_ABBREVIATION - 1
    while k >= 0 and text[k].isalpha():
        if k == stop:
            return False  # a word longer than any abbreviation
        k -= 1
    word = text[k + 1 : dot]
    if len(word) == 1 and word.isupper():
        return True  # an initial: "Donald J. Trump"
    return word.lower() in _ABBREVIATIONS and (k < 0 or not text[k].isalnum())


def char_positions(text: str, chars: str) -> list[int]:
    """Sorted offsets of any of ``chars`` in ``text`` (str.find is far faster than a regex)."""
    out: list[int] = []
    for ch in chars:
        i = text.find(ch)
        while i >= 0:
            out.append(i)
            i = text.find(ch, i + 1)
    out.sort()
    return out


def sentence_starts(text: str) -> list[int]:
    """Offsets where the sentences of ``text`` start (always begins with 0).

    The ends are the leftmost, non-overlapping matches of ``_BOUNDARY`` that are not
    abbreviations, found by matching only where a sentence-ending mark is."""
    starts = [0]
    done = 0
    for i in char_positions(text, ".!?"):
        if i < done:
            continue
        m = _BOUNDARY.match(text, i)
        if m is None:
            continue
        done = m.end()
        if not _is_abbreviation(text, i):
            starts.append(done)
    return starts


def start_of_sentence(starts: list[int], pos: int) -> int:
    """The start of the sentence containing ``pos`` (a boundary ending at ``pos`` counts)."""
    return starts[bisect.bisect_right(starts, pos) - 1]


def sentence_index(starts: list[int], pos: int) -> int:
    return bisect.bisect_right(starts, pos) - 1


def first_sentence(text: str) -> str:
    """``text`` up to and including its first sentence end."""
    # mark by mark: ``text`` may be the rest of a long paragraph
    i = 0
    while True:
        mark = _MARK.search(text, i)
        if mark is None:
            return text
        at = mark.start()
        m = _BOUNDARY.match(text, at)
        if m is None:
            i = at + 1
        elif _is_abbreviation(text, at):
            i = m.end()
        else:
            return text[: at + 1]


def last_sentence(text: str) -> tuple[int, str]:
    """The last sentence of ``text`` and its offset."""
    start = sentence_starts(text)[-1]
    return start, text[start:]
