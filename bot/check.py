"""``newsdigest check``: is this installation healthy? Settings, the bot token, the database and
every feed the service polls, each problem as one sentence (nothing is changed)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bot.settings import Settings, SettingsError
from digests.errors import FeedError, StorageError
from digests.feeds.fetch import Fetcher
from digests.feeds.urlsafety import redact_url
from digests.service import off_loop
from digests.store.backup import enabled_feed_urls, integrity_problems
from digests.store.postgres import postgres_feed_urls

#: seconds to wait for Discord's answer about the token
DISCORD_TIMEOUT = 15.0


@dataclass(slots=True)
class Report:
    """What ``check`` found: one sentence per problem, and what was checked."""

    problems: list[str] = field(default_factory=list)
    bot_name: str | None = None
    feeds: int = 0

    @property
    def healthy(self) -> bool:
        return not self.problems


async def check(load: Callable[[], Settings], *, quick: bool = False) -> Report:
    """Run every check; stop early only when the settings themselves are invalid. ``quick``
    (a container's frequent health check) reads only the settings and the database: nothing
    is asked of Discord or of the feeds' sites."""
    report = Report()
    try:
        settings = load()
    except SettingsError as exc:
        report.problems.append(str(exc))
        return report
    if quick:
        await _check_store(settings, report, quick=True)
        return report
    await _check_token(settings, report)
    urls = await _check_store(settings, report)
    if urls:
        report.feeds = len(urls)
        async with Fetcher(
            user_agent=settings.user_agent, allow_private=settings.allow_private_urls
        ) as fetcher:
            found = await asyncio.gather(*(_check_feed(fetcher, url) for url in urls))
        report.problems.extend(p for p in found if p)
    return report


async def _check_token(settings: Settings, report: Report) -> None:
    try:
        token = settings.require_token()
    except SettingsError as exc:
        report.problems.append(str(exc))
        return
    url = f"{settings.api_base_url}/users/@me"
    headers = {"Authorization": f"Bot {token}", "User-Agent": settings.user_agent}
    timeout = aiohttp.ClientTimeout(total=DISCORD_TIMEOUT)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(url, headers=headers) as response,
        ):
            if response.status == 401:
                report.problems.append("Discord rejected DISCORD_TOKEN; check the bot token.")
                return
            if response.status != 200:
                report.problems.append(
                    f"Discord answered the token check with HTTP {response.status}."
                )
                return
            me: Any = await response.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        report.problems.append(
            f"Could not reach Discord at {settings.api_base_url} ({reason.rstrip('.')})."
        )
        return
    if isinstance(me, dict):
        report.bot_name = str(me.get("username") or "") or None


async def _check_store(settings: Settings, report: Report, *, quick: bool = False) -> list[str]:
    """The database's problems into ``report`` (in a worker thread: the checks block); the
    URLs of the feeds to try when it is sound."""
    if settings.postgres:
        return await off_loop(_check_postgres, settings.database, report)
    return await off_loop(_check_database, settings.db, report, quick=quick)


def _check_postgres(url: str, report: Report) -> list[str]:
    """Can we connect to PostgreSQL and read it? (Its own integrity is the server's job.)"""
    try:
        return postgres_feed_urls(url)
    except StorageError as exc:
        report.problems.append(exc.message)
        return []


def _check_database(path: str, report: Report, *, quick: bool = False) -> list[str]:
    """Integrity problems into ``report``; the URLs of the feeds to try when the file is sound."""
    try:
        problems = integrity_problems(path, quick=quick)
        if problems:
            report.problems.append(
                f"The database {path} failed its integrity check ({problems[0].rstrip('.')}); "
                "restore a backup."
            )
            return []
        return enabled_feed_urls(path)
    except StorageError as exc:
        message = exc.message
        if message.startswith("There is no database"):
            message = f"There is no database at {path}; newsdigest run creates it (or set --db)."
        report.problems.append(message)
        return []


async def _check_feed(fetcher: Fetcher, url: str) -> str | None:
    try:
        await fetcher.fetch(url)
    except FeedError as exc:
        return f"The feed {redact_url(url)} is unreachable: {exc.message.rstrip('.')}."
    return None
