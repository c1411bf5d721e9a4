"""Shared helpers for the fault and hostile-input suite (and benchmarks/chaos.py).

Everything here is synthetic: small RSS documents built in code, a resolver that maps chosen
names to chosen addresses (no real DNS), and a service wired to a real SQLite file, the real
Fetcher and a FakeClock.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from digests.clock import FakeClock
from digests.feeds.fetch import Fetcher, FetchLimits, system_resolver
from digests.feeds.urlsafety import is_local_name, parse_host_address
from digests.service import DigestService
from digests.store import Store
from tests.builders import Item

UA = "newsdigest-faults/1.0"
START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)

PARAGRAPH = (
    "The regional council met on Tuesday to discuss the harbour plan, which has divided "
    "residents for months. Supporters say it will bring jobs, while opponents fear higher rents "
    "and the loss of green space. A final vote is expected next month after public hearings."
)


def item(n: int, *, title: str | None = None, text: str | None = None) -> Item:
    return Item(
        guid=f"story-{n}",
        title=title or f"Council debates harbour plan number {n}",
        text=text or f"Story {n}. {PARAGRAPH}",
        published=START - timedelta(hours=1, minutes=n),
    )


async def local_resolver(host: str, port: int) -> list[str]:
    """The default resolver of the suite: numeric hosts and localhost are answered locally
    (inet_aton, /etc/hosts); any other name fails as an unknown host, so no DNS query is sent."""
    if is_local_name(host) or parse_host_address(host) is not None:
        return await system_resolver(host, port)
    raise OSError(f"{host} is unknown here (tests do not use DNS)")


class MapResolver:
    """An injected resolver: each name maps to the given addresses; any other name fails as DNS
    would (OSError), so no test ever asks the real DNS."""

    def __init__(self, mapping: dict[str, Sequence[str]]) -> None:
        self._mapping = {k.lower(): list(v) for k, v in mapping.items()}
        self.calls: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        try:
            return list(self._mapping[host.lower()])
        except KeyError:
            raise OSError(f"{host} has no address here") from None


_SENTENCE_BREAK = re.compile(r"[.!?]\s+[A-Z]")


def assert_one_sentence(message: str | None) -> None:
    """A user-facing error: one line, one sentence, no traceback, not empty, not huge."""
    assert message, "empty error message"
    text = message.strip()
    assert "\n" not in text, text
    assert "Traceback" not in text and 'File "' not in text, text
    assert len(text) <= 400, len(text)
    assert text[-1] in ".!?…", text
    assert not _SENTENCE_BREAK.search(text[:-1]), f"more than one sentence: {text}"


@dataclass
class ServiceEnv:
    """The real DigestService on a SQLite file in tmp_path with the real Fetcher and a FakeClock."""

    db: Path
    clock: FakeClock
    fetcher: Fetcher
    store: Store
    service: DigestService

    def later(self, minutes: float = 16) -> None:
        self.clock.advance(timedelta(minutes=minutes))


@contextlib.asynccontextmanager
async def service_env(
    tmp_path: Path,
    *,
    allow_private: bool = True,
    limits: FetchLimits | None = None,
    resolver: Any = None,
    allow_hosts: Iterable[str] = (),
    clock: FakeClock | None = None,
    **service_kw: Any,
) -> AsyncIterator[ServiceEnv]:
    clock = clock or FakeClock(START)
    tmp_path.mkdir(parents=True, exist_ok=True)
    db = tmp_path / "faults.db"
    async with Fetcher(
        user_agent=UA,
        allow_private=allow_private,
        limits=limits or FetchLimits(page_interval=0.0),  # pages unpaced: all on one host
        resolver=resolver or local_resolver,
        allow_hosts=allow_hosts,
        clock=clock,
    ) as fetcher:
        store = Store(db)
        try:
            service = DigestService(store, fetcher, clock=clock, **service_kw)
            yield ServiceEnv(db=db, clock=clock, fetcher=fetcher, store=store, service=service)
        finally:
            store.close()
