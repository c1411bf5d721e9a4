"""extract_article on small synthetic pages (the corpus scores live in test_corpus_articles)."""

from __future__ import annotations

import random
import time

from digests.feeds.extract import MAX_HTML_BYTES, Article, extract_article

SENTENCES = [
    "The city council voted on Tuesday to expand the tram network to the northern districts.",
    "“This is the biggest investment in public transport in a generation,” said Mayor Ana Ruiz.",
    "Opponents argued that the plan would raise property taxes for residents on fixed incomes.",
    "Construction is expected to begin next spring and to last at least four years in total.",
    "Local businesses along the route said they hoped the trams would bring more customers.",
    "The council will publish a detailed timetable for the works before the end of the year.",
]


def page(paragraphs: int = 6, *, head: str = "", extra_body: str = "") -> str:
    body = "".join(
        f"<p>{SENTENCES[n % len(SENTENCES)]} {SENTENCES[(n + 1) % len(SENTENCES)]}</p>"
        for n in range(paragraphs)
    )
    return (
        f"<!DOCTYPE html><html><head><title>Trams | City News</title>{head}</head><body>"
        "<nav><a href='/'>Home</a> <a href='/sport'>Sport</a> <a href='/weather'>Weather</a></nav>"
        f"<article><h1>Council expands tram network</h1>{body}</article>{extra_body}"
        "<footer><p>© City News. All rights reserved. Privacy policy. Cookie settings.</p></footer>"
        "</body></html>"
    )


def test_body_keeps_paragraph_breaks_and_drops_navigation() -> None:
    article = extract_article(page(), url="https://news.example.com/trams")
    assert isinstance(article, Article)
    paragraphs = article.text.split("\n\n")
    assert len(paragraphs) >= 6
    assert SENTENCES[1] in article.text
    assert "Cookie settings" not in article.text and "Weather" not in article.text


def test_title_and_lead_image_from_the_head() -> None:
    head = (
        "<meta property='og:title' content='Council expands tram network'>"
        "<meta property='og:image' content='/img/tram.jpg'>"
    )
    article = extract_article(page(head=head).encode(), url="https://news.example.com/a/trams")
    assert article is not None
    assert article.title == "Council expands tram network"
    assert article.image == "https://news.example.com/img/tram.jpg"


def test_title_falls_back_to_the_title_element_and_no_image() -> None:
    article = extract_article(page(), url=None)
    assert article is not None
    assert article.title == "Trams | City News"
    assert article.image is None


def test_short_pages_still_give_their_text() -> None:
    article = extract_article(page(1), url="https://news.example.com/t")
    assert article is not None and SENTENCES[0] in article.text


def test_pages_without_article_text_give_none() -> None:
    assert extract_article("", url=None) is None
    assert extract_article(b"<html><body><nav>Home</nav></body></html>", url=None) is None


def test_garbage_gives_none_or_text_never_an_exception() -> None:
    for seed in range(5):
        result = extract_article(random.Random(seed).randbytes(20_000), url=None)
        assert result is None or isinstance(result.text, str)


def test_input_is_bounded() -> None:
    filler = "<div>" + "x " * (MAX_HTML_BYTES // 2) + "</div>"
    started = time.monotonic()
    article = extract_article(page() + filler * 2, url=None)
    assert time.monotonic() - started < 30
    assert article is None or len(article.text) <= MAX_HTML_BYTES


def test_the_headline_line_is_left_out_of_the_text() -> None:
    head = "<meta property='og:title' content='Council expands tram network - City News'>"
    article = extract_article(page(head=head), url="https://news.example.com/trams")
    assert article is not None
    assert "expands tram network" not in article.text
    assert article.text.startswith(SENTENCES[0])


def test_a_teaser_above_the_headline_line_is_left_out_too() -> None:
    teaser = (
        "<p>Night buses now run every ten minutes on the main lines and cost nothing at all.</p>"
        "<p>Night buses are free</p>"
    )
    html = page().replace("<article><h1>", f"<article>{teaser}<h1>")
    html = html.replace(
        "<title>Trams | City News</title>", "<title>Council expands tram network</title>"
    )
    article = extract_article(html, url="https://news.example.com/trams")
    assert article is not None
    assert "Night buses" not in article.text and SENTENCES[0] in article.text
