"""Extractive summarization. Pure functions.

Interface: ``summarize(paras: list[str], *, title: str | None, sentences: int, avoid: list[str])
-> list[str]``: the sentences of the gist, in article order; ``avoid`` are key-quote texts the
summary must not repeat.

Each sentence gets ``score = position prior + centrality + headline overlap - penalties`` where
centrality is the tf-idf cosine of the sentence to the whole document (idf over the document's
own sentences, so no model or data file is needed), then sentences are picked greedily with
redundancy removal (MMR). The summary never opens with a pronoun whose referent lies outside it:
the pronoun is replaced by the full name of the person named last before it, or the sentence
gives way to another; nor with a description or connective that points back ("The news
organization…", "However…"). A person named by surname alone is named in full at the summary's
first mention. A sentence repeating the headline (``title``) is never chosen; one without a
full stop, or holding only part of a quotation that runs over sentences, only when nothing else
is left. The coefficients in ``Weights`` were fitted on the dev sets by
``benchmarks/fit_summary.py``.

Speed (``benchmarks/condense_speed.py``): the tf-idf sums run over a word's document frequency
(no per-word weight table) and MMR is lazy (a heap of upper bounds), so only a few sentence pairs
are ever compared. No state is kept between calls.
"""

from __future__ import annotations

import dataclasses
import heapq
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain

from digests.condensing.lexicon import FEMALE_FIRST, MALE_FIRST, STOPWORDS
from digests.condensing.people import SentenceMention, sentence_mentions
from digests.condensing.sentences import split_sentences
from digests.condensing.text import headline_forms, repeats_headline


@dataclass(frozen=True, slots=True)
class Weights:
    """Coefficients of the sentence score.

    Fitted by ``benchmarks/fit_summary.py`` on coarse grids: everything but ``title`` on the
    worse of CNN/DM dev and XSum dev (gain over Lead-N); ``title`` on BBC dev (the only set with
    headlines). ``long_words`` is the length from which a sentence is penalised.
    ``quote_single`` replaces ``quote`` (the penalty on the share of a sentence inside quote
    marks) when the summary is a single sentence: a one-sentence gist should be the report's
    own statement rather than a quotation (XSum dev R1/R2 16.99/1.84 -> 17.16/1.88).
    ``redundancy`` 0.7 -> 1.0 once the summary stopped steering around the key quotes (a
    quotation and its paraphrase may now both be candidates): on the worse CNN/DM dev half the
    gain over Lead-3 went from +0.15/-0.01 to +0.50/+0.24 (R1/R2).
    """

    position: float = 0.8
    position_decay: float = 0.5
    centrality: float = 2.0
    title: float = 1.0
    quote: float = 0.3
    quote_single: float = 1.5
    redundancy: float = 1.0
    no_final_punct: float = 0.3
    long_sentence: float = 0.3
    long_words: int = 25
    idf_power: float = 1.0
    lead: float = 0.0


DEFAULT_WEIGHTS = Weights()

MIN_WORDS = 5
MAX_WORDS = 70
MAX_SENTENCES = 2000


# Words of any script (lower-cased first); an English clitic ("'s", "n't") is left out.
_WORD = re.compile(r"([^\W_]+)(?:['’][^\W\d_]+)?")
# A quote mark opens after a space/start/bracket/colon and closes before a space/punctuation/end.
# (each starts with its marks as a character set, so the regex engine jumps from mark to mark
# in its search, trying the pattern nowhere else; a lookahead first did not let it: it tried
# the pattern at every character. The character before the first mark is then read by a
# lookbehind over it and the mark: for an opening, not one outside the opening context, which
# also holds at the start of the text)
_QUOTE_OPEN = re.compile(r"[\"“‘'«](?<![^\s(\[:—–-].)[\"“‘'«]*(?=\w)")
_QUOTE_CLOSE = re.compile(r"[\"”’'»](?<=[\w.,!?…].)[\"”’'»]*(?=$|[\s,.;:!?)\]—–-])")
_TERMINAL = re.compile(r"[.!?…][\"”’')\]]*$")
_PRONOUN_OPEN = re.compile(
    r"^[\"“‘']?(He|She|His|Her|They|Their|Them|It|Its|This|These|Those|Him|We|Our|I)\b(?!['’]s)"
)
_NAMEABLE = {"He": "", "She": "", "His": "'s", "Her": "'s"}
_PHOTO_NOTE = re.compile(
    r"\s*\((?:(?:pictured|left|right|centre|center|above|below|top|bottom|inset|main|file"
    r"|stock|second|far|front|back|with|in|and)(?:[\s,]+|(?=\))))+"
    r"(?:left|right|picture|photo|image|pictured|row|centre|center)?\)",
    re.IGNORECASE,
)
#: How many paragraphs into the page the headline line may come (after a teaser).
HEADLINE_WITHIN = 6
# An opening that points back at what the article said before: a definite description that
# stands for a name ("The news organization", "The company") or a connective ("However").
_ANAPHORIC_OPEN = re.compile(
    r"^[\"“‘']?(?:The (?:news organi[sz]ation|organi[sz]ation|outlet|newspaper|network|company"
    r"|firm|agency|report|statement|move|decision|announcement|former|latter|pair|duo|couple"
    r"|two men|two women|aforementioned)"
    r"|However|But|Still|Yet|Also|Instead|Nevertheless|Nonetheless|Moreover|Furthermore"
    r"|Likewise|Similarly|Otherwise|Additionally|In addition|Such|Both)\b"
)
FIRST_NAMES = MALE_FIRST | FEMALE_FIRST
#: How many sentences back a pronoun's referent may be named.
REFERENT_WINDOW = 3


@lru_cache(maxsize=1 << 14)
def stem(word: str) -> str:
    """A crude suffix stripper (plurals, -ed, -ing): enough to match word forms in one text.

    Cached (bounded; pure): an article's words recur, in it and across articles, and the
    summary stems every word of every sentence."""
    last = word[-1]
    if last == "s":
        if len(word) > 4 and word.endswith("ies"):
            return word[:-3] + "y"
        if len(word) > 3 and not word.endswith("ss"):
            return word[:-1]
    elif last == "d":
        if len(word) > 4 and word.endswith("ed"):
            return word[:-2]
    elif last == "g" and len(word) > 5 and word.endswith("ing"):
        return word[:-3]
    return word


# Punctuation that follows a word (no word characters): cut off before the word is checked.
_TRAILING_MARKS = ".,;:!?\"”’')"


def content_words(text: str) -> list[str]:
    """Lower-cased, crudely stemmed words without stopwords.

    The text is split at spaces first, which no ``_WORD`` match spans: most pieces are letters
    or digits alone, the one word the pattern would find in them, and only the others (a
    piece with punctuation or a clitic) go through the pattern. Same words, a third fewer
    instructions than running the pattern over the whole text. A piece that is such a word
    followed by punctuation ("said.", "year,") is that word too: the marks cut off are no word
    characters, and the clitic ending of the pattern needs a letter after its apostrophe."""
    out: list[str] = []
    for piece in text.lower().split():
        if not piece.isalnum():  # what ``[^\W_]+`` matches: letters and digits of any script
            word = piece.rstrip(_TRAILING_MARKS)
            if not word.isalnum():
                out += [stem(w) for w in _WORD.findall(piece) if w not in STOPWORDS]
                continue
            piece = word
        if piece not in STOPWORDS:
            out.append(stem(piece))
    return out


@dataclass(frozen=True, slots=True)
class _Article:
    """The sentences of an article and what scoring needs of each (parallel lists)."""

    texts: list[str]
    words: list[list[str]]  # content words (``content_words``)
    n_words: list[int]  # words as written
    eligible: list[bool]  # may be chosen before the fallback (length, not a question, ...)
    headline: list[bool]  # repeats the headline: never chosen
    quote_share: list[float]
    punctuated: list[bool]


def _quote_share(text: str) -> float:
    """The share of the sentence inside quote marks (an unclosed quote runs to the end).

    No pre-check for a quote mark: most sentences hold one (an apostrophe), and the search for
    an opening, which jumps from mark to mark, finds none in the others just as fast."""
    quoted = 0
    pos = 0
    while True:
        opening = _QUOTE_OPEN.search(text, pos)
        if opening is None:
            break
        closing = _QUOTE_CLOSE.search(text, opening.end())
        end = closing.start() if closing else len(text)
        quoted += end - opening.end()
        pos = closing.end() if closing else len(text)
    return min(1.0, quoted / max(1, len(text)))


def quotes_repeated(summary: list[str], quotes: list[str]) -> list[bool]:
    """For each quote, whether a summary sentence repeats it: holds it, or is mostly its
    words. Each summary sentence is lower-cased and split into words once, not once per quote."""
    if not quotes:
        return []
    sentences = [(text.lower(), set(content_words(text))) for text in summary]
    out: list[bool] = []
    for quote in quotes:
        avoid = [(quote.lower().strip()[:200], set(content_words(quote)))]
        out.append(any(_repeats(low, words, avoid) for low, words in sentences))
    return out


def _repeats(low: str, words: set[str], avoid: list[tuple[str, set[str]]]) -> bool:
    """Whether a sentence (``low``, lower-cased, with its content ``words``) holds one of the
    ``avoid`` texts (lower-cased, with theirs) or is mostly its words."""
    for raw, avoid_words in avoid:
        if raw and raw in low:
            return True
        if avoid_words and words and len(words & avoid_words) / len(words) >= 0.6:
            return True
    return False


def _quotes_balanced(text: str) -> bool:
    """False for a piece of a quotation that runs over several sentences (a closing mark
    without its opening one, or the reverse): it does not stand on its own."""
    return text.count("“") == text.count("”") and text.count('"') % 2 == 0


def _split(paras: list[str]) -> list[str]:
    """The sentences of the paragraphs, at most ``MAX_SENTENCES``."""
    texts: list[str] = []
    for para in paras:
        texts += split_sentences(para)
        if len(texts) >= MAX_SENTENCES:
            del texts[MAX_SENTENCES:]
            break
    return texts


def _story(paras: list[str], forms: list[tuple[str, ...]]) -> list[str]:
    """The paragraphs from the headline line on when the page put a teaser above it (a line
    without a full stop: another story's title); the paragraphs as given otherwise."""
    for k, para in enumerate(paras[1:HEADLINE_WITHIN], start=1):
        if repeats_headline(para, forms):
            if any(not _TERMINAL.search(p) for p in paras[:k]):
                return paras[k:]
            break
    return paras


def _analyse(paras: list[str], avoid: list[str], title: str | None) -> _Article:
    """Split the paragraphs into sentences (at most ``MAX_SENTENCES``) and describe each."""
    forms = headline_forms(title)
    texts = _split(_story(paras, forms) if forms else paras)
    n_words = [text.count(" ") + 1 for text in texts]
    words = [content_words(text) for text in texts]
    avoid_sets = [(a.lower().strip()[:200], set(content_words(a))) for a in avoid if a.strip()]
    # (most end in a full stop: the regex only for the others)
    punctuated = [t[-1] == "." or _TERMINAL.search(t, len(t) - 6) is not None for t in texts]
    eligible = [
        MIN_WORDS <= n <= MAX_WORDS
        and len(w) >= 3
        and ended
        and (text[-1] == "." or not text.rstrip("\"”’') ").endswith("?"))
        and not (avoid_sets and _repeats(text.lower(), set(w), avoid_sets))
        and _quotes_balanced(text)
        for text, w, n, ended in zip(texts, words, n_words, punctuated, strict=True)
    ]
    return _Article(
        texts=texts,
        words=words,
        n_words=n_words,
        eligible=eligible,
        headline=[repeats_headline(t, forms) for t in texts],
        quote_share=list(map(_quote_share, texts)),
        punctuated=punctuated,
    )


class _Similarity:
    """Cosine similarity of two sentences' tf-idf vectors, computed on demand and remembered.

    MMR asks for only a few pairs, so no sentence vector is built in advance: the sentences'
    content words, the words' document frequencies, the squared idf of each frequency and the
    vectors' lengths are enough.
    """

    __slots__ = ("_cache", "_df", "_distinct", "_idf2_by_df", "_norms", "_words")

    def __init__(
        self,
        words: list[list[str]],
        distinct: list[set[str]],
        df: dict[str, int],
        idf2_by_df: dict[int, float],
        norms: list[float],
    ):
        self._words = words
        self._distinct = distinct
        self._df = df
        self._idf2_by_df = idf2_by_df
        self._norms = norms
        self._cache: dict[tuple[int, int], float] = {}

    def _idf2(self, word: str) -> float:
        return self._idf2_by_df[self._df[word]]

    def __call__(self, i: int, j: int) -> float:
        key = (i, j) if i < j else (j, i)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        a, b = self._distinct[i], self._distinct[j]
        shared = a & b
        wa, wb = self._words[i], self._words[j]
        if len(a) == len(wa) and len(b) == len(wb):  # no repeated word: every count is 1
            dot = sum(map(self._idf2_by_df.__getitem__, map(self._df.__getitem__, shared)))
        else:
            dot = sum([wa.count(w) * wb.count(w) * self._idf2(w) for w in shared])
        value = dot / (self._norms[i] * self._norms[j])
        self._cache[key] = value
        return value


def _scores(art: _Article, title: str | None, weights: Weights) -> tuple[list[float], _Similarity]:
    """Each sentence's score, and the similarity of sentence pairs for redundancy removal.

    Centrality is the cosine of the sentence's tf-idf vector ``s`` to the whole document's
    ``d`` (idf over the document's own sentences). With ``t(w)`` a word's count in the document
    and ``c(w)`` in the sentence, ``s.d = sum(c(w) idf(w)^2 t(w))`` is a sum over the sentence's
    words as written, and ``|s|^2 = sum(c(w)^2 idf(w)^2)`` one over its distinct words (plus a
    correction for the few repeated ones): sums that run without a Python-level loop, over
    weights that depend on a word only through its document frequency (but for repeats). So
    no per-word table is built: each word is looked up by its document frequency (``df``), or
    itself when a repeat patched its weight (``key``).
    """
    n = len(art.texts)
    words = art.words
    distinct = list(map(set, words))
    df = Counter(chain.from_iterable(distinct))
    log = math.log
    p2 = 2.0 * weights.idf_power
    idf2_by_df = {c: log((n + 1) / (c + 0.5)) ** p2 for c in set(df.values())}
    # idf(w)^2 t(w), the document's weight on a word occurrence, of the word's ``key``; t(w) =
    # df(w) when no sentence repeats the word, so it is a function of df, patched below for
    # the repeated words (which become their own keys)
    to_doc: dict[int | str, float] = {c: c * x for c, x in idf2_by_df.items()}
    key: Mapping[str, int | str] = df
    patched: dict[str, int | str] | None = None  # ``key`` once a repeat changed it
    idf2 = idf2_by_df.__getitem__
    squares = [sum(map(idf2, map(df.__getitem__, d))) for d in distinct]
    # Sentences that repeat a word: there it counts c^2 times in |s|^2 and c times in t(w).
    for i, sent_words in enumerate(words):
        if len(sent_words) == len(distinct[i]):
            continue  # no word repeated
        counts = Counter(sent_words)
        for w in sorted(w for w, c in counts.items() if c > 1):
            c = counts[w]
            x = idf2(df[w])
            squares[i] += (c * c - 1) * x
            if patched is None:
                key = patched = dict(df)
            to_doc[w] = to_doc[patched[w]] + (c - 1) * x
            patched[w] = w
    norms = [x or 1.0 for x in map(math.sqrt, squares)]
    weight, key_of = to_doc.__getitem__, key.__getitem__
    dots = [sum(map(weight, map(key_of, w))) for w in words]
    # sum over sentences of s.d = sum over words of idf(w)^2 t(w)^2 = |d|^2
    doc_norm = math.sqrt(sum(dots))
    title_words = set(content_words(title or ""))
    w_position, decay = weights.position, weights.position_decay
    w_centrality = weights.centrality / (doc_norm or 1.0)
    long_words = weights.long_words
    scores: list[float] = []
    for rank, (dot, norm, n_words) in enumerate(zip(dots, norms, art.n_words, strict=True)):
        score = w_position / (1.0 + rank) ** decay + w_centrality * dot / norm
        if title_words:
            overlap = len(title_words.intersection(distinct[rank]))
            score += weights.title * overlap / len(title_words)
        score -= weights.quote * art.quote_share[rank]
        if not art.punctuated[rank]:
            score -= weights.no_final_punct
        if n_words > long_words:
            score -= weights.long_sentence * min(1.0, (n_words - long_words) / long_words)
        scores.append(score)
    lead = next((i for i, ok in enumerate(art.eligible) if ok and not art.headline[i]), None)
    if lead is not None:
        scores[lead] += weights.lead
    return scores, _Similarity(words, distinct, df, idf2_by_df, norms)


def _named(index: int, text: str, names: list[SentenceMention]) -> str | None:
    """The sentence with its opening pronoun named, itself if it needs none, None if it can't.

    The name is that of the person mentioned first (the likely subject) in the closest earlier
    sentence that mentions anyone.
    """
    m = _PRONOUN_OPEN.match(text)
    if not m:
        return text
    pronoun = m.group(1)
    if pronoun not in _NAMEABLE:
        return None
    before = [m for m in names if index - REFERENT_WINDOW <= m.sentence < index]
    if not before:
        return None
    last = before[-1].sentence
    name = min((m.offset, m.name) for m in before if m.sentence == last)[1]
    return text[: m.start(1)] + name + _NAMEABLE[pronoun] + text[m.end(1) :]


def _greedy(
    art: _Article,
    scores: list[float],
    similarity: Callable[[int, int], float],
    weights: Weights,
    banned: set[int],
    enough: Callable[[list[int]], bool],
) -> list[int]:
    """Sentence indices in the order MMR picks them, until ``enough`` says stop.

    MMR picks the sentence of highest ``score - redundancy * (max similarity to those picked)``
    (ties: the earlier one). The redundancy term only grows, so a value computed before the
    last picks is an upper bound: a heap of such bounds (lazy greedy) finds the best after
    computing the similarities of a few candidates, not of all of them at every pick.
    """
    indices = [i for i in range(len(art.texts)) if i not in banned and not art.headline[i]]
    pool = [i for i in indices if art.eligible[i]]
    spare = [i for i in indices if not art.eligible[i]]
    redundancy = weights.redundancy
    chosen: list[int] = []
    overlap: dict[int, float] = {}
    # (-bound, index, how many of ``chosen`` the bound accounts for)
    heap = [(-scores[i], i, 0) for i in pool]
    heapq.heapify(heap)
    while not enough(chosen):
        if not heap:  # short or odd texts: fall back to what is left, in article order
            if not spare:
                break
            # Their redundancy counts only the picks made from now on (as it always has).
            heap = [(-scores[i], i, len(chosen)) for i in spare]
            heapq.heapify(heap)
            spare = []
        picked = len(chosen)
        while heap[0][2] != picked:
            _, i, seen = heap[0]
            value = overlap.get(i, 0.0)
            for j in chosen[seen:]:
                value = max(value, similarity(i, j))
            overlap[i] = value
            heapq.heapreplace(heap, (-(scores[i] - redundancy * value), i, picked))
        chosen.append(heapq.heappop(heap)[1])
    return chosen


def _choose(
    paras: list[str],
    title: str | None,
    avoid: list[str],
    weights: Weights,
    enough: Callable[[_Article, list[int]], bool],
) -> list[str]:
    """Summary sentences in article order, the opening pronoun named or avoided."""
    art = _analyse(paras, avoid, title)
    texts = art.texts
    if not texts:
        return []
    scores, similarity = _scores(art, title, weights)
    names: list[SentenceMention] | None = None
    banned: set[int] = set()

    def done(chosen: list[int]) -> bool:
        return enough(art, chosen)

    chosen: list[int] = []
    for _ in range(8):
        chosen = sorted(_greedy(art, scores, similarity, weights, banned, done))
        if not chosen:
            return []
        first = chosen[0]
        if first == 0 or art.headline[first - 1]:
            # The article's own first sentence can open with a pronoun: its referent follows.
            break
        if _ANAPHORIC_OPEN.match(texts[first]):
            banned.add(first)  # "The news organization…", "However, …": it needs what came before
            continue
        if not _PRONOUN_OPEN.match(texts[first]):
            break
        if names is None:
            names = sentence_mentions(texts)
        if _named(first, texts[first], names) is not None:
            break
        banned.add(first)
    out: list[str] = []
    for pos, i in enumerate(chosen):
        text = texts[i]
        follows = pos > 0 and chosen[pos - 1] == i - 1
        if i > 0 and not follows and _PRONOUN_OPEN.match(text):
            if names is None:
                names = sentence_mentions(texts)
            text = _named(i, text, names) or text
        out.append(text)
    return [_clip(text) for text in _introduce(texts, chosen, out)]


# A capitalised word standing alone (no capitalised word just before or after it): a surname
# used on its own ("Harris said"). (The capital opens the pattern, a character set the regex
# engine jumps to in its search; the lookbehinds over the capital read what comes before it.)
_LONE_CAPITAL = re.compile(
    r"([A-Z](?<![A-Za-z.] .)(?<![A-Za-z].)[a-z]+(?:[-'’][A-Z][a-z]+)?)\b(?! [A-Z])"
)


def _introduce(texts: list[str], chosen: list[int], out: list[str]) -> list[str]:
    """The summary with each person it mentions by surname alone ("Harris said") named in full
    ("Kamala Harris said") at the first mention, when no earlier summary sentence names them
    and an earlier sentence of the article gives the full name with a common first name."""
    result: list[str] = []
    for index, text in zip(chosen, out, strict=True):
        before = " ".join(texts[:index])
        for m in reversed(list(_LONE_CAPITAL.finditer(text))):
            full = _full_name(m.group(1), before)
            if full and not any(full in earlier for earlier in result):
                text = text[: m.start(1)] + full + text[m.end(1) :]
        result.append(text)
    return result


def _full_name(surname: str, before: str) -> str | None:
    """The first full name "First [M.] Surname" in ``before`` whose first name is a common one."""
    if surname not in before or surname.lower() in FIRST_NAMES:
        return None
    pattern = rf"\b([A-Z][a-z]+)(?: [A-Z]\.)? {re.escape(surname)}\b"
    for m in re.finditer(pattern, before):
        if m.group(1).lower() in FIRST_NAMES:
            return m.group(0)
    return None


def _clip(text: str) -> str:
    """The sentence without photo directions ("(pictured)"); a run-on one cut at a word."""
    if "(" in text:
        text = _PHOTO_NOTE.sub("", text)
    if text.count(" ") < MAX_WORDS:
        return text
    return " ".join(text.split(" ", MAX_WORDS)[:MAX_WORDS]) + "…"


def summarize(
    paras: list[str],
    *,
    title: str | None,
    sentences: int,
    avoid: list[str],
    weights: Weights = DEFAULT_WEIGHTS,
) -> list[str]:
    """The ``sentences`` sentences that carry the gist, in article order."""
    if sentences == 1:
        weights = dataclasses.replace(weights, quote=weights.quote_single)
    return _choose(paras, title, avoid, weights, lambda _, chosen: len(chosen) >= sentences)


def summarize_words(
    paras: list[str],
    *,
    title: str | None,
    words: int,
    avoid: list[str],
    weights: Weights = DEFAULT_WEIGHTS,
) -> list[str]:
    """Summary sentences (article order) covering at least ``words`` words when the text allows."""

    def enough(art: _Article, chosen: list[int]) -> bool:
        return sum([art.n_words[i] for i in chosen]) >= words

    return _choose(paras, title, avoid, weights, enough)
