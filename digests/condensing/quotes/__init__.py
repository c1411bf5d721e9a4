"""Direct quotations and their speakers. Pure functions.

Interface: ``find_quotes(paras: list[str], *, weights: QuoteWeights) -> list[Quote]``: every
direct quotation in the paragraphs (``digests.condensing.text.paragraphs`` output), ranked by
importance (highest ``score`` first).

Pipeline (regexes and linear scans only):

1. ``marks.quote_spans``: pair quotation marks per paragraph (quotes running over paragraphs give
   one span per paragraph).
2. ``attribution.RULES``: read the attribution beside each span with an ordered table of named
   rules ("…," he said; X said: "…"; said the 34-year-old; according to X; "X said, according
   to CNN" is conflicting evidence (X spoke, CNN reported it); a paragraph ending "“…” ― Name"
   credits that name). Quote marks as newsrooms and other languages write them: ‘‘…’’, ”…”,
   «…«…»», »…«, „…“, 「…」.
3. Keep real quotations: drop titles of works, single words outside a sentence with a verb of
   saying (``called the deal "disgusting"`` and ``a "loser."`` stay), single-quoted spans in
   articles that quote with double marks or '' (nested), unattributed two-word terms (scare quotes,
   nicknames), what the words before name as a thing (the slogan, a sitcom called, the term,
   Operation, poll wording), HTML attribute values, quote marks in a headline, and paragraphs
   that are a soup of quote marks (garbage input). The cut-offs were fitted on PolNeAR train.
4. ``resolve.Resolver``: resolve names to their fullest form, pronouns and "the 34-year-old" to
   the most recent compatible person; lines of a quoted transcript ("PENCE: …") take their
   labels; unattributed quotes inherit the speaker of the quote they continue.
5. Evidence: each speaker carries what ties them to the quotation (``Evidence``) and how sure
   that is (``Confidence``). Only a binding attribution (a said-clause, a colon introduction, a
   credit, the continuation of an attributed quote…) with a sure reference (a person's or a
   body's name, a pronoun with one possible referent, a description of an unnamed speaker) is
   shown; anything else (the sentence's subject, the paragraph before) is a guess, and the
   quotation shows no speaker. One-word quotations show none either.
6. Rank: named speakers first, then resolved ones, then the rest; within each, long
   full-sentence statements, early in the article, first (``QuoteWeights``).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from digests.condensing.lexicon import (
    FEMALE_TITLES,
    MALE_TITLES,
    TITLES,
    trie_pattern,
    word_set,
)
from digests.condensing.people import (
    NAME_RUN,
    clean_name,
    collect_people,
    could_be_person,
    is_place,
)
from digests.condensing.quotes.attribution import (
    BINDING_SOURCES,
    MAX_CLAUSE,
    Attribution,
    AttributionKind,
    EvidenceSource,
    QuoteSite,
    answered,
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

# a word, or one CJK character (Chinese and Japanese write no spaces between words)
_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]|[^\W\u3040-\u30ff\u3400-\u9fff]+(?:['’]\w+)*")
# (with the articles and prepositions of titles in French, Italian, Spanish, Portuguese, Dutch and
# German: “I Cavalieri dello Zodiaco” is a title as “Lord of the Rings” is)
_FUNCTION_WORDS = word_set(
    """a an the and or of in on at to for with by from as vs is de la le du des del della dello
    delle dei degli di da il lo gli el los las van het von der"""
)
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
    source: EvidenceSource | None  # the rule's evidence, when ``attribution`` is set
    verb_near: bool  # a verb of saying in the quote's sentence
    named: bool = False  # the text names it as a title, slogan, term or poll question


Confidence = Literal["named", "resolved", "none"]
"""How sure a speaker is: ``named`` in the attribution that binds them to the quotation (a
name, a body, a description, a transcript label, or the continuation of such a quote);
``resolved`` from a pronoun or "the 34-year-old" with one possible referent; ``none``: a guess,
not shown."""

_CONFIDENCE_ORDER: dict[Confidence, int] = {"named": 0, "resolved": 1, "none": 2}
_NAMED_REFERENCES: frozenset[AttributionKind | None] = frozenset({"name", "org", "description"})


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why a quotation's speaker is who it is: what in the text ties them to it (``source``,
    None when nothing does), how the text names them (``reference``: a name, a pronoun, a
    description…; None for a continuation or a transcript label), the speaker that evidence
    points to (``candidate``) and how sure it is (``confidence``)."""

    source: EvidenceSource | None
    reference: AttributionKind | None
    candidate: str | None
    confidence: Confidence

    @property
    def confident(self) -> bool:
        """Strong enough to show."""
        return self.confidence != "none"


_NO_EVIDENCE = Evidence(None, None, None, "none")


@dataclass(frozen=True, slots=True)
class AttributedQuote:
    """A quotation as found, with the evidence for its speaker (``quote.speaker`` is the
    candidate when confident, else None)."""

    quote: Quote
    evidence: Evidence


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
    if not words or found.named:
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


# what a quotation named by the words before it is: a work, a slogan, a term, a product or an
# operation ('the documentary “…”', 'a campaign called “…”', 'the term “…”', 'titled “…”')
_NAMING_NOUNS = word_set(
    """slogan slogans motto hashtag tagline catchphrase headline title phrase term label nickname
    brand series sitcom show film movie documentary book memoir novel album song single play
    musical podcast newsletter column exhibition operation programme program initiative campaign
    app game model edition feature poll survey question billboard billboards"""
)
# (the nouns as a trie: the search tries the pattern at every character of the words before
# the quotation, and a trie rejects a position after a letter or two, where a plain list of
# alternatives tried each of its ~45 words there)
_NAMING = re.compile(
    rf"(?:\b(?:{trie_pattern(_NAMING_NOUNS)})\s+"
    r"(?:(?:was\s+|is\s+)?(?:called|titled|entitled|named|dubbed|known\s+as|reading|read|"
    r"asking|asked|saying)\s+)?|\b(?:titled|entitled|nicknamed|so-called|the\s+words?|"
    r"the\s+phrase|the\s+term)\s+)[(\[]?$",
    re.IGNORECASE,
)


# poll wording: 'Fifty-one percent say that “…”', '42% agreed “…”'
_POLL = re.compile(
    r"(?:\bper\s?cent|%)\s+(?:of\s+[\w\s]{1,40}?\s+)?(?:say|said|agree|agreed|believe|"
    r"believed|think|thought|answered|chose)\s+(?:that\s+)?$",
    re.IGNORECASE,
)


def _named_thing(para: str, span: Span, bound: bool) -> bool:
    """The words before the quotation name what it is: a title, a slogan, a term, a product, an
    operation or a poll's wording, not words someone said (unless a verb of saying binds them:
    'the slogan was "…", she said')."""
    lead = para[max(0, span.start - 61) : max(span.start - 1, 0)]
    if _POLL.search(lead) or _TERM_BEFORE.search(lead):
        return True
    return not bound and _NAMING.search(lead) is not None


# words that make the quotation a term even beside a verb of saying ('Volker said he never
# used the term "three amigos"')
_TERM_BEFORE = re.compile(
    r"\b(?:the\s+(?:term|phrase|nickname|label|moniker)|so-called|nicknamed|dubbed)\s+$",
    re.IGNORECASE,
)


# Chinese and Japanese set terms, names, menu labels and titles in the same marks as speech
# (「脱獄」したiPhone, 「プロパティ」をクリック, “一带一路”). Words they quote are a sentence, are
# introduced by a colon or a verb of saying (他说：“…”), or are followed by the quotative
# particle and a verb of saying (「…」と述べた, 「…」って言った).
_HAN_OR_KANA = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
_CJK_SENTENCE_END = frozenset("。！？!?")
_CJK_INTRODUCTIONS = ("：", ":", "说", "道", "表示", "指出")
_QUOTATIVE = re.compile(
    r"\s*[」』”\"]?\s*(?:と、|と|って)\s*(?:言|述|語|話|説明|強調|指摘|明か|答え|答|発言|訴え|"
    r"主張|コメント|書|記|し|いい|報告|発表|呼びかけ|力説|振り返|打ち明け|明言|宣言)"
)


def _cjk_term(para: str, span: Span) -> bool:
    """A Chinese or Japanese quotation that is a term, label or title rather than speech."""
    if _HAN_OR_KANA.match(para, span.start) is None:
        return False  # it does not open in Chinese or Japanese: the other rules judge it
    text = para[span.start : span.end]
    cjk = len(_HAN_OR_KANA.findall(text))
    if cjk * 2 < len(text.replace(" ", "")):
        return False  # mostly other words and digits
    if any(ch in _CJK_SENTENCE_END for ch in text):
        return False
    if para[: max(span.start - 1, 0)].rstrip().endswith(_CJK_INTRODUCTIONS):
        return False
    return _QUOTATIVE.match(para, span.end) is None


def _spans(paras: list[str], raw_starts_of: dict[int, list[int]], marks: list[int]) -> list[_Found]:
    """The quotation spans with their attributions; fills ``raw_starts_of`` (paragraph index ->
    its sentence starts) for the paragraphs whose starts it needed."""
    found: list[_Found] = []
    skip_first = _looks_like_headline(paras)
    # ”…” quotes (Nordic, Finnish style) only in an article that never opens one with “
    right_opens = not any("“" in para for para in paras)
    for pi, para in enumerate(paras):
        if pi == 0 and skip_first:
            continue
        if _mark_soup(para, marks[pi]):
            continue  # quote marks every few characters: data or garbage, not prose
        spans = quote_spans(para, right_opens=right_opens)
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
            if not near and answered(para[site.after : next_open], site.text):
                near = True  # '"…?" X replied that …': X answers it; it is not X's
            if not near:
                raw_starts = raw_starts_of.get(pi)
                if raw_starts is None:
                    raw_starts = raw_starts_of[pi] = sentence_starts(para)
                near = _has_verb(para, raw_starts, span)
            attr = None if attributed is None else attributed.attribution
            source = None if attributed is None else attributed.rule.source
            named = _named_thing(
                para, span, attributed is not None and attributed.rule.verb_beside
            ) or _cjk_term(para, span)
            found.append(_Found(pi, span, site.text, attr, source, near, named))
    return found


_MARK_CHARS = '"“”«»„‘’「」『』'


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
        # a letter keeps sentence boundaries visible ('preserve. "Women' -> 'preserve. "Q'),
        # and so does the quotation's own final stop ('of "fanatic recklessness." South Korean
        # President Park said': the quotation ends its sentence)
        width = span.end - span.start
        end_mark = para[span.end - 1] if width > 1 and para[span.end - 1] in ".!?" else ""
        parts.append("Q" + " " * (width - 1 - len(end_mark)) + end_mark)
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
    """Every direct quotation in ``paras`` with its speaker, ranked (highest ``score`` first):
    confidently attributed quotations first, so a post's key quotes are among them."""
    return [a.quote for a in attributed_quotes(paras, weights=weights)]


def attributed_quotes(
    paras: list[str], *, weights: QuoteWeights = DEFAULT_QUOTE_WEIGHTS
) -> list[AttributedQuote]:
    """``find_quotes`` with the evidence for each speaker."""
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
    resolver = Resolver(people, acronyms(paras), paras, starts_of=raw_starts_of)

    evidence = _own_evidence(found, resolver)
    for i, speaker in _transcript_speakers(found, resolver).items():
        evidence[i] = _judge("transcript", None, speaker, True)
    for i, speaker in _named_labels(found, resolver).items():
        # the label is the name itself: the quotation's words do not speak of them
        evidence[i] = _judge("transcript", "name", speaker, True)
    _inherit(paras, found, evidence, resolver)
    for i, f in enumerate(found):
        evidence[i] = _unless_spoken_of(evidence[i], f, resolver)
    # ''…'' (wire-service double quotes, not counted as quotations) also makes '…' nested
    double_marks = any(not f.span.single for f in found) or any("''" in p for p in paras)
    kept: list[_Kept] = []
    for i, f in enumerate(found):
        words = _first_words(f.text)
        if _is_quotation(f, words, double_marks):
            kept.append(_Kept(f, evidence[i], len(words)))
    return _rank(_once(kept), len(paras), weights)


def _own_evidence(found: list[_Found], resolver: Resolver) -> list[Evidence]:
    """The evidence each quotation's own attribution gives (none without one). Once a
    quotation talks about the speaker a pronoun was taken for, the rest of its paragraph's
    pronouns are not taken for them either ('“… Mary Lund …,” she said. “…”')."""
    evidence: list[Evidence] = [_NO_EVIDENCE] * len(found)
    doubted: set[tuple[int, str]] = set()  # (paragraph, speaker) taken for a wrong pronoun
    for i, f in enumerate(found):
        if f.attribution is None or f.source is None:
            continue
        speaker = resolver.resolve(f.attribution, f.para)
        sure = speaker is not None and resolver.sure(f.attribution, f.para, speaker)
        judged = _judge(f.source, f.attribution.kind, speaker, sure)
        evidence[i] = _unless_spoken_of(judged, f, resolver)
        if speaker is None:
            continue
        if evidence[i] is not judged:
            doubted.add((f.para, speaker))
        elif (f.para, speaker) in doubted and judged.reference in _INDIRECT_REFERENCES:
            evidence[i] = _unsure(judged)
        if f.attribution.kind in _REMEMBERED:
            trusted = (f.para, speaker) not in doubted
            resolver.remember((f.para, f.attribution.offset), speaker, trusted=trusted)
    return evidence


#: Words from which a repeated quotation is the same statement (a pull quote repeating the
#: body's); shorter ones ("loser", "a disaster") are used again and again, by anyone.
_STATEMENT_WORDS = 8


def _statement_key(kept: _Kept) -> str | None:
    """A statement's words, normalised to find it quoted again; None when too short to be
    recognised as the same statement (``_STATEMENT_WORDS``)."""
    if kept.words < _STATEMENT_WORDS:
        return None
    return " ".join(_TOKEN.findall(kept.found.text.casefold()))


def _once(kept: list[_Kept]) -> list[_Kept]:
    """A statement quoted more than once (a pull quote repeats the body's) gets the speaker all
    its confident copies agree on, else none (two speakers for the same words conflict); the
    copies after the first are marked ``repeat`` (ranked last, so a post shows it once)."""
    keys = [_statement_key(k) for k in kept]
    by_text: dict[str, list[_Kept]] = {}
    for k, key in zip(kept, keys, strict=True):
        if key is not None:
            by_text.setdefault(key, []).append(k)
    out: list[_Kept] = []
    for k, key in zip(kept, keys, strict=True):
        copies = [k] if key is None else by_text[key]
        sure = [c.evidence for c in copies if c.evidence.confident]
        evidence = k.evidence
        if len({e.candidate for e in sure}) > 1:
            evidence = _NO_EVIDENCE
        elif sure and not evidence.confident:
            evidence = sure[0]
        out.append(_Kept(k.found, evidence, k.words, repeat=copies[0] is not k))
    return out


def _all_quote(para: str) -> bool:
    """Nothing but quotations in the paragraph (their marks and punctuation aside)."""
    outside = _mask(para, quote_spans(para)).replace("Q", " ")
    return not any(c.isalnum() for c in outside)


#: Characters after a paragraph's last quotation that still leave it ending with it
#: ('…,” Mr Brown told reporters.').
_CREDIT_TAIL = 40

#: A quotation of at most this many words is a term, not a statement ("taste", "three
#: amigos", "Glasgow,"): a name put on it is more often wrong than right, so it shows none.
_TERM_WORDS = 1

_REMEMBERED: frozenset[AttributionKind] = frozenset({"name", "pronoun", "definite", "subject"})


def _judge(
    source: EvidenceSource, reference: AttributionKind | None, speaker: str | None, sure: bool
) -> Evidence:
    """The evidence that ``source`` (naming the speaker as ``reference``) gives for
    ``speaker``: confident when the text binds the speaker to the quotation and the reference
    is ``sure`` (``Resolver.sure``)."""
    if speaker is None:
        return _NO_EVIDENCE
    confidence: Confidence = "none"
    if sure and source in BINDING_SOURCES:
        named = reference in _NAMED_REFERENCES or source == "transcript"
        confidence = "named" if named else "resolved"
    return Evidence(source, reference, speaker, confidence)


#: How the text names a speaker whose quotation may not talk about them by name: anything but
#: their name itself in the said-clause (a pronoun, "the 34-year-old", a continuation…).
_INDIRECT_REFERENCES: frozenset[AttributionKind | None] = frozenset(
    {None, "pronoun", "definite", "subject"}
)
_TITLE_WORDS = TITLES | MALE_TITLES | FEMALE_TITLES


def _unless_spoken_of(evidence: Evidence, found: _Found, resolver: Resolver) -> Evidence:
    """``evidence``, unsure when it names the speaker only indirectly (a pronoun, a
    continuation) and the quotation talks about that person by name ('“It was easy for Mary
    Lund to …,” she said': "she" is not Mary Lund). Only a closed quotation is read: one left
    open may run on into the writer's own words."""
    speaker = evidence.candidate
    if (
        not evidence.confident
        or speaker is None
        or evidence.reference not in _INDIRECT_REFERENCES
        or not found.span.closed
        or not _spoken_of(found.text, speaker)
        or resolver.gender_of(speaker) is None  # a body speaks of itself by name
    ):
        return evidence
    return _unsure(evidence)


def _unsure(evidence: Evidence) -> Evidence:
    """``evidence`` for the same candidate, too weak to show."""
    return Evidence(evidence.source, evidence.reference, evidence.candidate, "none")


def _spoken_of(text: str, speaker: str) -> bool:
    """``text`` names ``speaker`` (a person's full name) in the third person: their surname,
    not after another person's first name ("Teresa Lund" is not Patrick Lund)."""
    words = speaker.split()
    surname = words[-1]
    if len(words) < 2 or not surname[:1].isupper() or surname not in text:
        return False
    for m in re.finditer(rf"\b{re.escape(surname)}\b", text):
        before = text[: m.start()].split()
        prev = before[-1] if before else ""
        if prev[:1].isupper() and prev not in words and _norm(prev) not in _TITLE_WORDS:
            continue  # another person of that surname
        return True
    return False


def _norm(word: str) -> str:
    return word.rstrip(".").lower()


#: Guesses at a quotation's speaker from the subject of its sentence or the one before
_SUBJECT_GUESSES: frozenset[EvidenceSource | None] = frozenset(
    {"sentence_subject", "previous_subject"}
)


def _agreeing(own: Evidence, prev: Evidence | None) -> Evidence:
    """``own`` evidence, or the continuation of ``prev`` (the quotation before in the
    paragraph) when ``own`` is only a guess from a sentence's subject that names the same
    speaker ('“…,” Grisham told CNN. “…”')."""
    if (
        prev is None
        or own.confident
        or not prev.confident
        or own.source not in _SUBJECT_GUESSES
        or own.candidate != prev.candidate
    ):
        return own
    return _continuing(prev, "continuation")


def _continuing(earlier: Evidence, source: EvidenceSource) -> Evidence:
    """The evidence for a quotation that continues one attributed by ``earlier``."""
    confidence = earlier.confidence if source in BINDING_SOURCES else "none"
    return Evidence(source, None, earlier.candidate, confidence)


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


def _named_labels(found: list[_Found], resolver: Resolver) -> dict[int, str]:
    """Quotations that open with a person's full name and a colon, then a statement ('"Chris
    Matthews: Seriously, seriously about this. …"': a line of a transcript) and their
    speakers: the label names who speaks, whoever the text around names."""
    out: dict[int, str] = {}
    for i, f in enumerate(found):
        m = _NAME_LABEL.match(f.text)
        if m is None or len(f.text[m.end() :].split()) < _LABELLED_WORDS:
            continue  # "Donald Trump: A Life", a title
        name = clean_name(m.group(1))
        if name is None or not could_be_person(name) or is_place(m.group(1)):
            continue  # "South Dakota: if we were any higher, …", a place's slogan
        speaker = resolver.name(m.group(1))
        if speaker is not None:
            out[i] = speaker
    return out


_NAME_LABEL = re.compile(rf"({NAME_RUN.pattern}):\s")
#: the words after a name label that make it a statement, not a title
_LABELLED_WORDS = 8


def _inherit(
    paras: list[str], found: list[_Found], evidence: list[Evidence], resolver: Resolver
) -> None:
    """Quotes without their own attribution take the speaker of the quote they continue (one
    the paragraph before left open at its end and this one reopens, one in their paragraph,
    else up to two paragraphs back), or the one the paragraph before introduces."""
    by_para: dict[int, list[int]] = {}
    for i, f in enumerate(found):
        by_para.setdefault(f.para, []).append(i)
    last: Evidence | None = None
    last_para = -10
    last_at_end = False  # the last attributed paragraph ends with its last quotation
    # the evidence for the paragraph before's last quotation when it runs to the paragraph's
    # end without a closing mark (newsroom style: the quotation goes on in the next one)
    open_before: Evidence | None = None
    for pi in sorted(by_para):
        idxs = by_para[pi]
        reopens = pi - 1 in by_para and _reopens(paras[pi], found[idxs[0]])
        reopened = open_before if reopens else None
        # the next quote in the paragraph with its own attribution, for each position
        next_own: list[Evidence | None] = [None] * (len(idxs) + 1)
        for k in range(len(idxs) - 1, -1, -1):
            j = idxs[k]
            next_own[k] = evidence[j] if evidence[j].candidate else next_own[k + 1]
        prev: Evidence | None = None
        for k, i in enumerate(idxs):
            # where the text between this quotation and the one before it begins
            since = found[idxs[k - 1]].span.end + 1 if k else 0
            if k == 0 and reopened is not None and evidence[i].candidate is None:
                evidence[i] = _continuing(reopened, "continuation")
            elif k > 0 and evidence[i].candidate is None and found[i].attribution is None:
                before = evidence[idxs[k - 1]]
                if before.candidate and _reopened_after(paras[pi], found[idxs[k - 1]], found[i]):
                    evidence[i] = _continuing(before, "continuation")
            if evidence[i].candidate:
                evidence[i] = _agreeing(evidence[i], prev)
                prev = evidence[i]
                continue
            if found[i].attribution is not None or found[i].verb_near:
                continue  # its own sentence says who speaks, and we could not tell who
            ahead = next_own[k + 1]
            if prev is not None:
                evidence[i] = _after_earlier(paras[pi], found[i], since, prev, resolver)
            elif ahead is not None:
                evidence[i] = _continuing(ahead, "continuation")
            elif (
                last is not None
                and pi - last_para == 1
                and last_at_end
                and _statement_paragraph(paras[pi], found[i])
            ):
                # the paragraph before ends with an attributed quotation, and this one is
                # nothing but quotation: it goes on
                evidence[i] = _continuing(last, "continuation")
            else:
                reported = _reported_before(paras[pi], found[i], since, resolver)
                evidence[i] = reported or _introduced(
                    paras, pi, resolver, statement=_statement_paragraph(paras[pi], found[i])
                )
                if evidence[i].candidate is None and last is not None and pi - last_para <= 2:
                    evidence[i] = _continuing(last, "earlier_paragraph")
            if evidence[i].candidate:
                prev = evidence[i]
        for i in idxs:
            if evidence[i].candidate:
                last = evidence[i]
                last_para = pi
        tail = found[idxs[-1]]
        last_at_end = last_para == pi and len(paras[pi]) - tail.span.end <= _CREDIT_TAIL
        open_before = evidence[idxs[-1]] if _runs_on(paras[pi], tail.span) else None


def _runs_on(para: str, span: Span) -> bool:
    """The quotation runs to the end of its paragraph without a closing mark: it goes on in
    the next paragraph, which reopens it with a mark."""
    return not span.closed and not span.single and not para[span.end :].strip()


def _reopened_after(para: str, earlier: _Found, found: _Found) -> bool:
    """``found`` reopens the quotation ``earlier`` left open in the same text (a paragraph
    break lost in transit: '… on Robin. "It's just something …'): nothing but the mark
    between them."""
    return not earlier.span.closed and not para[earlier.span.end : found.span.start - 1].strip()


def _reopens(para: str, first: _Found) -> bool:
    """The paragraph opens with its first quotation (the reopening mark of one running on)."""
    return first.span.start <= 2 and not para[: first.span.start - 1].strip()


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
#: introduces it, tried in order, with the evidence each gives.
_INTRO_RULES: tuple[tuple[Callable[[str], Attribution | None], EvidenceSource], ...] = (
    (_colon_intro, "colon_intro"),
    (_reported_intro, "reported_intro"),
    (_narrative_subject, "narrative_intro"),
)


def _introduced(paras: list[str], pi: int, resolver: Resolver, *, statement: bool) -> Evidence:
    """The evidence for paragraph ``pi``'s unattributed quotation: as the paragraph before
    introduces it (``_INTRO_RULES``), else as a credit line after it names it ("- Sanders.").
    ``statement``: the paragraph is nothing but a quoted statement."""
    if pi > 0:
        for rule, source in _INTRO_RULES:
            intro = rule(paras[pi - 1])
            if intro is None:
                continue
            if statement and source == "reported_intro":
                quoted = _reported_then_quoted(paras[pi - 1], intro, pi - 1, resolver)
                if quoted is not None:
                    return quoted
            return _resolved(source, intro, pi - 1, resolver)
    if pi + 1 < len(paras):
        credit = _dash_credit(paras[pi + 1])
        if credit is not None:
            return _resolved("dash_credit", credit, pi + 1, resolver)
    return _NO_EVIDENCE


def _resolved(source: EvidenceSource, attr: Attribution, para: int, resolver: Resolver) -> Evidence:
    speaker = resolver.resolve(attr, para)
    sure = speaker is not None and resolver.sure(attr, para, speaker)
    return _judge(source, attr.kind, speaker, sure)


def _after_earlier(
    para: str, found: _Found, since: int, prev: Evidence, resolver: Resolver
) -> Evidence:
    """The evidence for a quotation with no attribution of its own after ``prev``'s in its
    paragraph: it continues that one, unless the sentence just before it reports what
    someone else said ('“…,” added Ken Bowersox. Bridenstine said there will be three
    rockets. “Adding one more could…”': Bridenstine's)."""
    reported = _reported_before(para, found, since, resolver)
    if reported is not None and reported.candidate != prev.candidate:
        return reported
    return _continuing(prev, "continuation")


def _statement_paragraph(para: str, first: _Found) -> bool:
    """The paragraph is nothing but a quoted statement: not an excerpt opened in the middle
    of a sentence ('“… prevent the evacuation of the civilians”', a document's words)."""
    opening = first.text[:1]
    return not (opening.islower() or opening in {"…", "."}) and _all_quote(para)


#: What ends the sentence before a quotation that opens its own ('… the company.' / '…?”')
_SENTENCE_END = re.compile(r"[.!?][\"'”’)]?\s*$")


def _reported_before(para: str, found: _Found, since: int, resolver: Resolver) -> Evidence | None:
    """The evidence for a quoted statement opening its own sentence after a sentence of its
    paragraph that reports what a named person said ('Kym Lino confirmed to the paper that
    the company notifies users. “We use a model …”'): as ``_reported_then_quoted``. Only
    the text since the quotation before (``since``) is read."""
    before = para[since : max(found.span.start - 1, since)]
    if not found.text[:1].isupper() or not _SENTENCE_END.search(before.rstrip()[-3:]):
        return None
    intro = _reported_intro(before)
    if intro is None:
        return None
    return _reported_then_quoted(before, intro, found.para, resolver)


def _reported_then_quoted(
    before: str, intro: Attribution, para: int, resolver: Resolver
) -> Evidence | None:
    """The evidence for a paragraph of nothing but a quoted statement after one whose last
    sentence reports what a named person said ('Erekat said it was the latest move. ¶ “They
    wanted us on our knees.”'): the newsroom's way of quoting that person. None unless the
    name is sure to be a person's or a body's."""
    if intro.kind != "name" or last_sentence(before.rstrip().rstrip(".!?"))[0] > intro.offset:
        return None
    speaker = resolver.resolve(intro, para)
    if speaker is None or not resolver.sure(intro, para, speaker):
        return None
    return Evidence("reported_intro", "name", speaker, "named")


@dataclass(frozen=True, slots=True)
class _Kept:
    """A quotation kept for ranking, with its resolved speaker and its number of words."""

    found: _Found
    evidence: Evidence
    words: int
    repeat: bool = False  # the same statement was quoted earlier in the article


def _named_weight(speaker: str | None, weights: QuoteWeights) -> float:
    if not speaker:
        return 0.0
    if speaker.split()[0].lower() in _INDEFINITE:
        return weights.description
    if len(speaker.split()) >= 2 and speaker[:1].isupper():
        return weights.full_name
    return weights.short_name


def _rank(kept: list[_Kept], n_paras: int, weights: QuoteWeights) -> list[AttributedQuote]:
    """The quotations, confidently attributed ones first (named speakers before resolved
    ones), then by score (ties: article order)."""
    scored: list[tuple[int, float, int, AttributedQuote]] = []
    for order, k in enumerate(kept):
        text = k.found.text
        shown = k.evidence.confident and k.words > _TERM_WORDS
        speaker = k.evidence.candidate if shown else None
        length = min(k.words / weights.full_words, 1.0)
        sentence = text.rstrip()[-1:] in ".!?,…;" or ". " in text
        full = 1.0 if text[:1].isupper() and sentence else 0.0
        named = _named_weight(speaker, weights)
        position = 1.0 - k.found.para / max(n_paras, 1)
        score = (
            weights.length * length
            + weights.named * named
            + weights.full_sentence * full
            + weights.position * position
        )
        quote = AttributedQuote(Quote(text, speaker, score), k.evidence)
        tier = _CONFIDENCE_ORDER[k.evidence.confidence if shown else "none"] + 3 * k.repeat
        scored.append((tier, round(score, 6), order, quote))
    scored.sort(key=lambda t: (t[0], -t[1], t[2]))
    return [q for _, _, _, q in scored]
