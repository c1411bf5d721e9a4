"""Extraction quality on ../shared/corpus/articles (the Zyte benchmark) with its own metric."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.extraction_score import Match, load_ground_truth, load_html, match, score
from digests.feeds.extract import extract_article

pytestmark = pytest.mark.corpus


def _score_pages(root: Path, ids: list[str]) -> tuple[float, list[Match], dict[str, str]]:
    truth = load_ground_truth(root)
    matches: list[Match] = []
    texts: dict[str, str] = {}
    for page_id in ids:
        article = extract_article(load_html(page_id, root), url=truth[page_id]["url"])
        texts[page_id] = article.text if article else ""
        matches.append(match(truth[page_id]["articleBody"], texts[page_id]))
    return score(matches).f1, matches, texts


@pytest.fixture(scope="module")
def articles(corpus_dir: Path) -> Path:
    return corpus_dir / "articles"


def test_metric_reproduces_a_published_score(articles: Path) -> None:
    """Our scorer gives the published trafilatura output its published F1 (0.958)."""
    import json

    truth = load_ground_truth(articles)
    published = json.loads((articles / "output" / "trafilatura.json").read_text("utf-8"))
    published = published.get("output", published)
    result = score(
        match(truth[k]["articleBody"], published[k].get("articleBody") or "") for k in truth
    )
    assert result.f1 == pytest.approx(0.958, abs=0.001)


def test_metric_edge_cases() -> None:
    assert match("one two three four five", "one two three four five") == Match(1.0, 0.0, 0.0)
    assert match("a b c d", "") == Match(0.0, 0.0, 1.0)
    assert score([match("a b c d e", "a b c d x")]).f1 == pytest.approx(0.5)


def test_subset_f1_and_paragraph_breaks(articles: Path) -> None:
    """Every 12th page (16 pages, a few seconds): the quick guard in the default run."""
    ids = sorted(load_ground_truth(articles))[::12]
    f1, _, texts = _score_pages(articles, ids)
    assert f1 >= 0.95
    # quote attribution depends on paragraphs: multi-paragraph bodies keep their breaks
    truth = load_ground_truth(articles)
    multi = [k for k in ids if truth[k]["articleBody"].count("\n\n") >= 3]
    kept = [k for k in multi if texts[k].count("\n\n") >= 2]
    assert len(kept) >= 0.9 * len(multi)


@pytest.mark.slow
def test_whole_corpus_f1_at_least_0_95(articles: Path) -> None:
    ids = sorted(load_ground_truth(articles))
    f1, matches, _ = _score_pages(articles, ids)
    print(f"extraction F1 over {len(matches)} pages: {f1:.4f}")
    assert len(matches) == 181
    assert f1 >= 0.95
