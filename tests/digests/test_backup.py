"""digests.store.backup on real SQLite files: an online copy of a database that stays open, the
integrity check, and the feed list ``newsdigest check`` polls."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digests.errors import StorageError
from digests.store import Store
from digests.store.backup import backup, enabled_feed_urls, integrity_problems

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def live_store(path: Path) -> Store:
    store = Store(path)
    for n, url in enumerate(("https://a.example/feed", "https://b.example/rss", "https://c.x/f")):
        feed = store.ensure_feed(url, NOW)
        if n < 2:  # the third is stored but nobody subscribes it
            store.subscribe(
                guild_id=1,
                channel_id=10 + n,
                feed_id=feed.feed_id,
                mode="digest",
                backfill=0,
                now=NOW,
                next_fetch=NOW,
                feed_limit=50,
            )
    return store


def test_backup_of_an_open_database_is_a_private_checked_self_contained_copy(
    tmp_path: Path,
) -> None:
    store = live_store(tmp_path / "news.db")
    try:
        made = backup(tmp_path / "news.db", tmp_path / "copy.db")
    finally:
        store.close()
    assert made.target == tmp_path / "copy.db" and made.size > 0
    assert stat.S_IMODE(made.target.stat().st_mode) == 0o600
    assert not (tmp_path / "copy.db-wal").exists()
    assert integrity_problems(made.target) == []
    copy = Store(made.target)
    try:
        assert [s.feed.url for s in copy.subscriptions(1)] == [
            "https://a.example/feed",
            "https://b.example/rss",
        ]
    finally:
        copy.close()
    assert sorted(p.name for p in tmp_path.iterdir() if "partial" in p.name) == []


def test_backup_into_a_folder_replaces_an_older_copy(tmp_path: Path) -> None:
    live_store(tmp_path / "news.db").close()
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "news.db").write_bytes(b"yesterday's copy")
    made = backup(tmp_path / "news.db", folder)
    assert made.target == folder / "news.db"
    assert enabled_feed_urls(made.target) == ["https://a.example/feed", "https://b.example/rss"]


def test_backup_refuses_what_it_cannot_do_in_one_sentence(tmp_path: Path) -> None:
    live_store(tmp_path / "news.db").close()
    cases = [
        (tmp_path / "absent.db", tmp_path / "copy.db", "There is no database"),
        (tmp_path / "news.db", tmp_path / "missing" / "copy.db", "does not exist"),
        (tmp_path / "news.db", tmp_path / "news.db", "another file"),
    ]
    for source, target, words in cases:
        with pytest.raises(StorageError) as caught:
            backup(source, target)
        assert words in caught.value.message and "\n" not in caught.value.message


def test_a_damaged_database_fails_the_check_and_is_not_copied(tmp_path: Path) -> None:
    path = tmp_path / "news.db"
    store = live_store(path)
    store.close()
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) > 3 * page
    data[2 * page + 8 : 3 * page] = b"\xa5" * (page - 8)  # scribble over a table's page
    path.write_bytes(bytes(data))
    assert integrity_problems(path)
    target = tmp_path / "copy.db"
    target.write_bytes(b"the last good copy")
    with pytest.raises(StorageError) as caught:
        backup(path, target)
    assert "integrity" in caught.value.message or "malformed" in caught.value.message
    assert target.read_bytes() == b"the last good copy"
