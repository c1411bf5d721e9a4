"""``/admin sync``: owner-only command tree sync (RoboDanny's pattern), for when the commands
changed but the automatic check did not notice, or to push them to the dev server again."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.exts.common import bot_of, reply


class Admin(commands.Cog):
    admin = app_commands.Group(
        name="admin",
        description="Bot owner tools",
        default_permissions=discord.Permissions(administrator=True),
    )

    @admin.command(name="sync", description="Sync the slash commands with Discord (bot owner only)")
    async def sync(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        bot = bot_of(interaction)
        if not await bot.is_owner(interaction.user):
            raise app_commands.CheckFailure("Only the bot's owner can sync its commands.")
        await reply(interaction, await bot.sync_commands(force=True))


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Admin())
