"""Locate ``../shared/corpus`` for the benchmarks (stdlib only).

Usage from a benchmark script in this folder::

    from _corpus import corpus_dir
    root = corpus_dir()  # prints a note and exits 0 when the corpus is absent
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
#: ``../shared/corpus``; ``NEWSDIGEST_CORPUS`` points elsewhere (a git worktree one level deeper).
CORPUS = Path(os.environ.get("NEWSDIGEST_CORPUS") or REPO.parent / "shared" / "corpus")


def corpus_dir(*parts: str) -> Path:
    """``../shared/corpus`` (or a path inside it); exits 0 with a note when it is absent."""
    path = CORPUS.joinpath(*parts)
    if not path.exists():
        print(f"{path} is absent (a fresh clone without ../shared): benchmark skipped.")
        sys.exit(0)
    return path


def read_jsonl(path: Path, limit: int | None = None) -> Iterator[dict[str, Any]]:
    """The JSON objects of a JSON Lines file, one per non-empty line."""
    with path.open(encoding="utf-8") as fh:
        count = 0
        for line in fh:
            if not line.strip():
                continue
            if limit is not None and count >= limit:
                return
            count += 1
            yield json.loads(line)
