"""Every fault test stays on this machine: a name lookup that would ask DNS fails the test."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from digests.feeds.urlsafety import is_local_name, parse_host_address


@pytest.fixture(autouse=True)
def no_dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    asked: list[str] = []
    real = socket.getaddrinfo

    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name is None or is_local_name(str(name)) or parse_host_address(str(name)) is not None:
            return real(host, *args, **kwargs)
        asked.append(str(name))
        raise socket.gaierror(socket.EAI_NONAME, f"{name}: tests do not use DNS")

    monkeypatch.setattr(socket, "getaddrinfo", guarded)
    yield asked
    assert not asked, f"a test asked DNS for {sorted(set(asked))}"
