"""Settings for `newsdigest run`: names, defaults, one-sentence errors, and a token never logged."""

from __future__ import annotations

import io
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.client import DigestBot
from bot.runner import RedactFilter, run
from bot.settings import DEFAULT_API_BASE, SettingsError, load_settings
from digests.shards import ShardSet

VARS = [
    "DISCORD_TOKEN",
    "NEWSDIGEST_DB",
    "NEWSDIGEST_DATABASE_URL",
    "NEWSDIGEST_POLL_MINUTES",
    "NEWSDIGEST_ALLOW_PRIVATE_URLS",
    "NEWSDIGEST_USER_AGENT",
    "NEWSDIGEST_LOG_LEVEL",
    "NEWSDIGEST_DEV_GUILD_ID",
    "DISCORD_API_BASE_URL",
    "NEWSDIGEST_MAX_FAILURES",
    "NEWSDIGEST_FEED_LIMIT",
    "NEWSDIGEST_RETENTION_DAYS",
    "NEWSDIGEST_SHARDS",
    "NEWSDIGEST_SHARD_COUNT",
    "NEWSDIGEST_POLL_LEASE_SECONDS",
]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults() -> None:
    settings = load_settings()
    assert settings.db == "newsdigest.db"
    assert settings.poll_minutes == 15
    assert settings.allow_private_urls is False
    assert settings.api_base_url == DEFAULT_API_BASE
    assert settings.dev_guild_id is None
    assert settings.log_level == "INFO"
    assert settings.retention_days == 90


def test_env_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "DISCORD_TOKEN=abc.def\nNEWSDIGEST_DEV_GUILD_ID=123\n"
        "DISCORD_API_BASE_URL=http://127.0.0.1:9/api/v10/\n"
    )
    monkeypatch.setenv("NEWSDIGEST_POLL_MINUTES", "5")
    settings = load_settings()
    assert settings.require_token() == "abc.def"
    assert settings.dev_guild_id == 123
    assert settings.poll_minutes == 5
    assert settings.api_base_url == "http://127.0.0.1:9/api/v10"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("NEWSDIGEST_POLL_MINUTES", "0"),
        ("NEWSDIGEST_POLL_MINUTES", "often"),
        ("NEWSDIGEST_ALLOW_PRIVATE_URLS", "perhaps"),
        ("NEWSDIGEST_LOG_LEVEL", "LOUD"),
        ("NEWSDIGEST_DEV_GUILD_ID", "abc"),
        ("DISCORD_API_BASE_URL", "ftp://x"),
        ("NEWSDIGEST_RETENTION_DAYS", "-1"),
        ("NEWSDIGEST_RETENTION_DAYS", "a month"),
        ("NEWSDIGEST_PAGE_CONCURRENCY", "0"),
        ("NEWSDIGEST_PAGE_INTERVAL", "-1"),
        ("NEWSDIGEST_SHARDS", "0-"),
        ("NEWSDIGEST_SHARDS", "3-1"),
        ("NEWSDIGEST_SHARDS", "first"),
        ("NEWSDIGEST_SHARD_COUNT", "0"),
        ("NEWSDIGEST_SHARD_COUNT", "many"),
        ("NEWSDIGEST_POLL_LEASE_SECONDS", "0"),
    ],
)
def test_bad_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    message = str(info.value)
    assert name in message
    assert "\n" not in message
    assert message.endswith(".")


@pytest.mark.parametrize(
    ("shards", "count", "words"),
    [
        ("0-3", None, "NEWSDIGEST_SHARD_COUNT"),
        ("0-8", "8", "shard 8 is not below NEWSDIGEST_SHARD_COUNT (8)"),
        ("2,9", "4", "shard 9 is not below"),
    ],
)
def test_shards_need_a_count_that_covers_them(
    monkeypatch: pytest.MonkeyPatch, shards: str, count: str | None, words: str
) -> None:
    monkeypatch.setenv("NEWSDIGEST_SHARDS", shards)
    if count is not None:
        monkeypatch.setenv("NEWSDIGEST_SHARD_COUNT", count)
    with pytest.raises(SettingsError) as info:
        load_settings()
    message = str(info.value)
    assert "NEWSDIGEST_SHARDS" in message and words in message
    assert "\n" not in message and message.endswith(".")


def test_shards_make_the_process_own_their_guilds(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().shard_set() == ShardSet()  # default: every shard, Discord's count
    monkeypatch.setenv("NEWSDIGEST_SHARD_COUNT", "8")
    assert load_settings().shard_set() == ShardSet(count=8)
    monkeypatch.setenv("NEWSDIGEST_SHARDS", " 0-1, 5 ")
    settings = load_settings()
    assert settings.shards == "0-1,5"
    assert settings.shard_set() == ShardSet.of([0, 1, 5], 8)


def test_shards_configure_the_sharded_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bot is discord.py's AutoShardedClient connecting exactly the configured shards."""
    default = _bot(load_settings().shard_set())
    assert isinstance(default, discord.AutoShardedClient)
    assert (default.shard_ids, default.shard_count) == (None, None)  # discord.py asks Discord
    monkeypatch.setenv("NEWSDIGEST_SHARDS", "2-3")
    monkeypatch.setenv("NEWSDIGEST_SHARD_COUNT", "6")
    sharded = _bot(load_settings().shard_set())
    assert (sharded.shard_ids, sharded.shard_count) == ([2, 3], 6)


def _bot(shards: ShardSet) -> DigestBot:
    # the client is only constructed (never connected): its collaborators are not used
    unused: Any = None
    return DigestBot(digests=unused, jobs=unused, outbox=unused, shards=shards)


def test_the_poll_lease_defaults_to_the_poll_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSDIGEST_POLL_MINUTES", "5")
    assert load_settings().poll_lease() == timedelta(minutes=5)
    monkeypatch.setenv("NEWSDIGEST_POLL_LEASE_SECONDS", "20")
    assert load_settings().poll_lease() == timedelta(seconds=20)


def test_a_database_url_selects_postgresql(monkeypatch: pytest.MonkeyPatch) -> None:
    assert (load_settings().database, load_settings().postgres) == ("newsdigest.db", False)
    monkeypatch.setenv("NEWSDIGEST_DATABASE_URL", "")  # as .env.example leaves it: unset
    assert load_settings().database == "newsdigest.db"
    url = "postgresql://nd:pw@db.internal:5432/newsdigest"
    monkeypatch.setenv("NEWSDIGEST_DATABASE_URL", url)
    settings = load_settings()
    assert (settings.database, settings.postgres) == (url, True)
    assert "pw" not in repr(settings)  # a secret, like the token
    monkeypatch.setenv("NEWSDIGEST_DATABASE_URL", "mysql://db.internal/newsdigest")
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert str(info.value).startswith("NEWSDIGEST_DATABASE_URL is invalid")


def test_page_pacing_reaches_the_fetch_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().fetch_limits().page_interval == 0.5
    monkeypatch.setenv("NEWSDIGEST_PAGE_CONCURRENCY", "1")
    monkeypatch.setenv("NEWSDIGEST_PAGE_INTERVAL", "2.5")
    limits = load_settings().fetch_limits()
    assert (limits.page_per_host, limits.page_interval) == (1, 2.5)


def test_missing_token_is_one_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(load_settings()) == 1
    err = capsys.readouterr().err.strip()
    assert "DISCORD_TOKEN" in err
    assert len(err.splitlines()) == 1
    assert "Traceback" not in err


def test_redact_filter_hides_token_in_messages_and_tracebacks() -> None:
    token = "MTIz.secret.token-value"
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactFilter(token))
    logger = logging.getLogger("test.redact")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("token is %s", token)
        try:
            raise RuntimeError(f"failed with {token}")
        except RuntimeError:
            logger.exception("boom")
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    assert token not in out
    assert out.count("[redacted]") == 2  # the message and the exception text


def test_redact_filter_hides_feed_credentials_that_libraries_log() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactFilter(""))
    logger = logging.getLogger("test.redact.urls")
    logger.addHandler(handler)
    logger.propagate = False
    url = "https://ann:pw-s3cret@feeds.example/rss?token=tok-s3cret"
    try:
        logger.warning("fetching %s", url)
        try:
            raise OSError(f"Cannot connect to host for url {url}")
        except OSError:
            logger.exception("poll failed")
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    assert "s3cret" not in out
    assert out.count("https://redacted@feeds.example/rss?token=redacted") == 2
