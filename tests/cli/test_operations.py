"""``newsdigest backup`` and ``newsdigest check`` in-process, against real SQLite files (and a real
PostgreSQL when one is set), feeds
served on 127.0.0.1 and the loopback Discord emulator (for the token check)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli import main
from digests.store import Store, open_store
from tests.discord_emulator import DiscordEmulator
from tests.feedserver import FeedServer
from tests.stores import postgres_schema

TOKEN = "check.test.token-0123456789"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Gazette</title>'
    b"<link>https://g.example/</link><description>x</description></channel></rss>"
)


@dataclass
class Site:
    emu: DiscordEmulator
    feeds: FeedServer
    db: Path


def subscribe(db: Path | str, *urls: str) -> None:
    store = open_store(db)
    try:
        for n, url in enumerate(urls):
            feed = store.ensure_feed(url, NOW)
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
    finally:
        store.close()


@pytest.fixture
async def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Site]:
    monkeypatch.chdir(tmp_path)  # no stray .env
    async with DiscordEmulator(token=TOKEN) as emu, FeedServer() as feeds:
        for name in (
            "NEWSDIGEST_DB",
            "NEWSDIGEST_DATABASE_URL",
            "NEWSDIGEST_POLL_MINUTES",
            "NEWSDIGEST_LOG_LEVEL",
        ):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
        monkeypatch.setenv("DISCORD_API_BASE_URL", emu.api_base)
        monkeypatch.setenv("NEWSDIGEST_ALLOW_PRIVATE_URLS", "true")
        feeds.add("/feed.xml", FEED, content_type="application/rss+xml")
        yield Site(emu=emu, feeds=feeds, db=tmp_path / "news.db")


async def newsdigest(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = await asyncio.to_thread(main, argv)  # main runs its own event loop
    out, err = capsys.readouterr()
    return status, out, err


async def test_check_a_healthy_installation(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    subscribe(site.db, site.feeds.url("/feed.xml"))
    status, out, err = await newsdigest(["check", "--db", str(site.db)], capsys)
    assert (status, err) == (0, "")
    assert out.startswith("Healthy:") and "1 feed answers" in out
    assert site.feeds.hits("/feed.xml") == 1


async def test_quick_check_asks_nothing_of_discord_or_the_feeds(
    site: Site, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The container health check: settings and database only, every few minutes, so it must
    not fetch the feeds nor ask Discord (which rejects this token when asked)."""
    subscribe(site.db, site.feeds.url("/feed.xml"))
    monkeypatch.setenv("DISCORD_TOKEN", "not-the-token")
    status, _, err = await newsdigest(["check", "--db", str(site.db)], capsys)
    assert status == 1 and "Discord rejected DISCORD_TOKEN" in err
    hits = site.feeds.hits("/feed.xml")
    status, out, err = await newsdigest(["check", "--quick", "--db", str(site.db)], capsys)
    assert (status, err) == (0, "")
    assert out.startswith("Healthy:") and "quick" in out
    assert site.feeds.hits("/feed.xml") == hits
    site.db.write_bytes(b"SQLite format 3\x00" + b"\x00" * 84 + b"garbage" * 1000)
    status, _, err = await newsdigest(["check", "--quick", "--db", str(site.db)], capsys)
    assert status == 1 and err.count("\n") == 1 and str(site.db) in err


async def test_check_names_each_problem_in_one_sentence(
    site: Site, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "not-the-token")
    site.feeds.status("/gone.xml", 404)
    secret = site.feeds.url("/gone.xml") + "?token=s3cret"
    subscribe(site.db, site.feeds.url("/feed.xml"), secret)
    status, out, err = await newsdigest(["--db", str(site.db), "check"], capsys)
    assert status == 1 and out == ""
    lines = err.splitlines()
    assert len(lines) == 2, err
    assert lines[0] == "newsdigest: Discord rejected DISCORD_TOKEN; check the bot token."
    assert lines[1].startswith("newsdigest: The feed http://127.0.0.1")
    assert "token=redacted" in lines[1] and "HTTP 404" in lines[1] and "s3cret" not in err


async def test_check_reports_a_missing_or_damaged_database_and_bad_settings(
    site: Site, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    status, _, err = await newsdigest(["check", "--db", str(site.db)], capsys)
    assert status == 1 and err.count("\n") == 1 and "There is no database" in err
    site.db.write_bytes(b"SQLite format 3\x00" + b"\x00" * 84 + b"garbage" * 1000)
    status, _, err = await newsdigest(["check", "--db", str(site.db)], capsys)
    assert status == 1 and err.count("\n") == 1 and str(site.db) in err
    monkeypatch.setenv("NEWSDIGEST_POLL_MINUTES", "0")
    status, _, err = await newsdigest(["check", "--db", str(site.db)], capsys)
    assert status == 1 and err.count("\n") == 1 and "NEWSDIGEST_POLL_MINUTES" in err


async def test_backup_command_copies_the_database_named_by_db(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    subscribe(site.db, site.feeds.url("/feed.xml"))
    target = site.db.with_name("copy.db")
    status, out, err = await newsdigest(["backup", str(target), "--db", str(site.db)], capsys)
    assert (status, err) == (0, "")
    assert str(target) in out and "intact" in out
    copy = Store(target)
    try:
        assert [s.feed.url for s in copy.subscriptions(1)] == [site.feeds.url("/feed.xml")]
    finally:
        copy.close()
    status, _, err = await newsdigest(["backup", str(site.db.with_name("x") / "y.db")], capsys)
    assert status == 1 and err.count("\n") == 1


async def test_check_on_postgresql_connects_and_tries_its_feeds(
    site: Site, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with postgres_schema() as url:
        subscribe(url, site.feeds.url("/feed.xml"))
        monkeypatch.setenv("NEWSDIGEST_DATABASE_URL", url)
        status, out, err = await newsdigest(["check"], capsys)
        assert (status, err) == (0, "")
        assert "1 feed answers" in out
        status, out, err = await newsdigest(["check", "--quick"], capsys)
        assert (status, err) == (0, "") and "Healthy" in out


async def test_check_names_an_unreachable_postgresql_in_one_sentence(
    site: Site, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # port 9 (discard) on loopback: nothing listens there, the connection is refused at once
    monkeypatch.setenv("NEWSDIGEST_DATABASE_URL", "postgresql://newsdigest:s3cret@127.0.0.1:9/nd")
    status, _, err = await newsdigest(["check", "--quick"], capsys)
    assert status == 1 and err.count("\n") == 1
    assert "database server could not be reached" in err and "s3cret" not in err


async def test_backup_on_postgresql_points_to_pg_dump(
    site: Site, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSDIGEST_DATABASE_URL", "postgresql://newsdigest@127.0.0.1:9/nd")
    status, out, err = await newsdigest(["backup", str(site.db.with_name("copy.db"))], capsys)
    assert (status, out) == (1, "")
    assert err.count("\n") == 1 and "pg_dump" in err
    # --db names the database for this command: an SQLite file is backed up as before
    subscribe(site.db, site.feeds.url("/feed.xml"))
    status, out, _ = await newsdigest(
        ["backup", str(site.db.with_name("copy.db")), "--db", str(site.db)], capsys
    )
    assert status == 0 and "intact" in out


async def test_copy_db_copies_into_an_empty_database_and_refuses_a_used_one(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    subscribe(site.db, site.feeds.url("/feed.xml"), site.feeds.url("/other.xml"))
    target = site.db.with_name("moved.db")
    status, out, err = await newsdigest(["copy-db", str(target), "--db", str(site.db)], capsys)
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == ["feeds", "2", "rows"]
    assert lines[3].split() == ["subscriptions", "2", "rows"]
    assert "Copied 4 rows in" in lines[-1] and "match" in lines[-1]
    copy = Store(target)
    try:
        assert [s.feed.url for s in copy.subscriptions(1)] == [
            site.feeds.url("/feed.xml"),
            site.feeds.url("/other.xml"),
        ]
    finally:
        copy.close()
    # again: the target holds rows now, so nothing is merged into it
    status, out, err = await newsdigest(["copy-db", str(target), "--db", str(site.db)], capsys)
    assert (status, out) == (1, "")
    assert err.count("\n") == 1 and "not empty" in err
    with pytest.raises(SystemExit) as usage:  # argparse: no TARGET
        await newsdigest(["copy-db"], capsys)
    assert usage.value.code == 2


async def test_copy_db_moves_the_sqlite_database_to_postgresql(
    site: Site, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    subscribe(site.db, site.feeds.url("/feed.xml"))
    monkeypatch.setenv("NEWSDIGEST_DB", str(site.db))
    with postgres_schema() as url:
        status, out, err = await newsdigest(["copy-db", url], capsys)
        assert (status, err) == (0, "")
        assert "Copied 2 rows" in out
        moved = open_store(url)
        try:
            assert [s.feed.url for s in moved.subscriptions(1)] == [site.feeds.url("/feed.xml")]
        finally:
            moved.close()
