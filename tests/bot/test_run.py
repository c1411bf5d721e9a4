"""`python -m bot` (= `newsdigest run`) as a real process against the loopback Discord emulator:
DISCORD_API_BASE_URL is honoured for REST and the gateway, a rejected token ends with one sentence,
SIGTERM stops the service cleanly, and the token never appears in the logs."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from tests.discord_emulator import DiscordEmulator

TOKEN = "run.test.token-ABCDEFGHIJKLMNOP"
REPO = Path(__file__).resolve().parents[2]


def env_for(emu: DiscordEmulator, tmp_path: Path, token: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSDIGEST_", "DISCORD_"))}
    env.update(
        DISCORD_TOKEN=token,
        DISCORD_API_BASE_URL=emu.api_base,
        NEWSDIGEST_DB=str(tmp_path / "run.db"),
        NEWSDIGEST_LOG_LEVEL="DEBUG",
        PYTHONPATH=str(REPO),
    )
    return env


async def spawn(env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_rejected_token_is_one_sentence(tmp_path: Path) -> None:
    async with DiscordEmulator(token=TOKEN) as emu:
        proc = await spawn(env_for(emu, tmp_path, "wrong-token"), tmp_path)
        _, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 1
    text = err.decode()
    assert "Traceback" not in text
    last = text.strip().splitlines()[-1]
    assert last == "newsdigest: Discord rejected DISCORD_TOKEN; check the bot token."
    assert "wrong-token" not in text


@pytest.mark.slow
async def test_runs_against_base_url_and_stops_on_sigterm(tmp_path: Path) -> None:
    async with DiscordEmulator(token=TOKEN) as emu:
        proc = await spawn(env_for(emu, tmp_path, TOKEN), tmp_path)
        try:
            await emu.wait_until(lambda: bool(emu.commands()), timeout=60, what="commands synced")
            await emu.wait_connected(timeout=30)
        except BaseException:
            proc.kill()
            _, err = await proc.communicate()
            pytest.fail(f"the service did not start: {err.decode()[-2000:]}")
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), timeout=30)
        gateway_asked = any(r.path == "/gateway/bot" for r in emu.requests)
    text = err.decode()
    assert proc.returncode == 0, text[-2000:]
    assert gateway_asked
    assert TOKEN not in text
    assert "Traceback" not in text
    assert {c["name"] for c in emu.commands()} >= {"feed", "digest", "story", "status"}
    assert (tmp_path / "run.db").exists()
