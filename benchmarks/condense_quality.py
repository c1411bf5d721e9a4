"""Condense quality: the shipped summary's ROUGE beside Lead-3 and Lead-1, then the quotes.

    python benchmarks/condense_quality.py [--limit N] [--sets cnndm,xsum,bbc] [--no-quotes]
                                          [--summarize-only]

Summaries (``../shared/corpus/summarization``, rouge-score with stemming, F1 x 100). The headline
line, ``shipped``, is ``digests.condense(text, title=title).sentences`` exactly as the service calls
it (``digests.jobs.default_condense``: the article text as it comes, the title, the default
sentence count), so the key quotes it shows are kept out of the summary as in every post. Beside it,
in the same run and on the same sets:
- ``Lead-3`` and ``Lead-1``: the first 3 / 1 sentences of the same paragraphs, with the same
  sentence splitter ``condense`` uses;
- with ``--summarize-only``, the figure this benchmark used to headline, clearly labelled: the
  ranking alone (``summarize(..., avoid=[])``, 3 sentences on CNN/DM, 1 on XSum, a 75-word
  budget on BBC), which no post ever shows.
Sets: CNN/DM ``cnndm_dev``, XSum ``xsum_dev``, BBC ``bbc_news_summary_dev``. No length budget is put
on the shipped summary: a post shows what ``condense`` returns, so the BBC set scores it uncut.
ROUGE-Lsum is computed on newline-separated sentences.

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

from digests import condense  # noqa: E402
from digests.condensing import prepare  # noqa: E402
from digests.condensing.sentences import split_sentences  # noqa: E402
from digests.condensing.summarize import DEFAULT_WEIGHTS, Weights, summarize, summarize_words  # noqa: E402


@dataclass(frozen=True, slots=True)
class SetSpec:
    key: str
    file: str
    sentences: int | None  # summarize-only budget; None: a word budget
    words: int | None
    label: str


SETS = (
    SetSpec("cnndm", "cnndm_dev.jsonl", 3, None, "CNN/DM dev"),
    SetSpec("xsum", "xsum_dev.jsonl", 1, None, "XSum dev"),
    SetSpec("bbc", "bbc_news_summary_dev.jsonl", None, 75, "BBC News Summary dev"),
)


@dataclass(frozen=True, slots=True)
class Article:
    text: str
    paras: list[str]
    title: str | None
    reference: str


Summarizer = Callable[[Article], list[str]]


def load(spec: SetSpec, limit: int | None) -> list[Article]:
    path = corpus_dir("summarization", spec.file)
    return [
        Article(row["text"], prepare(row["text"]), row.get("title"), row["reference"])
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


def shipped(article: Article) -> list[str]:
    """What a post shows: ``digests.condense`` called as ``jobs.default_condense`` calls it."""
    return condense(article.text, title=article.title).sentences


def lead(count: int) -> Summarizer:
    def run(article: Article) -> list[str]:
        return [s for p in article.paras for s in split_sentences(p)][:count]

    return run


def lead_budget(spec: SetSpec) -> Summarizer:
    """Lead with the set's own summarize-only budget (N sentences, or N words cut)."""
    if spec.words is None:
        return lead(spec.sentences or 3)
    words = spec.words

    def run(article: Article) -> list[str]:
        return cut_words([s for p in article.paras for s in split_sentences(p)], words)

    return run


def summarize_only(spec: SetSpec, weights: Weights = DEFAULT_WEIGHTS) -> Summarizer:
    """The ranking alone with no quotes kept out (``avoid=[]``) and the set's own budget."""

    def run(article: Article) -> list[str]:
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


def rouge(articles: list[Article], fn: Summarizer) -> dict[str, float]:
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeLsum"], use_stemmer=True)
    totals = {"rouge1": 0.0, "rouge2": 0.0, "rougeLsum": 0.0}
    for art in articles:
        summary = "\n".join(fn(art))
        scores: dict[str, Any] = scorer.score(art.reference, summary)
        for key in totals:
            totals[key] += scores[key].fmeasure
    n = max(1, len(articles))
    return {k: 100 * v / n for k, v in totals.items()}


def fmt(scores: dict[str, float]) -> str:
    return f"{scores['rouge1']:5.2f} / {scores['rouge2']:5.2f} / {scores['rougeLsum']:5.2f}"


def delta(mine: dict[str, float], base: dict[str, float]) -> str:
    return " / ".join(f"{mine[k] - base[k]:+5.2f}" for k in ("rouge1", "rouge2", "rougeLsum"))


def summary_report(keys: Sequence[str], limit: int | None, *, with_summarize_only: bool) -> None:
    print("Summaries: ROUGE-1 / ROUGE-2 / ROUGE-Lsum F1 (rouge-score, stemming)")
    for spec in SETS:
        if spec.key not in keys:
            continue
        start = time.perf_counter()
        articles = load(spec, limit)
        mine = rouge(articles, shipped)
        lead3 = rouge(articles, lead(3))
        lead1 = rouge(articles, lead(1))
        print(f"  {spec.label} ({len(articles)} articles)")
        print(f"    shipped   {fmt(mine)}   digests.condense(text, title=...), as the service")
        print(f"    Lead-3    {fmt(lead3)}   shipped-Lead-3 {delta(mine, lead3)}")
        print(f"    Lead-1    {fmt(lead1)}   shipped-Lead-1 {delta(mine, lead1)}")
        if with_summarize_only:
            budget = f"{spec.sentences} sent." if spec.sentences else f"{spec.words} words"
            old = rouge(articles, summarize_only(spec))
            print(
                f"    (not shipped) summarize(avoid=[]), {budget}: {fmt(old)}"
                "   the ranking alone, no post shows it"
            )
        print(f"    [{time.perf_counter() - start:.1f}s]")


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
    parser.add_argument(
        "--summarize-only",
        action="store_true",
        help="also print the old, unshipped summarize(avoid=[]) figure",
    )
    args = parser.parse_args(argv)
    corpus_dir("summarization")
    summary_report(args.sets.split(","), args.limit, with_summarize_only=args.summarize_only)
    if not args.no_quotes:
        quote_report()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
