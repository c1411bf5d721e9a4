"""Digest schedules (one per channel) and the record of scheduled periods already run."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from digests.model import Day, Schedule
from digests.store.base import StoreBase, dt, req_dt, storage_errors, ts


class SchedulesMixin(StoreBase):
    @storage_errors
    def set_schedule(
        self,
        *,
        guild_id: int,
        channel_id: int,
        hour: int,
        minute: int,
        timezone: str,
        now: datetime,
        day: Day = "daily",
    ) -> Schedule:
        with self._write() as conn:
            conn.execute(
                """
                INSERT INTO schedules(guild_id, channel_id, hour, minute, timezone, day,
                    created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(channel_id) DO UPDATE SET guild_id = excluded.guild_id,
                    hour = excluded.hour, minute = excluded.minute, timezone = excluded.timezone,
                    day = excluded.day
                """,
                (guild_id, channel_id, hour, minute, timezone, day, ts(now)),
            )
        found = self._schedules("channel_id = ?", (channel_id,))
        return found[0]

    @storage_errors
    def remove_schedule(self, channel_id: int) -> Schedule | None:
        found = self._schedules("channel_id = ?", (channel_id,))
        if not found:
            return None
        with self._write() as conn:
            conn.execute("DELETE FROM schedules WHERE channel_id = ?", (channel_id,))
        return found[0]

    @storage_errors
    def schedules(self) -> list[Schedule]:
        return self._schedules("1 = 1", ())

    @storage_errors
    def schedule(self, schedule_id: int) -> Schedule | None:
        found = self._schedules("schedule_id = ?", (schedule_id,))
        return found[0] if found else None

    @storage_errors
    def channel_schedule(self, channel_id: int) -> Schedule | None:
        found = self._schedules("channel_id = ?", (channel_id,))
        return found[0] if found else None

    @storage_errors
    def last_run(self, schedule_id: int) -> datetime | None:
        found = self._read(
            "SELECT MAX(period_end) AS at FROM digest_runs WHERE schedule_id = ?", (schedule_id,)
        )
        return dt(found[0]["at"]) if found else None

    def _schedules(self, where: str, params: Sequence[Any]) -> list[Schedule]:
        found = self._read(
            f"SELECT * FROM schedules WHERE {where} ORDER BY schedule_id",  # noqa: S608
            params,
        )
        return [
            Schedule(
                schedule_id=int(r["schedule_id"]),
                guild_id=int(r["guild_id"]),
                channel_id=int(r["channel_id"]),
                hour=int(r["hour"]),
                minute=int(r["minute"]),
                timezone=str(r["timezone"]),
                created_at=req_dt(r["created_at"]),
                day=cast(Day, r["day"]),
            )
            for r in found
        ]
