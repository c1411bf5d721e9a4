"""A reusable loopback HTTP server for tests: real aiohttp, 127.0.0.1 only, random port.

Start it inside the running event loop (pytest-asyncio test or async fixture)::

    from tests.feedserver import FeedServer

    async def test_something() -> None:
        async with FeedServer() as server:
            server.add("/feed.xml", b"<rss>...</rss>", content_type="application/rss+xml",
                       etag='"v1"', last_modified="Wed, 21 Oct 2026 07:28:00 GMT")
            url = server.url("/feed.xml")          # http://127.0.0.1:<port>/feed.xml
            ...
            assert server.hits("/feed.xml") == 1
            assert server.last_headers("/feed.xml")["User-Agent"].startswith("newsdigest")

or use the ``feed_server`` fixture from ``tests/conftest.py`` (an entered ``FeedServer``).

Routes are registered per test, at any time (also after the server started); one catch-all
handler dispatches on the request path (the query string is ignored for matching but recorded).
Registering a path again replaces its route. Unknown paths answer 404.

Route kinds:

- ``add(path, body, *, status=200, content_type=..., headers=None, etag=None,
  last_modified=None, gzip=False)`` -- static bytes. With ``etag``/``last_modified`` the server
  answers ``304 Not Modified`` (empty body) to a matching ``If-None-Match`` /
  ``If-Modified-Since`` (exact string match, as servers usually do). ``gzip=True`` sends the body
  gzip-compressed with ``Content-Encoding: gzip``. ``headers`` are sent as given (they may
  override ``Content-Type``, add ``Cache-Control``, ``Retry-After``, ``Content-Location`` ...).
- ``redirect(path, location, *, status=302)`` -- a redirect to ``location`` (absolute or relative).
- ``status(path, code, *, body=b"", headers=None)`` -- any status code with an optional body.
- ``drip(path, body=b"...", *, interval=1.0, chunk=1, max_seconds=60.0)`` -- a slow server: sends
  headers at once, then ``chunk`` bytes every ``interval`` seconds, never more than
  ``max_seconds`` in total (so a broken client test cannot hang the run forever).
- ``huge(path, size, *, chunk_size=65536, declare_length=False, gzip=False)`` -- streams ``size``
  bytes (``b"<"`` repeated: harmless filler) without building them in memory; with
  ``declare_length=True`` a ``Content-Length`` header announces the size up front, otherwise the
  body is chunked so only counting can stop it. ``gzip=True`` streams a gzip body whose *decoded*
  size is ``size`` (a compression bomb: the wire carries far less).
- ``handler(path, func)`` -- any ``async def func(request) -> web.StreamResponse`` for one-offs.

Observation:

- ``hits(path) -> int``: how many requests reached ``path`` (any method).
- ``requests(path) -> list[RecordedRequest]``: method, path, query string and headers of each.
- ``last_headers(path)``: the headers of the latest request to ``path`` (``KeyError`` if none).
- ``bytes_sent(path) -> int``: body bytes the server wrote for ``path`` (huge/drip routes), so a
  test can prove the client stopped reading early.
- ``host``, ``port``, ``base`` (``"http://127.0.0.1:<port>"``, ``"http://[::1]:<port>"`` for
  ``FeedServer(host="::1")``) and ``url(path, host=None)``; pass
  ``host="news.example.com"`` to build a URL with another name on the same port (for tests whose
  injected resolver maps that name to 127.0.0.1).

Everything is bounded: the server listens on loopback only and shuts down (cancelling slow
handlers at once) when the ``async with`` block ends.
"""

from __future__ import annotations

import asyncio
import gzip as gzip_module
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    method: str
    path: str
    query_string: str
    headers: dict[str, str]
    #: when it arrived (the event loop's clock, seconds)
    at: float = 0.0


@dataclass(slots=True)
class _Counters:
    hits: dict[str, int] = field(default_factory=dict)
    requests: dict[str, list[RecordedRequest]] = field(default_factory=dict)
    sent: dict[str, int] = field(default_factory=dict)


class FeedServer:
    """A loopback aiohttp server whose routes each test registers. See the module docstring."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self._routes: dict[str, Handler] = {}
        self._counters = _Counters()
        self._runner: web.AppRunner | None = None
        self._serving: set[asyncio.Task[object]] = set()

    # --- lifecycle ------------------------------------------------------------------------
    async def __aenter__(self) -> FeedServer:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, self.host, 0)
        await site.start()
        self._runner = runner
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None)
        assert sockets
        self.port = int(sockets[0].getsockname()[1])
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # end slow handlers (drip, huge) now rather than let aiohttp wait out its shutdown timeout
        for task in self._serving:
            task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base(self) -> str:
        return f"http://{_netloc(self.host)}:{self.port}"

    def url(self, path: str, host: str | None = None) -> str:
        if not path.startswith("/"):
            path = "/" + path
        return f"http://{_netloc(host or self.host)}:{self.port}{path}"

    # --- observation ----------------------------------------------------------------------
    def hits(self, path: str) -> int:
        return self._counters.hits.get(path, 0)

    def requests(self, path: str) -> list[RecordedRequest]:
        return list(self._counters.requests.get(path, []))

    def last_headers(self, path: str) -> dict[str, str]:
        recorded = self._counters.requests.get(path)
        if not recorded:
            raise KeyError(path)
        return recorded[-1].headers

    def bytes_sent(self, path: str) -> int:
        return self._counters.sent.get(path, 0)

    # --- routes ---------------------------------------------------------------------------
    def handler(self, path: str, func: Handler) -> None:
        self._routes[path] = func

    def add(
        self,
        path: str,
        body: bytes,
        *,
        status: int = 200,
        content_type: str = "application/xml",
        headers: Mapping[str, str] | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        gzip: bool = False,
    ) -> None:
        payload = gzip_module.compress(body) if gzip else body

        async def serve(request: web.Request) -> web.StreamResponse:
            validators: dict[str, str] = {}
            if etag is not None:
                validators["ETag"] = etag
            if last_modified is not None:
                validators["Last-Modified"] = last_modified
            if _not_modified(request, etag, last_modified):
                return web.Response(status=304, headers=validators)
            out: dict[str, str] = {"Content-Type": content_type, **validators}
            if gzip:
                out["Content-Encoding"] = "gzip"
            out.update(headers or {})
            return web.Response(status=status, body=payload, headers=out)

        self._routes[path] = serve

    def redirect(self, path: str, location: str, *, status: int = 302) -> None:
        async def serve(request: web.Request) -> web.StreamResponse:
            return web.Response(status=status, headers={"Location": location})

        self._routes[path] = serve

    def status(
        self,
        path: str,
        code: int,
        *,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        async def serve(request: web.Request) -> web.StreamResponse:
            return web.Response(status=code, body=body, headers=dict(headers or {}))

        self._routes[path] = serve

    def drip(
        self,
        path: str,
        body: bytes = b"<?xml version='1.0'?><rss><channel><title>slow</title></channel></rss>",
        *,
        interval: float = 1.0,
        chunk: int = 1,
        max_seconds: float = 60.0,
        content_type: str = "application/xml",
    ) -> None:
        async def serve(request: web.Request) -> web.StreamResponse:
            response = web.StreamResponse(headers={"Content-Type": content_type})
            response.content_length = len(body)
            await response.prepare(request)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + max_seconds
            for start in range(0, len(body), chunk):
                if loop.time() > deadline:
                    break
                piece = body[start : start + chunk]
                if not await self._write(path, response, piece):
                    return response
                await asyncio.sleep(interval)
            return response

        self._routes[path] = serve

    def huge(
        self,
        path: str,
        size: int,
        *,
        chunk_size: int = 65536,
        declare_length: bool = False,
        gzip: bool = False,
        content_type: str = "application/xml",
    ) -> None:
        async def serve(request: web.Request) -> web.StreamResponse:
            headers = {"Content-Type": content_type}
            if gzip:
                headers["Content-Encoding"] = "gzip"
            response = web.StreamResponse(headers=headers)
            if declare_length and not gzip:
                response.content_length = size
            await response.prepare(request)
            async for piece in _filler(size, chunk_size, gzip=gzip):
                if not await self._write(path, response, piece):
                    return response
            await response.write_eof()
            return response

        self._routes[path] = serve

    # --- internals ------------------------------------------------------------------------
    async def _write(self, path: str, response: web.StreamResponse, piece: bytes) -> bool:
        try:
            await response.write(piece)
        except (ConnectionError, RuntimeError):
            return False  # the client went away (it stopped reading: that is often the point)
        self._counters.sent[path] = self._counters.sent.get(path, 0) + len(piece)
        return True

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        counters = self._counters
        counters.hits[path] = counters.hits.get(path, 0) + 1
        counters.requests.setdefault(path, []).append(
            RecordedRequest(
                method=request.method,
                path=path,
                query_string=request.query_string,
                headers=dict(request.headers),
                at=asyncio.get_running_loop().time(),
            )
        )
        route = self._routes.get(path)
        if route is None:
            return web.Response(status=404, text="not found")
        task = asyncio.current_task()
        assert task is not None
        self._serving.add(task)
        try:
            return await route(request)
        finally:
            self._serving.discard(task)


def _netloc(host: str) -> str:
    """IPv6 literals need brackets in a URL (``FeedServer(host="::1")``)."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _not_modified(request: web.Request, etag: str | None, last_modified: str | None) -> bool:
    inm = request.headers.get("If-None-Match")
    if etag is not None and inm is not None:
        return etag in [tag.strip() for tag in inm.split(",")]
    ims = request.headers.get("If-Modified-Since")
    return last_modified is not None and ims is not None and ims == last_modified


async def _filler(size: int, chunk_size: int, *, gzip: bool) -> AsyncIterator[bytes]:
    """``size`` filler bytes in chunks; gzip-compressed on the fly when asked."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31) if gzip else None
    block = b"<" * chunk_size
    remaining = size
    while remaining > 0:
        raw = block if remaining >= chunk_size else block[:remaining]
        remaining -= len(raw)
        if compressor is None:
            yield raw
            continue
        packed = compressor.compress(raw)
        if packed:
            yield packed
        await asyncio.sleep(0)
    if compressor is not None:
        yield compressor.flush()
