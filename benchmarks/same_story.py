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
import gzip
import hashlib
import json
import re
import sys
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from html.parser import HTMLParser
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


@dataclass(frozen=True)
class Sources:
    """The shared corpus's documents that the labels point at, by id (empty when absent)."""

    summaries: dict[str, dict[str, Any]]
    polnear: dict[str, dict[str, Any]]
    #: article id -> {"url", "articleBody"} from ``articles/ground-truth.json``
    pages: dict[str, dict[str, str]]

    @classmethod
    def load(cls) -> Sources:
        summaries, quotes = CORPUS / "summarization", CORPUS / "quotes"
        truth = CORPUS / "articles" / "ground-truth.json"
        return cls(
            summaries={d["id"]: d for n in SETS for d in _documents(summaries / n)},
            polnear={d["id"]: d for n in POLNEAR for d in _documents(quotes / n)},
            pages=json.loads(truth.read_text(encoding="utf-8")) if truth.exists() else {},
        )


def _documents(path: Path) -> list[dict[str, Any]]:
    return list(read_jsonl(path)) if path.exists() else []


class _PageMeta(HTMLParser):
    """A page's <meta> values and <title>."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        key = values.get("property") or values.get("name") or values.get("itemprop")
        if tag == "meta" and key and key.lower() not in self.meta:
            self.meta[key.lower()] = values.get("content", "")
        self._in_title = tag == "title" and not self.title

    def handle_endtag(self, tag: str) -> None:
        self._in_title = self._in_title and tag != "title"

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


_PUBLISHED_KEYS = ("article:published_time", "datepublished", "pubdate", "date")


def page_headline(article_id: str, url: str) -> tuple[str, datetime | None]:
    """The headline (og:title, else <title>, the site's name cut off its end) and publication
    time (its meta tags, when it has them) of one page of ``articles/html``."""
    page = gzip.decompress((CORPUS / "articles" / "html" / f"{article_id}.html.gz").read_bytes())
    parsed = _PageMeta()
    parsed.feed(page.decode("utf-8", "replace"))
    title = " ".join((parsed.meta.get("og:title") or parsed.title).split())
    site = parsed.meta.get("og:site_name", "").lower()
    host = url.split("/")[2].removeprefix("www.").split(".")[0]
    for sep in (" | ", " - ", " – ", " — "):
        head, _, tail = title.rpartition(sep)
        squeezed = re.sub(r"\W", "", tail.lower())
        if head and (tail.lower() == site or host in squeezed or squeezed.startswith(host[:5])):
            title = head
    for key in _PUBLISHED_KEYS:
        try:
            published = datetime.fromisoformat(parsed.meta[key].strip())
        except (KeyError, ValueError):
            continue
        return title, published if published.tzinfo else published.replace(tzinfo=UTC)
    return title, None


def half(pair: dict[str, Any]) -> str:
    """``fit`` or ``check``: a fixed split by a hash of the pair's ids (or its note)."""
    key = "|".join(
        str(
            pair[s].get("polnear_id")
            or pair[s].get("corpus_id")
            or pair[s].get("article_id")
            or pair["note"]
        )
        for s in "ab"
    )
    return "fit" if hashlib.sha256(key.encode()).digest()[0] % 2 == 0 else "check"


def _headline_and_text(
    raw: dict[str, Any], sources: Sources
) -> tuple[str, str, datetime | None] | None:
    published = datetime.fromisoformat(raw["published"]) if raw.get("published") else None
    if "polnear_id" in raw:
        article = sources.polnear.get(raw["polnear_id"])
        if article is None:
            return None
        # the text opens with the title as its first paragraph: the lede is what follows
        text = str(article["text"]).split("\n\n", 1)[-1]
        return str(article["title"]).strip(), text, datetime.fromisoformat(article["date"] + NOON)
    if "corpus_id" in raw:
        doc = sources.summaries.get(raw["corpus_id"])
        if doc is None:
            return None
        return str(doc["reference"]).split("\n")[0], str(doc["text"]), published
    if "article_id" in raw:
        gold = sources.pages.get(raw["article_id"])
        if gold is None:
            return None
        title, published = page_headline(raw["article_id"], gold["url"])
        return title, gold["articleBody"], published
    return raw["title"], raw["lede"], published


def side(raw: dict[str, Any], sources: Sources, n: int) -> Story | None:
    found = _headline_and_text(raw, sources)
    if found is None:
        return None
    title, text, published = found
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
    sources = Sources.load()
    policy = ClusterPolicy()
    rows: dict[str, list[tuple[bool, bool]]] = {}
    skipped = 0
    for n, pair in enumerate(pairs):
        a, b = side(pair["a"], sources, 2 * n), side(pair["b"], sources, 2 * n + 1)
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
    kinds = sorted({str(p["source"]) for p in pairs})
    for name in [*kinds, "fit", "check", "all", "fit text only", "check text only"]:
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
