"""Subscription filters and post options (style, ping): stored here, decided in digests.filters."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from digests.errors import InputError
from digests.model import Filter, FilterField, FilterKind, Mode, PostRules, Style
from digests.store.base import Conn, StoreBase, storage_errors, ts


class FiltersMixin(StoreBase):
    @storage_errors
    def add_filter(
        self,
        *,
        guild_id: int,
        subscription_id: int,
        kind: FilterKind,
        pattern: str,
        regex: bool,
        field: FilterField,
        ping_role_id: int | None,
        now: datetime,
        limit: int,
    ) -> Filter | None:
        """Store a filter of one of the server's subscriptions; None when it has no such
        subscription. Raises InputError when the subscription already has ``limit`` filters
        (counted and written in one transaction)."""
        with self._write() as conn:
            if not _owned(conn, guild_id, subscription_id):
                return None
            count = conn.execute(
                "SELECT COUNT(*) FROM filters WHERE subscription_id = ?", (subscription_id,)
            ).fetchone()[0]
            if int(count) >= limit:
                raise InputError(
                    f"That subscription has {limit} filters already; remove one first."
                )
            filter_id = int(
                conn.execute(
                    """
                    INSERT INTO filters(subscription_id, kind, pattern, regex, field,
                        ping_role_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                    RETURNING filter_id
                    """,
                    (subscription_id, kind, pattern, int(regex), field, ping_role_id, ts(now)),
                ).fetchone()[0]
            )
        return Filter(
            filter_id=filter_id,
            subscription_id=subscription_id,
            kind=kind,
            pattern=pattern,
            regex=regex,
            field=field,
            ping_role_id=ping_role_id,
        )

    @storage_errors
    def remove_filter(self, guild_id: int, filter_id: int) -> Filter | None:
        """Delete one of the server's filters; the filter, or None when it has no such one."""
        with self._write() as conn:
            found = _filter_rows(
                conn,
                "f.filter_id = ? AND s.guild_id = ?",
                (filter_id, guild_id),
            )
            if not found:
                return None
            conn.execute("DELETE FROM filters WHERE filter_id = ?", (filter_id,))
        return found[0]

    @storage_errors
    def filters(self, guild_id: int, subscription_id: int) -> list[Filter]:
        """The filters of one of the server's subscriptions, oldest first."""
        return _filter_rows(
            self._conn(), "s.subscription_id = ? AND s.guild_id = ?", (subscription_id, guild_id)
        )

    @storage_errors
    def feed_rules(self, feed_id: int, mode: Mode) -> list[PostRules]:
        """What decides the posts of each subscription of the feed in ``mode``."""
        return _rules(self._conn(), "s.feed_id = ? AND s.mode = ?", (feed_id, mode))

    @storage_errors
    def channel_rules(self, channel_id: int) -> dict[str, PostRules]:
        """The channel's digest-mode subscriptions' rules, by feed URL."""
        conn = self._conn()
        found = conn.execute(
            """
            SELECT s.subscription_id, f.url FROM subscriptions s
            JOIN feeds f ON f.feed_id = s.feed_id
            WHERE s.channel_id = ? AND s.mode = 'digest'
            """,
            (channel_id,),
        ).fetchall()
        urls = {int(r[0]): str(r[1]) for r in found}
        rules = _rules(conn, "s.channel_id = ? AND s.mode = 'digest'", (channel_id,))
        return {urls[r.subscription_id]: r for r in rules if r.subscription_id in urls}


def _owned(conn: Conn, guild_id: int, subscription_id: int) -> bool:
    # locked: the subscription's filter count holds until commit
    lock = conn.for_update
    sql = f"SELECT 1 FROM subscriptions WHERE subscription_id = ? AND guild_id = ?{lock}"  # noqa: S608
    row = conn.execute(sql, (subscription_id, guild_id)).fetchone()
    return row is not None


def _filter_rows(conn: Conn, where: str, params: Sequence[Any]) -> list[Filter]:
    found = conn.execute(
        f"""
        SELECT f.filter_id, f.subscription_id, f.kind, f.pattern, f.regex, f.field,
               f.ping_role_id
        FROM filters f JOIN subscriptions s ON s.subscription_id = f.subscription_id
        WHERE {where} ORDER BY f.filter_id
        """,  # noqa: S608 - ``where`` is one of our own constant clauses
        params,
    ).fetchall()
    return [
        Filter(
            filter_id=int(r[0]),
            subscription_id=int(r[1]),
            kind=cast(FilterKind, r[2]),
            pattern=str(r[3]),
            regex=bool(r[4]),
            field=cast(FilterField, r[5]),
            ping_role_id=int(r[6]) if r[6] is not None else None,
        )
        for r in found
    ]


def _rules(conn: Conn, where: str, params: Sequence[Any]) -> list[PostRules]:
    subs = conn.execute(
        f"""
        SELECT s.subscription_id, s.channel_id, s.style, s.ping_role_id FROM subscriptions s
        WHERE {where} ORDER BY s.subscription_id
        """,  # noqa: S608 - ``where`` is one of our own constant clauses
        params,
    ).fetchall()
    if not subs:
        return []
    ids = [int(r[0]) for r in subs]
    marks = ",".join("?" * len(ids))
    by_sub: dict[int, list[Filter]] = {sid: [] for sid in ids}
    for rule in _filter_rows(conn, f"f.subscription_id IN ({marks})", ids):
        by_sub[rule.subscription_id].append(rule)
    return [
        PostRules(
            subscription_id=int(r[0]),
            channel_id=int(r[1]),
            style=cast(Style, r[2]),
            ping_role_id=int(r[3]) if r[3] is not None else None,
            filters=tuple(by_sub[int(r[0])]),
        )
        for r in subs
    ]
