"""benchmarks/same_story.py: the labelled pairs are well formed and the scorer counts right."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def test_labels_are_well_formed_and_balanced() -> None:
    pairs = json.loads((BENCHMARKS / "labels" / "same_story.json").read_text())["pairs"]
    assert len(pairs) >= 150
    same = [p for p in pairs if p["same"]]
    # real coverage: a few same events, many same-topic other events (the hard negatives)
    assert len(same) >= 20 and len(pairs) - len(same) >= len(pairs) / 3
    for pair in pairs:
        assert pair["source"] in {"articles", "corpus", "paraphrase", "polnear"} and pair["note"]
        for side in (pair["a"], pair["b"]):
            ids = {"corpus_id", "polnear_id", "article_id"}
            assert ids & side.keys() or (side["title"] and side["lede"])
        assert pair["a"] != pair["b"]


def test_pairs_split_into_fixed_halves_each_with_both_labels() -> None:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import same_story
    finally:
        sys.path.remove(str(BENCHMARKS))
    pairs = json.loads((BENCHMARKS / "labels" / "same_story.json").read_text())["pairs"]
    halves = [same_story.half(p) for p in pairs]
    assert halves == [same_story.half(p) for p in pairs]
    for name in ("fit", "check"):
        labels = {p["same"] for p, h in zip(pairs, halves, strict=True) if h == name}
        assert labels == {True, False}


def test_scorer_counts_precision_and_recall() -> None:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import same_story
    finally:
        sys.path.remove(str(BENCHMARKS))
    rows = [(True, True), (True, False), (False, True), (False, False)]
    line = same_story._line("x", rows)
    assert line.split()[1:] == ["4", "2", "0.50", "0.50", "0.50"]


def test_benchmark_runs_and_prints_figures() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "same_story.py")],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "precision" in done.stdout and "text only" in done.stdout
