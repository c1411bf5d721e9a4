"""Async HTTP fetching with URL safety, conditional GET and limits. No parsing here.

Interface (implemented by the fetching work; other modules code against exactly this):

- ``Fetcher(user_agent=..., allow_private=False, limits=FetchLimits(), resolver=None)`` is an async
  context manager holding one ``aiohttp.ClientSession``.
- ``await fetcher.fetch(url, etag=None, last_modified=None, kind="feed")`` returns ``Retrieved`` or
  ``NotModified`` and raises ``FetchError`` / ``UnsafeURLError`` / ``InvalidFeedURLError`` with one
  clear sentence. ``kind`` picks the size cap (``"feed"`` 10 MB, ``"page"`` 5 MB by default).

Politeness: article pages from one host are paced (``HostPacer``): at most
``FetchLimits.page_per_host`` at once, their starts at least ``page_interval`` seconds apart, so
adding a feed of 50 teasers never bursts 50 requests at one site. A 429 or 503 with
``Retry-After`` (from a page or a feed) pauses that host's pages until then (at most
``max_pause`` seconds). The pacer's clock and sleep are injectable.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import errno
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Literal
from urllib.parse import urljoin

import aiohttp
import yarl
from aiohttp.abc import AbstractResolver, ResolveResult

from digests.clock import Clock, SystemClock
from digests.errors import FetchError, InvalidFeedURLError, UnsafeURLError
from digests.feeds.urlsafety import (
    CheckedURL,
    check_url,
    normalise_host,
    parse_host_address,
    redact_url,
    redact_urls_in,
    unsafe_reason,
)
from digests.feeds.watchdog import Silent, Watch, Watchdog
from digests.model import NotModified, Retrieved

FetchKind = Literal["feed", "page"]
#: Resolves ``(host, port)`` to IP address strings. Injected in tests.
Resolver = Callable[[str, int], Awaitable[list[str]]]


#: answers asking a client to slow down (their Retry-After pauses the host's pages)
_SLOW_DOWN = frozenset({429, 503})


@dataclass(frozen=True, slots=True)
class FetchLimits:
    feed_max_bytes: int = 10 * 1024 * 1024
    page_max_bytes: int = 5 * 1024 * 1024
    #: the longest a new connection may take (seconds) ...
    connect_timeout: float = 10.0
    #: ... a whole fetch, redirects and body included ...
    total_timeout: float = 30.0
    #: ... and a body in the middle of arriving without a byte
    read_timeout: float = 10.0
    max_redirects: int = 5
    concurrency: int = 256
    per_host: int = 8
    #: article pages of one host fetched at once ...
    page_per_host: int = 2
    #: ... and the least time between the starts of two of them (seconds)
    page_interval: float = 0.5
    #: the longest a Retry-After pauses a host's pages (seconds)
    max_pause: float = 600.0


_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_ACCEPT: dict[FetchKind, str] = {
    "feed": (
        "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;"
        "q=0.9, application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
    ),
    "page": "text/html, application/xhtml+xml;q=0.9, */*;q=0.5",
}
_NOUN: dict[FetchKind, str] = {"feed": "feed", "page": "page"}
_CHUNK = 64 * 1024
#: the watchdog's checks of the fetches' time limits are at most this far apart (seconds) ...
MAX_TICK = 1.0
#: ... and at least this far
MIN_TICK = 0.01
#: URLs whose safety check (pure: no DNS) a Fetcher remembers; the oldest is forgotten first
CHECKED_URLS = 65_536


class _RefusedAddress(OSError):
    """Raised inside the connector's resolver; turned into UnsafeURLError by ``Fetcher``."""

    def __init__(self, host: str, address: str, reason: str) -> None:
        super().__init__(f"{host} resolves to {address}, {reason}")
        self.host = host
        self.address = address
        self.reason = reason


async def system_resolver(host: str, port: int) -> list[str]:
    """The default ``Resolver``: the system's getaddrinfo, off the loop (asyncio's executor)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses: list[str] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        address = str(sockaddr[0]).split("%", 1)[0]
        if address not in addresses:
            addresses.append(address)
    return addresses


class CheckingResolver(AbstractResolver):
    """aiohttp resolver that resolves a name, checks *every* address and returns only those.

    aiohttp connects to exactly the addresses a resolver returns, so the address that was
    checked is the address connected to: a second DNS answer (rebinding) is never consulted.
    A name with any unsafe address is refused as a whole.
    """

    def __init__(
        self,
        resolve: Resolver,
        *,
        allow_private: bool = False,
        allow_hosts: frozenset[str] = frozenset(),
    ) -> None:
        self._resolve = resolve
        self._allow_private = allow_private
        self._allow_hosts = allow_hosts

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        name = normalise_host(host)
        addresses = await self._resolve(name, port)
        if not addresses:
            raise OSError(f"{name} has no address")
        trusted = self._allow_private or name in self._allow_hosts
        results: list[ResolveResult] = []
        for text in addresses:
            ip = parse_host_address(text)
            if ip is None:
                raise _RefusedAddress(name, text, "which is not an address")
            reason = None if trusted else unsafe_reason(ip)
            if reason is not None:
                raise _RefusedAddress(name, str(ip), reason)
            results.append(
                ResolveResult(
                    hostname=host,
                    host=str(ip),
                    port=port,
                    family=socket.AF_INET6 if ip.version == 6 else socket.AF_INET,
                    proto=0,
                    flags=socket.AI_NUMERICHOST,
                )
            )
        return results

    async def close(self) -> None:
        return None


class _HostLimiter:
    """One semaphore per host, dropped when nobody holds or waits for it (bounded memory)."""

    def __init__(self, per_host: int) -> None:
        self._per_host = per_host
        self._slots: dict[str, tuple[asyncio.Semaphore, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, host: str) -> AsyncIterator[None]:
        semaphore, users = self._slots.get(host, (asyncio.Semaphore(self._per_host), 0))
        self._slots[host] = (semaphore, users + 1)
        try:
            async with semaphore:
                yield
        finally:
            semaphore, users = self._slots[host]
            if users <= 1:
                del self._slots[host]
            else:
                self._slots[host] = (semaphore, users - 1)


@dataclass(slots=True)
class _HostPace:
    slots: asyncio.Semaphore
    #: the earliest time (pacer clock) the next request may start
    next_start: float = 0.0
    #: no request starts before this (a Retry-After)
    paused_until: float = 0.0
    users: int = 0


class HostPacer:
    """Per host: at most ``per_host`` requests at once, their starts at least ``interval``
    seconds apart, none before a ``pause`` ends. ``clock`` (seconds, monotonic) and ``sleep``
    are injectable; by default the event loop's."""

    #: idle hosts' state is dropped once this many are tracked
    PRUNE_AT = 512

    def __init__(
        self,
        per_host: int,
        interval: float,
        *,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._per_host = max(1, per_host)
        self._interval = max(0.0, interval)
        self._clock = clock or (lambda: asyncio.get_running_loop().time())
        self._sleep = sleep
        self._hosts: dict[str, _HostPace] = {}

    def pause(self, host: str, seconds: float) -> None:
        """No request to ``host`` starts within the next ``seconds`` (Retry-After)."""
        pace = self._pace(host)
        pace.paused_until = max(pace.paused_until, self._clock() + max(0.0, seconds))

    @contextlib.asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        """Hold one of the host's request slots, entered at the host's next allowed start."""
        pace = self._pace(host)
        pace.users += 1
        try:
            async with pace.slots:
                while True:
                    now = self._clock()
                    start = max(now, pace.next_start, pace.paused_until)
                    if start <= now:
                        break
                    await self._sleep(start - now)
                pace.next_start = now + self._interval
                yield
        finally:
            pace.users -= 1

    def _pace(self, host: str) -> _HostPace:
        pace = self._hosts.get(host)
        if pace is None:
            if len(self._hosts) >= self.PRUNE_AT:
                self._prune()
            pace = self._hosts[host] = _HostPace(asyncio.Semaphore(self._per_host))
        return pace

    def _prune(self) -> None:
        now = self._clock()
        for host, pace in list(self._hosts.items()):
            if pace.users == 0 and max(pace.next_start, pace.paused_until) <= now:
                del self._hosts[host]


@dataclass(frozen=True, slots=True)
class _Redirect:
    location: str


@dataclass(frozen=True, slots=True)
class _Target:
    """A URL that passed the checks, and the same URL parsed for aiohttp."""

    checked: CheckedURL
    wire: yarl.URL


class _CheckedURLs:
    """URL -> its checked ``_Target``, at most ``size`` of them (the oldest forgotten first)."""

    def __init__(self, size: int) -> None:
        self._size = max(1, size)
        self._targets: dict[str, _Target] = {}

    def get(self, url: str) -> _Target | None:
        return self._targets.get(url)

    def put(self, url: str, target: _Target) -> None:
        if len(self._targets) >= self._size:
            del self._targets[next(iter(self._targets))]
        self._targets[url] = target


class Fetcher:
    """Fetches feeds and pages safely. An async context manager holding one ClientSession.

    ``allow_hosts`` names hosts exempt from the address checks (an intranet allow-list; tests use
    it to reach a loopback server under a public-looking name while every *other* host, including
    redirect targets, is still checked). ``clock`` dates ``Retry-After`` given as an HTTP date.
    """

    def __init__(
        self,
        *,
        user_agent: str,
        allow_private: bool = False,
        limits: FetchLimits = FetchLimits(),
        resolver: Resolver | None = None,
        allow_hosts: Iterable[str] = (),
        clock: Clock | None = None,
        pacer: HostPacer | None = None,
    ) -> None:
        self._user_agent = user_agent
        self._allow_private = allow_private
        self._limits = limits
        self._resolve: Resolver = resolver or system_resolver
        self._allow_hosts = frozenset(normalise_host(h) for h in allow_hosts)
        self._clock: Clock = clock or SystemClock()
        self._session: aiohttp.ClientSession | None = None
        self._global = asyncio.Semaphore(limits.concurrency)
        self._hosts = _HostLimiter(limits.per_host)
        self._pacer = pacer or HostPacer(limits.page_per_host, limits.page_interval)
        self._checked = _CheckedURLs(CHECKED_URLS)
        # the total and read limits of every fetch, checked a tenth of the smaller one apart
        tick = min(MAX_TICK, limits.total_timeout / 10, limits.read_timeout / 10)
        self._watchdog = Watchdog(max(tick, MIN_TICK))

    async def __aenter__(self) -> Fetcher:
        self._open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()
        await self._watchdog.close()

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            limits = self._limits
            connector = aiohttp.TCPConnector(
                resolver=CheckingResolver(
                    self._resolve,
                    allow_private=self._allow_private,
                    allow_hosts=self._allow_hosts,
                ),
                limit=limits.concurrency,
                limit_per_host=limits.per_host,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                # the total and read limits are the watchdog's (``fetch``): one timer for all
                timeout=aiohttp.ClientTimeout(
                    total=None, connect=limits.connect_timeout, sock_connect=limits.connect_timeout
                ),
                headers={"User-Agent": self._user_agent},
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,
            )
        return self._session

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        kind: FetchKind = "feed",
    ) -> Retrieved | NotModified:
        """GET ``url`` (conditionally), following at most ``max_redirects`` checked redirects."""
        target = self._check(url)
        host = target.checked.host
        session = self._open()
        headers = {"Accept": _ACCEPT[kind]}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        paced = self._pacer.slot(host) if kind == "page" else contextlib.nullcontext()
        async with paced, self._global, self._hosts.hold(host):
            limits = self._limits
            try:
                with self._watchdog.watch(limits.total_timeout, limits.read_timeout) as watch:
                    return await self._follow(session, target, headers, kind, watch)
            except FetchError as exc:
                if exc.status in _SLOW_DOWN and exc.retry_after is not None:
                    pause = min(float(exc.retry_after), self._limits.max_pause)
                    self._pacer.pause(host, pause)
                raise
            except TimeoutError as exc:
                if isinstance(exc, aiohttp.ConnectionTimeoutError):
                    message = (
                        f"The {_NOUN[kind]}'s server did not accept a connection within "
                        f"{_seconds(self._limits.connect_timeout)}."
                    )
                elif isinstance(exc, Silent):
                    message = (
                        f"The {_NOUN[kind]}'s server stopped sending for more than "
                        f"{_seconds(self._limits.read_timeout)}."
                    )
                else:
                    message = (
                        f"The {_NOUN[kind]} took longer than "
                        f"{_seconds(self._limits.total_timeout)} to answer."
                    )
                raise FetchError(url, message) from exc

    def _check(self, url: str) -> _Target:
        """``url`` checked (``check_url`` is pure, so a URL polled every cycle is checked once
        and remembered) and parsed the way aiohttp would parse it."""
        found = self._checked.get(url)
        if found is None:
            checked = _canonical_host(
                check_url(url, allow_private=self._allow_private, allow_hosts=self._allow_hosts)
            )
            found = _Target(checked, yarl.URL(checked.url))
            self._checked.put(url, found)
        return found

    async def _follow(
        self,
        session: aiohttp.ClientSession,
        target: _Target,
        headers: dict[str, str],
        kind: FetchKind,
        watch: Watch,
    ) -> Retrieved | NotModified:
        current = target
        for _hop in range(self._limits.max_redirects + 1):
            outcome = await self._get(session, current, headers, kind, watch)
            if not isinstance(outcome, _Redirect):
                return outcome
            current = self._check(outcome.location)
        url = target.checked.url
        raise FetchError(
            url,
            f"The {_NOUN[kind]} redirected more than {self._limits.max_redirects} times.",
        )

    async def _get(
        self,
        session: aiohttp.ClientSession,
        target: _Target,
        headers: dict[str, str],
        kind: FetchKind,
        watch: Watch,
    ) -> Retrieved | NotModified | _Redirect:
        url = target.checked.url
        watch.asked()
        try:
            async with session.get(target.wire, headers=headers, allow_redirects=False) as response:
                watch.heard()
                return await self._handle(response, url, kind, watch)
        except aiohttp.ClientConnectorError as exc:
            raise self._connect_error(exc, url, kind) from exc
        except aiohttp.InvalidURL as exc:
            raise InvalidFeedURLError(url, f"{_short(url)} is not a valid web address.") from exc
        except aiohttp.ClientPayloadError as exc:
            raise FetchError(
                url, f"The {_NOUN[kind]}'s server sent a broken or badly compressed body."
            ) from exc
        except aiohttp.ServerDisconnectedError as exc:
            raise FetchError(
                url, f"The {_NOUN[kind]}'s server closed the connection without answering."
            ) from exc
        except aiohttp.ClientResponseError as exc:
            raise FetchError(
                url, f"The {_NOUN[kind]}'s server sent a response newsdigest cannot read."
            ) from exc
        except (aiohttp.ClientError, ValueError) as exc:
            if isinstance(exc, TimeoutError):
                raise
            raise FetchError(
                url, f"The {_NOUN[kind]} could not be fetched ({_what(exc)})."
            ) from exc

    async def _handle(
        self, response: aiohttp.ClientResponse, url: str, kind: FetchKind, watch: Watch
    ) -> Retrieved | NotModified | _Redirect:
        status = response.status
        final = str(response.url)
        if status in _REDIRECTS:
            location = response.headers.get("Location")
            if not location:
                raise FetchError(
                    url,
                    f"The {_NOUN[kind]}'s server redirected without saying where.",
                    status=status,
                )
            return _Redirect(urljoin(final, location.strip()))
        max_age = freshness(response.headers, self._clock.now())
        if status == 304:
            return NotModified(url=final, max_age=max_age)
        if not 200 <= status < 300:
            raise FetchError(
                url,
                f"The {_NOUN[kind]}'s server answered with HTTP {status}"
                f"{_reason(response.reason)}.",
                status=status,
                retry_after=retry_after(response.headers, self._clock.now()),
            )
        content = await self._read_capped(response, url, kind, watch)
        headers = _lower_headers(response.headers)
        return Retrieved(
            url=final,
            content=content,
            headers=headers,
            etag=headers.get("etag"),
            last_modified=headers.get("last-modified"),
            max_age=max_age,
        )

    async def _read_capped(
        self, response: aiohttp.ClientResponse, url: str, kind: FetchKind, watch: Watch
    ) -> bytes:
        """The decoded body, refusing (early) to hold more than the cap for ``kind``."""
        cap = self._limits.feed_max_bytes if kind == "feed" else self._limits.page_max_bytes
        too_large = FetchError(
            url,
            f"The {_NOUN[kind]} is larger than {_megabytes(cap)}, the most newsdigest downloads.",
        )
        declared = response.content_length
        if declared is not None and declared > cap:
            raise too_large
        body = bytearray()
        async for chunk in response.content.iter_chunked(_CHUNK):
            watch.heard()
            body += chunk
            if len(body) > cap:
                raise too_large
        return bytes(body)

    def _connect_error(
        self, exc: aiohttp.ClientConnectorError, url: str, kind: FetchKind
    ) -> Exception:
        refused = _find_refused(exc)
        if refused is not None:
            return UnsafeURLError(
                url,
                f"That address points to {refused.reason} ({refused.host} is {refused.address}), "
                "which newsdigest does not fetch.",
            )
        host = exc.host
        if isinstance(exc, aiohttp.ClientConnectorDNSError):
            return FetchError(url, f"The host name {host} could not be found.")
        if isinstance(exc, aiohttp.ClientSSLError):
            return FetchError(url, f"The secure connection to {host} failed (bad certificate).")
        return FetchError(
            url,
            f"Could not connect to the {_NOUN[kind]}'s server {host} ({_os_reason(exc.os_error)}).",
        )


def _canonical_host(checked: CheckedURL) -> CheckedURL:
    """aiohttp refuses legacy numeric IPv4 hosts (``2130706433``, ``0x7f.1``) as invalid URLs;
    once such a host passed the checks, fetch its canonical dotted form instead."""
    address = checked.address
    if address is None or address.version != 4 or checked.host == str(address):
        return checked
    url = str(yarl.URL(checked.url).with_host(str(address)))
    return dataclasses.replace(checked, url=url, host=str(address))


def freshness(headers: Mapping[str, str], now: datetime) -> int | None:
    """Seconds until the next poll is welcome: the larger of Cache-Control max-age and
    Retry-After; None when neither is given."""
    values = [v for v in (cache_max_age(headers), retry_after(headers, now)) if v is not None]
    return max(values) if values else None


def cache_max_age(headers: Mapping[str, str]) -> int | None:
    value = headers.get("Cache-Control") or headers.get("cache-control")
    if not value:
        return None
    ages: list[int] = []
    for directive in value.split(","):
        name, _, arg = directive.strip().partition("=")
        if name.strip().lower() in ("max-age", "s-maxage"):
            number = arg.strip().strip('"')
            if number.isdigit():
                ages.append(int(number))
    return max(ages) if ages else None


def retry_after(headers: Mapping[str, str], now: datetime) -> int | None:
    value = (headers.get("Retry-After") or headers.get("retry-after") or "").strip()
    if not value:
        return None
    if value.isdigit():
        return int(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0, int((when - now).total_seconds()))


def _find_refused(exc: BaseException) -> _RefusedAddress | None:
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return None
        if isinstance(seen, _RefusedAddress):
            return seen
        if isinstance(seen, aiohttp.ClientConnectorError):
            os_error: BaseException = seen.os_error
            if isinstance(os_error, _RefusedAddress):
                return os_error
        seen = seen.__cause__ or seen.__context__
    return None


def _lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


def _os_reason(error: OSError) -> str:
    """A short human reason for a socket error ("connection refused", "network unreachable")."""
    code = error.errno
    if code is None:
        # asyncio reports "Connect call failed (...)" with the errno on the cause
        cause = error.__cause__ or error.__context__
        code = cause.errno if isinstance(cause, OSError) else None
    if code is not None and code in _ERRNO_REASONS:
        return _ERRNO_REASONS[code]
    return _what(error)


_ERRNO_REASONS = {
    errno.ECONNREFUSED: "connection refused",
    errno.ECONNRESET: "connection reset",
    errno.EHOSTUNREACH: "host unreachable",
    errno.ENETUNREACH: "network unreachable",
    errno.ETIMEDOUT: "connection timed out",
    errno.EADDRNOTAVAIL: "address not available",
}


def _seconds(value: float) -> str:
    return f"{value:g} second" if value == 1 else f"{value:g} seconds"


def _megabytes(size: int) -> str:
    mib = size / (1024 * 1024)
    if mib >= 1:
        return f"{mib:g} MB"
    return f"{size / 1024:g} KB" if size >= 1024 else f"{size} bytes"


def _reason(reason: str | None) -> str:
    return f" ({reason})" if reason else ""


def _what(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return redact_urls_in(text).strip().rstrip(".").splitlines()[0][:120]


def _short(url: str, limit: int = 80) -> str:
    text = redact_url(url)
    return text if len(text) <= limit else text[: limit - 1] + "…"
