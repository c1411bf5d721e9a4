from __future__ import annotations

from digests.condensing.people import name_pieces


def test_a_one_word_run_is_its_own_piece_unless_a_sentence_word() -> None:
    assert name_pieces("The") == ()
    assert name_pieces("However") == ()
    (piece,) = name_pieces("Loach's")
    assert (piece.start, piece.end, piece.raw) == (0, 7, "Loach's")
    assert piece.name.tokens == ("Loach",)
    assert not piece.evident  # a surname alone says nothing of a person
