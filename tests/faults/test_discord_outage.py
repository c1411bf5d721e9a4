"""Discord outage: 500s, then 429s with retry_after, then a dropped gateway that refuses
reconnects, while stories keep arriving. Afterwards every story is posted exactly once and the
bot has reconnected by itself. A few seconds of trouble in the default run, 60 s in the slow run
(override with NEWSDIGEST_OUTAGE_SECONDS)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.faults.outage import OutageReport, discord_outage


def check(report: OutageReport) -> None:
    assert report.lost == 0, report
    assert report.duplicated == 0, report
    assert report.posted == report.stories, report
    assert report.faulted_requests > 0, report  # the trouble really hit the bot
    assert report.reconnects >= 1, report
    assert report.connected_after, report


async def test_short_outage_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    window = float(os.environ.get("NEWSDIGEST_OUTAGE_SECONDS", "3"))
    check(await discord_outage(tmp_path, window=window))


async def test_short_outage_with_an_aborted_invalidated_gateway(tmp_path: Path) -> None:
    window = float(os.environ.get("NEWSDIGEST_OUTAGE_SECONDS", "3"))
    check(await discord_outage(tmp_path, window=window, hard=True))


@pytest.mark.slow
async def test_sixty_seconds_of_trouble(tmp_path: Path) -> None:
    check(await discord_outage(tmp_path, window=60.0))
