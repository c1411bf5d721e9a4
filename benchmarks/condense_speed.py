"""Condense speed: articles/s of ``condense()`` on CNN/DM dev beside sumy's LexRank, one core.

    python benchmarks/condense_speed.py [--limit N] [--repeat R]

Both run in this process, pinned to one CPU (and BLAS limited to one thread) on the same
articles. sumy gets a regex tokenizer object (``to_sentences``/``to_words``) instead of
``sumy.nlp.tokenizers.Tokenizer``, which would need NLTK's punkt data: nothing is downloaded.
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
from digests.condense import prepare  # noqa: E402
from digests.quotes import find_quotes  # noqa: E402
from digests.summarize import summarize  # noqa: E402
from digests.text import split_sentences  # noqa: E402


class RegexTokenizer:
    """What sumy's parsers need from a tokenizer, without NLTK data."""

    language = "english"
    _WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return tuple(split_sentences(paragraph))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return tuple(self._WORD.findall(sentence))


def lexrank_runner() -> Callable[[str], list[str]] | None:
    try:
        from sumy.nlp.stemmers import Stemmer
        from sumy.parsers.plaintext import PlaintextParser
        from sumy.summarizers.lex_rank import LexRankSummarizer
        from sumy.utils import get_stop_words
    except ImportError:
        return None
    tokenizer = RegexTokenizer()
    summarizer = LexRankSummarizer(Stemmer("english"))
    summarizer.stop_words = get_stop_words("english")

    def run(text: str) -> list[str]:
        parser: Any = PlaintextParser.from_string(text, tokenizer)
        return [str(s) for s in summarizer(parser.document, 3)]

    return run


def rate(fn: Callable[[str], object], texts: list[str], repeat: int) -> float:
    """Articles per second (best of ``repeat`` passes)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for text in texts:
            fn(text)
        best = min(best, time.perf_counter() - start)
    return len(texts) / best


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
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    path = corpus_dir("summarization", "cnndm_dev.jsonl")
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        print(f"pinned to CPU {cpu}")
    texts = [row["text"] for row in read_jsonl(path, args.limit)]
    words = sum(len(t.split()) for t in texts)
    print(f"CNN/DM dev: {len(texts)} articles, {words / len(texts):.0f} words each on average")

    def ours(text: str) -> object:
        return condense(text, sentences=3)

    def summary_half(text: str) -> object:
        return summarize(prepare(text), title=None, sentences=3, avoid=[])

    def quotes_half(text: str) -> object:
        return find_quotes(prepare(text))

    lexrank = lexrank_runner()
    runners: dict[str, Callable[[str], object]] = {
        "condense": ours,
        "summary": summary_half,
        "quotes": quotes_half,
    }
    if lexrank is not None:
        runners["lexrank"] = lexrank
    # Interleaved passes (best of each), so load from other processes hits all alike.
    rates = dict.fromkeys(runners, 0.0)
    for _ in range(args.repeat):
        for name, fn in runners.items():
            rates[name] = max(rates[name], rate(fn, texts, 1))
    print(f"  condense (summary + quotes)  {rates['condense']:8.1f} articles/s")
    print(f"    summary half alone         {rates['summary']:8.1f} articles/s")
    print(f"    quotes half alone          {rates['quotes']:8.1f} articles/s")
    if lexrank is None:
        print("  sumy is not installed (pip install '.[bench]'): LexRank skipped")
    else:
        lex_rate = rates["lexrank"]
        print(f"  sumy LexRank (3 sentences)   {lex_rate:8.1f} articles/s")
        ratio = rates["condense"] / lex_rate
        print(f"  speed ratio condense / LexRank: {ratio:.1f}x (target >= 10x)")
        print(f"  speed ratio summary half / LexRank: {rates['summary'] / lex_rate:.1f}x")

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
