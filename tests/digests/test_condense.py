"""``digests.condensing``: the glue, bad input, and the seed story's acceptance (corpus)."""

from __future__ import annotations

import json
import random
import re
import time
from pathlib import Path

import pytest

from digests import Condensed, InputError, condense
from digests.condensing import MAX_CHARS

STORY = """\
By Jane Doe, BBC News

Scroll down for video

The city council voted on Tuesday to close the Riverside power station by 2030, ending a century of coal burning in the town.

Council leader Amir Khan said the decision was the most important the council had taken in a generation.

"This is the day our town chooses clean air over smoke," he said.

The station employs 400 people, and unions have warned that many jobs will be lost.

"We will fight for every one of those jobs," said union official Mary Brown.

The closure will be paid for by a national fund for coal regions.

Follow us on Twitter
"""


def test_condense_gives_summary_sentences_and_quotes() -> None:
    got = condense(STORY, title="Council votes to close coal station", sentences=2)
    assert isinstance(got, Condensed)
    assert len(got.sentences) == 2
    assert got.summary == " ".join(got.sentences)
    assert got.sentences[0].startswith("The city council voted on Tuesday")
    assert got.title == "Council votes to close coal station"
    for boilerplate in ("Scroll down", "Follow us", "Jane Doe"):
        assert boilerplate not in got.summary
    quote_texts = [q.text for q in got.quotes]
    assert any("clean air over smoke" in t for t in quote_texts)


def test_summary_does_not_repeat_a_key_quote() -> None:
    got = condense(STORY, sentences=4)
    keys = [q.text for q in got.quotes[:2]]
    assert keys
    for key in keys:
        words = key.split()
        probe = " ".join(words[: min(6, len(words))])
        assert not any(probe in s for s in got.sentences), (probe, got.sentences)


def test_to_dict_is_the_json_contract() -> None:
    data = condense(STORY).to_dict()
    assert set(data) == {"title", "summary", "sentences", "quotes"}
    assert data["title"] is None
    json.dumps(data)
    for quote in data["quotes"]:
        assert set(quote) == {"text", "speaker", "score"}


def test_is_deterministic() -> None:
    assert condense(STORY).to_dict() == condense(STORY).to_dict()


@pytest.mark.parametrize("text", ["", "   \n\n\t  ", "!!! ??? ... --- 12345 678", "\x00\x01\x02"])
def test_text_without_words_is_an_input_error(text: str) -> None:
    with pytest.raises(InputError) as info:
        condense(text)
    message = str(info.value)
    assert message.endswith(".") and "\n" not in message


@pytest.mark.parametrize("n", [0, -1, 11])
def test_sentence_count_out_of_range_is_an_input_error(n: int) -> None:
    with pytest.raises(InputError):
        condense(STORY, sentences=n)


def test_a_short_fragment_without_a_full_stop_still_condenses() -> None:
    got = condense("breaking news from the harbour")
    assert got.sentences == ["breaking news from the harbour"]


def test_binary_garbage_gives_a_result_or_one_clear_error() -> None:
    rng = random.Random(7)
    raw = bytes(rng.randrange(256) for _ in range(200_000))
    text = raw.decode("utf-8", errors="replace")
    start = time.perf_counter()
    try:
        got = condense(text)
    except InputError as exc:
        assert "\n" not in str(exc)
    else:
        assert isinstance(got.summary, str)
        assert "\x00" not in got.summary and "\ufffd" not in got.summary
    assert time.perf_counter() - start < 10


def test_html_given_as_text_is_stripped() -> None:
    page = (
        "<html><head><script>var tracking = 'do not show this';</script></head><body>"
        "<p>The bridge over the River Tay reopened on Monday after two years of repairs.</p>"
        "<p>Engineers replaced &quot;every single bolt&quot;, the operator said.</p>"
        "<div class='ad'>Sign up for our newsletter</div></body></html>"
    )
    got = condense(page, sentences=2)
    assert got.sentences[0] == (
        "The bridge over the River Tay reopened on Monday after two years of repairs."
    )
    assert not re.search(r"[<>]|tracking|Sign up", got.summary)


def test_a_5_mb_text_is_bounded_in_time() -> None:
    para = (
        "The committee met again on Thursday to discuss the budget for the coming year. "
        "Members said the talks had been long and difficult.\n\n"
    )
    text = para * (5_000_000 // len(para) + 1)
    assert len(text) > 5_000_000
    start = time.perf_counter()
    got = condense(text)
    assert time.perf_counter() - start < 10
    assert 1 <= len(got.sentences) <= 3
    assert sum(len(s) for s in got.sentences) < MAX_CHARS


def test_one_giant_paragraph_without_punctuation_is_bounded() -> None:
    text = "word " * 1_000_000
    start = time.perf_counter()
    got = condense(text)
    assert time.perf_counter() - start < 10
    assert len(got.sentences) == 1
    assert got.summary.endswith("…")
    assert len(got.summary.split()) <= 100


def test_unbalanced_quote_marks_still_give_a_result() -> None:
    text = (
        'The minister said: "We will not resign, whatever the polls say.\n\n'
        "The opposition called for an inquiry into the affair on Monday evening.\n\n"
        "“Nobody is above the law, said the opposition leader, Ann Lee.\n\n"
        "Voters go to the polls in May, when the party is expected to lose seats.”"
    )
    got = condense(text, sentences=2)
    assert len(got.sentences) == 2
    assert all(isinstance(q.text, str) for q in got.quotes)


# --- the seed story (corpus) ---------------------------------------------------------------


@pytest.mark.corpus
def test_seed_story_acceptance(corpus_dir: Path) -> None:
    text = (corpus_dir / "seed" / "000_3face870d96fd443.txt").read_text(encoding="utf-8")
    got = condense(text)
    first = got.sentences[0]
    assert "Loach" in first and "expelled" in first and "Labour" in first
    assert not re.match(r"(He|She|They|It|His|Her)\b", first)
    assert len(got.quotes) == 4
    speakers = sorted(q.speaker or "" for q in got.quotes)
    assert speakers == ["Ken Loach", "Ken Loach", "Ken Loach", "One woman"]
    assert not any("In Conversation with Jeremy Corbyn" in q.text for q in got.quotes)
    for quote in got.quotes[:2]:
        assert not any(quote.text[:40] in s for s in got.sentences)
