"""Fit the coefficients of ``digests.condensing.summarize.Weights`` on the dev sets.

A coordinate search.

    python benchmarks/fit_summary.py [--rounds 2] [--limit N]

The objective is the gain of mean ROUGE-1/2 F1 over Lead-N on the worse of CNN/DM dev (3
sentences) and XSum dev (1 sentence), so the weights must beat Lead on both. ROUGE-1/2 are computed
here with rouge-score's own tokenizer and Porter stemmer (cached), which gives the same figures
as ``RougeScorer(use_stemmer=True)`` much faster. Every coefficient moves on a small, coarse
grid, so the result cannot chase noise in the dev halves; the printed best values are what
``Weights`` ships (rounded). Exits 0 with a note when ``../shared/corpus`` is absent.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
for _p in (str(HERE), str(HERE.parent)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from _corpus import corpus_dir  # noqa: E402
from condense_quality import SETS, Article, SetSpec, lead_budget, load, summarize_only  # noqa: E402

from digests.condensing.summarize import DEFAULT_WEIGHTS, Weights  # noqa: E402

GRID: dict[str, list[float]] = {
    "position": [0.25, 0.5, 0.65, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0],
    "position_decay": [0.5, 0.75, 1.0, 1.5],
    "centrality": [0.0, 0.5, 1.0, 1.5, 2.0],
    "quote": [0.0, 0.3, 0.6, 1.0, 1.5, 2.0],
    "quote_single": [0.0, 0.3, 0.6, 1.0, 1.5, 2.0],
    "title": [0.0, 0.25, 0.5, 1.0, 1.5],
    "redundancy": [0.0, 0.3, 0.7, 1.0, 1.5],
    "no_final_punct": [0.0, 0.15, 0.3, 0.6],
    "long_sentence": [0.0, 0.3, 0.6, 1.0],
    "long_words": [20, 25, 30, 35, 45, 60],
    "idf_power": [0.0, 0.5, 1.0],
}


class FastRouge:
    """ROUGE-1/2 F1 with rouge-score's tokenizer and stemmer, token lists cached per text."""

    def __init__(self) -> None:
        from rouge_score import tokenizers

        self._tok = tokenizers.DefaultTokenizer(use_stemmer=True)
        self._cache: dict[str, list[str]] = {}

    def tokens(self, text: str) -> list[str]:
        got = self._cache.get(text)
        if got is None:
            got = self._tok.tokenize(text)
            self._cache[text] = got
        return got

    def score(self, reference: str, sentences: list[str]) -> tuple[float, float]:
        ref = self.tokens(reference)
        hyp = [t for s in sentences for t in self.tokens(s)]
        return _f1(Counter(ref), Counter(hyp)), _f1(_bigrams(ref), _bigrams(hyp))


def _bigrams(tokens: list[str]) -> Counter[tuple[str, str]]:
    return Counter(itertools.pairwise(tokens))


def _f1(
    ref: Counter[str] | Counter[tuple[str, str]], hyp: Counter[str] | Counter[tuple[str, str]]
) -> float:
    overlap = sum((ref & hyp).values())  # type: ignore[operator]
    if not overlap:
        return 0.0
    p = overlap / sum(hyp.values())
    r = overlap / sum(ref.values())
    return 2 * p * r / (p + r)


def evaluate(
    data: list[tuple[SetSpec, list[Article]]], weights: Weights, rouge: FastRouge
) -> dict[str, tuple[float, float]]:
    out: dict[str, tuple[float, float]] = {}
    for spec, articles in data:
        run = summarize_only(spec, weights)
        r1 = r2 = 0.0
        for art in articles:
            a, b = rouge.score(art.reference, run(art))
            r1 += a
            r2 += b
        n = max(1, len(articles))
        out[spec.key] = (100 * r1 / n, 100 * r2 / n)
    return out


def objective(
    scores: dict[str, tuple[float, float]], base: dict[str, tuple[float, float]]
) -> float:
    """The worst set's mean ROUGE-1/2 gain over its Lead (every set must beat its Lead)."""
    gains = [(r1 - base[k][0] + r2 - base[k][1]) / 2 for k, (r1, r2) in scores.items()]
    return min(gains) + 0.1 * sum(gains) / len(gains)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--sets", default="cnndm,xsum")
    parser.add_argument("--params", default=",".join(GRID), help="coefficients to move")
    args = parser.parse_args(argv)
    corpus_dir("summarization")
    keys = args.sets.split(",")
    data = [(spec, load(spec, args.limit)) for spec in SETS if spec.key in keys]
    rouge = FastRouge()
    base: dict[str, tuple[float, float]] = {}
    for spec, articles in data:
        pairs = [rouge.score(a.reference, lead_budget(spec)(a)) for a in articles]
        n = max(1, len(pairs))
        base[spec.key] = (100 * sum(p[0] for p in pairs) / n, 100 * sum(p[1] for p in pairs) / n)
    print("lead:", {k: (round(a, 2), round(b, 2)) for k, (a, b) in base.items()})
    best = DEFAULT_WEIGHTS
    best_scores = evaluate(data, best, rouge)
    best_obj = objective(best_scores, base)
    print(f"start {best_obj:+.3f} {best_scores}")
    for round_no in range(args.rounds):
        for name in args.params.split(","):
            values = GRID[name]
            for value in values:
                trial = dataclasses.replace(best, **{name: type(getattr(best, name))(value)})
                if trial == best:
                    continue
                scores = evaluate(data, trial, rouge)
                obj = objective(scores, base)
                if obj > best_obj + 0.02:  # a margin against noise
                    best, best_obj, best_scores = trial, obj, scores
                    print(f"round {round_no} {name}={value}: {obj:+.3f} {scores}")
    print("best:", best)
    print(
        f"objective {best_obj:+.3f}",
        {k: (round(a, 2), round(b, 2)) for k, (a, b) in best_scores.items()},
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
