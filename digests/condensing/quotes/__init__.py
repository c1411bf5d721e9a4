"""Direct quotations and their speakers. Pure functions.

Interface: ``find_quotes(paras: list[str], *, weights: QuoteWeights) -> list[Quote]``: every
direct quotation in the paragraphs (``digests.condensing.text.paragraphs`` output), ranked by
importance (highest ``score`` first).

Pipeline (regexes and linear scans only):

1. ``marks.quote_spans``: pair quotation marks per paragraph (quotes running over paragraphs give
   one span per paragraph).
2. ``attribution.RULES``: read the attribution beside each span with an ordered table of named
   rules ("…," he said; X said: "…"; said the 34-year-old; according to X; "X said, according
   to CNN" credits the outlet, PolNeAR's convention; a paragraph ending "“…” ― Name" credits
   that name).
3. Keep real quotations: drop titles of works, single words outside a sentence with a verb of
   saying (``called the deal "disgusting"`` and ``a "loser."`` stay), single-quoted spans in
   articles that quote with double marks or '' (nested), unattributed two-word terms (scare quotes,
   nicknames), HTML attribute values, quote marks in a headline, and paragraphs that are a
   soup of quote marks (garbage input). The cut-offs were fitted on PolNeAR train.
4. ``resolve.Resolver``: resolve names to their fullest form, pronouns and "the 34-year-old" to
   the most recent compatible person; lines of a quoted transcript ("PENCE: …") take their
   labels; unattributed quotes inherit the speaker of the quote they continue.
5. Rank: long full-sentence statements by named speakers, early in the article, first
   (``QuoteWeights``).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass

from digests.condensing.lexicon import word_set
from digests.condensing.people import collect_people
from digests.condensing.quotes.attribution import (
    MAX_CLAUSE,
    Attribution,
    QuoteSite,
    attribute,
    leading,
    sentence_subject,
    verbs_in,
)
from digests.condensing.quotes.marks import Span, quote_spans
from digests.condensing.quotes.resolve import Resolver, acronyms
from digests.condensing.sentences import (
    last_sentence,
    sentence_starts,
    start_of_sentence,
)
from digests.model import Quote

_TOKEN = re.compile(r"\w+(?:['’]\w+)*")
_FUNCTION_WORDS = word_set("a an the and or of in on at to for with by from as vs is de la le du")
_OWN_PUNCTUATION = frozenset(".!?")
# words of a quotation read for the rules and ranking (length counts up to 25 words)
_WORDS_NEEDED = 26


@dataclass(frozen=True, slots=True)
class QuoteWeights:
    """Coefficients of a quotation's rank score: long, full-sentence statements by named
    speakers, early in the article, first. ``score = length * min(words / full_words, 1) +
    named * (full_name | short_name | description | 0) + full_sentence * (0 | 1) + position *
    (1 - paragraph / paragraphs)``; the defaults are the values ranking has always used."""

    length: float = 0.35
    named: float = 0.25
    full_sentence: float = 0.2
    position: float = 0.2
    #: words from which a quotation counts as fully long (at most ``_WORDS_NEEDED - 1``)
    full_words: float = 25.0
    #: a speaker named by two words or more ("Gordon Brown")
    full_name: float = 1.0
    #: a speaker named by one word or in lower case ("Brown", "officials")
    short_name: float = 0.6
    #: a speaker described, not named ("a spokesman", "One woman")
    description: float = 0.4


DEFAULT_QUOTE_WEIGHTS = QuoteWeights()
_INDEFINITE = word_set("a an one another some")


@dataclass(frozen=True, slots=True)
class _Found:
    para: int
    span: Span
    text: str
    attribution: Attribution | None
    verb_near: bool  # a verb of saying in the quote's sentence


def _words(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _looks_like_headline(paras: list[str]) -> bool:
    if len(paras) < 2:
        return False
    first = paras[0].rstrip()
    return len(first.split()) <= 20 and first[-1:] not in {".", "!", "?", ":", '"', "”"}


def _first_words(text: str) -> list[str]:
    """The first ``_WORDS_NEEDED`` words of ``text`` (ranking and the rules need no more)."""
    return _TOKEN.findall(text)[:_WORDS_NEEDED]


def _lower_content(words: list[str]) -> bool:
    """A content word (not a function word) in lower case."""
    return any(
        not (w[:1].isupper() or w[:1].isdigit()) for w in words if w.lower() not in _FUNCTION_WORDS
    )


def _title_like(words: list[str]) -> bool:
    if not words[0][:1].isupper() or _lower_content(words):
        return False
    return sum(1 for w in words if w.lower() not in _FUNCTION_WORDS) >= 2


def _is_quotation(found: _Found, words: list[str], double_marks: bool) -> bool:
    """Tell quotations from titles, scare quotes and terms (rules fitted on PolNeAR train);
    ``words`` are the quotation's first words (``_first_words``)."""
    if not words:
        return False
    if found.span.single and (double_marks or (len(words) < 5 and not found.verb_near)):
        # articles quoting with double marks use single ones for nested or headline text
        return False
    if len(words) == 1:
        # a word with its own full stop, ! or ? inside the marks was said ("loser.")
        return found.verb_near or found.text[-1:] in _OWN_PUNCTUATION
    if len(words) == 2 and found.attribution is None and not found.verb_near:
        return False  # a two-word term nobody is said to have said ("contested convention")
    if len(words) == _WORDS_NEEDED and not _lower_content(words):
        return not _title_like(_words(found.text))  # a long title-case run: read it all
    return not _title_like(words)


def _spans(paras: list[str], raw_starts_of: dict[int, list[int]], marks: list[int]) -> list[_Found]:
    """The quotation spans with their attributions; fills ``raw_starts_of`` (paragraph index ->
    its sentence starts) for the paragraphs whose starts it needed."""
    found: list[_Found] = []
    skip_first = _looks_like_headline(paras)
    for pi, para in enumerate(paras):
        if pi == 0 and skip_first:
            continue
        if _mark_soup(para, marks[pi]):
            continue  # quote marks every few characters: data or garbage, not prose
        spans = quote_spans(para)
        if not spans:
            continue
        masked = _mask(para, spans)
        starts = sentence_starts(masked)
        for si, span in enumerate(spans):
            if para[max(span.start - 3, 0) : span.start - 1].rstrip().endswith("="):
                continue  # an HTML attribute value left in the text (tweet-author="@x")
            last = si + 1 == len(spans)
            next_open = len(para) if last else spans[si + 1].start - 1
            site = QuoteSite(para, masked, starts, span, last, next_open)
            attributed = attribute(site)
            near = attributed is not None and attributed.rule.verb_beside
            if not near:
                raw_starts = raw_starts_of.get(pi)
                if raw_starts is None:
                    raw_starts = raw_starts_of[pi] = sentence_starts(para)
                near = _has_verb(para, raw_starts, span)
            attr = None if attributed is None else attributed.attribution
            found.append(_Found(pi, span, site.text, attr, near))
    return found


_MARK_CHARS = '"“”«»„‘’'


def _mark_count(para: str) -> int:
    return sum(para.count(c) for c in _MARK_CHARS)


def _mark_soup(para: str, marks: int | None = None) -> bool:
    if marks is None:
        marks = _mark_count(para)
    return marks > 12 and marks * 25 > len(para)


def _mask(para: str, spans: list[Span]) -> str:
    """The paragraph with quoted words blanked (marks kept), offsets unchanged."""
    if not spans:
        return para
    parts: list[str] = []
    last = 0
    for span in spans:
        parts.append(para[last : span.start])
        # a letter keeps sentence boundaries visible ('preserve. "Women' -> 'preserve. "Q')
        parts.append("Q" + " " * (span.end - span.start - 1))
        last = span.end
    parts.append(para[last:])
    return "".join(parts)


def _has_verb(para: str, starts: list[int], span: Span) -> bool:
    lead_end = max(span.start - 1, 0)
    lead = para[max(start_of_sentence(starts, lead_end), lead_end - MAX_CLAUSE) : lead_end]
    k = bisect.bisect_right(starts, span.end + 1)
    end = min(starts[k] if k < len(starts) else len(para), span.end + 1 + MAX_CLAUSE)
    trail = para[span.end + 1 : end]
    return bool(verbs_in(lead) or verbs_in(trail))


def _colon_intro(para: str) -> Attribution | None:
    """A paragraph ending 'Mr Brown told the BBC:': its last sentence introduces the next
    paragraph's quotation."""
    tail = para.rstrip()
    if not tail.endswith(":"):
        return None
    start, clause = last_sentence(tail[:-1])
    return leading(clause, start)


def find_quotes(paras: list[str], *, weights: QuoteWeights = DEFAULT_QUOTE_WEIGHTS) -> list[Quote]:
    """Every direct quotation in ``paras`` with its speaker, ranked (highest ``score`` first)."""
    marks = [_mark_count(para) for para in paras]
    if _mark_soup("".join(paras), sum(marks)):
        return []  # quote marks every few characters: data or garbage, not prose
    raw_starts_of: dict[int, list[int]] = {}
    found = _spans(paras, raw_starts_of, marks)
    if not found:
        return []
    blocked: list[list[tuple[int, int]]] = [[] for _ in paras]
    for f in found:
        blocked[f.para].append((f.span.start, f.span.end))
    named = [f.attribution.text for f in found if f.attribution and f.attribution.kind == "name"]
    people = collect_people(paras, blocked, named, raw_starts_of)
    resolver = Resolver(people, acronyms(paras))

    kept: list[_Kept] = []
    speakers: list[str | None] = [None] * len(found)
    has_own: list[bool] = [False] * len(found)
    for i, f in enumerate(found):
        if f.attribution is not None:
            speakers[i] = resolver.resolve(f.attribution, f.para)
            has_own[i] = speakers[i] is not None
            if speakers[i] is not None and f.attribution.kind in {
                "name",
                "pronoun",
                "definite",
                "subject",
            }:
                resolver.remember((f.para, f.attribution.offset), speakers[i] or "")
    for i, speaker in _transcript_speakers(found, resolver).items():
        speakers[i] = speaker
        has_own[i] = True
    _inherit(paras, found, speakers, has_own, resolver)
    # ''…'' (wire-service double quotes, not counted as quotations) also makes '…' nested
    double_marks = any(not f.span.single for f in found) or any("''" in p for p in paras)
    for i, f in enumerate(found):
        words = _first_words(f.text)
        if _is_quotation(f, words, double_marks):
            kept.append(_Kept(f, speakers[i], len(words)))
    return _rank(kept, len(paras), weights)


# "PENCE: Well, look, …": a transcript line's label in capitals, then a colon
_LABEL = re.compile(r"([A-Z][A-Z'’.-]*(?: [A-Z][A-Z'’.-]*){0,2}):\s+\S")
# labels that head a line without naming who speaks
_NOT_SPEAKERS = word_set(
    """VIDEO AUDIO PHOTO PHOTOS WATCH UPDATE UPDATED BREAKING NOTE CORRECTION EXCLUSIVE LIVE
    READ MORE RELATED SOURCE SOURCES TRANSCRIPT WARNING SPOILER Q A FACT CLAIM VERDICT TIP PS
    P.S. ALSO NEW URGENT ALERT OPINION ANALYSIS PREVIOUSLY RATING QUESTION ANSWER"""
)


def _transcript_speakers(found: list[_Found], resolver: Resolver) -> dict[int, str]:
    """Quotations that are lines of a transcript ("WALLACE: …", "PENCE: …") and their
    speakers, named by the labels (the fullest name the article gives). Only in a transcript:
    at least two such lines with two different labels, so a lone "UPDATE: …" is left alone."""
    labels: dict[int, str] = {}
    for i, f in enumerate(found):
        if f.text[:1].isupper() and ":" in f.text[:32]:
            m = _LABEL.match(f.text)
            if m is not None and m.group(1) not in _NOT_SPEAKERS:
                labels[i] = m.group(1)
    if len(set(labels.values())) < 2:
        return {}
    out: dict[int, str] = {}
    for i, label in labels.items():
        speaker = resolver.name(label.title())
        if speaker is not None:
            out[i] = speaker
    return out


def _inherit(
    paras: list[str],
    found: list[_Found],
    speakers: list[str | None],
    has_own: list[bool],
    resolver: Resolver,
) -> None:
    """Quotes without their own attribution take the speaker of the quote they continue."""
    by_para: dict[int, list[int]] = {}
    for i, f in enumerate(found):
        by_para.setdefault(f.para, []).append(i)
    last_speaker: str | None = None
    last_para = -10
    for pi in sorted(by_para):
        idxs = by_para[pi]
        # the next quote in the paragraph with its own attribution, for each position
        next_own: list[str | None] = [None] * (len(idxs) + 1)
        for k in range(len(idxs) - 1, -1, -1):
            j = idxs[k]
            next_own[k] = speakers[j] if has_own[j] else next_own[k + 1]
        prev_speaker: str | None = None
        for k, i in enumerate(idxs):
            if has_own[i]:
                prev_speaker = speakers[i] or prev_speaker
                continue
            if prev_speaker:
                speakers[i] = prev_speaker
            elif next_own[k + 1]:
                speakers[i] = next_own[k + 1]
            else:
                speakers[i] = _introduced_speaker(paras, pi, resolver)
                if speakers[i] is None and last_speaker is not None and pi - last_para <= 2:
                    speakers[i] = last_speaker
            prev_speaker = speakers[i] or prev_speaker
        for i in idxs:
            if speakers[i]:
                last_speaker = speakers[i]
                last_para = pi


_DASH_CREDIT = re.compile(r"^\s*[-—–]\s*(?=[A-Z])")


def _dash_credit(para: str) -> Attribution | None:
    """A credit line after a quotation: "- Sanders." / "—President Obama, tweeting …"."""
    m = _DASH_CREDIT.match(para)
    if m is None or len(para) > 200:
        return None
    got = sentence_subject(para[m.end() :].split(",")[0])
    return Attribution(got, m.end(), True) if got is not None else None


def _narrative_subject(para: str) -> Attribution | None:
    """Who the paragraph before a quote is about ("Schoen elaborated in an editorial …")."""
    masked = _mask(para, quote_spans(para))
    start, sentence = last_sentence(masked.rstrip())
    got = sentence_subject(sentence)
    return Attribution(got, start, False) if got is not None else None


def _reported_intro(para: str) -> Attribution | None:
    """The speaker of the last reported statement in a paragraph ("Carter said that …")."""
    masked = _mask(para, quote_spans(para))
    verbs = verbs_in(masked)
    if not verbs:
        return None
    v = verbs[-1]
    starts = sentence_starts(masked)
    start = start_of_sentence(starts, v.start())
    got = leading(masked[start : v.end()], start)
    if got is None or got.kind not in {"name", "pronoun", "definite", "subject"}:
        return None
    return got


#: Who the paragraph before an unattributed quotation (one that continues no other) says
#: introduces it, tried in order.
_INTRO_RULES: tuple[Callable[[str], Attribution | None], ...] = (
    _colon_intro,
    _reported_intro,
    _narrative_subject,
)


def _introduced_speaker(paras: list[str], pi: int, resolver: Resolver) -> str | None:
    """The speaker of paragraph ``pi``'s unattributed quotation, as the paragraph before
    introduces it (``_INTRO_RULES``), else as a credit line after it names it ("- Sanders.")."""
    if pi > 0:
        for rule in _INTRO_RULES:
            intro = rule(paras[pi - 1])
            if intro is not None:
                return resolver.resolve(intro, pi - 1)
    if pi + 1 < len(paras):
        credit = _dash_credit(paras[pi + 1])
        if credit is not None:
            return resolver.resolve(credit, pi + 1)
    return None


@dataclass(frozen=True, slots=True)
class _Kept:
    """A quotation kept for ranking, with its resolved speaker and its number of words."""

    found: _Found
    speaker: str | None
    words: int


def _named_weight(speaker: str | None, weights: QuoteWeights) -> float:
    if not speaker:
        return 0.0
    if speaker.split()[0].lower() in _INDEFINITE:
        return weights.description
    if len(speaker.split()) >= 2 and speaker[:1].isupper():
        return weights.full_name
    return weights.short_name


def _rank(kept: list[_Kept], n_paras: int, weights: QuoteWeights) -> list[Quote]:
    """The quotations, highest score first (ties: article order)."""
    scored: list[tuple[float, int, Quote]] = []
    for order, k in enumerate(kept):
        text = k.found.text
        length = min(k.words / weights.full_words, 1.0)
        sentence = text.rstrip()[-1:] in ".!?,…;" or ". " in text
        full = 1.0 if text[:1].isupper() and sentence else 0.0
        named = _named_weight(k.speaker, weights)
        position = 1.0 - k.found.para / max(n_paras, 1)
        score = (
            weights.length * length
            + weights.named * named
            + weights.full_sentence * full
            + weights.position * position
        )
        scored.append((round(score, 6), order, Quote(text, k.speaker, score)))
    scored.sort(key=lambda t: (-t[0], t[1]))
    return [q for _, _, q in scored]
