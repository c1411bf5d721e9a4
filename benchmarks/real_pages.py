"""Flaws in posts made from real news pages, and speaker precision/coverage against our labels.

    python benchmarks/real_pages.py [--show] [--limit N] [--pages] [--dump PATH] [--half A|B]

For each English news page of ``../shared/corpus/articles`` (the HTML a bot fetches when it follows
a feed link to a teaser's page), the bot's own path: ``digests.feeds.extract.extract_article(html,
url=url)`` (what ``jobs.default_extract`` runs), then ``digests.condense(text, title=title)``
(``jobs.default_condense``). The title passed is the page's own (``og:title``, else
``<title>``): the feed's item title, which the service passes, is not in the corpus, and a feed's
title is the page's headline.

Flaws counted per post (a post is clean when it has none):
- ``headline``: a summary sentence repeats the headline (normalised comparison with the extracted
  title, ``<title>`` and ``og:title``, each also without a `` - Site`` / `` | Site`` part);
- ``dateline``: a dateline or site tag opens a summary sentence (``WASHINGTON (AP) —``,
  ``Hong Kong (CNN Business)A``, ``New York, NY –``, ``PanARMENIAN.Net -``);
- ``broken``: a sentence without terminal punctuation (unless it is the repeated headline),
  glued words (``NoemKristi``, ``said.The``), a space before a comma (``Yobe North , Ahmad``) or
  an apostrophe (``isn ‘t``), a sentence opening in lower case, or unbalanced double quotes;
- ``junk``: page furniture in the summary (``Advertisement``, ``Sponsored by``, a list bullet,
  a ``Summary:`` label...);
- ``long``: more than 3 sentences (counted by a plain splitter of our own, not the condenser's);
- ``quote``: a shown (key) quote that is not verbatim in the extracted text, or that runs past its
  closing mark (``It was an attempt to mislead voters,’’ Will Moy, chief…``).
Key quotes that end with a comma (``“… feel good,” — Kevin Mayer``) are counted on a line of
their own, not as a flaw.

Speakers: ``benchmarks/labels/real_pages_speakers.json`` holds, per corpus file, each quote the
tool showed when it was labelled and the speaker the article establishes (full name, or null when
the article does not say who spoke) and, when the article gives one, its ``description`` of the
speaker that a post may show instead ("a WeWork spokesperson"). A quote shown now is judged when
it matches a labelled quote (the token-overlap match of ``quote_eval.py``); names compare by last
name (or the shown name is part of the gold one: ``Liu`` for ``Liu Xiaming``), descriptions by head
noun.
``--half A`` / ``--half B`` scores one half of the labelled files (alternate files in name order):
rules are developed on half A and checked on half B.
Precision: shown speakers that are right (a name where the article names nobody is wrong; so is a
description the label does not accept); coverage: quotes with a named gold speaker that carry a
speaker. Both for all quotes and for the post's two key quotes; quotes shown now that no label
matches are counted as unjudged.

Which pages are English news: the extracted text's share of English stopwords (at least
``ENGLISH_SHARE``), minus the sites in ``NOT_NEWS`` (shops, recipes, company pages, personal
blogs); ``--pages`` lists the decision for every page. Exits 0 with a note when the corpus is
absent.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
for _p in (str(HERE), str(HERE.parent)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from _corpus import corpus_dir  # noqa: E402
from quote_eval import SpeakerScore, last_name, match  # noqa: E402

from digests import condense  # noqa: E402
from digests.condensing import KEY_QUOTES  # noqa: E402
from digests.errors import InputError  # noqa: E402
from digests.feeds.extract import extract_article  # noqa: E402
from digests.model import Condensed, Quote  # noqa: E402

LABELS = HERE / "labels" / "real_pages_speakers.json"

Flaw = Literal["headline", "dateline", "broken", "junk", "long", "quote"]
FLAWS: tuple[Flaw, ...] = ("headline", "dateline", "broken", "junk", "long", "quote")

#: Share of English stopwords in the extracted text at or above which a page is English.
ENGLISH_SHARE = 0.15
#: A little more than the 3 sentences a post shows.
MAX_SENTENCES = 3


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


_ENGLISH_STOPWORDS = _word_set(
    "the of and to a in is that for on it with as was he she his her at by from be have has "
    "are were an this which or but not they their said will would its who been had"
)

#: Sites in the corpus whose pages are not news stories, each with the reason.
NOT_NEWS: dict[str, str] = {
    "theantijunecleaver.com": "personal blog (recipes, sponsored posts)",
    "expapp.com": "company blog",
    "beachbodyondemand.com": "fitness product blog",
    "my6sense.com": "company press releases",
    "ascom.com": "company press releases",
    "vortexcannon.org": "game blog",
    "blog.givewell.org": "charity blog",
    "bigbrandsystem.com": "marketing blog",
    "healthline.com": "health advice",
    "note100yen.com": "personal blog",
    "lhpat-tm.com": "trademark blog",
    "jeongdongtheater.com": "theatre blog",
    "inexhibit.com": "design magazine catalogue pages",
    "morebikes.co.uk": "product reviews",
    "zdnet.com": "gadget buying list (best-tech-gadgets)",
    "9to5mac.com": "shopping deals and gift guides",
    "bgr.com": "shopping deals",
    "ign.com": "shopping deals",
    "practicalhorsemanmag.com": "riding tips",
    "autoracing.com.br": "results table",
}

_WORD = re.compile(r"\w+")
_FOLD = str.maketrans(
    {"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "«": '"', "»": '"', "\u00a0": " "}
)
_SITE_PART = re.compile(r"\s+[|\-–—:•·]\s+")

_AGENCY_DATELINE = re.compile(
    r"^[^\W\d_][\w.,'’ /-]{0,60}?\s*\((?:[A-Z][\w.&'’ -]{0,30})\)\s*(?:[-—–:]|(?=[A-Z]))"
)
_DASH = r"(?:--|[—–-])"
_CAPS_DATELINE = re.compile(rf"^[A-Z][A-Z.,'’ ]{{2,40}}(?:,\s*[\w. ]{{2,20}})?\s*(?:{_DASH}|:)\s")
_PLACE = r"[A-Z][\w.'’]*(?: [A-Z][\w.'’]*){0,2}"  # up to 3 capitalised words
_PLACE_DATELINE = re.compile(rf"^{_PLACE}(?:,\s*{_PLACE}){{1,2}}\s*(?:{_DASH}|:)\s")
_LEADING_TAG = re.compile(r"^\(\s*[A-Z][\w .&-]{0,30}\)")
_SITE_TAG = re.compile(
    r"^[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|co\.uk|in|info|ng|ca|tv)\s*[—–:-]", re.I
)

_GLUED_CAMEL = re.compile(r"\b[A-Z]?[a-z]{2,}[A-Z][a-z]{2,}\w*")
_GLUED_STOP = re.compile(r"[a-z]{2}[.!?][A-Z][a-z]")
_GLUED_PAREN = re.compile(r"[)\]][A-Za-z]")
_TERMINAL = re.compile(r"[.!?…][\"'”’)\]]*$")
_JUNK = re.compile(
    r"\b(?:advertisement|click here|read more|sign up|subscribe|getty images|all rights reserved"
    r"|image copyright|image caption|photo by|follow us|related:|share this|skip advert"
    r"|sponsored by)\b"
    r"|^(?:[-•*·]\s|(?:summary|updated|editor's note|watch|listen)\s*:)",
    re.I,
)
_PIECE = re.compile(r".+?(?:[.!?…][\"'”’)]*(?=\s+[\"“‘(]?[A-Z0-9])|$)")
_SPACED_PUNCT = re.compile(r"\w\s+[,;](?=\s)|\w\s+\.$|\b\w+\s[‘’']t\b")
#: Words that are no part of a name: honorifics and titles as shown ("Mr", "Gov", "CEO").
_NAME_NOISE = _word_set("mr mrs ms dr sir lady lord prince gov sen rep ceo president jr sr the")
_ABBREVIATIONS = _word_set(
    "mr mrs ms dr st jr sr prof gen col lt sgt rep sen gov jan feb mar apr jun jul aug sep sept "
    "oct nov dec no vs inc corp co ltd u.s u.k u.n a.m p.m"
)


# --- pages ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Page:
    file: str
    url: str
    html: bytes


@dataclass(frozen=True, slots=True)
class Post:
    page: Page
    text: str  # extracted article text ("" when extraction found nothing)
    titles: list[str]  # the headline as the page gives it, in every form we compare with
    condensed: Condensed | None


def load_pages(root: Path) -> list[Page]:
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    pages: list[Page] = []
    for key in sorted(truth):
        path = root / "html" / f"{key}.html.gz"
        pages.append(Page(path.name, truth[key]["url"], gzip.decompress(path.read_bytes())))
    return pages


def english_share(text: str) -> float:
    words = [w.lower() for w in _WORD.findall(text)]
    return sum(w in _ENGLISH_STOPWORDS for w in words) / len(words) if words else 0.0


def site(url: str) -> str:
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")


def not_news_reason(url: str) -> str | None:
    host = site(url)
    return next((why for key, why in NOT_NEWS.items() if host == key), None)


def head_titles(html: bytes) -> list[str]:
    """``<title>`` and ``og:title`` of a page, as written."""
    head = html[: 512 * 1024].decode("utf-8", "replace")
    found: list[str] = []
    title = re.search(r"<title[^>]*>(.*?)</title>", head, re.I | re.S)
    if title:
        found.append(title.group(1))
    og = re.search(
        r"<meta[^>]+(?:property|name)=[\"']og:title[\"'][^>]*content=[\"']([^\"']*)", head, re.I
    ) or re.search(
        r"<meta[^>]+content=[\"']([^\"']*)[\"'][^>]*(?:property|name)=[\"']og:title", head, re.I
    )
    if og:
        found.append(og.group(1))
    return [" ".join(unescape(t).split()) for t in found if t.strip()]


def make_post(page: Page) -> Post:
    """The bot's path for a teaser entry whose page is ``page``."""
    article = extract_article(page.html, url=page.url)
    titles = head_titles(page.html)
    if article is None:
        return Post(page, "", titles, None)
    if article.title:
        titles = [article.title, *titles]
    try:
        condensed = condense(article.text, title=article.title)
    except InputError:
        condensed = None
    return Post(page, article.text, titles, condensed)


# --- flaw detectors (pure, on strings) -----------------------------------------------------------
def norm_words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKC", text).translate(_FOLD).casefold()
    return _WORD.findall(folded)


def title_forms(titles: Iterable[str]) -> list[list[str]]:
    """Each title's words, whole and without a site part (the longest piece between `` | ``s)."""
    forms: list[list[str]] = []
    for title in titles:
        forms.append(norm_words(title))
        pieces = _SITE_PART.split(title)
        if len(pieces) > 1:
            forms.append(norm_words(max(pieces, key=len)))
    return [f for f in forms if len(f) >= 3]


def _contains(big: list[str], small: list[str]) -> bool:
    n = len(small)
    return any(big[i : i + n] == small for i in range(len(big) - n + 1))


def repeats_headline(sentence: str, titles: Iterable[str]) -> bool:
    """The sentence is the headline, inside the headline, or mostly the headline plus a little."""
    words = norm_words(sentence)
    if len(words) < 3:
        return False
    for form in title_forms(titles):
        if _contains(form, words) or (_contains(words, form) and len(form) >= 0.6 * len(words)):
            return True
        common = set(words) & set(form)
        if len(common) >= 0.85 * len(set(words) | set(form)):
            return True
    return False


def opens_with_dateline(sentence: str) -> bool:
    text = sentence.strip()
    return any(
        p.match(text)
        for p in (_AGENCY_DATELINE, _CAPS_DATELINE, _PLACE_DATELINE, _LEADING_TAG, _SITE_TAG)
    )


def glued_words(sentence: str, source: str) -> list[str]:
    """Words run together: ``NoemKristi`` (a camel-case word the page's HTML ``source`` does not
    hold: extraction glued it; ``MacBook`` and ``PolitiFact`` are in the HTML), ``said.The``,
    ``(CNN Business)A``."""
    found = [w for w in _GLUED_CAMEL.findall(sentence) if w not in source]
    found += _GLUED_STOP.findall(sentence) + _GLUED_PAREN.findall(sentence)
    return found


def unbalanced_quotes(summary: str) -> bool:
    if summary.count("“") != summary.count("”"):
        return True
    return summary.count('"') % 2 == 1


def broken_reasons(sentences: Sequence[str], source: str, titles: Iterable[str] = ()) -> list[str]:
    """Why the summary's text looks broken; a repeated headline's missing full stop is left to
    the ``headline`` flaw."""
    reasons: list[str] = []
    for sent in sentences:
        body = sent.strip()
        if not _TERMINAL.search(body) and not repeats_headline(body, titles):
            reasons.append(f"no end: …{body[-30:]!r}")
        reasons += [f"spaced punctuation: {m!r}" for m in _SPACED_PUNCT.findall(body)]
        if body[:1].islower() and not re.match(r"[a-z]+[A-Z]", body):
            reasons.append(f"lower-case start: {body[:30]!r}…")
        reasons += [f"glued: {g!r}" for g in glued_words(body, source)]
    if unbalanced_quotes(" ".join(sentences)):
        reasons.append("unbalanced quotes")
    return reasons


def has_junk(sentence: str) -> bool:
    return bool(_JUNK.search(sentence))


def count_sentences(summary: str) -> int:
    """Sentences by a plain rule of our own: end mark, space, capital; a piece ending in an
    abbreviation (``Mr.``, ``Gov.``) or an initial (``J.J.``) runs on into the next."""
    pieces = [m.group(0) for m in _PIECE.finditer(summary.strip()) if m.group(0).strip()]
    return sum(not _ends_with_abbreviation(p) for p in pieces[:-1]) + bool(pieces)


def _ends_with_abbreviation(piece: str) -> bool:
    tail = re.search(r"([\w.]+)[.!?][\"'”’)]*$", piece)
    word = tail.group(1).lower() if tail else ""
    return word in _ABBREVIATIONS or len(word) == 1 or "." in word


def verbatim(quote: str, text: str) -> bool:
    def squash(s: str) -> str:
        return " ".join(unicodedata.normalize("NFKC", s).translate(_FOLD).split())

    return squash(quote) in squash(text)


# --- per post ------------------------------------------------------------------------------------
@dataclass(slots=True)
class Findings:
    flaws: dict[Flaw, list[str]] = field(default_factory=dict)

    def add(self, flaw: Flaw, detail: str) -> None:
        self.flaws.setdefault(flaw, []).append(detail)


def find_flaws(post: Post) -> Findings:
    out = Findings()
    if post.condensed is None:
        return out
    sentences = post.condensed.sentences
    for sent in sentences:
        if repeats_headline(sent, post.titles):
            out.add("headline", sent[:80])
        if opens_with_dateline(sent):
            out.add("dateline", sent[:60])
        if has_junk(sent):
            out.add("junk", sent[:80])
    source = post.page.html.decode("utf-8", "replace")
    for reason in broken_reasons(sentences, source, post.titles):
        out.add("broken", reason)
    count = count_sentences(post.condensed.summary)
    if count > MAX_SENTENCES:
        out.add("long", f"{count} sentences")
    for quote in post.condensed.quotes[:KEY_QUOTES]:
        if not verbatim(quote.text, post.text):
            out.add("quote", f"not verbatim: {quote.text[:70]!r}")
        if runs_past_its_close(quote.text):
            out.add("quote", f"runs past its closing mark: {quote.text[:70]!r}")
    return out


def runs_past_its_close(quote: str) -> bool:
    """The quote holds a closing mark of its own (``voters,’’ Will Moy, chief…``, ``”``)."""
    return bool(re.search(r"[’']{2}|”", quote))


def ends_with_comma(quote: str) -> bool:
    """A quote cut where its attribution began (``“… feel good,” — Kevin Mayer``): reported on
    its own line, not counted as a flaw (the comma is the article's own)."""
    return quote.rstrip().endswith(",")


# --- speakers ------------------------------------------------------------------------------------
def same_speaker(shown: str, gold: str) -> bool:
    """Last names agree, or the shown name is part of the gold one: ``Liu`` for ``Liu Xiaming``
    (family name first), ``Andrew`` for ``Prince Andrew``."""
    if last_name(shown) == last_name(gold):
        return True
    shown_words, gold_words = _name_words(shown), _name_words(gold)
    return bool(shown_words) and shown_words <= gold_words


def _name_words(name: str) -> set[str]:
    return {w for w in norm_words(name) if w not in _NAME_NOISE}


def speaker_right(shown: str, label: dict[str, Any]) -> bool:
    """A shown speaker is right when it names the gold speaker, or when it is the article's
    description of the speaker that the label accepts (same head noun): "A WeWork spokesperson"
    where the article names nobody, "The doctors" for a named group's letter."""
    gold: str | None = label["speaker"]
    description: str | None = label.get("description")
    return (gold is not None and same_speaker(shown, gold)) or (
        description is not None and same_speaker(shown, description)
    )


def pair_quotes(shown: Sequence[str], gold: Sequence[str]) -> dict[int, int]:
    """Shown quote index -> label index: the same text first (so a one-word quote such as
    "No," finds its own label), then ``quote_eval.match`` (80% token overlap) for the rest."""
    pairs: dict[int, int] = {}
    free = {j: " ".join(norm_words(text)) for j, text in enumerate(gold)}
    for i, text in enumerate(shown):
        key = " ".join(norm_words(text))
        j = next((j for j, g in free.items() if g == key), None)
        if j is not None:
            pairs[i] = j
            del free[j]
    rest = [i for i in range(len(shown)) if i not in pairs]
    left = sorted(free)
    for a, b in match([shown[i] for i in rest], [gold[j] for j in left]):
        pairs[rest[a]] = left[b]
    return pairs


def score_speakers(
    quotes: Sequence[Quote], labels: Sequence[dict[str, Any]], score: SpeakerScore
) -> list[str]:
    """Add one post's quotes to ``score``; returns the wrong speakers, for reading."""
    pairs = pair_quotes([q.text for q in quotes], [g["quote"] for g in labels])
    wrong: list[str] = []
    for i, quote in enumerate(quotes):
        if i not in pairs:
            score.unjudged += 1
            continue
        label = labels[pairs[i]]
        if quote.speaker:
            score.named += 1
            ok = speaker_right(quote.speaker, label)
            score.right += ok
            if not ok:
                gold = label["speaker"] or f"nobody named ({label.get('description')})"
                wrong.append(f"shown {quote.speaker!r}, gold {gold!r}: {quote.text[:70]!r}")
        if label["speaker"] is not None:
            score.gold_named += 1
            score.covered += quote.speaker is not None
    return wrong


def load_labels(path: Path = LABELS) -> dict[str, list[dict[str, Any]]]:
    if not path.is_file():
        return {}
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return {k: v["quotes"] for k, v in data.items() if not k.startswith("_")}


# --- report --------------------------------------------------------------------------------------
def choose(pages: Sequence[Page]) -> tuple[list[Post], list[str]]:
    """The posts of the English news pages, and one decision line per page."""
    posts: list[Post] = []
    decisions: list[str] = []
    for page in pages:
        post = make_post(page)
        share = english_share(post.text)
        reason = not_news_reason(page.url)
        if not post.text:
            verdict = "out: no article text extracted"
        elif share < ENGLISH_SHARE:
            verdict = f"out: not English prose (stopword share {share:.2f})"
        elif reason:
            verdict = f"out: not news ({reason})"
        else:
            verdict = f"in (stopword share {share:.2f})"
            posts.append(post)
        decisions.append(f"{page.file}  {site(page.url):<28} {verdict}")
    return posts, decisions


def show_post(post: Post, found: Findings) -> None:
    print(f"\n== {post.page.file} {post.page.url}")
    print(f"   title: {post.titles[0] if post.titles else None!r}")
    if post.condensed is None:
        print("   (nothing condensed)")
        return
    for sent in post.condensed.sentences:
        print(f"   | {sent}")
    for quote in post.condensed.quotes[:KEY_QUOTES]:
        print(f"   > “{quote.text[:150]}” — {quote.speaker}")
    for flaw, details in found.flaws.items():
        for detail in details:
            print(f"   ! {flaw}: {detail}")


def dump(posts: Sequence[Post], path: Path) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for post in posts:
            row = {
                "file": post.page.file,
                "url": post.page.url,
                "titles": post.titles,
                "text": post.text,
                "condensed": post.condensed.to_dict() if post.condensed else None,
            }
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def report(posts: Sequence[Post], *, show: bool) -> None:
    counts: Counter[Flaw] = Counter()
    clean = 0
    condensed = [p for p in posts if p.condensed is not None]
    for post in condensed:
        found = find_flaws(post)
        counts.update(found.flaws.keys())
        clean += not found.flaws
        if show and found.flaws:
            show_post(post, found)
    n = max(1, len(condensed))
    print(f"\nPosts from {len(posts)} English news pages ({len(condensed)} condensed)")
    for flaw in FLAWS:
        print(f"  {flaw:<9} {counts[flaw]:4d}  {100 * counts[flaw] / n:5.1f}%")
    print(f"  clean     {clean:4d}  {100 * clean / n:5.1f}%")
    key = [q for p in condensed if p.condensed for q in p.condensed.quotes[:KEY_QUOTES]]
    commas = sum(ends_with_comma(q.text) for q in key)
    print(f"  (not a flaw) key quotes ending with a comma: {commas}/{len(key)}")


def half_of(labels: dict[str, list[dict[str, Any]]], half: str | None) -> set[str] | None:
    """The labelled files of half ``A`` (the 1st, 3rd, 5th… in file order) or ``B`` (the
    others); None (every file) when no half is asked for."""
    if half is None:
        return None
    files = sorted(labels)
    return set(files[0 if half == "A" else 1 :: 2])


def speaker_report(posts: Sequence[Post], *, show: bool, half: str | None = None) -> None:
    labels = load_labels()
    chosen = half_of(labels, half)
    if chosen is not None:
        labels = {k: v for k, v in labels.items() if k in chosen}
    every, key = SpeakerScore(), SpeakerScore()
    labelled = 0
    for post in posts:
        gold = labels.get(post.page.file)
        if gold is None or post.condensed is None:
            continue
        labelled += 1
        wrong = score_speakers(post.condensed.quotes, gold, every)
        score_speakers(post.condensed.quotes[:KEY_QUOTES], gold, key)
        if show:
            for line in wrong:
                print(f"   SPK {post.page.file}: {line}")
    which = f", half {half}" if half else ""
    print(f"\nSpeakers against {LABELS.name} ({labelled} labelled pages{which})")
    print(f"  all quotes  {every.line()}")
    print(f"  key quotes  {key.line()}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--show", action="store_true", help="print flawed posts and wrong names")
    parser.add_argument("--pages", action="store_true", help="list the page decisions")
    parser.add_argument("--limit", type=int, default=None, help="read only the first N pages")
    parser.add_argument("--dump", type=Path, default=None, help="write the posts as JSON Lines")
    parser.add_argument(
        "--half", choices=("A", "B"), default=None, help="score speakers on one half of the labels"
    )
    args = parser.parse_args(argv)
    pages = load_pages(corpus_dir("articles"))[: args.limit]
    posts, decisions = choose(pages)
    if args.pages:
        print("\n".join(decisions))
    if args.dump:
        dump(posts, args.dump)
    report(posts, show=args.show)
    speaker_report(posts, show=args.show, half=args.half)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
