"""The DigestError hierarchy (modelled on lemon24/reader).

Every message is one clear sentence meant for a person: the CLI prints it on stderr and the bot
shows it ephemerally, so it must never contain a traceback or a secret.
"""

from __future__ import annotations


class DigestError(Exception):
    """Root of every error newsdigest reports to a user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class FeedError(DigestError):
    """Something is wrong with one feed (or one page fetched for it)."""

    def __init__(self, url: str, message: str) -> None:
        super().__init__(message)
        self.url = url

    def __reduce__(self) -> tuple[object, ...]:
        """Picklable (it crosses from worker processes): rebuilt from url and message."""
        return (type(self), (self.url, self.message), self.__dict__)


class InvalidFeedURLError(FeedError, ValueError):
    """The URL is malformed, of a scheme we do not fetch, or points somewhere we refuse to go."""


class UnsafeURLError(InvalidFeedURLError):
    """The URL (or a redirect) resolves to a loopback, private, link-local or reserved address."""


class FetchError(FeedError):
    """The HTTP fetch failed: timeout, too large, HTTP error, connection refused."""

    def __init__(
        self, url: str, message: str, *, status: int | None = None, retry_after: int | None = None
    ) -> None:
        super().__init__(url, message)
        self.status = status
        #: seconds the server asked us to wait (Retry-After on 429/503), if it said
        self.retry_after = retry_after


class ParseError(FeedError):
    """The document could not be parsed as a feed (or yielded nothing usable)."""


class FeedNotFoundError(FeedError, LookupError):
    """No such feed is stored (or subscribed here)."""


class FeedExistsError(FeedError):
    """The feed is already subscribed in that place."""


class FeedLimitError(DigestError):
    """A server reached its configured number of feeds."""


class StoryNotFoundError(DigestError, LookupError):
    """No stored story has that number."""


class InputError(DigestError, ValueError):
    """User-supplied input (text, time, timezone, option) is not usable."""


class StorageError(DigestError):
    """An operational database problem (locked, corrupt, unwritable, the server unreachable):
    wraps the database drivers' operational errors only."""
