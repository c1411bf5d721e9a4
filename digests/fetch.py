"""Async HTTP fetching with URL safety, conditional GET and limits. No parsing here.

Interface (implemented by the fetching work; other modules code against exactly this):

- ``Fetcher(user_agent=..., allow_private=False, limits=FetchLimits(), resolver=None)`` is an async
  context manager holding one ``aiohttp.ClientSession``.
- ``await fetcher.fetch(url, etag=None, last_modified=None, kind="feed")`` returns ``Retrieved`` or
  ``NotModified`` and raises ``FetchError`` / ``UnsafeURLError`` / ``InvalidFeedURLError`` with one
  clear sentence. ``kind`` picks the size cap (``"feed"`` 10 MB, ``"page"`` 5 MB by default).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

FetchKind = Literal["feed", "page"]
#: Resolves ``(host, port)`` to IP address strings. Injected in tests.
Resolver = Callable[[str, int], Awaitable[list[str]]]


@dataclass(frozen=True, slots=True)
class FetchLimits:
    feed_max_bytes: int = 10 * 1024 * 1024
    page_max_bytes: int = 5 * 1024 * 1024
    connect_timeout: float = 10.0
    total_timeout: float = 30.0
    read_timeout: float = 10.0
    max_redirects: int = 5
    concurrency: int = 256
    per_host: int = 8


@dataclass(frozen=True, slots=True)
class Retrieved:
    """A 200 response. ``headers`` has lower-cased names; ``url`` is the final URL."""

    url: str
    content: bytes
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    #: seconds until the next poll is welcome (Cache-Control max-age or Retry-After), if given
    max_age: int | None = None


@dataclass(frozen=True, slots=True)
class NotModified:
    """A 304 response to a conditional GET."""

    url: str
    max_age: int | None = None
