"""DigestBot: the discord.py client. Loads the extensions, registers the persistent buttons, syncs
the command tree when needed, and turns errors into one ephemeral sentence. No business state: the
service, the jobs and the outbox are injected.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.delivery import Outbox
from bot.scheduling import Jobs
from bot.views import StoryButton, StoryPicker
from digests.errors import DigestError
from digests.service import DigestService, off_loop
from digests.shards import ShardSet

log = logging.getLogger(__name__)

EXTENSIONS = (
    "bot.exts.feeds",
    "bot.exts.digests",
    "bot.exts.stories",
    "bot.exts.status",
    "bot.exts.admin",
)
UNEXPECTED = "Something went wrong on our side; it has been logged."


class ManageChannelsRequired(app_commands.CheckFailure):
    """The member lacks Manage Channels (checked server-side as well as by Discord)."""


class DigestBot(commands.AutoShardedBot):
    """The bot. ``digests``, ``jobs`` and ``outbox`` are injected by the composition root."""

    def __init__(
        self,
        *,
        digests: DigestService,
        jobs: Jobs,
        outbox: Outbox,
        dev_guild_id: int | None = None,
        sync_state: Path | None = None,
        guild_ready_timeout: float = 2.0,
        shards: ShardSet | None = None,
    ) -> None:
        """``shards``: the shards this process connects (default: every shard Discord
        recommends); with several processes each owns its own set of the same total."""
        shards = shards or ShardSet()
        intents = discord.Intents.none()
        intents.guilds = True
        # without shard_ids discord.py connects every shard (of shard_count, or Discord's count)
        only: dict[str, Any] = {"shard_ids": shards.sorted_ids()} if shards.ids is not None else {}
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            # the bot reads no messages and no members: keep no cache of either (discord.py
            # still keeps its own member in each server, for its permissions)
            max_messages=None,
            member_cache_flags=discord.MemberCacheFlags.none(),
            chunk_guilds_at_startup=False,
            shard_count=shards.count,
            help_command=None,
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=DigestTree,
            guild_ready_timeout=guild_ready_timeout,
            **only,
        )
        self.digests = digests
        self.jobs = jobs
        self.outbox = outbox
        self.dev_guild_id = dev_guild_id
        self.sync_state = sync_state

    async def setup_hook(self) -> None:
        for name in EXTENSIONS:
            await self.load_extension(name)
        self.add_dynamic_items(StoryButton, StoryPicker)
        await self.sync_commands()

    async def on_ready(self) -> None:
        """Connected (again, after a session that could not be resumed)."""
        self.outbox.reconnected()

    async def on_resumed(self) -> None:
        """The gateway session resumed after a drop: posts that waited out the outage go now."""
        self.outbox.reconnected()

    async def close(self) -> None:
        """Stop firing jobs before the connection goes away."""
        if self.jobs is not None and self.jobs.scheduler.running:
            self.jobs.scheduler.shutdown(wait=False)
        await super().close()

    async def sync_commands(self, *, force: bool = False) -> str:
        """Dev guild: copy and sync there (instant). Otherwise sync globally only when the
        command signatures changed since the last sync (hash kept in ``sync_state``)."""
        if self.dev_guild_id is not None:
            guild = discord.Object(id=self.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            await self.tree.sync(guild=guild)
            return f"Synced the commands to server {self.dev_guild_id}."
        digest = command_hash(self.tree)
        if not force and self.sync_state is not None:
            previous = await off_loop(_read_text, self.sync_state)
            if previous == digest and await self._registered_match():
                log.info("Slash commands unchanged; not syncing.")
                return "The commands were already up to date."
        await self.tree.sync()
        if self.sync_state is not None:
            await off_loop(_write_text, self.sync_state, digest)
        return "Synced the commands globally."

    async def _registered_match(self) -> bool:
        """Discord still lists exactly our global command names (one cheap GET; a new
        application or a wiped registration is noticed even when the hash file is current)."""
        try:
            remote = await self.tree.fetch_commands()
        except discord.HTTPException:
            return False
        return {c.name for c in remote} == {c.name for c in self.tree.get_commands()}


def command_hash(tree: app_commands.CommandTree[Any]) -> str:
    """A hash of the global commands' payloads (names, options, permissions)."""
    payload = [cmd.to_dict(tree) for cmd in tree.get_commands()]
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        return None


def _write_text(path: Path, text: str) -> None:
    with contextlib.suppress(OSError):
        path.write_text(text + "\n", encoding="utf-8")


class DigestTree(app_commands.CommandTree[Any]):
    """One error handler for every command: DigestError and failed checks become one ephemeral
    sentence; anything else is logged with its traceback."""

    async def on_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        if isinstance(original, DigestError):
            message = str(original)
        elif isinstance(original, ManageChannelsRequired):
            message = "You need the Manage Channels permission to do that."
        elif isinstance(original, app_commands.NoPrivateMessage):
            message = "This command works in a server, not in direct messages."
        elif isinstance(original, app_commands.CheckFailure):
            message = str(original) or "You are not allowed to use this command."
        elif isinstance(original, app_commands.TransformerError):
            message = f"“{original.value}” is not a valid value for that option."
        else:
            command = interaction.command.qualified_name if interaction.command else "?"
            log.error("Command /%s failed.", command, exc_info=original)
            message = UNEXPECTED
        await answer(interaction, message)


async def answer(interaction: discord.Interaction[Any], message: str) -> None:
    """One ephemeral sentence, whether or not the interaction was deferred."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(
                message, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
            )
        else:
            await interaction.response.send_message(
                message, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
            )
    except discord.HTTPException:
        log.warning("Could not answer an interaction (it may have expired).")
