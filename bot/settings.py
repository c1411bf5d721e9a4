"""Configuration from the environment (or a `.env` file in the working directory).

Names and defaults are those of interface.md §3. A missing or invalid setting stops start-up with
one sentence naming the variable (``SettingsError``); the token is a SecretStr and never logged.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from digests import __version__
from digests.feeds.fetch import FetchLimits
from digests.shards import ShardSet, format_shard_ids, parse_shard_ids
from digests.store.base import is_database_url

DEFAULT_API_BASE = "https://discord.com/api/v10"
PROJECT_URL = "https://github.com/newsdigest/newsdigest"
DEFAULT_USER_AGENT = f"newsdigest/{__version__} (+{PROJECT_URL})"


class SettingsError(Exception):
    """A setting is missing or invalid; the message is one sentence naming the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    discord_token: SecretStr | None = Field(default=None, alias="DISCORD_TOKEN")
    db: str = Field(default="newsdigest.db", alias="NEWSDIGEST_DB", min_length=1)
    database_url: SecretStr | None = Field(default=None, alias="NEWSDIGEST_DATABASE_URL")
    poll_minutes: int = Field(default=15, alias="NEWSDIGEST_POLL_MINUTES", ge=1, le=24 * 60)
    allow_private_urls: bool = Field(default=False, alias="NEWSDIGEST_ALLOW_PRIVATE_URLS")
    user_agent: str = Field(default=DEFAULT_USER_AGENT, alias="NEWSDIGEST_USER_AGENT", min_length=1)
    log_level: str = Field(default="INFO", alias="NEWSDIGEST_LOG_LEVEL")
    dev_guild_id: int | None = Field(default=None, alias="NEWSDIGEST_DEV_GUILD_ID", gt=0)
    api_base_url: str = Field(default=DEFAULT_API_BASE, alias="DISCORD_API_BASE_URL")
    max_failures: int = Field(default=8, alias="NEWSDIGEST_MAX_FAILURES", ge=1, le=100)
    feed_limit: int = Field(default=50, alias="NEWSDIGEST_FEED_LIMIT", ge=1, le=10_000)
    retention_days: int = Field(default=90, alias="NEWSDIGEST_RETENTION_DAYS", ge=0, le=36_500)
    page_concurrency: int = Field(default=2, alias="NEWSDIGEST_PAGE_CONCURRENCY", ge=1, le=16)
    page_interval: float = Field(default=0.5, alias="NEWSDIGEST_PAGE_INTERVAL", ge=0, le=60)
    #: the shards this process owns (``0-3``, ``0,2,5``); None: all of them
    shards: str | None = Field(default=None, alias="NEWSDIGEST_SHARDS")
    #: total shards across processes; None: Discord's recommendation (discord.py asks)
    shard_count: int | None = Field(default=None, alias="NEWSDIGEST_SHARD_COUNT", ge=1, le=10_000)
    #: how long a claimed feed is kept from other processes while it is polled; None: the poll
    #: interval (a poll lost with its process is retried one interval later, as if it happened)
    poll_lease_seconds: int | None = Field(
        default=None, alias="NEWSDIGEST_POLL_LEASE_SECONDS", ge=1, le=24 * 3600
    )

    @property
    def database(self) -> str:
        """Where the store lives: the PostgreSQL URL when set, else the SQLite file."""
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return self.db

    @property
    def postgres(self) -> bool:
        """Whether the store is on PostgreSQL (``--db`` may name a URL too)."""
        return is_database_url(self.database)

    def fetch_limits(self) -> FetchLimits:
        """The fetcher's limits with this deployment's per-host page pacing."""
        return FetchLimits(page_per_host=self.page_concurrency, page_interval=self.page_interval)

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in logging.getLevelNamesMapping():
            raise ValueError("not a logging level")
        return level

    @field_validator("api_base_url")
    @classmethod
    def _base(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("database_url", mode="before")
    @classmethod
    def _database_url(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        text = str(value.get_secret_value() if isinstance(value, SecretStr) else value).strip()
        if not is_database_url(text):
            raise ValueError("not a postgresql:// URL")
        return text

    @field_validator("dev_guild_id", "shard_count", "poll_lease_seconds", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("shards", mode="before")
    @classmethod
    def _shards(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return format_shard_ids(parse_shard_ids(str(value)))

    def shard_set(self) -> ShardSet:
        """The shards this process owns (``check_shards`` has vetted the combination)."""
        if self.shards is None:
            return ShardSet(count=self.shard_count)
        return ShardSet.of(parse_shard_ids(self.shards), self.shard_count or 0)

    def check_shards(self) -> None:
        """NEWSDIGEST_SHARDS needs NEWSDIGEST_SHARD_COUNT, and every shard below it."""
        if self.shards is None:
            return
        if self.shard_count is None:
            raise SettingsError(
                "NEWSDIGEST_SHARDS needs NEWSDIGEST_SHARD_COUNT: set the total number of "
                "shards across all processes."
            )
        top = max(parse_shard_ids(self.shards))
        if top >= self.shard_count:
            raise SettingsError(
                f"NEWSDIGEST_SHARDS is invalid: shard {top} is not below "
                f"NEWSDIGEST_SHARD_COUNT ({self.shard_count}); shards count from 0."
            )

    def poll_lease(self) -> timedelta:
        """How long a feed claimed for polling stays claimed (default: the poll interval)."""
        if self.poll_lease_seconds is not None:
            return timedelta(seconds=self.poll_lease_seconds)
        return timedelta(minutes=self.poll_minutes)

    def require_token(self) -> str:
        token = self.discord_token.get_secret_value().strip() if self.discord_token else ""
        if not token:
            raise SettingsError("DISCORD_TOKEN is not set; put the bot token in the environment.")
        return token


_EXPLAIN = {
    "DISCORD_TOKEN": "must be the bot token",
    "NEWSDIGEST_DB": "must be a database file path",
    "NEWSDIGEST_DATABASE_URL": "must be a PostgreSQL URL such as postgresql://user@host/newsdigest",
    "NEWSDIGEST_POLL_MINUTES": "must be a whole number of minutes from 1 to 1440",
    "NEWSDIGEST_ALLOW_PRIVATE_URLS": "must be true or false",
    "NEWSDIGEST_USER_AGENT": "must not be empty",
    "NEWSDIGEST_LOG_LEVEL": "must be DEBUG, INFO, WARNING or ERROR",
    "NEWSDIGEST_DEV_GUILD_ID": "must be a server id (a number)",
    "DISCORD_API_BASE_URL": "must be an http(s) URL such as https://discord.com/api/v10",
    "NEWSDIGEST_MAX_FAILURES": "must be a whole number from 1 to 100",
    "NEWSDIGEST_FEED_LIMIT": "must be a whole number from 1 to 10000",
    "NEWSDIGEST_RETENTION_DAYS": "must be a whole number of days from 0 (keep everything) to 36500",
    "NEWSDIGEST_PAGE_CONCURRENCY": "must be a whole number from 1 to 16",
    "NEWSDIGEST_PAGE_INTERVAL": "must be a number of seconds from 0 to 60",
    "NEWSDIGEST_SHARDS": "must list shard numbers, such as 0-3 or 0,2,5",
    "NEWSDIGEST_SHARD_COUNT": "must be a whole number from 1 to 10000",
    "NEWSDIGEST_POLL_LEASE_SECONDS": "must be a whole number of seconds from 1 to 86400",
}


def load_settings(**overrides: Any) -> Settings:
    """Read the settings; raise SettingsError with one sentence naming the bad variable."""
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        loc = exc.errors()[0].get("loc", ("",))
        name = str(loc[0]) if loc else ""
        alias = _alias(name)
        explain = _EXPLAIN.get(alias, "has a bad value")
        raise SettingsError(f"{alias} is invalid: it {explain}.") from None
    settings.check_shards()
    return settings


def _alias(name: str) -> str:
    field = Settings.model_fields.get(name)
    if field is not None and field.alias:
        return field.alias
    return name
