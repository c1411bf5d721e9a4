"""Secrets and storage: the token never appears in logs or error messages (the real service as a
subprocess at DEBUG level against the Discord emulator, its whole output scanned); the database is
in WAL mode with an integrity check at start; a locked, corrupt or foreign database file ends in
one clear sentence (CLI and ``newsdigest run``)."""

from __future__ import annotations

import asyncio
import contextlib
import random
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from digests.errors import StorageError
from digests.store import Store
from tests.builders import rss
from tests.discord_emulator import DiscordEmulator, GuildSpec
from tests.faults.helpers import assert_one_sentence, item
from tests.faults.netmatrix import run_cli
from tests.faults.proc import TOKEN, ServiceProcess, service_environment
from tests.feedserver import FeedServer

MANAGE_CHANNELS = 1 << 4
WAIT = 30.0
TOKEN_PARTS = [p for p in TOKEN.split(".") if len(p) >= 8]


def assert_no_token(text: str) -> None:
    assert TOKEN not in text
    for part in TOKEN_PARTS:
        assert part not in text, f"a piece of the token leaked: {part}"


def last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


# --- the token ----------------------------------------------------------------------------------
@pytest.mark.slow  # the real service as a subprocess, ~10 s
async def test_token_never_appears_in_a_debug_run_with_errors(tmp_path: Path) -> None:
    spec = GuildSpec("Secret Society", ("general", "news"))
    async with DiscordEmulator(token=TOKEN, guilds=[spec]) as emu, FeedServer() as feeds:
        feeds.add("/ok.xml", rss("Fine Feed", [item(1), item(2)]))
        feeds.status("/broken.xml", 500)
        manager = await emu.add_member(permissions=MANAGE_CHANNELS)
        general, news = emu.channel_id("general"), emu.channel_id("news")
        proc = ServiceProcess(
            env=service_environment(
                emu,
                tmp_path / "secret.db",
                NEWSDIGEST_LOG_LEVEL="DEBUG",
                NEWSDIGEST_DEV_GUILD_ID=str(emu.default_guild_id),
            ),
            log=tmp_path / "service.log",
            cwd=tmp_path,
        )
        answers: list[str] = []
        try:
            await proc.start()
            await emu.wait_until(lambda: bool(emu.commands(emu.default_guild_id)), WAIT)
            await emu.wait_connected(WAIT)

            async def command(sub: str, options: dict[str, object]) -> str:
                handle = await emu.send_slash_command(
                    emu.default_guild_id, general, manager, name="feed", subcommand=sub,
                    options=options,
                )  # fmt: skip
                result = await handle.wait_response(timeout=WAIT)
                answers.append(result.text)
                return result.text

            # (private addresses are allowed in this run, for the loopback feeds: a scheme is
            # refused whatever the setting, and no request leaves the machine)
            refused = await command("add", {"url": "ftp://files.example.com/feed.xml"})
            assert "ftp" in refused
            await command("add", {"url": feeds.url("/broken.xml")})
            # a post that fails with 500s first, then goes through
            emu.set_rest_fault(500, count=2, path=r"^/channels/\d+/messages$", methods=["POST"])
            await command("add", {"url": feeds.url("/ok.xml"), "channel": news, "backfill": 2})
            await emu.wait_for_messages(news, 2, timeout=WAIT)
            # a gateway drop and reconnect
            await emu.drop_gateway(refuse_for=0.5)
            await emu.wait_until(
                lambda: sum(e.kind in ("identify", "resume") for e in emu.gateway_events) >= 2,
                WAIT,
            )
        finally:
            code = await proc.stop()
        assert code == 0
        output = proc.output()
        assert "INFO" in output  # the log was captured (the scan below is not vacuous)
        assert_no_token(output)
        for answer in answers:
            assert_no_token(answer)
        for message in emu.all_messages():
            assert_no_token(str(message.request))


@pytest.mark.slow  # a subprocess start, ~3 s
async def test_a_rejected_token_is_one_sentence_without_the_token(tmp_path: Path) -> None:
    async with DiscordEmulator(token="the-real-token") as emu:
        proc = ServiceProcess(
            env=service_environment(emu, tmp_path / "x.db", NEWSDIGEST_LOG_LEVEL="DEBUG"),
            log=tmp_path / "service.log",
            cwd=tmp_path,
        )
        await proc.start()
        code = await proc.wait(WAIT)
        output = proc.output()
    assert code == 1
    assert_no_token(output)
    line = last_line(output)
    assert line.startswith("newsdigest: ") and "DISCORD_TOKEN" in line
    assert_one_sentence(line.removeprefix("newsdigest: "))
    assert "Traceback" not in output


# --- storage ------------------------------------------------------------------------------------
def test_database_is_in_wal_mode_and_survives_reopening(tmp_path: Path) -> None:
    db = tmp_path / "wal.db"
    store = Store(db)
    store.close()
    with contextlib.closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    Store(db).close()  # migrations twice: a no-op


def corrupt(db: Path, seed: int = 3) -> None:
    """Overwrite the middle of the file (past the header page) with random bytes."""
    data = bytearray(db.read_bytes())
    assert len(data) > 4 * 4096, len(data)
    rng = random.Random(seed)
    for page in range(1, len(data) // 4096):
        start = page * 4096 + 8
        data[start : start + 64] = rng.randbytes(64)
    db.write_bytes(bytes(data))


def filled_db(tmp_path: Path) -> Path:
    db = tmp_path / "filled.db"
    store = Store(db)
    try:
        for n in range(30):
            store.ensure_feed(f"https://news.example/{n}.xml" + "x" * 300, _now(n))
    finally:
        store.close()
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
    return db


def _now(n: int):  # type: ignore[no-untyped-def]
    from tests.faults.helpers import START

    return START + timedelta(minutes=n)


@pytest.fixture
def corrupt_db(tmp_path: Path) -> Path:
    db = filled_db(tmp_path)
    corrupt(db)
    return db


@pytest.fixture
def foreign_db(tmp_path: Path) -> Path:
    db = tmp_path / "foreign.db"
    db.write_bytes(random.Random(9).randbytes(64 * 1024))
    return db


@pytest.mark.parametrize("kind", ["corrupt", "foreign"])
def test_a_bad_database_is_one_sentence_at_open(kind: str, request: pytest.FixtureRequest) -> None:
    db: Path = request.getfixturevalue(f"{kind}_db")
    with pytest.raises(StorageError) as caught:
        Store(db)
    assert_one_sentence(caught.value.message)
    assert "database" in caught.value.message


@pytest.mark.parametrize("kind", ["corrupt", "foreign"])
def test_cli_digest_with_a_bad_database_is_one_sentence(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    db: Path = request.getfixturevalue(f"{kind}_db")
    feed = tmp_path / "feed.xml"
    feed.write_bytes(rss("Local", [item(1)]))
    run = run_cli(["digest", str(feed), "--db", str(db)])
    assert run.status == 1
    assert run.err.count("\n") == 1 and run.err.startswith("newsdigest: ")
    assert_one_sentence(run.err.strip().removeprefix("newsdigest: "))


@contextlib.contextmanager
def locked(db: Path) -> Iterator[None]:
    """Another program holds the database exclusively (rollback-journal mode)."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("CREATE TABLE IF NOT EXISTS other_program(x)")
        yield
    finally:
        conn.close()


def test_a_locked_database_is_one_sentence(tmp_path: Path) -> None:
    db = tmp_path / "locked.db"
    with locked(db), pytest.raises(StorageError) as caught:
        Store(db, busy_timeout_ms=200)
    assert "locked" in caught.value.message
    assert_one_sentence(caught.value.message)


@pytest.mark.slow  # two subprocess runs, one waits out the busy timeout
async def test_run_with_a_corrupt_or_locked_database_ends_in_one_sentence(
    tmp_path: Path, corrupt_db: Path
) -> None:
    async with DiscordEmulator(token=TOKEN) as emu:
        outputs = []
        for name, db in (("corrupt", corrupt_db), ("locked", tmp_path / "locked.db")):
            proc = ServiceProcess(
                env=service_environment(emu, db),
                log=tmp_path / f"{name}.log",
                cwd=tmp_path,
            )
            with locked(db) if name == "locked" else contextlib.nullcontext():
                await proc.start()
                code = await proc.wait(WAIT)
            outputs.append(proc.output())
            assert code == 1, proc.output()
    for output in outputs:
        assert "Traceback" not in output
        line = last_line(output)
        assert line.startswith("newsdigest: "), output
        assert_one_sentence(line.removeprefix("newsdigest: "))
        assert "database" in line
        assert_no_token(output)
    assert "locked" in last_line(outputs[1])


async def test_a_database_locked_while_running_does_not_lose_posts(tmp_path: Path) -> None:
    """A writer holding the lock for a moment (shorter than the busy timeout) only delays work."""
    db = tmp_path / "busy.db"
    store = Store(db)
    try:
        conn = sqlite3.connect(db, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        loop = asyncio.get_running_loop()
        loop.call_later(0.5, conn.execute, "COMMIT")
        feed = await asyncio.to_thread(store.ensure_feed, "https://news.example/x.xml", _now(0))
        assert feed.url == "https://news.example/x.xml"
        conn.close()
    finally:
        store.close()


@pytest.mark.slow  # waits out the app's 5 s SQLite busy timeout
async def test_a_command_while_the_database_is_locked_is_one_sentence(tmp_path: Path) -> None:
    from tests.faults.discordworld import world

    async with world(tmp_path) as w:
        url = w.serve("/a.xml", "Alpha", [item(1)])
        conn = sqlite3.connect(tmp_path / "newsdigest.db", isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")  # another program writes for a long while
            result = await w.command("feed", "add", {"url": url})
            text = result.content or ""
            assert "locked" in text, text
            assert_one_sentence(text)
            assert_no_token(text)
            status = await w.command("status", None, {})  # reads still work (WAL)
            assert "locked" not in (status.content or "")
        finally:
            conn.close()
        again = await w.command("feed", "add", {"url": url})
        assert "Subscribed" in again.text


@pytest.mark.slow  # a subprocess start, ~3 s
async def test_an_unreachable_discord_is_one_sentence_without_the_token(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = sock.getsockname()[1]
    async with DiscordEmulator(token=TOKEN) as emu:
        env = service_environment(emu, tmp_path / "x.db", NEWSDIGEST_LOG_LEVEL="DEBUG")
        env["DISCORD_API_BASE_URL"] = f"http://127.0.0.1:{dead}/api/v10"
        proc = ServiceProcess(env=env, log=tmp_path / "service.log", cwd=tmp_path)
        await proc.start()
        code = await proc.wait(WAIT)
    output = proc.output()
    assert code == 1
    assert_no_token(output)
    line = last_line(output)
    assert line.startswith("newsdigest: could not start: "), output
    assert_one_sentence(line.removeprefix("newsdigest: "))
