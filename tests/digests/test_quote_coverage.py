"""Speaker coverage on real news writing (issue 11): error classes where the article names the
speaker but none was shown, each a synthetic fixture."""

from __future__ import annotations

from digests.condensing.quotes import find_quotes
from digests.condensing.text import paragraphs


def speakers_of(text: str) -> dict[str, str | None]:
    return {q.text: q.speaker for q in find_quotes(paragraphs(text))}


def test_a_credit_whose_appositive_runs_long_names_the_person_before_it() -> None:
    speakers = speakers_of(
        "Ice moons of the outer planets\n\n"
        "“Experiments like this pay off when you get out more than you put in,” Dorian Vale, a "
        "postdoctoral fellow at the Institute for Astrophysics in Munich, Germany, and co-author "
        "of the study, said in a statement.\n\n"
        "“The wind turned from north-westerly to south-easterly over the weekend,” Selma Okafor, "
        "a research analyst at the Lagos-based Council on Energy, Environment and Water think "
        "tank told the BBC.\n\n"
        "“Liquid water is hard to find beyond Earth,” study lead author Tomas Ribeiro, a "
        "planetary scientist at the Goddard Space Flight Center in Greenbelt, Maryland, and "
        "American University in Washington, D.C., said in a statement."
    )
    assert speakers == {
        "Experiments like this pay off when you get out more than you put in,": "Dorian Vale",
        "The wind turned from north-westerly to south-easterly over the weekend,": "Selma Okafor",
        "Liquid water is hard to find beyond Earth,": "Tomas Ribeiro",
    }


def test_a_long_credit_naming_two_people_names_neither() -> None:
    speakers = speakers_of(
        "Ice moons of the outer planets\n\n"
        "“We expect the results to hold for every moon we have looked at,” Dorian Vale, a "
        "fellow at the Institute for Astrophysics in Munich and co-author of the study, and Mary "
        "Okafor, a professor at the University of Lagos, said in a statement."
    )
    assert speakers == {"We expect the results to hold for every moon we have looked at,": None}
