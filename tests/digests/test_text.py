"""Paragraph and sentence splitting, boilerplate removal, HTML given as text (synthetic traps)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from digests.condensing.sentences import _RULES, SentenceRules, sentence_ends, split_sentences
from digests.condensing.text import (
    char_positions,
    clean_paragraph,
    is_boilerplate,
    paragraphs,
    squash,
    strip_html,
)
from digests.feeds.htmltext import looks_like_html

# --- sentences -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Mr. Smith met Mrs. Jones and Dr. Patel. They talked.",
            ["Mr. Smith met Mrs. Jones and Dr. Patel.", "They talked."],
        ),
        (
            "The U.S. and the U.K. signed a deal. Markets rose.",
            ["The U.S. and the U.K. signed a deal.", "Markets rose."],
        ),
        (
            "She moved to the U.S. The move was a success.",
            ["She moved to the U.S.", "The move was a success."],
        ),
        (
            "J. K. Rowling wrote a new book. It sold well.",
            ["J. K. Rowling wrote a new book.", "It sold well."],
        ),
        (
            "Inflation rose to 3.5 per cent in May. Prices of 1.25 pounds doubled.",
            ["Inflation rose to 3.5 per cent in May.", "Prices of 1.25 pounds doubled."],
        ),
        (
            '"It is over," he said. "Next time we win." Then he left.',
            ['"It is over," he said.', '"Next time we win."', "Then he left."],
        ),
        (
            "“We will fight,” she said. “We never give up.” The crowd cheered.",
            ["“We will fight,” she said.", "“We never give up.”", "The crowd cheered."],
        ),
        (
            "'He didn't see it connect.' The father of three was charged.",
            ["'He didn't see it connect.'", "The father of three was charged."],
        ),
        (
            "He paused... and went on. Nobody answered.",
            ["He paused... and went on.", "Nobody answered."],
        ),
        (
            "Well… I think so, she said. Then silence.",
            ["Well… I think so, she said.", "Then silence."],
        ),
        (
            "Is it true? Nobody knows! The end.",
            ["Is it true?", "Nobody knows!", "The end."],
        ),
    ],
)
def test_split_sentences_traps(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The plant in Flint, Mich. closed on Monday. Workers left.",
            ["The plant in Flint, Mich. closed on Monday.", "Workers left."],
        ),
        (
            "She grew up in Lansing, Mich. The town was small.",
            ["She grew up in Lansing, Mich.", "The town was small."],
        ),
        (
            "She told E! News that the tour is over. Fans were upset.",
            ["She told E! News that the tour is over.", "Fans were upset."],
        ),
        (
            "The VW ID. SPACE VIZZION is a wagon. It is long.",
            ["The VW ID. SPACE VIZZION is a wagon.", "It is long."],
        ),
        (
            "The state chose the slogan “Meth. We’re on it.” Critics laughed.",
            ["The state chose the slogan “Meth. We’re on it.”", "Critics laughed."],
        ),
        (
            "Die Wahl findet am 3. Oktober statt. Danach wird gezählt.",
            ["Die Wahl findet am 3. Oktober statt.", "Danach wird gezählt."],
        ),
        (
            "The vote was held in 2019. The count took days.",
            ["The vote was held in 2019.", "The count took days."],
        ),
        (
            "北京今天下雨。明天会晴！你知道吗？好的",
            ["北京今天下雨。", "明天会晴！", "你知道吗？", "好的"],
        ),
        (
            "東京は晴れ。「明日は雨です。」と言った。",
            ["東京は晴れ。", "「明日は雨です。」と言った。"],
        ),
        (
            "Путин прибыл в Москву. Встреча прошла в Кремле.",
            ["Путин прибыл в Москву.", "Встреча прошла в Кремле."],
        ),
        ("Это было в 1990 г. в Москве. Всё.", ["Это было в 1990 г. в Москве.", "Всё."]),
        ("대통령이 말했다. 그는 떠났다.", ["대통령이 말했다.", "그는 떠났다."]),
        ("Il est parti. À midi il est revenu.", ["Il est parti.", "À midi il est revenu."]),
    ],
)
def test_split_sentences_of_names_quotes_and_other_scripts(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_split_sentences_keeps_every_character_of_the_text() -> None:
    text = 'Dr. A. B. Smith said: "Yes. No... maybe." It was 4.5 p.m. in the U.S. The end'
    pieces = split_sentences(text)
    assert " ".join(pieces) == text
    assert all(p == p.strip() and p for p in pieces)


def test_split_sentences_of_an_empty_or_blank_paragraph_is_empty() -> None:
    assert split_sentences("") == []
    assert split_sentences("   \t ") == []


def test_split_sentences_is_linear_on_a_huge_paragraph() -> None:
    text = "Mr. A. B. went to the U.S. on 3.5 days. " * 20_000
    pieces = split_sentences(text)
    assert len(pieces) == 20_000


# --- paragraphs ----------------------------------------------------------------------------


def _ends_by_search(text: str, rules: SentenceRules) -> Iterator[re.Match[str]]:
    """``sentence_ends`` as the regex engine's own search finds the candidates."""
    chosen = _RULES[rules]
    start = 0
    for m in chosen.boundary.finditer(text):
        if chosen.ends(text, m, start):
            yield m
            start = m.end()


@pytest.mark.parametrize("rules", ["summary", "quotes"])
@pytest.mark.parametrize(
    "text",
    [
        "No marks here",
        "Ends with a stop.",
        "Wait... What?! No. Yes!? Really?!? Sure.",  # marks inside a run are passed over
        "He said “Meth. We’re on it.” Then left. U.S. officials met Mr. Smith.",
        "Dots.... Many?!?\tMore. 3.5 per cent.  Two spaces! Q",
        "明日は雨です。晴れ！本当？ 「明日は雨です。」と言った。",
        "नमस्ते। क्या हाल है؟ ठीक…",
    ],
)
def test_sentence_ends_are_those_the_regex_search_finds(text: str, rules: SentenceRules) -> None:
    found = [m.span() for m in sentence_ends(text, rules)]
    assert found == [m.span() for m in _ends_by_search(text, rules)]


def test_char_positions_lists_every_occurrence_in_order() -> None:
    text = "a.b!c.d?e..f"
    assert char_positions(text, ".!?") == [i for i, ch in enumerate(text) if ch in ".!?"]
    assert char_positions(text, "x") == []


def test_blank_lines_and_single_newlines_both_separate_paragraphs() -> None:
    text = "First paragraph here.\n\nSecond one.\nThird one, on its own line.\r\n\r\nFourth."
    assert paragraphs(text) == [
        "First paragraph here.",
        "Second one.",
        "Third one, on its own line.",
        "Fourth.",
    ]


def test_hard_wrapped_block_is_joined_into_one_paragraph() -> None:
    text = (
        "The council met on Tuesday evening to discuss the plans for the\n"
        "new bridge across the river, which residents have opposed for\n"
        "more than a decade because of the noise and the traffic it would\n"
        "bring to the town centre.\n\n"
        "A second paragraph follows."
    )
    paras = paragraphs(text)
    assert len(paras) == 2
    assert paras[0].startswith("The council met") and paras[0].endswith("town centre.")
    assert "the\nnew" not in paras[0] and "for the new bridge" in paras[0]


def test_a_sentence_the_pages_markup_split_is_mended() -> None:
    # a blog page with a <br> every line: trafilatura gives one block per line
    text = (
        "Photos\n\nwhich were released online are making the rounds on social media,\n\n"
        "show the actress looking stunning in new\n\nmake-up photos.\n\nKate Henshaw\n\n"
        "Veteran actress Kate Henshaw, who in 2008 won the\n\n"
        "Africa Movie Academy Award for Best Actress, has taken\n\n"
        "to her Instagram page to share the photos."
    )
    assert paragraphs(text) == [
        "Photos which were released online are making the rounds on social media, show the "
        "actress looking stunning in new make-up photos.",
        "Kate Henshaw",
        "Veteran actress Kate Henshaw, who in 2008 won the Africa Movie Academy Award for Best "
        "Actress, has taken to her Instagram page to share the photos.",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Why the deal matters\n\nThe council met on Tuesday to vote on the harbour plan.",
        "Apple results\n\niPhone sales rose by a tenth in the three months to September.",
        "About my6sense\n\nmy6sense offers a native advertising platform to publishers.",
        "The bill would:\n\nraise taxes\n\ncut spending",
        "Sources\n\nhttp://example.com/a-long-address-of-a-source-article",
    ],
)
def test_headings_lists_and_names_are_not_mended_onto_their_neighbours(text: str) -> None:
    assert len(paragraphs(text)) == text.count("\n\n") + 1


def test_quote_running_over_paragraphs_keeps_its_paragraphs() -> None:
    text = (
        'He said: "We have waited long enough for this decision.\n\n'
        '"Now it is time to act, and we will.\n\n'
        '"Nobody will stop us," he added.'
    )
    paras = paragraphs(text)
    assert len(paras) == 3
    assert paras[1].startswith('"Now')
    assert split_sentences(paras[0]) == ['He said: "We have waited long enough for this decision.']


def test_control_characters_and_odd_spaces_are_normalised() -> None:
    assert paragraphs("A\x00 b\u00a0\u00a0c\tdone.\ufffd") == ["A b c done."]


@pytest.mark.parametrize(
    "line",
    [
        "By Jane Doe, BBC News",
        "By Danny Shaw, BBC Home Affairs correspondent",
        "PUBLISHED: 10:01 EST, 1 May 2013 | UPDATED: 11:02 EST, 1 May 2013",
        "Scroll down for video",
        "Sign up for our morning newsletter",
        "Follow us on Twitter",
        "Follow @BBCNewsbeat on Twitter and Radio1Newsbeat on YouTube",
        "Read more: the facts behind the claims",
        "Last updated at 08:43 BST",
        "20 July 2016 Last updated at 08:43 BST",
        "Media playback is not supported on this device",
        "Advertisement",
    ],
)
def test_boilerplate_paragraphs_are_dropped(line: str) -> None:
    assert paragraphs(f"The minister resigned on Friday.\n\n{line}\n\nShe denied it.") == [
        "The minister resigned on Friday.",
        "She denied it.",
    ]


@pytest.mark.parametrize(
    "line",
    [
        "Follow the money, investigators said.",
        "Following the scare, residents were told to stay indoors.",
        "By Tuesday the rains had stopped.",
        "Published figures show a rise in crime.",
    ],
)
def test_sentences_that_look_like_boilerplate_are_kept(line: str) -> None:
    assert not is_boilerplate(line)
    assert paragraphs(line) == [line]


def test_inline_daily_mail_boilerplate_is_cut_out() -> None:
    para = (
        "By . Daily Mail Reporter . PUBLISHED: . 10:01 EST, 1 May 2013 . | . UPDATED: . "
        "11:02 EST, 1 May 2013 . A man was arrested after the raid. Scroll down for video "
        "Police said he was 34."
    )
    assert clean_paragraph(para) == "A man was arrested after the raid. Police said he was 34."


@pytest.mark.parametrize(
    "boilerplate",
    [
        "Published: 10:01 EST, 1 May 2013 .",
        "UPDATED: . 11:02 EST, 1 May 2013 .",
        "Last updated: 11:02 EST, 1 May 2013.",
        "Last updated at 08:43 BST on 20 July 2016.",
        "By . Jane Doe and . John Roe .",
        "scroll down for videos.",
        "Media playback is unsupported on your device.",
        "CLICK HERE for the full story.",
    ],
)
def test_each_kind_of_inline_boilerplate_is_cut_out(boilerplate: str) -> None:
    para = f"The raid ended. {boilerplate} Police said he was 34."
    assert clean_paragraph(para) == "The raid ended. Police said he was 34."


def test_cnn_dateline_is_cut() -> None:
    assert clean_paragraph("(CNN)They may not be aliens.") == "They may not be aliens."
    assert clean_paragraph("LONDON, England (CNN) -- Rain fell.") == "Rain fell."


# --- HTML given as text --------------------------------------------------------------------


def test_html_given_as_text_becomes_paragraphs() -> None:
    page = (
        "<!doctype html><html><head><title>T</title><style>p {color: red}</style></head>"
        "<body><nav>Home | News</nav><p>The mayor &amp; <a href='/c'>council</a>, <b>agreed</b>"
        " a <i>plan</i>.</p>"
        "<script>var secret = '<p>no</p>';</script><p>Work starts in May.</p></body></html>"
    )
    assert looks_like_html(page, evidence="tags")
    assert paragraphs(strip_html(page)) == [
        "The mayor & council, agreed a plan.",
        "Work starts in May.",
    ]


def test_plain_text_with_a_less_than_sign_is_not_html() -> None:
    assert not looks_like_html("Growth was < 2% and inflation > 3%. Markets fell.", evidence="tags")


@pytest.mark.parametrize(
    ("text", "markup", "tags", "document"),
    [
        ("AT&amp;T shares rose.", True, False, False),
        ("Growth was <b>strong</b> this year.", True, False, False),
        ("<p>One.</p><p>Two.</p>", True, True, False),
        ("  \n<!DOCTYPE html><title>x</title>", True, False, True),
        ("<div>A page</div><body>text</body>", True, True, True),
        ("Growth was < 2% and inflation > 3%.", False, False, False),
    ],
)
def test_each_kind_of_html_evidence_answers_its_own_question(
    text: str, markup: bool, tags: bool, document: bool
) -> None:
    assert looks_like_html(text, evidence="markup") is markup
    assert looks_like_html(text, evidence="tags") is tags
    assert looks_like_html(text, evidence="document") is document


@pytest.mark.parametrize(
    ("text", "squashed"),
    [
        ("no runs here", "no runs here"),
        ("a  run   of spaces", "a run of spaces"),
        # typographic spaces become plain ones first, and then make a run
        ("a\u00a0 b\u2009\u2009c", "a b c"),
    ],
)
def test_squash_makes_each_run_of_spaces_one_plain_space(text: str, squashed: str) -> None:
    assert squash(text) == squashed
