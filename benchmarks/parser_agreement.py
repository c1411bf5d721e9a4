"""Parser agreement: fastfeedparser and feedparser-rs against feedparser on the corpus feeds.

    python benchmarks/parser_agreement.py [--repeat R] [--verbose]

For each of the 111 documents of ``../shared/corpus/feeds`` the product's preparation runs once
(gzip, the entity/size/web-page refusals, the declared-encoding fix: ``prepare_xml``); then each
library parses the same bytes and its result goes through the product's own mapping
(``digests.feeds.parse.map_parsed``: real URLs, plain text, dates, images, authors,
categories). The records are compared with feedparser's, field by field: the feed's title and
link, and each entry's id, link, title, text, dates, image (enclosures, media), author and
categories.

Printed: the parse time of each library over the same documents in the same run (CPU time
of this process, so other work on the machine counts little; best of ``--repeat``); the
shipped path (``fastparse``: feedparser-rs behind its agreement gate, else feedparser):
documents accepted, any accepted one that does not agree, each rejection by check, and parse +
mapping time against feedparser alone; then, for each library alone (feedparser-rs with the
gate's shaping but no checks or alignment), the documents on which it agrees with feedparser
and each failure (raised, lost entries, lost fields, different values). JSON Feeds never reach
feedparser (``jsonfeed.py`` reads them), so they are counted apart. Exits 0 with a note when
the corpus or a library is absent.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
for _p in (str(HERE), str(HERE.parent)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import feedparser  # noqa: E402
from _corpus import corpus_dir  # noqa: E402

from digests.errors import ParseError  # noqa: E402
from digests.feeds.fastparse import Rejected, parse_fast, shape  # noqa: E402
from digests.feeds.jsonfeed import looks_like_json  # noqa: E402
from digests.feeds.parse import MAX_ENTRIES, map_parsed, prepare_xml  # noqa: E402
from digests.model import Entry, ParsedFeed  # noqa: E402

URL_BASE = "https://corpus.example/"


# --- the libraries, each shaped like feedparser's result -----------------------------------


def run_feedparser(body: bytes, headers: dict[str, str]) -> Any:
    return feedparser.parse(
        body, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )


def run_feedparser_rs(body: bytes, headers: dict[str, str]) -> Any:
    import feedparser_rs

    return feedparser_rs.parse(body, sanitize_html=False, resolve_relative_uris=False)


def run_fastfeedparser(body: bytes, headers: dict[str, str]) -> Any:
    import fastfeedparser

    return fastfeedparser.parse(body)


def shape_fastfeedparser(parsed: Any) -> dict[str, Any]:
    """fastfeedparser gives ISO dates (no ``*_parsed``), the RSS description as
    ``description``, the feed image as a string or ``{url}``, no ``updated`` where feedparser
    falls back to ``published``, and ``None`` for absent values (feedparser leaves the key out).
    """
    parsed = without_none(parsed)
    feed = dict(parsed.get("feed") or {})
    image = feed.get("image")
    if isinstance(image, str):
        feed["image"] = {"href": image}
    elif isinstance(image, Mapping):
        feed["image"] = {"href": image.get("href") or image.get("url")}
    entries = []
    for raw in parsed.get("entries") or []:
        entry = dict(raw)
        for key in ("published", "updated"):
            entry[f"{key}_parsed"] = iso_struct(entry.get(key))
        # feedparser's dict answers ``updated`` with ``published`` when there is none
        entry["updated_parsed"] = entry["updated_parsed"] or entry["published_parsed"]
        if entry.get("description") and not entry.get("summary"):
            entry["summary"] = entry["description"]
        entries.append(entry)
    return {"feed": feed, "entries": entries}


def without_none(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_none(v) for v in value]
    return value


def iso_struct(value: object) -> time.struct_time | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).timetuple()


@dataclass(frozen=True, slots=True)
class Library:
    name: str
    run: Callable[[bytes, dict[str, str]], Any]
    shape: Callable[[Any], Any]


LIBRARIES = (
    Library("feedparser-rs", run_feedparser_rs, shape),
    Library("fastfeedparser", run_fastfeedparser, shape_fastfeedparser),
)


# --- comparing ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verdict:
    """How one library's records compare with feedparser's on one document."""

    kind: str  # "agrees", "raised", "lost entries", "lost fields", "differs"
    detail: str = ""


def compare(expected: ParsedFeed, got: ParsedFeed) -> Verdict:
    if len(got.entries) < len(expected.entries):
        return Verdict("lost entries", f"{len(got.entries)} of {len(expected.entries)} entries")
    problems: list[tuple[str, str]] = []
    for name in ("title", "link"):
        mine, theirs = getattr(expected.info, name), getattr(got.info, name)
        if mine != theirs:
            problems.append(("lost fields" if mine and not theirs else "differs", f"feed {name}"))
    if len(got.entries) > len(expected.entries):
        problems.append(("differs", f"{len(got.entries)} entries, not {len(expected.entries)}"))
    for index, (mine, theirs) in enumerate(zip(expected.entries, got.entries, strict=False)):
        problems.extend(
            (kind, f"entry {index} {name}") for kind, name in entry_differences(mine, theirs)
        )
    if not problems:
        return Verdict("agrees")
    kind = "lost fields" if any(k == "lost fields" for k, _ in problems) else "differs"
    names = sorted({detail.split(" ", 2)[-1] for _, detail in problems})
    return Verdict(kind, f"{len(problems)} fields ({', '.join(names)})")


def entry_differences(mine: Entry, theirs: Entry) -> list[tuple[str, str]]:
    found = []
    for field in fields(Entry):
        a, b = getattr(mine, field.name), getattr(theirs, field.name)
        if a != b:
            found.append(("lost fields" if a and not b else "differs", field.name))
    return found


# --- the run --------------------------------------------------------------------------------


@dataclass(slots=True)
class Document:
    path: str
    body: bytes
    headers: dict[str, str]
    expected: ParsedFeed


def documents(root: Path) -> tuple[list[Document], list[str], list[str]]:
    """The XML documents feedparser parses (with its records), the JSON Feeds, and the
    documents the product's hardening refuses before any parser runs."""
    with (root / "MANIFEST.tsv").open(encoding="utf-8", newline="") as handle:
        paths = [row["path"] for row in csv.DictReader(handle, delimiter="\t")]
    prepared: list[Document] = []
    json_feeds: list[str] = []
    refused: list[str] = []
    for path in paths:
        raw = (root / path).read_bytes()
        body = gzip.decompress(raw) if raw.startswith(b"\x1f\x8b") else raw
        if looks_like_json(body):
            json_feeds.append(path)
            continue
        url = URL_BASE + path
        try:
            body, headers = prepare_xml(body, url=url, headers=None)
        except ParseError:
            refused.append(path)
            continue
        expected = map_parsed(run_feedparser(body, headers), url=url)
        prepared.append(Document(path, body, headers, expected))
    return prepared, json_feeds, refused


def judge(library: Library, doc: Document) -> Verdict:
    try:
        shaped = library.shape(library.run(doc.body, doc.headers))
        got = map_parsed(shaped, url=URL_BASE + doc.path)
    except Exception as exc:
        return Verdict("raised", f"{type(exc).__name__}: {str(exc)[:70]}")
    return compare(doc.expected, got)


def parse_seconds(
    run: Callable[[bytes, dict[str, str]], Any], docs: list[Document], repeat: int
) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        for doc in docs:
            try:
                run(doc.body, doc.headers)
            except Exception:  # noqa: S112 (a raise is counted as a failure elsewhere)
                continue
        best = min(best, time.process_time() - started)
    return best


def doc_url(headers: dict[str, str]) -> str:
    """The document's URL (``prepare_xml`` put it in the headers as Content-Location)."""
    return headers["content-location"]


def gated(doc: Document) -> ParsedFeed | Rejected:
    """The shipped fast path on one document: the gate's verdict, or the records it gives."""
    url = URL_BASE + doc.path
    fast = parse_fast(doc.body, url=url, headers=doc.headers, max_entries=MAX_ENTRIES)
    return fast if isinstance(fast, Rejected) else map_parsed(fast, url=url)


def report_gate(docs: list[Document], repeat: int) -> None:
    verdicts = [(doc, gated(doc)) for doc in docs]
    accepted = [(doc, r) for doc, r in verdicts if not isinstance(r, Rejected)]
    reasons: dict[str, list[str]] = {}
    for doc, result in verdicts:
        if isinstance(result, Rejected):
            reasons.setdefault(result.check, []).append(f"{doc.path} ({result.detail})")
    wrong = [
        (doc.path, v) for doc, r in accepted if (v := compare(doc.expected, r)).kind != "agrees"
    ]
    print(
        f"\nshipped path (feedparser-rs behind the gate): accepted {len(accepted)} of {len(docs)}, "
        f"{len(wrong)} of them not agreeing with feedparser"
    )
    for path, verdict in wrong:
        print(f"  ACCEPTED BUT {verdict.kind}: {path}: {verdict.detail}")
    for check, paths in sorted(reasons.items()):
        print(f"  rejected by {check}: {len(paths)}: {', '.join(paths)}")
    accepted_docs = [doc for doc, _ in accepted]
    rejected_docs = [doc for doc, r in verdicts if isinstance(r, Rejected)]
    print(
        "  parse + mapping CPU time, feedparser alone -> shipped path (gate, else feedparser), "
        "per document in turn:"
    )
    for label, group in (
        ("all", docs),
        ("accepted", accepted_docs),
        ("rejected", rejected_docs),
    ):
        before, after = paired_seconds(old_path, new_path, group, repeat)
        print(
            f"    {label:9} {len(group):3} documents: {before * 1000:7.0f} ms -> "
            f"{after * 1000:7.0f} ms ({before / after:.2f}x)"
        )
    shaped = {
        id(doc.body): parse_fast(
            doc.body, url=doc_url(doc.headers), headers=doc.headers, max_entries=1000
        )
        for doc in accepted_docs
    }
    mapping = parse_seconds(
        lambda body, h: map_parsed(shaped[id(body)], url=doc_url(h)), accepted_docs, repeat
    )
    print(
        f"  of which the mapping to records (HTML to text, URLs; the same on both paths) on the "
        f"accepted documents: {mapping * 1000:.0f} ms"
    )
    wasted = parse_seconds(gate_only, rejected_docs, repeat)
    feedparser_on_them = parse_seconds(old_path, rejected_docs, repeat)
    print(
        f"  the gate's cost on the rejected documents: {wasted * 1000:.0f} ms "
        f"({100 * wasted / feedparser_on_them:.1f}% of feedparser's time on them)"
    )


def gate_only(body: bytes, headers: dict[str, str]) -> None:
    parse_fast(body, url=doc_url(headers), headers=headers, max_entries=MAX_ENTRIES)


def old_path(body: bytes, headers: dict[str, str]) -> None:
    map_parsed(run_feedparser(body, headers), url=doc_url(headers))


def new_path(body: bytes, headers: dict[str, str]) -> None:
    url = doc_url(headers)
    fast = parse_fast(body, url=url, headers=headers, max_entries=MAX_ENTRIES)
    if isinstance(fast, Rejected) or not map_parsed(fast, url=url).entries:
        old_path(body, headers)


def paired_seconds(
    old: Callable[[bytes, dict[str, str]], Any],
    new: Callable[[bytes, dict[str, str]], Any],
    docs: list[Document],
    repeat: int,
) -> tuple[float, float]:
    """Both paths on each document in turn, each document's best CPU time of ``repeat`` runs,
    summed: load that comes and goes on the machine hits both alike."""
    totals = [0.0, 0.0]
    for doc in docs:
        for index, run in enumerate((old, new)):
            best = float("inf")
            for _ in range(repeat):
                started = time.process_time()
                run(doc.body, doc.headers)
                best = min(best, time.process_time() - started)
            totals[index] += best
    return totals[0], totals[1]


def available(library: Library) -> bool:
    try:
        library.run(b"<rss version='2.0'><channel><title>t</title></channel></rss>", {})
    except ImportError:
        print(f"{library.name} is not installed: left out (pip install {library.name}).")
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="timing rounds (best is kept)")
    parser.add_argument("--verbose", action="store_true", help="print agreeing documents too")
    args = parser.parse_args()
    root = corpus_dir("feeds")
    docs, json_feeds, refused = documents(root)
    print(
        f"{len(docs) + len(json_feeds) + len(refused)} documents: {len(docs)} XML parsed by "
        f"feedparser, {len(json_feeds)} JSON Feeds (jsonfeed.py, no XML parser), "
        f"{len(refused)} refused by the hardening before any parser"
    )
    libraries = [lib for lib in LIBRARIES if available(lib)]
    baseline = parse_seconds(run_feedparser, docs, args.repeat)
    print(f"\nparse CPU time over the {len(docs)} XML documents (best of {args.repeat}):")
    print(f"  {'feedparser':15} {baseline * 1000:8.1f} ms   1.0x")
    for lib in libraries:
        seconds = parse_seconds(lib.run, docs, args.repeat)
        print(f"  {lib.name:15} {seconds * 1000:8.1f} ms  {baseline / seconds:5.1f}x")
    if any(lib.name == "feedparser-rs" for lib in libraries):
        report_gate(docs, args.repeat)
    for lib in libraries:
        verdicts = [(doc.path, judge(lib, doc)) for doc in docs]
        agreeing = sum(1 for _, v in verdicts if v.kind == "agrees")
        counts: dict[str, int] = {}
        for _, verdict in verdicts:
            counts[verdict.kind] = counts.get(verdict.kind, 0) + 1
        summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()) if kind != "agrees")
        print(f"\n{lib.name}: agrees on {agreeing} of {len(docs)} XML documents ({summary})")
        for path, verdict in verdicts:
            if verdict.kind != "agrees" or args.verbose:
                print(f"  {verdict.kind:12} {path}: {verdict.detail}")


if __name__ == "__main__":
    main()
