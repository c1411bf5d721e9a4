"""Summaries without page furniture (issue 11): datelines, site tags, promos, captions, press
release footers and the headline itself never reach a summary (synthetic pages)."""

from __future__ import annotations

import pytest

from digests import condense
from digests.condensing.summarize import summarize
from digests.condensing.text import clean_paragraph, headline_forms, paragraphs, repeats_headline

BODY = [
    "The harbour board approved a new ferry terminal on Monday after two years of delay.",
    "Work on the terminal will begin in March and is expected to take eighteen months.",
    "The board said the project would cost 40 million dollars, paid by a state grant.",
    "Local businesses welcomed the decision, saying the old pier had driven visitors away.",
    "Opponents warned that the terminal would add traffic to the narrow harbour road.",
]


def _page(*paras: str) -> str:
    return "\n\n".join(paras)


@pytest.mark.parametrize(
    ("lead", "expected"),
    [
        ("PORTLAND, Ore. (AP) — The harbour board met.", "The harbour board met."),
        ("(Reuters) — The harbour board met.", "The harbour board met."),
        ("LONDON, Nov 19 (Reuters) - The harbour board met.", "The harbour board met."),
        ("SAN DIEGO — The harbour board met.", "The harbour board met."),
        ("TALLINN, Estonia – The harbour board met.", "The harbour board met."),
        ("SPRINGFIELD, Ill. -- The harbour board met.", "The harbour board met."),
        ("Cape Town (Daily Wire)The harbour board met.", "The harbour board met."),
        ("Austin, TX – The harbour board met.", "The harbour board met."),
        ("Perth, WA, Australia: The harbour board met.", "The harbour board met."),
        ("HarbourNews.com - The harbour board met.", "The harbour board met."),
        ("MUMBAI: The harbour board met.", "The harbour board met."),
        ("BOSTON, Nov. 19, 2019 /PRNewswire/ -- Harbour Co. met.", "Harbour Co. met."),
        ("SEATTLE--(BUSINESS WIRE)--Harbour Co. met.", "Harbour Co. met."),
        ("[항구신문=김기자] 항만위원회가 회의를 열었다.", "항만위원회가 회의를 열었다."),
        # not datelines
        ("The board — its chair said — met.", "The board — its chair said — met."),
        ("Acme (ACME) shares rose on Monday.", "Acme (ACME) shares rose on Monday."),
        ("The ferry – a new one – sails.", "The ferry – a new one – sails."),
    ],
)
def test_a_dateline_or_site_tag_is_cut_from_the_lead(lead: str, expected: str) -> None:
    assert clean_paragraph(lead) == expected


@pytest.mark.parametrize(
    "furniture",
    [
        "SEE MORE: Ten ferries you have to ride this summer",
        "Read also: The pier that time forgot",
        "WATCH: Drone footage of the harbour",
        "Sign up for our morning newsletter and get the news in your inbox.",
        "Get the Harbour Daily newsletter, delivered every weekday.",
        "The old pier at dusk. (AP Photo/Jane Doe)",
        "Ferry passengers wait in line. Photo by John Roe/Getty Images",
        "Photo: Harbour Board",
        "- This week's episode is sponsored by Acme Boats.",
        "November 20, 2019 - 11:28 AMT",
        "Editor's note: This story has been updated.",
    ],
)
def test_promos_plugs_captions_and_stamps_are_dropped(furniture: str) -> None:
    assert paragraphs(_page(BODY[0], furniture, BODY[1])) == [BODY[0], BODY[1]]


def test_a_press_release_footer_is_dropped_from_its_about_heading() -> None:
    text = _page(*BODY[:3], "About Harbour Holdings Inc.", "Harbour Holdings is a leader.", "###")
    assert paragraphs(text) == BODY[:3]


def test_headline_forms_drop_the_site_name() -> None:
    forms = headline_forms("Ferry terminal approved after delay - Harbour Times")
    assert ("ferry", "terminal", "approved", "after", "delay") in forms


@pytest.mark.parametrize(
    "sentence",
    [
        "Ferry terminal approved after two-year delay",
        "Harbour board: Ferry terminal approved after two-year delay.",
        "After two-year delay, ferry terminal approved",
    ],
)
def test_a_sentence_repeating_the_headline_is_recognised(sentence: str) -> None:
    assert repeats_headline(
        sentence, headline_forms("Ferry terminal approved after two-year delay")
    )


def test_a_sentence_sharing_some_headline_words_is_not_the_headline() -> None:
    forms = headline_forms("Ferry terminal approved after two-year delay")
    assert not repeats_headline(BODY[0], forms)


def test_the_headline_line_is_never_a_summary_sentence() -> None:
    title = "Harbour board approves ferry terminal"
    got = condense(_page("Harbour board approves ferry terminal", *BODY), title=title)
    assert got.sentences and all("approves" not in s for s in got.sentences)
    got = condense(_page("Harbour board approves new ferry terminal.", *BODY), title=title)
    assert all(not s.startswith("Harbour board approves") for s in got.sentences)


def test_an_unpunctuated_first_line_is_not_a_summary_sentence_without_a_title() -> None:
    got = condense(_page("Board backs terminal plan despite traffic fears", *BODY))
    assert all(s.endswith(".") for s in got.sentences)


def test_a_teaser_above_the_headline_line_is_dropped() -> None:
    teaser = "Night ferries are a fine way to see the coast and cost little to ride at all."
    text = _page(
        teaser, "Ten night ferries worth riding", "Harbour board approves ferry terminal", *BODY
    )
    got = condense(text, title="Harbour board approves ferry terminal")
    assert teaser not in got.sentences


def test_a_dateline_never_opens_a_summary() -> None:
    got = condense(_page("PORTLAND, Ore. (AP) — " + BODY[0], *BODY[1:]), sentences=2)
    assert got.sentences[0] == BODY[0]


QUOTED_LEAD = [
    '"We will close the Riverside station by 2030," council leader Amir Khan said on Tuesday.',
    "The council vote ends a century of coal burning in the town of Riverside.",
    "The Riverside station employs 400 people, and unions have warned of job losses.",
    '"We will fight for every one of those jobs," union official Mary Brown said.',
    "The closure of the Riverside station will be paid for by a national coal fund.",
]


def test_the_summary_keeps_its_lead_and_the_first_key_quote_does_not_repeat_it() -> None:
    got = condense(_page(*QUOTED_LEAD), title="Riverside coal station to close", sentences=2)
    assert got.sentences[0] == QUOTED_LEAD[0]
    # the quote the summary already holds is ranked after the others (and still kept)
    assert [q.speaker for q in got.quotes] == ["Mary Brown", "Amir Khan"]


def test_a_piece_of_a_quotation_running_over_sentences_is_not_chosen() -> None:
    paras = [
        BODY[0],
        "“The new ferry terminal will bring ferry jobs to the harbour and the harbour board knows.",
        "The ferry terminal is the harbour board's biggest project,” board chair Ann Lee said.",
        *BODY[1:],
    ]
    got = summarize(paras, title=None, sentences=3, avoid=[])
    assert len(got) == 3
    assert all(s.count("“") == s.count("”") for s in got)


@pytest.mark.parametrize(
    ("broken", "mended"),
    [
        (
            "Mayor Ann LeeAnn Marie LeeHarbour board approves ferry terminal Ferry fares rise MORE "
            "(D) opened the terminal.",
            "Mayor Ann Lee (D) opened the terminal.",
        ),
        (
            "The member for Bayport North , Ann Lee , opened the terminal .",
            "The member for Bayport North, Ann Lee, opened the terminal.",
        ),
        ("The board isn ‘t happy.", "The board isn’t happy."),
        ("The board isn ’t happy.", "The board isn’t happy."),
        ("The board isn 't happy.", "The board isn’t happy."),
        ("The board met on Monday.Work starts soon.", "The board met on Monday. Work starts soon."),
        ("- The board met on Monday.", "The board met on Monday."),
        ("Summary: The board met on Monday.", "The board met on Monday."),
        ("Visit harbour.com or the U.S. site.", "Visit harbour.com or the U.S. site."),
    ],
)
def test_text_the_page_broke_is_mended(broken: str, mended: str) -> None:
    assert clean_paragraph(broken) == mended
