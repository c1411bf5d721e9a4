"""benchmarks/real_pages.py: each flaw detector on synthetic strings (both ways, so each can fail),
speaker scoring on the real labels, and the counting functions on a few real pages."""

from __future__ import annotations

import gzip
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from digests.model import Condensed, Quote

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def rp() -> Iterator[ModuleType]:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import real_pages

        yield real_pages
    finally:
        sys.path.remove(str(BENCHMARKS))


# --- detectors on synthetic strings --------------------------------------------------------------
def test_headline_repeat_is_found_with_or_without_the_site_part(rp: ModuleType) -> None:
    titles = ["Cat found in New Mexico after going missing in Oregon - Chron"]
    assert rp.repeats_headline("Cat found in New Mexico after going missing in Oregon", titles)
    assert rp.repeats_headline("CAT FOUND IN NEW MEXICO after going missing in Oregon.", titles)
    assert not rp.repeats_headline("The cat had been missing for five years.", titles)
    assert not rp.repeats_headline("Cat found.", titles)  # too short to judge


@pytest.mark.parametrize(
    "sentence",
    [
        "WASHINGTON (AP) — Ambassador Gordon Sondland faces questions.",
        "Hong Kong (CNN Business)A muddled view of US-China trade talks weighs on investors.",
        "New York, NY – The company said on Monday it would cut jobs.",
        "PanARMENIAN.Net - Verified video footage shows the crackdown.",
        "BERLIN -- The European Space Agency says hibernation could help.",
        "Washington, DC, United States: Getting to the Moon has been done.",
        "(Reuters) — The attorney general is investigating WeWork.",
    ],
)
def test_datelines_and_site_tags_are_found(rp: ModuleType, sentence: str) -> None:
    assert rp.opens_with_dateline(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Washington is bracing for a cold week.",
        "Brace yourself, Swifties: Taylor Swift might not perform her hits.",
        "Bruins 5, Devils 1: David Pastrnak scored twice.",
        "The agency (NASA) said on Monday that five companies were added.",
    ],
)
def test_ordinary_openings_are_not_datelines(rp: ModuleType, sentence: str) -> None:
    assert not rp.opens_with_dateline(sentence)


def test_glued_words_are_those_the_page_does_not_hold(rp: ModuleType) -> None:
    source = "<p>Gov. Kristi Noem</p><p>Kristi Lynn Noem</p> <b>MacBook</b> Pro"
    assert rp.glued_words("Gov. Kristi NoemKristi Lynn Noem spoke.", source) == ["NoemKristi"]
    assert rp.glued_words("The MacBook Pro is out.", source) == []
    assert rp.glued_words("He was a chief physician.Police arrested a man.", source) == ["an.Po"]
    assert rp.glued_words("Hong Kong (CNN Business)A muddled view.", source) == [")A"]


def test_broken_text_reasons(rp: ModuleType) -> None:
    assert rp.broken_reasons(["A whole sentence, ended."], "") == []
    assert rp.broken_reasons(["The sentence stops in the middle of"], "")
    assert rp.broken_reasons(["said Ms Ruffin, who owns a firm."], "")  # lower-case start
    assert rp.broken_reasons(["Senator for Yobe North , Ahmad Lawan, spoke."], "")
    assert rp.broken_reasons(["The carmaker isn ‘t slowing down."], "")
    assert rp.broken_reasons(["It gives Sentra a sexy new look,” said Mr Kershaw."], "")
    assert rp.broken_reasons(["He called it “great.”", "Then he left."], "") == []


def test_a_headline_without_full_stop_is_left_to_the_headline_flaw(rp: ModuleType) -> None:
    titles = ["New car sales plunge 10 percent in October"]
    assert rp.broken_reasons(["New car sales plunge 10 percent in October"], "", titles) == []
    assert rp.broken_reasons(["Car sales plunge in the autumn"], "", titles)


def test_page_junk(rp: ModuleType) -> None:
    assert rp.has_junk("- This week's Tennis Podcast is sponsored by the Davis Cup.")
    assert rp.has_junk("Summary: 5-1A: Salina South diver Keetan Munsell won the title.")
    assert rp.has_junk("Advertisement The minister said on Monday.")
    assert not rp.has_junk("The minister said the summary was accurate.")


def test_sentence_count_keeps_abbreviations_and_initials(rp: ModuleType) -> None:
    assert rp.count_sentences("Mr. Trump was not satisfied. Gov. Kristi Noem left.") == 2
    assert rp.count_sentences("It was directed by J.J. Abrams. It made money.") == 2
    assert rp.count_sentences("One. Two came. Three came. Four came.") == 4
    assert rp.count_sentences("") == 0


def test_verbatim_folds_quote_marks_and_spaces_only(rp: ModuleType) -> None:
    text = "He said: “We’re on it,\n and we   will stay on it.”"
    assert rp.verbatim("We're on it, and we will stay on it.", text)
    assert not rp.verbatim("We are on it, and we will stay on it.", text)
    assert rp.ends_with_comma("We got her,")
    assert not rp.ends_with_comma("We got her.")


def test_a_quote_running_past_its_closing_mark(rp: ModuleType) -> None:
    assert rp.runs_past_its_close(
        "It was an attempt to mislead voters,’’ Will Moy, chief executive"
    )
    assert rp.runs_past_its_close("We are going.” The minister left")
    assert not rp.runs_past_its_close("It was an attempt to mislead voters, and it’s wrong")


def test_english_share_tells_english_from_other_languages(rp: ModuleType) -> None:
    english = "The minister said that the plan would be ready for the vote in the spring."
    portuguese = "O ministro disse que o plano estaria pronto para a votação na primavera."
    assert rp.english_share(english) >= rp.ENGLISH_SHARE
    assert rp.english_share(portuguese) < rp.ENGLISH_SHARE


# --- speaker scoring -----------------------------------------------------------------------------
LABELS: list[dict[str, Any]] = [
    {"quote": "We are going to eliminate and scale back certain functions", "speaker": "Marcelo Claure"},
    {"quote": "We received an inquiry from the office and are cooperating", "speaker": None,
     "description": "WeWork spokesperson"},
    {"quote": "skinny", "speaker": None, "description": None},
]  # fmt: skip


def score(rp: ModuleType, speakers: list[str | None]) -> Any:
    quotes = [Quote(g["quote"], s, 1.0) for g, s in zip(LABELS, speakers, strict=True)]
    result = rp.SpeakerScore()
    rp.score_speakers(quotes, LABELS, result)
    return result


def test_speaker_precision_and_coverage(rp: ModuleType) -> None:
    right = score(rp, ["Claure", "A WeWork spokesperson", None])
    assert (right.right, right.named, right.covered, right.gold_named) == (2, 2, 1, 1)
    wrong = score(rp, ["Adam Neumann", "Letitia James", "Donald Trump"])
    assert (wrong.right, wrong.named, wrong.covered, wrong.gold_named) == (0, 3, 1, 1)
    silent = score(rp, [None, None, None])
    assert (silent.named, silent.covered, silent.coverage) == (0, 0, 0.0)


def test_shown_names_match_by_last_name_or_as_part_of_the_gold_name(rp: ModuleType) -> None:
    assert rp.same_speaker("Britain Liu Xiaming", "Liu Xiaming")
    assert rp.same_speaker("Liu", "Liu Xiaming")  # family name first
    assert rp.same_speaker("CEO Andy Vesey", "Andy Vesey")
    assert not rp.same_speaker("Singh Jabarjung", "Lakshiwnder Singh")
    assert not rp.same_speaker("Britain", "Liu Xiaming")
    assert not rp.same_speaker("Mr", "Liu Xiaming")


def test_a_description_is_right_only_where_the_label_accepts_it(rp: ModuleType) -> None:
    letter = {"speaker": "Doctors for Camp Closure", "description": "the doctors"}
    singer = {"speaker": "Pat Simmons", "description": None}
    assert rp.speaker_right("The doctors", letter)
    assert rp.speaker_right("Doctors for Camp Closure", letter)
    assert not rp.speaker_right("CBP", letter)
    assert not rp.speaker_right("The singer", singer)


def test_a_shown_quote_pairs_with_its_own_label_first(rp: ModuleType) -> None:
    gold = ["I said no to him and left", "No,", "We got her."]
    assert rp.pair_quotes(["No,", "We got her!"], gold) == {0: 1, 1: 2}
    assert rp.pair_quotes(["Something else entirely"], gold) == {}


def test_unlabelled_quotes_are_unjudged(rp: ModuleType) -> None:
    result = rp.SpeakerScore()
    rp.score_speakers([Quote("A quote nobody labelled at all", "Jane Doe", 1.0)], LABELS, result)
    assert (result.unjudged, result.named) == (1, 0)


def test_the_labels_judge_themselves_right(rp: ModuleType) -> None:
    labels = rp.load_labels()
    assert len(labels) >= 40
    result = rp.SpeakerScore()
    for quotes in labels.values():
        shown = [Quote(g["quote"], g["speaker"] or g.get("description"), 1.0) for g in quotes]
        rp.score_speakers(shown, quotes, result)
    assert result.unjudged == 0
    assert result.right == result.named > 0
    assert result.covered == result.gold_named > 0


# --- real pages (skips without ../shared/corpus) -------------------------------------------------
PAGES = {
    "d90bda7ed14df19574f4ca8b1ccde5752a78f40058af1393e81cc99adb3e8756": "PanARMENIAN.Net",
    "d605bdef2cde7308a9f2fbd1484d4a9c3da0167177245d346da61e455f42208d": "Hong Kong (CNN",
    "ef2b3f268a67950c16563de9ca3209163c7618868c0216739e1e794e7884cc20": "SANTA FE, N.M.",
}


def page(rp: ModuleType, corpus: Path, key: str) -> Any:
    root = corpus / "articles"
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))[key]
    html = gzip.decompress((root / "html" / f"{key}.html.gz").read_bytes())
    return rp.Page(f"{key}.html.gz", truth["url"], html), truth["articleBody"]


@pytest.mark.corpus
@pytest.mark.parametrize("key", sorted(PAGES))
def test_flaws_of_a_post_made_of_the_page_opening(
    rp: ModuleType, corpus_dir: Path, key: str
) -> None:
    """A post whose summary is the page's (ground-truth) opening and headline shows both flaws;
    the bot's real post of the page is made and judged without error."""
    the_page, body = page(rp, corpus_dir, key)
    assert body.startswith(PAGES[key])
    real = rp.make_post(the_page)
    assert real.text and real.titles and real.condensed is not None
    assert set(rp.find_flaws(real).flaws) <= set(rp.FLAWS)
    opening = body.split("\n")[0]
    made = Condensed(real.titles[0], opening, [real.titles[0], opening], [])
    flaws = rp.find_flaws(rp.Post(the_page, real.text, real.titles, made)).flaws
    assert {"headline", "dateline"} <= set(flaws)


@pytest.mark.corpus
def test_non_english_pages_are_left_out(rp: ModuleType, corpus_dir: Path) -> None:
    key = "c82b3d1d540bbbd6081bdfb78b4c068c583aa766bcaaefe7ad16d24e5413a829"  # wday.ru
    the_page, _ = page(rp, corpus_dir, key)
    english, _ = page(rp, corpus_dir, sorted(PAGES)[0])
    posts, decisions = rp.choose([the_page, english])
    assert [p.page.file for p in posts] == [english.file]
    assert "not English" in decisions[0]


@pytest.mark.corpus
def test_labels_name_corpus_pages(rp: ModuleType, corpus_dir: Path) -> None:
    html = corpus_dir / "articles" / "html"
    labels = rp.load_labels()
    assert all((html / name).is_file() for name in labels)


def test_quote_eval_speaker_precision_and_coverage(rp: ModuleType) -> None:
    import quote_eval  # on the path with real_pages

    named = {"speaker": "Gordon Brown"}
    unnamed = {"speaker": None, "speaker_type": "unnamed", "note": "a DCMS spokeswoman ('she')"}
    no_source = {"speaker": None, "speaker_resolution": "no-source"}
    unresolved = {"speaker": None, "speaker_resolution": "pronoun-unresolved"}
    score = quote_eval.SpeakerScore()
    for shown, gold in [
        ("Mr Brown", named),
        (None, named),
        ("A DCMS spokeswoman", unnamed),
        ("Tessa Jowell", unnamed),
        ("Tony Blair", no_source),
        ("Tony Blair", unresolved),
    ]:
        quote_eval.add_speaker(score, shown, gold)
    assert (score.right, score.named, score.unjudged) == (2, 4, 1)
    assert (score.covered, score.gold_named) == (1, 2)
