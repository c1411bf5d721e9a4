"""The URL-safety matrix of issue 5: every address form, through every entry point.

Shared by tests/faults/test_url_safety_matrix.py and benchmarks/chaos.py. Each ``Target`` is a
URL template (``{port}``/``{port6}`` are the loopback servers' ports) and whether a request to it
stays on this machine (loopback) when it is allowed: only those are actually fetched in the
allowed mode; private networks elsewhere (10/8, 172.16/12, ...) are checked at the safety layer
alone, so no test ever sends traffic off loopback.
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from digests.feeds import fetch as fetch_module
from digests.feeds.fetch import Fetcher, system_resolver
from digests.feeds.urlsafety import is_local_name, parse_host_address
from tests.builders import rss
from tests.faults.helpers import item
from tests.feedserver import FeedServer

#: a public-looking name the injected resolver maps to loopback
EVIL_NAME = "news.evil-example.com"
#: the "allowed" starting point of redirects: a name exempt from the checks (allow_hosts)
PUBLIC_NAME = "public.example.org"

ARTICLE_HTML = (
    "<html><head><title>Harbour plan approved</title></head><body><article>"
    "<h1>Harbour plan approved</h1>"
    + "".join(
        f"<p>Paragraph {n}. The regional council approved the harbour plan on Tuesday after a "
        "long debate, and construction is expected to begin next spring, officials said.</p>"
        for n in range(6)
    )
    + "</article></body></html>"
).encode()


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    template: str
    #: True when a request there reaches this machine (so the allowed mode can fetch it for real)
    loopback: bool
    #: True for schemes other than http(s): refused even with allow_private
    scheme: bool = False

    def url(self, path: str, port: int, port6: int) -> str:
        return self.template.format(port=port, port6=port6) + path


TARGETS: tuple[Target, ...] = (
    Target("127.0.0.1", "http://127.0.0.1:{port}", True),
    Target("localhost", "http://localhost:{port}", True),
    Target("0.0.0.0", "http://0.0.0.0:{port}", True),
    Target("10/8", "http://10.20.30.40:{port}", False),
    Target("172.16/12", "http://172.20.1.2:{port}", False),
    Target("192.168/16", "http://192.168.1.10:{port}", False),
    Target("169.254.169.254", "http://169.254.169.254", False),
    Target("[::1]", "http://[::1]:{port6}", True),
    Target("[::ffff:127.0.0.1]", "http://[::ffff:127.0.0.1]:{port}", True),
    Target("fc00::/7", "http://[fc00::1]:{port}", False),
    Target("fd00::/8 (in fc00::/7)", "http://[fd12:3456:789a::1]:{port}", False),
    Target("2130706433", "http://2130706433:{port}", True),
    Target("0x7f.1", "http://0x7f.1:{port}", True),
    Target("name -> loopback", f"http://{EVIL_NAME}:{{port}}", True),
)
SCHEMES: tuple[Target, ...] = (
    Target("file://", "file:///etc", False, scheme=True),
    Target("ftp://", "ftp://ftp.example.com", False, scheme=True),
    Target("gopher://", "gopher://gopher.example.com:70", False, scheme=True),
)
ALL_TARGETS = TARGETS + SCHEMES


def target_ids(targets: tuple[Target, ...]) -> list[str]:
    return [t.name for t in targets]


class TestResolver:
    """The injected resolver: EVIL_NAME and PUBLIC_NAME map to 127.0.0.1; numeric forms and
    localhost go to the system's getaddrinfo (answered locally: inet_aton and /etc/hosts); any
    other name fails like an unknown host. No query ever leaves the machine."""

    __test__ = False  # not a pytest class

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        if host in (EVIL_NAME, PUBLIC_NAME):
            return ["127.0.0.1"]
        if is_local_name(host) or parse_host_address(host) is not None:
            return await system_resolver(host, port)
        raise OSError(f"{host} is unknown here")


@dataclass
class Servers:
    """A feed/page server on 127.0.0.1 and one on [::1], with the same routes."""

    v4: FeedServer
    v6: FeedServer

    def add(self, path: str, body: bytes, content_type: str) -> None:
        for server in (self.v4, self.v6):
            server.add(path, body, content_type=content_type)

    def redirect(self, path: str, location: str) -> None:
        self.v4.redirect(path, location)

    def url(self, target: Target, path: str) -> str:
        return target.url(path, self.v4.port, self.v6.port)

    def hits(self, path: str) -> int:
        return self.v4.hits(path) + self.v6.hits(path)

    def public(self, path: str) -> str:
        return f"http://{PUBLIC_NAME}:{self.v4.port}{path}"


@contextlib.asynccontextmanager
async def servers() -> AsyncIterator[Servers]:
    async with FeedServer() as v4, FeedServer(host="::1") as v6:
        both = Servers(v4, v6)
        both.add(
            "/feed.xml",
            rss("Matrix News", [item(1), item(2)]),
            "application/rss+xml",
        )
        both.add("/page.html", ARTICLE_HTML, "text/html; charset=utf-8")
        yield both


def fetcher_factory(resolver: TestResolver) -> type[Fetcher]:
    """A Fetcher class with the injected resolver and PUBLIC_NAME allowed (the CLI builds its
    own Fetcher, so tests give it this class in place of ``digests.feeds.fetch.Fetcher``)."""

    class InjectedFetcher(Fetcher):
        def __init__(self, **kw: Any) -> None:
            kw.setdefault("resolver", resolver)
            kw.setdefault("allow_hosts", (PUBLIC_NAME,))
            super().__init__(**kw)

    return InjectedFetcher


@contextlib.contextmanager
def cli_environment(
    tmp_path: Path, allow_private: bool, resolver: TestResolver
) -> Iterator[pytest.MonkeyPatch]:
    """Environment for ``bot.cli.main`` in-process: a scratch DB and cwd, the mode, the resolver."""
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp_path)
        mp.setenv("NEWSDIGEST_DB", str(tmp_path / "cli.db"))
        mp.setenv("NEWSDIGEST_ALLOW_PRIVATE_URLS", "true" if allow_private else "false")
        mp.delenv("DISCORD_TOKEN", raising=False)
        mp.setenv("NEWSDIGEST_PAGE_INTERVAL", "0")  # pages unpaced: all on one loopback host
        mp.setattr(fetch_module, "Fetcher", fetcher_factory(resolver))
        yield mp


@dataclass(frozen=True, slots=True)
class CLIRun:
    status: int
    out: str
    err: str


def run_cli(argv: list[str]) -> CLIRun:
    """``bot.cli.main(argv)`` with its own stdout/stderr (call it in a worker thread: the CLI
    runs its own event loop)."""
    from bot.cli import main

    out, err = io.StringIO(), io.StringIO()
    old = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        try:
            status = main(argv)
        except SystemExit as exc:
            status = int(exc.code or 0)
    finally:
        sys.stdout, sys.stderr = old
    return CLIRun(status, out.getvalue(), err.getvalue())
