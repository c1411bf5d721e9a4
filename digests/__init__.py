"""newsdigest's library: feeds in, condensed stories and digests out. Never imports discord."""

from __future__ import annotations

from digests.condensing import condense
from digests.errors import (
    DigestError,
    FeedError,
    FetchError,
    InputError,
    InvalidFeedURLError,
    ParseError,
    StorageError,
    UnsafeURLError,
)
from digests.model import Condensed, Digest, DigestItem, Entry, FeedInfo, Quote, Scope, Story

__version__ = "0.1.0"

__all__ = [
    "Condensed",
    "Digest",
    "DigestError",
    "DigestItem",
    "Entry",
    "FeedError",
    "FeedInfo",
    "FetchError",
    "InputError",
    "InvalidFeedURLError",
    "ParseError",
    "Quote",
    "Scope",
    "StorageError",
    "Story",
    "UnsafeURLError",
    "__version__",
    "condense",
]
