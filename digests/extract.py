"""Article text extraction from HTML pages (trafilatura). No network.

Interface: ``extract_article(html: bytes | str, *, url: str | None = None) -> Article | None``
where ``Article(text: str, title: str | None, image: str | None)``; ``text`` keeps paragraph
breaks as blank lines.
"""
