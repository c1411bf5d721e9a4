"""Stores on both backends for tests: an SQLite file, or a fresh schema on a real PostgreSQL.

PostgreSQL tests use the server in ``NEWSDIGEST_TEST_DATABASE_URL`` (``.ci/run`` starts one) and
skip, saying so, when it is unset. Each test gets its own schema (``search_path``), dropped after.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from digests.store import is_database_url
from digests.store.postgres import translate

TEST_URL_VARIABLE = "NEWSDIGEST_TEST_DATABASE_URL"
BACKENDS = ("sqlite", "postgresql")


def server_url() -> str:
    """The test server's URL; skips the test when there is none."""
    url = os.environ.get(TEST_URL_VARIABLE, "").strip()
    if not url:
        pytest.skip(f"{TEST_URL_VARIABLE} is unset: no PostgreSQL server to test against")
    return url


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A database URL whose connections see a fresh, empty schema (dropped afterwards)."""
    import psycopg

    url = server_url()
    schema = f"test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    joiner = "&" if "?" in url else "?"
    try:
        yield f"{url}{joiner}options={quote(f'-csearch_path={schema}')}"
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


@contextmanager
def database(backend: str, tmp_path: Path) -> Iterator[str]:
    """Where a store of ``backend`` lives for one test: a file path or a database URL."""
    if backend == "sqlite":
        yield str(tmp_path / "news.db")
    else:
        with postgres_schema() as url:
            yield url


def query(target: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Rows read straight from the database (behind the store's back), SQLite's placeholders."""
    if is_database_url(target):
        import psycopg

        with psycopg.connect(target) as conn:
            return list(conn.execute(translate(sql), params).fetchall())
    with closing(sqlite3.connect(target)) as conn:
        return list(conn.execute(sql, params).fetchall())
