"""Condense quality: summary ROUGE beside Lead-N in the same run, then the quote evaluation.

    python benchmarks/condense_quality.py [--limit N] [--sets cnndm,xsum,bbc] [--no-quotes]

Summaries (``../shared/corpus/summarization``, rouge-score with stemming, F1 x 100):
- CNN/DM ``cnndm_dev``: 3 sentences, beside Lead-3;
- XSum ``xsum_dev``: 1 sentence, beside Lead-1;
- BBC ``bbc_news_summary_dev``: a 75-word budget for both ours and Lead (cut at 75 words).
ROUGE-Lsum is computed on newline-separated sentences. Lead-N takes the first N sentences of the
same paragraphs and the same sentence splitter ``condense`` uses.

Quotes: ``benchmarks/quote_eval.py`` (the metric of ``quotes/README.md``) when it is present.
Exits 0 with a note when ``../shared/corpus`` is absent.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
for _p in (str(HERE), str(HERE.parent)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from _corpus import corpus_dir, read_jsonl  # noqa: E402

from digests.condensing import prepare  # noqa: E402
from digests.condensing.sentences import split_sentences  # noqa: E402
from digests.condensing.summarize import DEFAULT_WEIGHTS, Weights, summarize, summarize_words  # noqa: E402


@dataclass(frozen=True, slots=True)
class SetSpec:
    key: str
    file: str
    sentences: int | None  # None: word budget
    words: int | None
    label: str


SETS = (
    SetSpec("cnndm", "cnndm_dev.jsonl", 3, None, "CNN/DM dev, 3 sentences"),
    SetSpec("xsum", "xsum_dev.jsonl", 1, None, "XSum dev, 1 sentence"),
    SetSpec("bbc", "bbc_news_summary_dev.jsonl", None, 75, "BBC News Summary dev, 75 words"),
)


@dataclass(frozen=True, slots=True)
class Article:
    paras: list[str]
    title: str | None
    reference: str


Summarizer = Callable[[Article, SetSpec], list[str]]


def load(spec: SetSpec, limit: int | None) -> list[Article]:
    path = corpus_dir("summarization", spec.file)
    return [
        Article(prepare(row["text"]), row.get("title"), row["reference"])
        for row in read_jsonl(path, limit)
    ]


def cut_words(sentences: list[str], budget: int) -> list[str]:
    """The sentences, the last one cut so that ``budget`` words are kept in all."""
    out: list[str] = []
    left = budget
    for sent in sentences:
        words = sent.split()
        if left <= 0:
            break
        out.append(" ".join(words[:left]))
        left -= len(words)
    return out


def lead(article: Article, spec: SetSpec) -> list[str]:
    sents = [s for p in article.paras for s in split_sentences(p)]
    if spec.words is not None:
        return cut_words(sents, spec.words)
    return sents[: spec.sentences]


def ours(weights: Weights = DEFAULT_WEIGHTS) -> Summarizer:
    def run(article: Article, spec: SetSpec) -> list[str]:
        if spec.words is not None:
            chosen = summarize_words(
                article.paras, title=article.title, words=spec.words, avoid=[], weights=weights
            )
            return cut_words(chosen, spec.words)
        return summarize(
            article.paras,
            title=article.title,
            sentences=spec.sentences or 3,
            avoid=[],
            weights=weights,
        )

    return run


def rouge(articles: list[Article], spec: SetSpec, fn: Summarizer) -> dict[str, float]:
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeLsum"], use_stemmer=True)
    totals = {"rouge1": 0.0, "rouge2": 0.0, "rougeLsum": 0.0}
    for art in articles:
        summary = "\n".join(fn(art, spec))
        scores: dict[str, Any] = scorer.score(art.reference, summary)
        for key in totals:
            totals[key] += scores[key].fmeasure
    n = max(1, len(articles))
    return {k: 100 * v / n for k, v in totals.items()}


def fmt(scores: dict[str, float]) -> str:
    return f"{scores['rouge1']:5.2f} / {scores['rouge2']:5.2f} / {scores['rougeLsum']:5.2f}"


def summary_report(keys: Sequence[str], limit: int | None) -> None:
    print("Summaries: ROUGE-1 / ROUGE-2 / ROUGE-Lsum F1 (rouge-score, stemming)")
    for spec in SETS:
        if spec.key not in keys:
            continue
        start = time.perf_counter()
        articles = load(spec, limit)
        base = rouge(articles, spec, lead)
        mine = rouge(articles, spec, ours())
        name = f"Lead-{spec.sentences}" if spec.sentences else f"Lead-{spec.words}w"
        delta = {k: mine[k] - base[k] for k in mine}
        print(f"  {spec.label} ({len(articles)} articles, {time.perf_counter() - start:.1f}s)")
        print(f"    ours      {fmt(mine)}")
        print(f"    {name:<9} {fmt(base)}")
        print(
            f"    ours-lead {delta['rouge1']:+5.2f} / {delta['rouge2']:+5.2f} / "
            f"{delta['rougeLsum']:+5.2f}"
        )


def quote_report() -> None:
    try:
        import quote_eval
    except ImportError:
        print("Quotes: benchmarks/quote_eval.py is absent; quote evaluation skipped.")
        return
    try:
        quote_eval.main([])
    except NotImplementedError:
        print("Quotes: digests.condensing.quotes.find_quotes is not implemented yet; skipped.")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="articles per set")
    parser.add_argument("--sets", default="cnndm,xsum,bbc")
    parser.add_argument("--no-quotes", action="store_true")
    args = parser.parse_args(argv)
    corpus_dir("summarization")
    summary_report(args.sets.split(","), args.limit)
    if not args.no_quotes:
        quote_report()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
