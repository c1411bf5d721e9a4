"""HTML fragments (feed content, summaries, titles) to plain text. Pure, no network.

Feed HTML is never trusted or rendered: it is reduced to plain text whose paragraphs are separated
by one blank line (the format ``condense`` and quote attribution expect). Block elements and
``<br>`` end a paragraph; scripts, styles, embedded objects and figure captions are dropped;
entities are decoded; whitespace inside a paragraph collapses to single spaces.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Literal
from urllib.parse import urljoin

#: Invisible characters dropped from titles, feed names and authors: bidirectional overrides,
#: embeddings and isolates (U+202E makes "gpj.exe" read "exe.jpg") and marks, zero-width space,
#: word joiner, invisible operators, byte-order mark. Zero-width (non-)joiners stay: scripts such
#: as Persian and Devanagari and emoji sequences need them.
INVISIBLE = frozenset(
    "\u061c\u180e\u200b\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff"
)
_DROP_INVISIBLE = dict.fromkeys(map(ord, INVISIBLE))

_BLOCK = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "center", "dd", "details", "div", "dl",
        "dt", "fieldset", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
        "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody",
        "td", "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
_SKIP = frozenset(
    {
        "script", "style", "noscript", "iframe", "object", "embed", "template", "svg", "math",
        "head", "title", "figcaption", "select", "button", "audio", "video", "canvas",
    }
)  # fmt: skip
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_TAGLIKE = re.compile(r"<[a-zA-Z/!?]")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
#: A reasonable bound on what one feed entry can contribute (about 30,000 words).
MAX_TEXT_CHARS = 200_000
#: The most HTML handed to html.parser for one value (markup included), whatever ``limit`` says.
MAX_HTML_CHARS = 2 * 1024 * 1024


class _TextCollector(HTMLParser):
    def __init__(self, limit: int) -> None:
        super().__init__(convert_charrefs=True)
        self._limit = limit
        self._size = 0
        self._paragraphs: list[str] = []
        self._current: list[str] = []
        self._skip_depth = 0
        self._skip_tag: str | None = None
        self.images: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skip_depth:
            if tag == self._skip_tag and tag not in _VOID:
                self._skip_depth += 1
            return
        if tag in _SKIP:
            if tag not in _VOID:
                self._skip_tag = tag
                self._skip_depth = 1
            return
        if tag == "img":
            values = {k: v for k, v in attrs if v is not None}
            if values.get("src") and len(self.images) < 8:
                self.images.append((values["src"], values))
            return
        if tag in _BLOCK:
            self._end_paragraph()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP and tag not in _VOID:
            return  # <iframe/>: nothing inside to skip
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if self._skip_depth:
            if tag == self._skip_tag:
                self._skip_depth -= 1
                if not self._skip_depth:
                    self._skip_tag = None
            return
        if tag in _BLOCK:
            self._end_paragraph()

    def handle_data(self, data: str) -> None:
        if self._skip_depth or self._size >= self._limit:
            return
        self._current.append(data)
        self._size += len(data)

    def _end_paragraph(self) -> None:
        if not self._current:
            return
        paragraph = _SPACES.sub(" ", "".join(self._current)).strip()
        self._current = []
        if paragraph:
            self._paragraphs.append(paragraph)

    def text(self) -> str:
        self._end_paragraph()
        return "\n\n".join(self._paragraphs)


def html_to_text(html: str, *, limit: int = MAX_TEXT_CHARS) -> str:
    """Plain text of an HTML fragment, paragraphs separated by blank lines, about ``limit``
    characters at most."""
    return _collect(html, limit).text()[: limit + 1000]


def html_to_text_and_images(html: str, *, limit: int = MAX_TEXT_CHARS) -> tuple[str, list[str]]:
    """``html_to_text`` plus the ``src`` of its ``<img>`` elements (tracking pixels left out)."""
    collector = _collect(html, limit)
    images = [src for src, attrs in collector.images if not _is_pixel(src, attrs)]
    return collector.text()[: limit + 1000], images


def plain_to_text(text: str, *, limit: int = MAX_TEXT_CHARS) -> str:
    """Normalise plain text: paragraphs at blank lines, inner whitespace collapsed."""
    paragraphs = (_SPACES.sub(" ", part).strip() for part in _PARAGRAPH_BREAK.split(text[:limit]))
    return "\n\n".join(p for p in paragraphs if p)


def to_text(value: str, *, html: bool | None = None, limit: int = MAX_TEXT_CHARS) -> str:
    """Text from a value that may or may not be HTML (``html=None`` sniffs for tags)."""
    if html is None:
        html = looks_like_html(value, evidence="markup")
    return html_to_text(value, limit=limit) if html else plain_to_text(value, limit=limit)


def one_line(value: str, *, html: bool | None = None, limit: int = 300) -> str:
    """A title-like value as one line of at most ``limit`` characters (cut with "…"), without
    invisible format characters (``INVISIBLE``)."""
    text = to_text(value[: limit * 20], html=html, limit=limit * 4)
    line = _SPACES.sub(" ", text.translate(_DROP_INVISIBLE)).strip()
    if len(line) <= limit:
        return line
    cut = line[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:") + "…"


HtmlEvidence = Literal["markup", "tags", "document"]
_HTML_TAGS = re.compile(
    r"<(?:!doctype|html|head|body|p|div|br|span|a\s|article|section|h[1-6]|ul|li|table|script|style)\b",
    re.IGNORECASE,
)
_ASCII_SPACE = " \t\n\r\x0b\x0c"


def looks_like_html(text: str, *, evidence: HtmlEvidence) -> bool:
    """Whether ``text`` is HTML, judged by the named ``evidence``.

    Each caller asks a different question, and one test for all would change what each decides:

    - ``"markup"``: any tag-like ``<x`` or a character reference (``&`` and ``;``): a feed field,
      where escaped HTML is common and plain text rarely carries either.
    - ``"tags"``: at least two common HTML tags in the first 200,000 characters: text given to
      ``condense``, which may be a page but may also say "growth was < 2%".
    - ``"document"``: the first 1,024 characters open an HTML document (``<!doctype html``,
      ``<html``, after ASCII spaces) or hold ``<body``: a file of unknown type.
    """
    if evidence == "markup":
        return bool(_TAGLIKE.search(text)) or ("&" in text and ";" in text)
    if evidence == "tags":
        return len(_HTML_TAGS.findall(text[:200_000])) >= 2
    head = text[:1024].lstrip(_ASCII_SPACE).lower()
    return head.startswith(("<!doctype html", "<html")) or "<body" in head


def absolute(url: str | None, base: str | None) -> str | None:
    """``url`` made absolute against ``base``; None for empty or non-web URLs."""
    if not url:
        return None
    url = url.strip()
    try:
        joined = urljoin(base, url) if base else url
    except ValueError:
        return None
    if joined.startswith("//"):
        joined = "https:" + joined
    return joined if joined.lower().startswith(("http://", "https://")) else None


def defuse_markup(html: str) -> str:
    """``html`` with the constructs that can never close escaped as text (``&lt;``), so
    html.parser reads them once instead of rescanning the rest of the document from each one.

    html.parser treats a ``<`` with no ``>`` after it, and a ``<![`` with no ``]>`` after it, as
    text only at the very end, after one scan to the end per such ``<``: quadratic time (1 MB of
    ``<p `` costs hours). Escaping them yields the same text in one linear pass."""
    last_close = html.rfind(">")
    if "<" in html[last_close + 1 :]:
        html = html[: last_close + 1] + html[last_close + 1 :].replace("<", "&lt;")
    last_section_end = html.rfind("]>")
    if "<![" in html[last_section_end + 1 :]:
        tail = html[last_section_end + 1 :].replace("<![", "&lt;![")
        html = html[: last_section_end + 1] + tail
    return html


def _collect(html: str, limit: int) -> _TextCollector:
    collector = _TextCollector(limit)
    try:
        collector.feed(defuse_markup(html[:MAX_HTML_CHARS]))
        collector.close()
    except (AssertionError, ValueError):
        pass  # html.parser gives up on some garbage; keep what it collected
    return collector


def _is_pixel(src: str, attrs: dict[str, str]) -> bool:
    sizes = [attrs.get("width", ""), attrs.get("height", "")]
    if any(s.strip().rstrip("px") in {"0", "1"} for s in sizes):
        return True
    lowered = src.lower()
    return (
        lowered.startswith("data:")
        or "feeds.feedburner.com/~r/" in lowered
        or ("/pixel" in lowered or "tracking" in lowered or "/~ff/" in lowered)
    )
