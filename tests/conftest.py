"""Shared fixtures. Corpus-backed tests read ../shared/corpus and skip when it is absent."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.feedserver import FeedServer
from tests.stores import BACKENDS, database

REPO = Path(__file__).resolve().parent.parent
#: ``../shared/corpus``; ``NEWSDIGEST_CORPUS`` points elsewhere (a git worktree one level deeper).
CORPUS = Path(os.environ.get("NEWSDIGEST_CORPUS") or REPO.parent / "shared" / "corpus")


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


@pytest.fixture(params=BACKENDS)
def db_target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database on each backend: an SQLite file path, or a PostgreSQL URL (a schema of
    its own on the server of ``NEWSDIGEST_TEST_DATABASE_URL``; skipped when unset)."""
    with database(str(request.param), tmp_path) as target:
        yield target
