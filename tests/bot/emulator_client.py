"""Run a discord.py client against a DiscordEmulator inside the test's event loop.

    async with DiscordEmulator(token=TOKEN) as emu, running_client(emu, bot):
        ...  # bot is ready (READY + GUILD_CREATEs processed)

`discord_endpoints(emu)` points discord.py's class-level endpoints (REST `Route.BASE` and the
gateway `DiscordWebSocket.DEFAULT_GATEWAY`) at the emulator and restores them afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import TypeVar

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from tests.discord_emulator import DiscordEmulator

ClientT = TypeVar("ClientT", bound=discord.Client)


@contextlib.contextmanager
def discord_endpoints(api_base: str, gateway_url: str | None = None) -> Iterator[None]:
    """Point discord.py at another Discord for the duration (restores the class attributes)."""
    old_base, old_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    Route.BASE = api_base
    if gateway_url is not None:
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
    try:
        yield
    finally:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = old_base, old_gateway


async def wait_ready(client: discord.Client, task: asyncio.Task[None], timeout: float) -> None:
    """Wait until the client is ready; re-raise if its task ended first (bad token, ...)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not client.is_ready():
        if task.done():
            task.result()  # raises the client's failure
            raise RuntimeError("the client stopped before it was ready")
        if loop.time() > deadline:
            raise TimeoutError(f"the client was not ready within {timeout}s")
        await asyncio.sleep(0.01)  # a short poll on the client's own state, not a schedule


async def stop_client(
    client: discord.Client, task: asyncio.Task[None], timeout: float = 10.0
) -> None:
    """Close the client and wait (bounded) for its task to finish."""
    with contextlib.suppress(Exception):
        await asyncio.wait_for(client.close(), timeout)
    if not task.done():
        try:
            await asyncio.wait_for(task, timeout)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        except Exception:  # noqa: S110 - the client's own failure was reported by wait_ready
            pass


@contextlib.asynccontextmanager
async def running_client(
    emu: DiscordEmulator,
    client: ClientT,
    *,
    token: str | None = None,
    ready_timeout: float = 15.0,
    set_default_gateway: bool = True,
) -> AsyncIterator[ClientT]:
    """Start `client` against `emu`, wait until ready, and stop it cleanly afterwards."""
    gateway = emu.gateway_url if set_default_gateway else None
    with discord_endpoints(emu.api_base, gateway):
        task = asyncio.create_task(client.start(token or emu.token))
        try:
            await wait_ready(client, task, ready_timeout)
            yield client
        finally:
            await stop_client(client, task)
