"""Quote detection and speaker accuracy on the shared quote gold sets.

Implements the metric of ``../shared/corpus/quotes/README.md``:

- detection: a predicted quote matches a gold quote when their normalised token multisets
  (NFKC, lower case, curly quotes folded, word tokens) overlap by at least 80% of the shorter
  one's tokens; one-to-one, greedy by best overlap. P/R/F1 over all quotes of a set.
- speaker accuracy: over matched quotes whose gold speaker is named, right when the last names
  agree (case-insensitive; honorifics and suffixes dropped; text after a comma or in parentheses
  ignored). Also reported per ``speaker_resolution``.
- speaker precision and coverage, for all quotes and for the two key quotes (the first two found,
  as a post shows them). Precision: matched quotes shown with a speaker whose speaker is right:
  a named gold speaker by last name; where the gold says nobody is named, a name is wrong, and a
  description is right when its head noun is the gold's (BBC ``unnamed``: the ``note``, "a DCMS
  spokeswoman"; PolNeAR ``no-source``: nothing is right). Null golds that do not say who spoke
  (PolNeAR ``non-name`` spans such as "the Vermont senator", unresolved pronouns; BBC
  ``document``) are unjudged. Coverage: matched quotes with a named gold speaker that are shown
  with a speaker.

Run ``python benchmarks/quote_eval.py [--errors N] [--sets a,b]``. Exits 0 with a message when the
corpus is absent. ``main()`` is also called by ``benchmarks/condense_quality.py``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from digests.condensing.quotes import find_quotes  # noqa: E402
from digests.condensing.text import paragraphs  # noqa: E402
from digests.model import Quote  # noqa: E402

REPORT_SETS = ("bbc_manual40_paragraphs", "bbc_manual40", "polnear_dev")
THRESHOLD = 0.8
#: The quotes a post shows (``digests.condensing.KEY_QUOTES``).
KEY_QUOTES = 2

_FOLD = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "«": '"', "»": '"'})
_WORD = re.compile(r"\w+")
_HONORIFICS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "miss",
        "dr",
        "sir",
        "dame",
        "lord",
        "lady",
        "prof",
        "professor",
        "rev",
        "sen",
        "senator",
        "rep",
        "gov",
        "governor",
        "president",
        "gen",
        "col",
        "capt",
        "lt",
        "sgt",
        "judge",
        "justice",
        "mayor",
        "st",
    ]
)
_SUFFIXES = frozenset(["jr", "sr", "ii", "iii", "iv", "v", "esq", "phd", "md"])


def corpus_dir() -> Path | None:
    """``<repo>/../shared/corpus`` (the location ``benchmarks/_corpus.py`` uses), or None."""
    try:
        import _corpus  # benchmarks/ is on sys.path when run as a script or from the benchmarks

        base = Path(_corpus.CORPUS)
    except (ImportError, AttributeError):
        base = REPO.parent / "shared" / "corpus"
    return base if base.is_dir() else None


def tokens(text: str) -> Counter[str]:
    norm = unicodedata.normalize("NFKC", text).translate(_FOLD).lower()
    return Counter(_WORD.findall(norm))


def last_name(name: str | None) -> str | None:
    if not name:
        return None
    text = re.sub(r"\([^)]*\)", " ", name).split(",")[0]
    words = [w for w in re.findall(r"[\w'’-]+", text.lower()) if w]
    words = [w for w in words if w.rstrip(".") not in _HONORIFICS | _SUFFIXES]
    if not words:
        return None
    return re.sub(r"['’]s$", "", words[-1])


def match(pred: Sequence[str], gold: Sequence[str]) -> list[tuple[int, int]]:
    """One-to-one greedy matching by best overlap (fraction of the shorter's tokens)."""
    ptoks = [tokens(p) for p in pred]
    gtoks = [tokens(g) for g in gold]
    pairs: list[tuple[float, int, int, int]] = []
    for i, pt in enumerate(ptoks):
        np_ = sum(pt.values())
        for j, gt in enumerate(gtoks):
            ng = sum(gt.values())
            shorter = min(np_, ng)
            if shorter == 0:
                continue
            inter = sum((pt & gt).values())
            frac = inter / shorter
            if frac >= THRESHOLD:
                pairs.append((frac, inter, i, j))
    pairs.sort(key=lambda t: (-t[0], -t[1], t[2], t[3]))
    used_p: set[int] = set()
    used_g: set[int] = set()
    out: list[tuple[int, int]] = []
    for _, _, i, j in pairs:
        if i in used_p or j in used_g:
            continue
        used_p.add(i)
        used_g.add(j)
        out.append((i, j))
    return out


@dataclass(slots=True)
class SpeakerScore:
    """Speaker precision and coverage over judged quotes."""

    named: int = 0  # judged quotes shown with a speaker
    right: int = 0  # ... whose speaker is right
    gold_named: int = 0  # judged quotes whose gold speaker is a name
    covered: int = 0  # ... shown with a speaker
    unjudged: int = 0  # shown quotes whose gold cannot judge a shown speaker

    @property
    def precision(self) -> float:
        return self.right / self.named if self.named else 0.0

    @property
    def coverage(self) -> float:
        return self.covered / self.gold_named if self.gold_named else 0.0

    def line(self) -> str:
        return (
            f"precision {100 * self.precision:5.1f}% ({self.right}/{self.named})  "
            f"coverage {100 * self.coverage:5.1f}% ({self.covered}/{self.gold_named})  "
            f"unjudged {self.unjudged}"
        )


def nobody_named(gold: dict[str, Any]) -> tuple[bool, str | None]:
    """Whether a null gold speaker means the article names nobody, and then its description."""
    if gold.get("speaker_type") == "unnamed":
        return True, str(gold.get("note") or "").split("(")[0].strip() or None
    return gold.get("speaker_resolution") == "no-source", None


def add_speaker(score: SpeakerScore, shown: str | None, gold: dict[str, Any]) -> None:
    """Add one matched quote (its shown speaker and its gold record) to ``score``."""
    name = gold.get("speaker")
    if name:
        score.gold_named += 1
        score.covered += shown is not None
        if shown is not None:
            score.named += 1
            score.right += last_name(shown) == last_name(name)
        return
    judged, description = nobody_named(gold)
    if shown is None:
        return
    if not judged:
        score.unjudged += 1
        return
    score.named += 1
    score.right += description is not None and last_name(shown) == last_name(description)


@dataclass
class SetScore:
    name: str
    articles: int = 0
    pred: int = 0
    gold: int = 0
    matched: int = 0
    spk_total: int = 0
    spk_right: int = 0
    seconds: float = 0.0
    by_resolution: dict[str, list[int]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    speakers: SpeakerScore = field(default_factory=SpeakerScore)
    key_speakers: SpeakerScore = field(default_factory=SpeakerScore)

    @property
    def precision(self) -> float:
        return self.matched / self.pred if self.pred else 0.0

    @property
    def recall(self) -> float:
        return self.matched / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def speaker_accuracy(self) -> float:
        return self.spk_right / self.spk_total if self.spk_total else 0.0


def score_set(
    name: str,
    rows: list[dict[str, Any]],
    finder: Callable[[list[str]], list[Quote]] = find_quotes,
    keep_errors: int = 0,
) -> SetScore:
    s = SetScore(name)
    for row in rows:
        paras = paragraphs(row["text"])
        t0 = time.process_time()  # CPU time: stable on a shared machine
        pred = finder(paras)
        s.seconds += time.process_time() - t0
        gold = row["quotes"]
        s.articles += 1
        s.pred += len(pred)
        s.gold += len(gold)
        pairs = match([q.text for q in pred], [g["quote"] for g in gold])
        s.matched += len(pairs)
        matched_p = {i for i, _ in pairs}
        matched_g = {j for _, j in pairs}
        for i, j in pairs:
            g = gold[j]
            add_speaker(s.speakers, pred[i].speaker, g)
            if i < KEY_QUOTES:
                add_speaker(s.key_speakers, pred[i].speaker, g)
            if not g.get("speaker"):
                continue
            ok = last_name(pred[i].speaker) == last_name(g["speaker"])
            s.spk_total += 1
            s.spk_right += ok
            res = str(g.get("speaker_resolution") or g.get("speaker_type") or "all")
            cell = s.by_resolution.setdefault(res, [0, 0])
            cell[0] += 1
            cell[1] += ok
            if not ok and len(s.errors) < keep_errors:
                s.errors.append(
                    f"SPK {row['id']} [{res}] gold={g['speaker']!r} "
                    f"(mention {g.get('speaker_mention')!r}) pred={pred[i].speaker!r}: "
                    f"{g['quote'][:70]!r}"
                )
        if len(s.errors) < keep_errors:
            s.errors.extend(
                f"FP  {row['id']}: {pred[i].text[:90]!r}"
                for i in range(len(pred))
                if i not in matched_p
            )
            s.errors.extend(
                f"FN  {row['id']}: {g['quote'][:90]!r}"
                for j, g in enumerate(gold)
                if j not in matched_g
            )
    return s


def load(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def report(s: SetScore, *, breakdown: bool) -> None:
    rate = s.articles / s.seconds if s.seconds else float("inf")
    print(
        f"{s.name:<26} articles={s.articles:<4} P={100 * s.precision:5.1f} "
        f"R={100 * s.recall:5.1f} F1={100 * s.f1:5.1f}  speaker accuracy="
        f"{100 * s.speaker_accuracy:5.1f}% ({s.spk_right}/{s.spk_total})  "
        f"[{rate:,.0f} articles/s CPU]"
    )
    print(f"    speakers, all quotes  {s.speakers.line()}")
    print(f"    speakers, key quotes  {s.key_speakers.line()}")
    if breakdown:
        for res, (n, ok) in sorted(s.by_resolution.items(), key=lambda kv: -kv[1][0]):
            print(f"    {res:<22} {100 * ok / n:5.1f}% ({ok}/{n})")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default=",".join(REPORT_SETS))
    parser.add_argument("--errors", type=int, default=0, help="print up to N errors per set")
    args = parser.parse_args(argv)
    base = corpus_dir()
    if base is None or not (base / "quotes").is_dir():
        print("quote_eval: ../shared/corpus/quotes is absent; nothing to evaluate.")
        return 0
    print("Quotes (metric of quotes/README.md: token overlap >= 80% of the shorter, one-to-one)")
    for name in args.sets.split(","):
        path = base / "quotes" / f"{name}.jsonl"
        if not path.is_file():
            print(f"{name}: missing, skipped")
            continue
        s = score_set(name, load(path), keep_errors=args.errors)
        report(s, breakdown=name.startswith("polnear"))
        for line in s.errors:
            print("   ", line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
