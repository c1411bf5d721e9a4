"""Condense speed: articles/s of ``condense()`` on CNN/DM dev beside sumy's LexRank, one core.

    python benchmarks/condense_speed.py [--limit N] [--repeat R]

All run in this process, pinned to one CPU (and BLAS limited to one thread) on the same
articles, in R interleaved rounds (each round times every runner once, from cold word caches);
the speed ratio is taken within each round and its median reported, which stays stable when
other processes load the machine; the ratio of the two runners' best passes is printed too (the
best pass is the usual estimate of code's own speed, as ``timeit`` takes the minimum).
sumy's own ``Tokenizer`` needs NLTK's punkt model, which
is not downloaded: LexRank runs with a stand-in that makes sumy's words as sumy does (NLTK's
word tokenizer, sumy's word filter) from our sentence splitter, and again with a cheaper regex
word tokenizer (a lower bound of LexRank's cost); both ratios are printed.
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
from digests.buildinfo import CONDENSING_MODULES, compiled_modules  # noqa: E402
from digests.condense import clear_caches, prepare  # noqa: E402
from digests.quotes import find_quotes  # noqa: E402
from digests.summarize import summarize  # noqa: E402
from digests.text import split_sentences  # noqa: E402


class SumyWordsTokenizer:
    """sumy's default English ``Tokenizer`` without NLTK data: its words as sumy makes them
    (``nltk.word_tokenize``'s Treebank-style tokenizer, then sumy's word filter), its sentences
    from our splitter instead of NLTK's punkt model (which would have to be downloaded)."""

    language = "english"

    def __init__(self) -> None:
        from nltk.tokenize import word_tokenize
        from sumy.nlp.tokenizers import Tokenizer

        self._words = word_tokenize
        self._is_word = Tokenizer._WORD_PATTERN.search

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return tuple(split_sentences(paragraph))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        # the sentence is already split: word_tokenize would run punkt on it again
        return tuple(filter(self._is_word, self._words(sentence, preserve_line=True)))


class RegexTokenizer:
    """A cheaper stand-in: words by one regex (LexRank runs faster with it than as shipped)."""

    language = "english"
    _WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return tuple(split_sentences(paragraph))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return tuple(self._WORD.findall(sentence))


def lexrank_runner(*, sumy_words: bool = True) -> Callable[[str], list[str]] | None:
    """sumy's LexRank (3 sentences) with sumy's own word tokenizer or the regex stand-in."""
    try:
        from sumy.nlp.stemmers import Stemmer
        from sumy.parsers.plaintext import PlaintextParser
        from sumy.summarizers.lex_rank import LexRankSummarizer
        from sumy.utils import get_stop_words
    except ImportError:
        return None
    tokenizer = SumyWordsTokenizer() if sumy_words else RegexTokenizer()
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
    texts = [row["text"] for row in read_jsonl(path, args.limit)]
    compiled = compiled_modules()
    if len(compiled) == len(CONDENSING_MODULES):
        print("build: condensing modules compiled with mypyc (setup.py)")
    elif not compiled:
        print("build: plain Python (no compiled modules; see setup.py)")
    else:
        print(f"build: partly compiled ({len(compiled)} of {len(CONDENSING_MODULES)} modules)")
    words = sum(len(t.split()) for t in texts)
    print(f"CNN/DM dev: {len(texts)} articles, {words / len(texts):.0f} words each on average")

    def ours(text: str) -> object:
        return condense(text, sentences=3)

    def summary_half(text: str) -> object:
        return summarize(prepare(text), title=None, sentences=3, avoid=[])

    def quotes_half(text: str) -> object:
        return find_quotes(prepare(text))

    lexrank = lexrank_runner(sumy_words=True)
    lexrank_regex = lexrank_runner(sumy_words=False)
    runners: dict[str, Callable[[str], object]] = {
        "condense": ours,
        "summary": summary_half,
        "quotes": quotes_half,
    }
    if lexrank is not None and lexrank_regex is not None:
        runners["lexrank"] = lexrank
        runners["lexrank_regex"] = lexrank_regex
    # Interleaved passes: every round times each runner once, so load from other processes on
    # a shared machine hits all alike; ratios are taken within a round, and medians reported.
    rates: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(args.repeat):
        for name, fn in runners.items():
            rates[name].append(rate(fn, texts))
    med = {name: statistics.median(values) for name, values in rates.items()}
    print(f"  {args.repeat} interleaved passes; medians (min-max) in articles/s:")
    labels = {
        "condense": "condense (summary + quotes)",
        "summary": "  summary half alone",
        "quotes": "  quotes half alone",
        "lexrank": "sumy LexRank, sumy's words",
        "lexrank_regex": "sumy LexRank, regex words",
    }
    for name in runners:
        low, high = min(rates[name]), max(rates[name])
        print(f"  {labels[name]:<30} {med[name]:8.1f}  ({low:.0f}-{high:.0f})")
    if lexrank is None:
        print("  sumy is not installed (pip install '.[bench]'): LexRank skipped")
    else:
        for base, base_label in (
            ("lexrank", "LexRank as shipped (sumy's word tokenizer)"),
            ("lexrank_regex", "LexRank with the cheaper regex words"),
        ):
            for name, label in (("condense", "condense"), ("summary", "summary half")):
                ratios = [a / b for a, b in zip(rates[name], rates[base], strict=True)]
                goal = " (target >= 10x, goal 25x)" if name == "condense" else ""
                best = max(rates[name]) / max(rates[base])
                print(
                    f"  speed ratio {label} / {base_label}: median "
                    f"{statistics.median(ratios):.1f}x (per-round {min(ratios):.1f}-"
                    f"{max(ratios):.1f}x; best pass / best pass {best:.1f}x){goal}"
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
