from __future__ import annotations

from digests.condensing.people import (
    NAME_RUN,
    Mention,
    People,
    clean_name,
    is_headline,
    name_pieces,
    name_runs,
)


def test_a_one_word_run_is_its_own_piece_unless_a_sentence_word() -> None:
    assert name_pieces("The") == ()
    assert name_pieces("However") == ()
    (piece,) = name_pieces("Loach's")
    assert (piece.start, piece.end, piece.raw) == (0, 7, "Loach's")
    assert piece.name.tokens == ("Loach",)
    assert not piece.evident  # a surname alone says nothing of a person


def test_name_runs_finds_what_the_run_pattern_finds() -> None:
    paras = [
        "A man said I. M. Pei and Capt. Christian Pardo met Mr Brown's wife in New York.",
        "“I know,” said Jean-Claude van Damme. A. Then O’Brien, and Ms. Li of the U.S. Army.",
        "no capitals here at all",
        "I A B. Smith X",
    ]
    for para in paras:
        expected = [(m.start(), m.group(0)) for m in NAME_RUN.finditer(para)]
        assert list(name_runs(para)) == expected


def test_mentions_between_takes_those_from_since_up_to_pos() -> None:
    people = People()
    people.mentions = [Mention((p, o), f"P{p}{o}") for p, o in [(0, 5), (1, 0), (1, 9), (3, 2)]]
    assert [m.pos for m in people.mentions_between((1, 0), (3, 2))] == [(1, 0), (1, 9)]
    assert [m.pos for m in people.mentions_between((0, 6), (9, 0))] == [(1, 0), (1, 9), (3, 2)]
    assert people.mentions_between((0, 0), (0, 5)) == []


def test_a_place_or_a_body_is_not_cut_down_to_a_surname() -> None:
    # dropping "New" or "House" would leave a man called York or White
    assert clean_name("New York") is None
    assert clean_name("In New York") is None
    assert clean_name("White House") is None
    assert clean_name("Ohio State") is None
    name = clean_name("House Speaker Paul Ryan")  # a body word before a name still goes
    assert name is not None and name.tokens == ("Paul", "Ryan")
    name = clean_name("New York Mayor Bill de Blasio")
    assert name is not None and name.text == "Bill de Blasio"


def test_a_headline_is_a_short_line_in_title_case() -> None:
    assert is_headline("17 Of The Most Powerful Things Latinos Said In 2015 That Got Us Thinking.")
    assert is_headline("Hillary Clinton Slams Donald Trump On Abortion After SCOTUS Ruling.")
    assert not is_headline("John Smith, Mary Jones and Tom Brown.")  # names, not a headline
    assert not is_headline("Getty.")
    assert not is_headline("The Mayor Of London Said On Monday that he would go.")  # a sentence


def test_a_rival_or_a_challenger_is_a_description_not_a_name() -> None:
    for run, name in [
        ("Rival Hillary Clinton", ("Hillary", "Clinton")),
        ("McCain Challenger Kelli Ward", ("Kelli", "Ward")),
        ("Opponent Tobias Wend", ("Tobias", "Wend")),
    ]:
        cleaned = clean_name(run)
        assert cleaned is not None and cleaned.tokens == name, run
