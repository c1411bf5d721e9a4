"""The article-extraction metric of ../shared/corpus/articles (the Zyte benchmark's definition).

Tokens are ``\\w+`` runs; a text is a multiset of 4-token shingles; per page, true positives,
false positives and false negatives are counted over the shingles and normalised to sum to 1 (so
long pages weigh no more than short ones). Precision is averaged over pages where something was
predicted or expected to be predicted, recall likewise, and F1 is computed from the two means.

Used by tests/digests/test_corpus_articles.py; run it directly to score ``extract_article`` over
the whole corpus::

    python -m benchmarks.extraction_score [--limit N]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

TOKEN = re.compile(r"\w+", re.UNICODE)
SHINGLE = 4
ARTICLES = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "articles"


@dataclass(frozen=True, slots=True)
class Match:
    """Normalised shingle counts for one page (they sum to 1 unless both texts are empty)."""

    tp: float
    fp: float
    fn: float


@dataclass(frozen=True, slots=True)
class Scores:
    precision: float
    recall: float
    f1: float
    pages: int


def shingles(text: str, n: int = SHINGLE) -> Counter[tuple[str, ...]]:
    tokens = TOKEN.findall(text or "")
    if len(tokens) < n:
        return Counter([tuple(tokens)] if tokens else [])
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def match(true: str, predicted: str) -> Match:
    expected, got = shingles(true), shingles(predicted)
    tp = float(sum((expected & got).values()))
    fp = float(sum((got - expected).values()))
    fn = float(sum((expected - got).values()))
    total = tp + fp + fn
    if total:
        return Match(tp / total, fp / total, fn / total)
    return Match(0.0, 0.0, 0.0)


def _precision(m: Match) -> float:
    if m.fp == m.fn == 0:
        return 1.0
    return m.tp / (m.tp + m.fp) if m.tp + m.fp else 0.0


def _recall(m: Match) -> float:
    if m.fp == m.fn == 0:
        return 1.0
    return m.tp / (m.tp + m.fn) if m.tp + m.fn else 0.0


def score(matches: Iterable[Match]) -> Scores:
    pages = list(matches)
    precision = statistics.mean([_precision(m) for m in pages if m.tp + m.fp > 0] or [0.0])
    recall = statistics.mean([_recall(m) for m in pages if m.tp + m.fn > 0] or [0.0])
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(precision=precision, recall=recall, f1=f1, pages=len(pages))


def load_ground_truth(root: Path = ARTICLES) -> dict[str, dict[str, str]]:
    data: dict[str, dict[str, str]] = json.loads((root / "ground-truth.json").read_text("utf-8"))
    return data


def load_html(page_id: str, root: Path = ARTICLES) -> bytes:
    return gzip.decompress((root / "html" / f"{page_id}.html.gz").read_bytes())


def main() -> None:
    from digests.feeds.extract import extract_article

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=0, help="score only the first N pages")
    parser.add_argument("--root", type=Path, default=ARTICLES)
    args = parser.parse_args()
    truth = load_ground_truth(args.root)
    ids = sorted(truth)[: args.limit or None]
    started = time.perf_counter()
    matches = []
    for page_id in ids:
        article = extract_article(load_html(page_id, args.root), url=truth[page_id]["url"])
        matches.append(match(truth[page_id]["articleBody"], article.text if article else ""))
    elapsed = time.perf_counter() - started
    result = score(matches)
    print(
        f"extract_article over {result.pages} pages: precision={result.precision:.3f} "
        f"recall={result.recall:.3f} F1={result.f1:.3f} ({elapsed:.1f} s, "
        f"{result.pages / elapsed:.1f} pages/s)"
    )
    for name in sorted((args.root / "output").glob("*.json")):
        published = json.loads(name.read_text("utf-8"))
        published = published.get("output", published)
        if set(published) == set(truth) and not args.limit:
            ref = score(
                match(truth[k]["articleBody"], published[k].get("articleBody") or "") for k in truth
            )
            print(f"  published {name.stem:<16} F1={ref.f1:.3f}")


if __name__ == "__main__":
    main()
