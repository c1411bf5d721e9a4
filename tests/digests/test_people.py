from __future__ import annotations

from digests.condensing.people import NAME_RUN, Mention, People, name_pieces, name_runs


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
