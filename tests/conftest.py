"""Shared fixtures. Corpus-backed tests read ../shared/corpus and skip when it is absent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from digests.buildinfo import stale_builds
from tests.feedserver import FeedServer

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"


def pytest_configure(config: pytest.Config) -> None:
    """Refuse to test an old compiled build of edited sources (see setup.py)."""
    stale = stale_builds(REPO / "digests")
    if stale:
        raise pytest.UsageError(
            f"The compiled modules of {', '.join(stale)} are older than their sources: run "
            "`pip install -e '.[test]'` again (or delete digests/*.so to test plain Python)."
        )


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The shared real-world corpus; skips the test on a fresh clone without ../shared."""
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is absent (a fresh clone): corpus-backed test skipped")
    return CORPUS


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    """A started loopback ``FeedServer`` (tests/feedserver.py); routes are added per test."""
    async with FeedServer() as server:
        yield server
