"""Crash safety: ``kill -9`` of the real service subprocess (``python -m bot``) at seeded random
moments while it delivers stories to 10 channels, restarting it each time. The emulator (with
Discord's nonce de-duplication switched off, so the bot's own recovery is what is tested) must
record every story exactly once: 0 lost, 0 duplicated."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.crash import crash_restart, crash_while_polling

pytestmark = pytest.mark.slow  # kills of a subprocess at real-time moments (13 s and more)


async def test_three_kills_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    report = await crash_restart(tmp_path, channels=4, per_channel=10, kills=3, seed=7)
    assert report.kills == 3
    assert report.tally.lost == 0, report
    assert report.tally.duplicated == 0, report
    assert report.tally.unexpected == 0, report
    assert report.tally.posted == report.tally.expected == 40
    assert report.pending_after == 0
    assert report.exit_code == 0  # the last run stopped cleanly on SIGTERM
    assert not report.token_leaked


async def test_twenty_kills_while_delivering_200_stories_to_10_channels(tmp_path: Path) -> None:
    report = await crash_restart(tmp_path, channels=10, per_channel=20, kills=20)
    assert report.kills == 20
    assert report.tally.expected == 200
    assert report.tally.lost == 0, report
    assert report.tally.duplicated == 0, report
    assert report.tally.unexpected == 0, report
    assert report.pending_after == 0
    assert report.exit_code == 0
    assert not report.token_leaked


async def test_kills_while_the_service_polls_and_stores_new_stories(tmp_path: Path) -> None:
    """The service's own poll (fetch, parse, condense, store, queue) is killed right after it
    began; each restart polls again (the first poll comes one tick after start)."""
    report = await crash_while_polling(tmp_path, channels=4, per_channel=20, kills=3)
    assert report.kills == 3
    assert report.polls_interrupted >= 1, report
    assert report.lost == 0 and report.duplicated == 0, report
    assert report.posted == report.expected == 80
    assert report.exit_code == 0
