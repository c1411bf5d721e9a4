"""Precision and recall of same-story detection (``digests.compose.same_story``) on labelled pairs.

    python benchmarks/same_story.py [--verbose]

``benchmarks/labels/same_story.json`` holds pairs of two outlets' headline and lead: about one
event (``same``), or about the same topic but different events. Pairs with a ``corpus_id`` read
their text from the shared corpus (``summarization/``); when it is absent those pairs are left out
and said so. Each pair is scored as the service compares stories: headline and lead (the opening
words of the text), published times within the clustering window.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
for _p in (str(HERE), str(HERE.parent)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from _corpus import CORPUS, read_jsonl  # noqa: E402

from digests.compose import ClusterPolicy, same_story  # noqa: E402
from digests.model import Story  # noqa: E402

LABELS = HERE / "labels" / "same_story.json"
SETS = ("cnndm_dev.jsonl", "xsum_dev.jsonl")


def corpus_texts() -> dict[str, dict[str, Any]]:
    folder = CORPUS / "summarization"
    if not folder.exists():
        return {}
    return {d["id"]: d for name in SETS for d in read_jsonl(folder / name)}


def side(raw: dict[str, Any], texts: dict[str, dict[str, Any]], n: int) -> Story | None:
    if "corpus_id" in raw:
        doc = texts.get(raw["corpus_id"])
        if doc is None:
            return None
        title = str(doc["reference"]).split("\n")[0]
        text = str(doc["text"])
    else:
        title, text = raw["title"], raw["lede"]
    published = datetime.fromisoformat(raw["published"]) if raw.get("published") else None
    return Story(
        story_id=n,
        feed_url=f"https://{raw['outlet']}-{n}.example/feed",
        feed_title=raw["outlet"],
        entry_id=str(n),
        url=None,
        title=title,
        published=published,
        summary=text,
        sentences=[],
        quotes=[],
        text=text,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--verbose", action="store_true", help="list every misjudged pair")
    args = parser.parse_args()
    pairs = json.loads(LABELS.read_text(encoding="utf-8"))["pairs"]
    texts = corpus_texts()
    policy = ClusterPolicy()
    by_source: dict[str, list[tuple[bool, bool]]] = {}
    undated: list[tuple[bool, bool]] = []
    skipped = 0
    for n, pair in enumerate(pairs):
        a, b = side(pair["a"], texts, 2 * n), side(pair["b"], texts, 2 * n + 1)
        if a is None or b is None:
            skipped += 1
            continue
        said = same_story(a, b, policy)
        by_source.setdefault(pair["source"], []).append((bool(pair["same"]), said))
        # the words alone: what the time window does not decide
        text_only = same_story(replace(a, published=None), replace(b, published=None), policy)
        undated.append((bool(pair["same"]), text_only))
        if args.verbose and said != pair["same"]:
            kind = "missed" if pair["same"] else "false match"
            print(f"{kind}: {pair['note']}")
    if skipped:
        print(f"{skipped} corpus pairs left out: {CORPUS} is absent.")
    everything = [r for rows in by_source.values() for r in rows]
    print(f"same-story detection, {LABELS.name} (ClusterPolicy defaults)")
    print(f"{'pairs':<12}{'n':>4}{'same':>6}{'precision':>11}{'recall':>8}{'F1':>6}")
    for name, rows in [*sorted(by_source.items()), ("all", everything)]:
        print(_line(name, rows))
    print(_line("text only", undated) + "  (published times ignored)")
    return 0


def _line(name: str, rows: list[tuple[bool, bool]]) -> str:
    tp = sum(truth and said for truth, said in rows)
    fp = sum(said and not truth for truth, said in rows)
    fn = sum(truth and not said for truth, said in rows)
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    same = sum(truth for truth, _ in rows)
    return f"{name:<12}{len(rows):>4}{same:>6}{precision:>11.2f}{recall:>8.2f}{f1:>6.2f}"


if __name__ == "__main__":
    raise SystemExit(main())
