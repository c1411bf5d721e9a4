"""Discord-style snowflake ids: milliseconds since the Discord epoch << 22, strictly increasing."""

from __future__ import annotations

import time
from collections.abc import Callable

DISCORD_EPOCH_MS = 1_420_070_400_000


class SnowflakeGenerator:
    """Makes unique, increasing snowflakes; one generator per emulator (no global state)."""

    def __init__(self, *, worker: int = 1, now_ms: Callable[[], int] | None = None) -> None:
        self._worker = worker & 0x1F
        self._now_ms = now_ms or (lambda: int(time.time() * 1000))
        self._last = 0

    def next(self) -> int:
        candidate = ((self._now_ms() - DISCORD_EPOCH_MS) << 22) | (self._worker << 17)
        value = max(candidate, self._last + 1)
        self._last = value
        return value


def snowflake_time_ms(snowflake: int) -> int:
    """Unix time in milliseconds encoded in a snowflake."""
    return (snowflake >> 22) + DISCORD_EPOCH_MS
