"""Snapshot of ``digests.condensing`` over the shared corpus, to prove a refactor changes no output.

Every text of the corpus (summarization and quote sets, the seed story, the article pages'
ground-truth bodies) is condensed exactly as the service calls it (``condense(text,
title=title)``). ``--write PATH`` stores the outputs as JSON Lines; ``--check PATH`` condenses
again and reports how many differ from the stored ones, with the first few differences.

    python benchmarks/condense_snapshot.py --write /tmp/before.jsonl
    ... refactor ...
    python benchmarks/condense_snapshot.py --check /tmp/before.jsonl   # exit 1 if any differ
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
for _p in (str(HERE), str(HERE.parent)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from _corpus import corpus_dir, read_jsonl  # noqa: E402

from digests import InputError, condense  # noqa: E402

JSONL_SETS = (
    ("summarization", "cnndm_dev.jsonl"),
    ("summarization", "xsum_dev.jsonl"),
    ("summarization", "bbc_news_summary_dev.jsonl"),
    ("quotes", "bbc_manual40.jsonl"),
    ("quotes", "bbc_manual40_paragraphs.jsonl"),
    ("quotes", "polnear_dev.jsonl"),
    ("quotes", "polnear_train.jsonl"),
)


def corpus_texts() -> Iterator[tuple[str, str | None, str]]:
    """(key, title, text) for every text of the corpus, in a fixed order."""
    for folder, name in JSONL_SETS:
        for row in read_jsonl(corpus_dir(folder, name)):
            yield f"{name}:{row['id']}", row.get("title"), row["text"]
    for path in sorted(corpus_dir("seed").glob("*.txt")):
        yield f"seed:{path.name}", None, path.read_text(encoding="utf-8")
    truth = json.loads(corpus_dir("articles", "ground-truth.json").read_text(encoding="utf-8"))
    for key in sorted(truth):
        body = truth[key].get("articleBody") or ""
        yield f"articles:{key}", truth[key].get("headline"), body


def condensed(title: str | None, text: str) -> object:
    try:
        return condense(text, title=title).to_dict()
    except InputError as exc:
        return {"error": str(exc)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", type=Path, help="store the outputs here (JSON Lines)")
    group.add_argument("--check", type=Path, help="compare with outputs stored by --write")
    args = parser.parse_args(argv)
    outputs = {key: condensed(title, text) for key, title, text in corpus_texts()}
    if args.write:
        with args.write.open("w", encoding="utf-8") as fh:
            for key, out in outputs.items():
                fh.write(json.dumps({"key": key, "out": out}, ensure_ascii=False) + "\n")
        print(f"{len(outputs)} outputs written to {args.write}")
        return 0
    stored = {row["key"]: row["out"] for row in read_jsonl(args.check)}
    differ = [key for key in outputs if stored.get(key) != outputs[key]]
    missing = [key for key in stored if key not in outputs]
    print(f"snapshot: {len(differ)} of {len(outputs)} differ; {len(missing)} stored keys missing")
    for key in differ[:5]:
        print(f"- {key}\n  before: {stored.get(key)}\n  after:  {outputs[key]}")
    return 1 if differ or missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
