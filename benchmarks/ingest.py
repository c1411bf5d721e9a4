"""Ingest throughput: parse + condense over ../shared/corpus/feeds (111 real feed documents).

    python benchmarks/ingest.py [--repeat R] [--no-condense]

1. feedparser alone on the raw bytes (``sanitize_html=False, resolve_relative_uris=False``): the
   floor our parser builds on.
2. ``parse_feed`` (entity-bomb check, encoding fixes, feedparser, HTML to plain text, real URLs,
   images, teasers; JSON Feed by our parser): documents/s, entries/s, MB/s.
3. ``condense`` on every entry whose text is not a teaser (what polling condenses without a page
   fetch): entries/s and words/s. Until condensing is implemented, its NotImplementedError is
   reported and the parse figures still print.

One process, one core at a time (parsing runs in worker threads in the service). Exits 0 with a
note when ``../shared/corpus`` is absent.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
for _p in (str(HERE), str(HERE.parent)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import feedparser  # noqa: E402
from _corpus import corpus_dir  # noqa: E402

from digests.errors import DigestError, ParseError  # noqa: E402
from digests.feeds.parse import parse_feed  # noqa: E402
from digests.model import Entry  # noqa: E402

WORD = re.compile(r"\w+")


def documents(root: Path) -> list[tuple[str, bytes]]:
    rows = (root / "MANIFEST.tsv").read_text("utf-8").splitlines()[1:]
    paths = [row.split("\t", 1)[0] for row in rows if row.strip()]
    return [(path, (root / path).read_bytes()) for path in paths]


def bench_feedparser(docs: list[tuple[str, bytes]], repeat: int) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        for _path, body in docs:
            feedparser.parse(
                body,
                response_headers={"content-type": "application/xml"},
                sanitize_html=False,
                resolve_relative_uris=False,
            )
    return time.perf_counter() - started


def bench_parse(docs: list[tuple[str, bytes]], repeat: int) -> tuple[float, list[Entry], int]:
    entries: list[Entry] = []
    reported = 0
    started = time.perf_counter()
    for round_ in range(repeat):
        for path, body in docs:
            try:
                parsed = parse_feed(body, url=f"https://feeds.example/{path}")
            except ParseError:
                reported += round_ == 0
                continue
            if round_ == 0:
                entries.extend(parsed.entries)
    return time.perf_counter() - started, entries, reported


def bench_condense(entries: list[Entry]) -> None:
    try:
        from digests.condensing import condense
    except ImportError as exc:
        print(f"condense: not importable yet ({exc})")
        return
    full = [e for e in entries if not e.is_teaser and e.text]
    words = sum(len(WORD.findall(e.text)) for e in full)
    failed = 0
    started = time.perf_counter()
    for entry in full:
        try:
            condense(entry.text, title=entry.title)
        except NotImplementedError:
            print("condense: not implemented yet (NotImplementedError); parse figures above")
            return
        except DigestError:
            failed += 1
    elapsed = time.perf_counter() - started
    print(
        f"condense: {len(full)} full-text entries ({words:,} words) in {elapsed:.2f} s = "
        f"{len(full) / elapsed:.1f} entries/s, {words / elapsed:,.0f} words/s; "
        f"{failed} reported as not condensable"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1, help="parse the folder R times")
    parser.add_argument("--no-condense", action="store_true")
    args = parser.parse_args()
    root = corpus_dir("feeds")
    docs = documents(root)
    size_mb = sum(len(body) for _, body in docs) / 1e6
    n = len(docs) * args.repeat

    base = bench_feedparser(docs, args.repeat)
    print(f"feedparser alone: {n} documents in {base:.2f} s = {n / base:.1f} documents/s")

    elapsed, entries, reported = bench_parse(docs, args.repeat)
    teasers = sum(e.is_teaser for e in entries)
    print(
        f"parse_feed: {n} documents ({size_mb * args.repeat:.1f} MB) in {elapsed:.2f} s = "
        f"{n / elapsed:.1f} documents/s, {len(entries) * args.repeat / elapsed:,.0f} entries/s, "
        f"{size_mb * args.repeat / elapsed:.2f} MB/s"
    )
    print(
        f"  per pass: {len(docs) - reported} documents parsed, {reported} reported "
        f"(one sentence each), {len(entries)} entries, {teasers} teasers (page fetch needed)"
    )
    if not args.no_condense:
        bench_condense(entries)


if __name__ == "__main__":
    main()
