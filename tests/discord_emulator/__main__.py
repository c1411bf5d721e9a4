"""Run the emulator on its own: `python -m tests.discord_emulator --channels general,news`.

Prints one JSON line (api_base, gateway_url, token, guild_id, channels, application_id) and serves
until interrupted, so `newsdigest run` can be tried by hand with DISCORD_API_BASE_URL=<api_base>.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal

from .server import DiscordEmulator
from .state import MANAGE_CHANNELS, GuildSpec


async def serve(token: str, channels: list[str], guild_name: str) -> None:
    async with DiscordEmulator(token=token, guilds=[GuildSpec(guild_name, tuple(channels))]) as emu:
        admin = await emu.add_member(permissions=MANAGE_CHANNELS, name="admin")
        info = {
            "api_base": emu.api_base,
            "gateway_url": emu.gateway_url,
            "token": emu.token,
            "application_id": str(emu.application_id),
            "guild_id": str(emu.default_guild_id),
            "channels": {name: str(emu.channel_id(name)) for name in channels},
            "admin_user_id": str(admin),
        }
        print(json.dumps(info), flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.discord_emulator")
    parser.add_argument("--token", default="emulator-token")
    parser.add_argument("--channels", default="general", help="comma-separated channel names")
    parser.add_argument("--guild", default="Test Guild", help="guild name")
    args = parser.parse_args()
    names = [c.strip() for c in args.channels.split(",") if c.strip()]
    asyncio.run(serve(args.token, names, args.guild))


if __name__ == "__main__":
    main()
