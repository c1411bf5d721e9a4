"""Feed parsing: feedparser on bytes (+ our JSON Feed parser). No network.

Interface: ``parse_feed(content: bytes, *, url: str, headers: Mapping[str, str] | None = None)
-> ParsedFeed``; raises ``ParseError`` (one sentence) when the document is not a usable feed.
"""
