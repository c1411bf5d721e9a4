"""Condense speed: articles/s of ``condense()`` on CNN/DM dev beside sumy's LexRank, one core.

    python benchmarks/condense_speed.py [--limit N] [--repeat R]

``condense`` is called as the service calls it (``condense(text, title=title)``, the default
three sentences). All run in this process, pinned to one CPU (and BLAS limited to one thread)
on the same articles, in R rounds. In a round, condense and LexRank take turns every 16
articles, so load from elsewhere on a shared machine falls on both alike; word caches start
cold each round. The speed ratio is taken within each round and its median reported, with the
ratio of the best rounds (the usual estimate of code's own speed, as ``timeit`` takes the
minimum). The two halves of condense are timed in passes of their own.

LexRank "as shipped" is sumy's own ``Tokenizer`` code (punkt sentences, ``nltk.word_tokenize``
words, sumy's word filter), ``PlaintextParser`` and ``LexRankSummarizer``. The one difference:
sumy loads NLTK's downloaded English punkt model, and this benchmark downloads nothing, so a
punkt model is trained (untimed) on the same articles. LexRank is timed again with our
sentence splitter and a regex word tokenizer, a lower bound of its cost; both ratios are printed.
Then memory: the peak (tracemalloc) while condensing the set, and a 1 MB text (repeated
articles) condensed with bounded time and memory. Exits 0 with a note when
``../shared/corpus`` is absent.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse
import re
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
for _p in (str(HERE), str(HERE.parent)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from _corpus import corpus_dir, read_jsonl  # noqa: E402

from digests import condense  # noqa: E402
from digests.condensing import clear_caches, prepare  # noqa: E402
from digests.condensing.quotes import find_quotes  # noqa: E402
from digests.condensing.sentences import split_sentences  # noqa: E402
from digests.condensing.summarize import summarize  # noqa: E402


def sumy_tokenizer(texts: Sequence[str]) -> Any:
    """sumy's own English ``Tokenizer``, as shipped, but with a punkt model trained here.

    sumy loads NLTK's English punkt model, which would have to be downloaded. This builds the
    same ``Tokenizer`` object around a punkt model trained (untimed, in this run) on the
    benchmark's own articles, news text like the model's. Everything timed is sumy's and NLTK's
    own code: sumy's ``to_sentences`` (punkt, with sumy's extra abbreviations) and ``to_words``
    (``nltk.word_tokenize``: punkt again, then the Treebank word tokenizer; sumy's word filter).
    """
    from nltk.tokenize import NLTKWordTokenizer
    from nltk.tokenize.punkt import PunktSentenceTokenizer, PunktTrainer
    from sumy.nlp.tokenizers import Tokenizer

    trainer = PunktTrainer()
    trainer.train("\n\n".join(texts), finalize=True)
    punkt = PunktSentenceTokenizer(trainer.get_params())
    treebank = NLTKWordTokenizer()

    class WordTokenizer:
        """``nltk.word_tokenize(text)``'s body, with the trained punkt in place of the download."""

        @staticmethod
        def tokenize(text: str) -> list[str]:
            return [token for sent in punkt.tokenize(text) for token in treebank.tokenize(sent)]

    tokenizer: Any = Tokenizer.__new__(Tokenizer)
    tokenizer._language = "english"
    tokenizer._sentence_tokenizer = punkt
    tokenizer._word_tokenizer = WordTokenizer()
    return tokenizer


class RegexTokenizer:
    """A cheaper stand-in: our sentence splitter and words by one regex (a lower bound of
    LexRank's cost; it runs much faster than as shipped)."""

    language = "english"
    _WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return tuple(split_sentences(paragraph))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return tuple(self._WORD.findall(sentence))


def lexrank_runner(tokenizer: Any) -> Callable[[str], list[str]] | None:
    """sumy's LexRank (3 sentences, English stemmer and stop words) with ``tokenizer``."""
    try:
        from sumy.nlp.stemmers import Stemmer
        from sumy.parsers.plaintext import PlaintextParser
        from sumy.summarizers.lex_rank import LexRankSummarizer
        from sumy.utils import get_stop_words
    except ImportError:
        return None
    summarizer = LexRankSummarizer(Stemmer("english"))
    summarizer.stop_words = get_stop_words("english")

    def run(text: str) -> list[str]:
        parser: Any = PlaintextParser.from_string(text, tokenizer)
        return [str(s) for s in summarizer(parser.document, 3)]

    return run


def rate(fn: Callable[[str], object], texts: list[str]) -> float:
    """Articles per second of one pass over ``texts``, from a cold start.

    The bounded caches of word-level functions (token stems, names) are emptied first, so no
    pass profits from having seen the same articles before (within a pass, articles share
    common words as any stream).
    """
    clear_caches()
    start = time.perf_counter()
    for text in texts:
        fn(text)
    return len(texts) / (time.perf_counter() - start)


def interleaved_rates(
    runners: dict[str, Callable[[str], object]], texts: list[str], block: int = 16
) -> dict[str, float]:
    """One round: the articles in blocks of ``block``, every block through each runner in turn.

    Load from elsewhere on a shared machine comes and goes over seconds; taking turns every
    block lets it fall on all runners in proportion to their own time, instead of swallowing a
    whole pass of the fastest. A block is long enough for each runner to run with warm CPU
    caches (taking turns at every article would leave the faster one always starting cold after
    the slower). Word caches are emptied at the start of the round, as in :func:`rate`.
    """
    clear_caches()
    spent = dict.fromkeys(runners, 0.0)
    clock = time.perf_counter
    for first in range(0, len(texts), block):
        chunk = texts[first : first + block]
        for name, fn in runners.items():
            start = clock()
            for text in chunk:
                fn(text)
            spent[name] += clock() - start
    return {name: len(texts) / seconds for name, seconds in spent.items()}


def peak_memory(fn: Callable[[], object]) -> tuple[float, float]:
    """(seconds, peak MiB traced) of one call."""
    tracemalloc.start()
    start = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, peak / 2**20


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=7, help="interleaved rounds")
    args = parser.parse_args(argv)
    path = corpus_dir("summarization", "cnndm_dev.jsonl")
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        print(f"pinned to CPU {cpu}")
    rows = list(read_jsonl(path, args.limit))
    texts = [row["text"] for row in rows]
    titles = {row["text"]: row.get("title") for row in rows}
    words = sum(len(t.split()) for t in texts)
    print(f"CNN/DM dev: {len(texts)} articles, {words / len(texts):.0f} words each on average")

    def ours(text: str) -> object:
        # as the service calls it (``jobs.default_condense``): the entry's title, the
        # default number of sentences
        return condense(text, title=titles.get(text))

    def summary_half(text: str) -> object:
        return summarize(prepare(text), title=titles.get(text), sentences=3, avoid=[])

    def quotes_half(text: str) -> object:
        return find_quotes(prepare(text))

    try:
        shipped = sumy_tokenizer(texts)
    except ImportError:
        shipped = None
    lexrank = lexrank_runner(shipped) if shipped is not None else None
    lexrank_regex = lexrank_runner(RegexTokenizer())
    compared: dict[str, Callable[[str], object]] = {"condense": ours}
    if lexrank is not None and lexrank_regex is not None:
        compared["lexrank"] = lexrank
        compared["lexrank_regex"] = lexrank_regex
    halves: dict[str, Callable[[str], object]] = {"summary": summary_half, "quotes": quotes_half}
    # condense and LexRank take turns article by article (interleaved_rates); the two halves,
    # which would find condense's word caches warm for the same article, run whole passes.
    rates: dict[str, list[float]] = {name: [] for name in [*compared, *halves]}
    for _ in range(args.repeat):
        for name, value in interleaved_rates(compared, texts).items():
            rates[name].append(value)
        for name, fn in halves.items():
            rates[name].append(rate(fn, texts))
    med = {name: statistics.median(values) for name, values in rates.items()}
    print(f"  {args.repeat} rounds; medians (min-max) in articles/s:")
    labels = {
        "condense": "condense (summary + quotes)",
        "summary": "  summary half alone",
        "quotes": "  quotes half alone",
        "lexrank": "sumy LexRank as shipped",
        "lexrank_regex": "sumy LexRank, regex words",
    }
    for name in ("condense", *halves, *list(compared)[1:]):
        low, high = min(rates[name]), max(rates[name])
        print(f"  {labels[name]:<30} {med[name]:8.1f}  ({low:.0f}-{high:.0f})")
    if lexrank is None:
        print("  sumy is not installed (pip install '.[bench]'): LexRank skipped")
    else:
        for base, base_label in (
            ("lexrank", "LexRank as shipped"),
            ("lexrank_regex", "LexRank with regex words"),
        ):
            for name, label in (("condense", "condense"), ("summary", "summary half")):
                ratios = [a / b for a, b in zip(rates[name], rates[base], strict=True)]
                headline = (name, base) == ("condense", "lexrank")
                goal = " (issue 10: >= 5x in plain Python)" if headline else ""
                best = max(rates[name]) / max(rates[base])
                print(
                    f"  speed ratio {label} / {base_label}: median "
                    f"{statistics.median(ratios):.1f}x (per-round {min(ratios):.1f}-"
                    f"{max(ratios):.1f}x; best / best {best:.1f}x){goal}"
                )

    elapsed, peak = peak_memory(lambda: [ours(t) for t in texts])
    print(f"  peak traced memory condensing the whole set: {peak:.1f} MiB ({elapsed:.2f}s)")
    big = ""
    while len(big) < 1_000_000:
        big += "\n\n".join(texts) + "\n\n"
    big = big[:1_000_000]
    elapsed, peak = peak_memory(lambda: ours(big))
    print(f"  1 MB text: {elapsed:.2f}s, peak traced memory {peak:.1f} MiB")
    big5 = (big * 5)[:5_000_000]
    elapsed, peak = peak_memory(lambda: ours(big5))
    print(f"  5 MB text: {elapsed:.2f}s, peak traced memory {peak:.1f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
