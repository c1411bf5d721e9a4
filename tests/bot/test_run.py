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

from tests.bot.harness import MANAGE_CHANNELS, START, article
from tests.builders import Item, rss
from tests.discord_emulator import DiscordEmulator
from tests.feedserver import FeedServer

TOKEN = "run.test.token-ABCDEFGHIJKLMNOP"
REPO = Path(__file__).resolve().parents[2]
ITEM = Item(
    guid="one",
    title="Ferry timetable extended into the winter",
    paragraphs=article("ferry", "Jane Smith"),
    published=START,
)


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


async def spawn(
    env: dict[str, str], cwd: Path, args: tuple[str, ...] = ("-m", "bot")
) -> asyncio.subprocess.Process:
    """The service as a child process; its stderr goes to ``cwd/stderr.log`` (a file, so a
    chatty DEBUG log can never fill a pipe and block it)."""
    with (cwd / "stderr.log").open("wb") as log:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            *args,
            env={**env, "PYTHONFAULTHANDLER": "1"},
            cwd=cwd,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=log,
        )


async def finish(proc: asyncio.subprocess.Process, cwd: Path, timeout: float) -> str:
    """Wait for the child to exit; on a hang, dump its threads (SIGABRT) and fail."""
    try:
        await asyncio.wait_for(proc.wait(), timeout)
    except TimeoutError:
        proc.send_signal(signal.SIGABRT)
        await proc.wait()
        pytest.fail(f"no exit within {timeout} s: {(cwd / 'stderr.log').read_text()[-6000:]}")
    return (cwd / "stderr.log").read_text()


@pytest.mark.slow  # over 2 s of real waiting or CPU
async def test_rejected_token_is_one_sentence(tmp_path: Path) -> None:
    async with DiscordEmulator(token=TOKEN) as emu:
        proc = await spawn(env_for(emu, tmp_path, "wrong-token"), tmp_path)
        text = await finish(proc, tmp_path, 60)
    assert proc.returncode == 1
    assert "Traceback" not in text
    last = text.strip().splitlines()[-1]
    assert last == "newsdigest: Discord rejected DISCORD_TOKEN; check the bot token."
    assert "wrong-token" not in text


@pytest.mark.slow  # over 2 s of real waiting or CPU
async def test_run_uses_the_db_option_not_the_environment(tmp_path: Path) -> None:
    chosen = tmp_path / "chosen.db"
    async with DiscordEmulator(token=TOKEN) as emu:
        args = ("-m", "bot.cli", "--db", str(chosen), "run")
        proc = await spawn(env_for(emu, tmp_path, "wrong-token"), tmp_path, args)
        await finish(proc, tmp_path, 60)
    assert proc.returncode == 1
    assert chosen.is_file() and not (tmp_path / "run.db").exists()


@pytest.mark.slow
async def test_runs_against_base_url_and_stops_on_sigterm(tmp_path: Path) -> None:
    async with DiscordEmulator(token=TOKEN) as emu, FeedServer() as feeds:
        feeds.add(
            "/feed.xml",
            rss("Example Gazette", [ITEM], link=feeds.url("/site")),
            content_type="application/rss+xml",
        )
        env = env_for(emu, tmp_path, TOKEN)
        env["NEWSDIGEST_ALLOW_PRIVATE_URLS"] = "true"
        proc = await spawn(env, tmp_path)
        try:
            await emu.wait_until(lambda: bool(emu.commands()), timeout=60, what="commands synced")
            await emu.wait_connected(timeout=30)
        except BaseException:
            proc.kill()
            await proc.wait()
            pytest.fail(
                f"the service did not start: {(tmp_path / 'stderr.log').read_text()[-2000:]}"
            )
        # the real process answers a slash command and its outbox posts the backfill
        url = feeds.url("/feed.xml")
        manager = await emu.add_member(permissions=MANAGE_CHANNELS)
        general = emu.channel_id("general")
        handle = await emu.send_slash_command(
            emu.default_guild_id,
            general,
            manager,
            "feed",
            "add",
            {"url": url, "mode": "live", "backfill": 1},
        )
        answer = await handle.wait_response(timeout=30)
        assert "Example Gazette" in answer.text, answer.text
        posted = await emu.wait_for_messages(general, 1, timeout=30)
        assert posted[0].request["allowed_mentions"]["parse"] == []
        proc.send_signal(signal.SIGTERM)
        text = await finish(proc, tmp_path, 30)
        gateway_asked = any(r.path == "/gateway/bot" for r in emu.requests)
    assert proc.returncode == 0, text[-2000:]
    assert gateway_asked
    assert TOKEN not in text
    assert "Traceback" not in text
    assert {c["name"] for c in emu.commands()} >= {"feed", "digest", "story", "status"}
    assert (tmp_path / "run.db").exists()
