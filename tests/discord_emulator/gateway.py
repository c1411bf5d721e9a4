"""The gateway websocket: HELLO, IDENTIFY/READY, GUILD_CREATE, heartbeats, RESUME, zlib-stream.

Sessions outlive their websocket: every dispatch is appended to the session's backlog (bounded), so
a RESUME after a drop replays what the bot missed, as Discord does.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from .payloads import guild_create_payload, user_payload
from .state import EmulatorState

JSON = dict[str, Any]
log = logging.getLogger(__name__)

DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE, VOICE_STATE = 0, 1, 2, 3, 4
RESUME, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 6, 9, 10, 11
BACKLOG = 2000
LATE_FACTOR = 1.5  # a heartbeat this many intervals after the previous one is late
INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_MESSAGES = 1 << 9
PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15)  # members, presences, message content
ALWAYS = 0


def intent_for(event: str) -> int:
    """The intent a session needs to receive `event` (0: always sent)."""
    if event.startswith("GUILD_MEMBER"):
        return INTENT_GUILD_MEMBERS
    if event.startswith("MESSAGE_"):
        return INTENT_GUILD_MESSAGES
    if event.startswith(("GUILD_", "CHANNEL_", "THREAD_")):
        return INTENT_GUILDS
    return ALWAYS


@dataclass(slots=True, eq=False)
class Connection:
    """One websocket; its zlib stream lives exactly as long as the socket."""

    ws: web.WebSocketResponse
    compressor: Any | None
    transport: asyncio.Transport | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    last_beat: float | None = None

    async def send(self, payload: JSON) -> None:
        text = json.dumps(payload, separators=(",", ":"))
        async with self.lock:
            if self.ws.closed:
                return
            if self.compressor is None:
                await self.ws.send_str(text)
                return
            chunk = self.compressor.compress(text.encode()) + self.compressor.flush(
                zlib.Z_SYNC_FLUSH
            )
            await self.ws.send_bytes(chunk)


@dataclass(slots=True)
class Session:
    session_id: str
    shard_id: int
    shard_count: int
    intents: int
    seq: int = 0
    backlog: deque[JSON] = field(default_factory=lambda: deque(maxlen=BACKLOG))
    conn: Connection | None = None
    invalid: bool = False

    def handles(self, guild_id: int | None) -> bool:
        if guild_id is None:
            return self.shard_id == 0
        return (guild_id >> 22) % self.shard_count == self.shard_id


@dataclass(frozen=True, slots=True)
class GatewayEvent:
    """What the emulator noticed on the gateway (for tests): kind is identify/resume/... ."""

    kind: str
    session_id: str | None
    detail: str = ""
    at: float = 0.0


class Gateway:
    def __init__(
        self,
        state: EmulatorState,
        *,
        token: str,
        resume_url: Callable[[], str],
        heartbeat_interval_ms: int,
        on_event: Callable[[GatewayEvent], None],
        privileged_intents: int = PRIVILEGED_INTENTS,
        on_heartbeat: Callable[[], None] = lambda: None,
    ) -> None:
        self.privileged_intents = privileged_intents
        self._on_heartbeat = on_heartbeat
        self._state = state
        self._token = token
        self._resume_url = resume_url
        self._interval = heartbeat_interval_ms
        self._on_event = on_event
        self.sessions: dict[str, Session] = {}
        self._connections: set[Connection] = set()
        self._refuse_until = 0.0
        self.max_heartbeat_gap = 0.0
        self._closing: set[asyncio.Task[bool]] = set()
        self.refused = 0

    # ---- fault injection -------------------------------------------------------------------
    def refusing(self) -> bool:
        return time.monotonic() < self._refuse_until

    def refuse(self, seconds: float) -> None:
        self._refuse_until = time.monotonic() + seconds

    async def drop(
        self, *, code: int = 4000, invalidate: bool = False, abrupt: bool = False
    ) -> int:
        """Close every live websocket with `code`; with invalidate, sessions can't resume;
        abrupt aborts the TCP connection instead (no close frame)."""
        conns = list(self._connections)
        if invalidate:
            for session in self.sessions.values():
                session.invalid = True
        if abrupt:
            for conn in conns:
                if conn.transport is not None:
                    conn.transport.abort()
            self._note("drop", None, f"abrupt connections={len(conns)}")
            return len(conns)
        await asyncio.gather(
            *(c.ws.close(code=code, message=b"emulator drop") for c in conns),
            return_exceptions=True,
        )
        self._note("drop", None, f"code={code} connections={len(conns)}")
        return len(conns)

    async def close_all(self) -> None:
        await asyncio.gather(
            *(c.ws.close(code=1001, message=b"emulator shutting down") for c in self._connections),
            return_exceptions=True,
        )

    # ---- queries ---------------------------------------------------------------------------
    def live_sessions(self) -> list[Session]:
        return [s for s in self.sessions.values() if s.conn is not None and not s.invalid]

    # ---- dispatch --------------------------------------------------------------------------
    async def dispatch(self, event: str, data: JSON, *, guild_id: int | None) -> int:
        """Send a DISPATCH to every valid session covering the guild; returns how many got it."""
        delivered = 0
        for session in list(self.sessions.values()):
            if session.invalid or not session.handles(guild_id):
                continue
            needed = intent_for(event)
            if needed and not session.intents & needed:
                continue
            await self._dispatch_to(session, event, data)
            delivered += 1
        return delivered

    async def _dispatch_to(self, session: Session, event: str, data: JSON) -> None:
        session.seq += 1
        payload = {"op": DISPATCH, "t": event, "s": session.seq, "d": data}
        session.backlog.append(payload)
        conn = session.conn
        if conn is not None:
            try:
                await conn.send(payload)
            except (ConnectionError, RuntimeError):
                pass  # the socket died under us; the backlog keeps it for a RESUME

    # ---- the websocket handler -------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        if self.refusing():
            self.refused += 1
            self._note("refused", None)
            return web.json_response({"message": "gateway unavailable", "code": 0}, status=503)
        compress = request.query.get("compress")
        encoding = request.query.get("encoding", "json")
        ws = web.WebSocketResponse(timeout=5.0, autoping=True, compress=False, max_msg_size=0)
        await ws.prepare(request)
        if encoding != "json" or compress not in (None, "", "zlib-stream"):
            await ws.close(code=4002, message=b"unsupported encoding or compression")
            return ws
        compressor = zlib.compressobj() if compress == "zlib-stream" else None
        self._note("connect", None, f"compress={compress or 'none'}")
        transport = request.transport if isinstance(request.transport, asyncio.Transport) else None
        conn = Connection(ws=ws, compressor=compressor, transport=transport)
        self._connections.add(conn)
        session: Session | None = None
        try:
            await conn.send({"op": HELLO, "d": {"heartbeat_interval": self._interval}})
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    if msg.type is WSMsgType.BINARY:
                        await ws.close(code=4002, message=b"binary frames are not supported")
                    break
                try:
                    payload = json.loads(msg.data)
                    op = payload["op"]
                except (ValueError, KeyError, TypeError):
                    await ws.close(code=4002, message=b"decode error")
                    break
                session = await self._on_op(conn, session, op, payload.get("d"))
                if ws.closed:
                    break
        finally:
            self._connections.discard(conn)
            if session is not None and session.conn is conn:
                session.conn = None
            self._note(
                "disconnect", session.session_id if session else None, f"code={ws.close_code}"
            )
        return ws

    async def _on_op(
        self, conn: Connection, session: Session | None, op: int, data: Any
    ) -> Session | None:
        if op == HEARTBEAT:
            self._heartbeat(conn, session)
            await conn.send({"op": HEARTBEAT_ACK, "d": None})
            return session
        if op == IDENTIFY:
            if session is not None:
                await conn.ws.close(code=4005, message=b"Already authenticated.")
                return session
            return await self._identify(conn, data)
        if op == RESUME:
            if session is not None:
                await conn.ws.close(code=4005, message=b"Already authenticated.")
                return session
            return await self._resume(conn, data)
        if session is None:
            await conn.ws.close(code=4003, message=b"Not authenticated.")
            return None
        if op not in (PRESENCE, VOICE_STATE):  # REQUEST_MEMBERS (8) is not emulated either
            await conn.ws.close(code=4001, message=b"Unknown opcode.")
        return session

    def _heartbeat(self, conn: Connection, session: Session | None) -> None:
        """Measure the gap between heartbeats; a late one means the client's loop was blocked."""
        now = time.monotonic()
        if conn.last_beat is not None:
            gap = now - conn.last_beat
            self.max_heartbeat_gap = max(self.max_heartbeat_gap, gap)
            if gap > self._interval / 1000 * LATE_FACTOR:
                sid = session.session_id if session else None
                self._note("heartbeat-late", sid, f"gap={gap:.3f}s interval={self._interval}ms")
        conn.last_beat = now
        self._on_heartbeat()

    def _token_ok(self, data: Any) -> bool:
        return isinstance(data, dict) and data.get("token") == self._token

    async def _identify(self, conn: Connection, data: Any) -> Session | None:
        if not self._token_ok(data):
            self._note("bad-token", None)
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return None
        intents = int(data.get("intents", 0))
        if intents & PRIVILEGED_INTENTS & ~self.privileged_intents:
            self._note("disallowed-intents", None, f"intents={intents}")
            await conn.ws.close(code=4014, message=b"Disallowed intent(s).")
            return None
        shard = data.get("shard") or [0, 1]
        shard_id, shard_count = int(shard[0]), int(shard[1])
        if shard_count < 1 or not 0 <= shard_id < shard_count:
            await conn.ws.close(code=4010, message=b"Invalid shard.")
            return None
        session = Session(
            session_id=secrets.token_hex(16),
            shard_id=shard_id,
            shard_count=shard_count,
            intents=intents,
            conn=conn,
        )
        self.sessions[session.session_id] = session
        guilds = [g for g in self._state.guilds.values() if session.handles(g.id)]
        ready = {
            "v": 10,
            "user": user_payload(self._state.bot_user),
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": self._resume_url(),
            "shard": [shard_id, shard_count],
            "application": {"id": str(self._state.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "user_settings": {},
            "geo_ordered_rtc_regions": [],
            "auth": {},
            "_trace": ["discord-emulator"],
        }
        await self._dispatch_to(session, "READY", ready)
        for guild in guilds:
            await self._dispatch_to(
                session, "GUILD_CREATE", guild_create_payload(self._state, guild)
            )
        self._note("identify", session.session_id, f"shard={shard_id}/{shard_count}")
        return session

    async def _resume(self, conn: Connection, data: Any) -> Session | None:
        if not self._token_ok(data):
            self._note("bad-token", None)
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return None
        session = self.sessions.get(str(data.get("session_id")))
        seq = data.get("seq")
        if session is not None and session.conn is not None and not session.invalid:
            stale = session.conn  # a half-open socket the client gave up on: Discord drops it
            session.conn = None
            closing = asyncio.create_task(
                stale.ws.close(code=4000, message=b"Session resumed elsewhere.")
            )
            self._closing.add(closing)  # don't wait for that client's close frame
            closing.add_done_callback(self._closing.discard)
        if session is None or session.invalid or seq is None:
            self._note("invalid-session", None)
            await conn.send({"op": INVALID_SESSION, "d": False})
            return None
        missed = [p for p in session.backlog if int(p["s"]) > int(seq)]
        if int(seq) < session.seq and (not missed or int(missed[0]["s"]) != int(seq) + 1):
            self._note("invalid-session", session.session_id, "backlog exhausted")
            await conn.send({"op": INVALID_SESSION, "d": False})
            return None
        session.conn = conn
        for payload in missed:
            await conn.send(payload)
        await self._dispatch_to(session, "RESUMED", {"_trace": ["discord-emulator"]})
        self._note("resume", session.session_id, f"replayed={len(missed)}")
        return session

    def _note(self, kind: str, session_id: str | None, detail: str = "") -> None:
        self._on_event(GatewayEvent(kind, session_id, detail, time.monotonic()))
