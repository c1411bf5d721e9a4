"""Precision and recall of same-story detection (``digests.compose.same_story``) on labelled pairs.

    python benchmarks/same_story.py [--verbose]

``benchmarks/labels/same_story.json`` holds pairs of two outlets' headline and lead: about one
event (``same``), or about the same topic but different events. Pairs with a ``polnear_id`` or a
``corpus_id`` read their text from the shared corpus (``quotes/polnear_*.jsonl``,
``summarization/``); when it is absent those pairs are left out and said so. Each pair is scored as
the service compares stories: headline and lead (the opening words of the text), published times
within the clustering window.

The pairs fall into two fixed halves by a hash of their ids (``half``): thresholds and rules may be
fitted on ``fit`` only; ``check`` says whether the figures carry over to pairs nobody tuned on.
"""

from __future__ import annotations

import argparse
import hashlib
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
POLNEAR = ("polnear_dev.jsonl", "polnear_train.jsonl")
#: PolNeAR gives the publication day only: every article is taken as published at noon UTC
NOON = "T12:00:00+00:00"


def corpus_texts() -> dict[str, dict[str, Any]]:
    folder = CORPUS / "summarization"
    if not folder.exists():
        return {}
    return {d["id"]: d for name in SETS for d in read_jsonl(folder / name)}


def polnear_texts() -> dict[str, dict[str, Any]]:
    folder = CORPUS / "quotes"
    if not folder.exists():
        return {}
    return {d["id"]: d for name in POLNEAR for d in read_jsonl(folder / name)}


def half(pair: dict[str, Any]) -> str:
    """``fit`` or ``check``: a fixed split by a hash of the pair's ids (or its note)."""
    key = "|".join(
        str(pair[s].get("polnear_id") or pair[s].get("corpus_id") or pair["note"]) for s in "ab"
    )
    return "fit" if hashlib.sha256(key.encode()).digest()[0] % 2 == 0 else "check"


def side(
    raw: dict[str, Any],
    texts: dict[str, dict[str, Any]],
    polnear: dict[str, dict[str, Any]],
    n: int,
) -> Story | None:
    published_at = raw.get("published")
    if "polnear_id" in raw:
        article = polnear.get(raw["polnear_id"])
        if article is None:
            return None
        title = str(article["title"]).strip()
        # the text opens with the title as its first paragraph: the lede is what follows
        text = str(article["text"]).split("\n\n", 1)[-1]
        published_at = f"{article['date']}{NOON}"
    elif "corpus_id" in raw:
        doc = texts.get(raw["corpus_id"])
        if doc is None:
            return None
        title = str(doc["reference"]).split("\n")[0]
        text = str(doc["text"])
    else:
        title, text = raw["title"], raw["lede"]
    published = datetime.fromisoformat(published_at) if published_at else None
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
    texts, polnear = corpus_texts(), polnear_texts()
    policy = ClusterPolicy()
    rows: dict[str, list[tuple[bool, bool]]] = {}
    skipped = 0
    for n, pair in enumerate(pairs):
        a = side(pair["a"], texts, polnear, 2 * n)
        b = side(pair["b"], texts, polnear, 2 * n + 1)
        if a is None or b is None:
            skipped += 1
            continue
        truth, said = bool(pair["same"]), same_story(a, b, policy)
        # the words alone: what the time window does not decide
        text_only = same_story(replace(a, published=None), replace(b, published=None), policy)
        part = half(pair)
        for key in (pair["source"], part, "all"):
            rows.setdefault(key, []).append((truth, said))
        rows.setdefault(f"{part} text only", []).append((truth, text_only))
        if args.verbose and said != truth:
            kind = "missed" if truth else "false match"
            print(f"{kind} ({part}): {pair['note']}")
    if skipped:
        print(f"{skipped} corpus pairs left out: {CORPUS} is absent.")
    print(f"same-story detection, {LABELS.name} (ClusterPolicy defaults)")
    print(f"{'pairs':<16}{'n':>4}{'same':>6}{'precision':>11}{'recall':>8}{'F1':>6}")
    sources = sorted({str(p["source"]) for p in pairs})
    for name in [*sources, "fit", "check", "all", "fit text only", "check text only"]:
        if name in rows:
            note = "  (published times ignored)" if name.endswith("only") else ""
            print(_line(name, rows[name]) + note)
    return 0


def _line(name: str, rows: list[tuple[bool, bool]]) -> str:
    tp = sum(truth and said for truth, said in rows)
    fp = sum(said and not truth for truth, said in rows)
    fn = sum(truth and not said for truth, said in rows)
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    same = sum(truth for truth, _ in rows)
    return f"{name:<16}{len(rows):>4}{same:>6}{precision:>11.2f}{recall:>8.2f}{f1:>6.2f}"


if __name__ == "__main__":
    raise SystemExit(main())
