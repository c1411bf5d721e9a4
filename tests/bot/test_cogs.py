"""Every extension imports and loads; command names are unique; the command tree is as documented."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any, cast

import discord
import pytest
from discord import app_commands

import bot.exts
from bot.client import EXTENSIONS, DigestBot, command_hash


def extension_modules() -> list[str]:
    names = []
    for info in pkgutil.iter_modules(bot.exts.__path__):
        module = importlib.import_module(f"bot.exts.{info.name}")
        if hasattr(module, "setup"):
            names.append(module.__name__)
    return sorted(names)


def test_every_extension_is_loaded() -> None:
    assert extension_modules() == sorted(EXTENSIONS)


@pytest.fixture
async def loaded() -> Any:
    client = DigestBot(digests=cast(Any, None), jobs=cast(Any, None), outbox=cast(Any, None))
    for name in EXTENSIONS:
        await client.load_extension(name)
    return client  # never logged in: nothing to close


async def test_command_names_unique_and_as_documented(loaded: DigestBot) -> None:
    commands = loaded.tree.get_commands()
    top = [c.name for c in commands]
    assert len(top) == len(set(top))
    assert set(top) == {"feed", "digest", "story", "quotes", "search", "status", "admin"}
    groups = {c.name: c for c in commands if isinstance(c, app_commands.Group)}
    for group in groups.values():
        subs = [c.name for c in group.commands]
        assert len(subs) == len(set(subs))
    assert sorted(c.name for c in groups["feed"].commands) == [
        "add",
        "edit",
        "export",
        "filter",
        "import",
        "list",
        "remove",
    ]
    filter_group = next(c for c in groups["feed"].commands if c.name == "filter")
    assert isinstance(filter_group, app_commands.Group)
    assert sorted(c.name for c in filter_group.commands) == ["add", "list", "remove", "test"]
    assert sorted(c.name for c in groups["digest"].commands) == ["now", "off", "schedule"]


async def test_management_permissions_and_options(loaded: DigestBot) -> None:
    payload = {c["name"]: c for c in (c.to_dict(loaded.tree) for c in loaded.tree.get_commands())}
    manage = discord.Permissions(manage_channels=True).value
    assert int(payload["feed"]["default_member_permissions"]) == manage
    assert int(payload["digest"]["default_member_permissions"]) == manage
    assert payload["story"]["default_member_permissions"] is None
    add = next(o for o in payload["feed"]["options"] if o["name"] == "add")
    options = {o["name"]: o for o in add["options"]}
    assert options["url"]["type"] == 3 and options["url"]["required"] is True
    assert options["channel"]["type"] == 7 and 0 in options["channel"]["channel_types"]
    assert {c["value"] for c in options["mode"]["choices"]} == {"live", "digest"}
    assert (options["backfill"]["min_value"], options["backfill"]["max_value"]) == (0, 5)
    schedule = next(o for o in payload["digest"]["options"] if o["name"] == "schedule")
    tz = next(o for o in schedule["options"] if o["name"] == "timezone")
    assert tz["autocomplete"] is True and tz["required"] is False
    assert next(o for o in payload["story"]["options"])["autocomplete"] is True


async def test_command_hash_changes_with_signature(loaded: DigestBot) -> None:
    before = command_hash(loaded.tree)
    assert command_hash(loaded.tree) == before

    @app_commands.command(name="extra", description="x")
    async def extra(interaction: discord.Interaction[Any]) -> None:
        return None

    loaded.tree.add_command(extra)
    assert command_hash(loaded.tree) != before


@pytest.mark.parametrize("typed", ["", "a", "europe/", "Lon", "zzz-nothing"])
def test_timezone_choices_within_discord_limit(typed: str) -> None:
    from zoneinfo import available_timezones

    from bot.exts.digests import timezone_choices

    choices = timezone_choices(typed)
    assert len(choices) <= 25
    assert set(choices) <= available_timezones() | {"UTC"}
    if typed.strip("-z"):
        assert all(typed.lower() in c.lower() for c in choices)
    if typed == "Lon":
        assert "Europe/London" in choices
