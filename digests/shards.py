"""Which servers this process owns when several ``newsdigest run`` processes share one database.

Discord puts a server (guild) on shard ``(guild_id >> 22) % shard_count``; a process connects the
shards of its ``ShardSet`` and is the one that posts to those servers' channels and fires their
scheduled digests. Pure: ids are plain ``int`` values (this module never learns about Discord's
client), so the store and the service can use it too.

A row without a known server (``None``) belongs to shard 0, as direct messages do on Discord.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

#: a snowflake's timestamp starts above this many bits (Discord's sharding formula)
SNOWFLAKE_SHIFT = 22


def shard_of(guild_id: int | None, shard_count: int) -> int:
    """The shard a server is on (``None``: no known server, shard 0)."""
    return ((guild_id or 0) >> SNOWFLAKE_SHIFT) % shard_count


@dataclass(frozen=True, slots=True)
class ShardSet:
    """The shards this process owns out of ``count``; ``ids=None`` owns them all (the default:
    one process for every server)."""

    ids: frozenset[int] | None = None
    count: int | None = None

    def __post_init__(self) -> None:
        if self.ids is None:
            return
        if self.count is None or self.count < 1:
            raise ValueError("a set of shards needs the total shard count")
        if not self.ids:
            raise ValueError("a set of shards needs at least one shard")
        outside = sorted(i for i in self.ids if not 0 <= i < self.count)
        if outside:
            raise ValueError(f"shard {outside[0]} is not below the shard count ({self.count})")

    @classmethod
    def of(cls, ids: Iterable[int], count: int) -> ShardSet:
        return cls(frozenset(ids), count)

    @property
    def owns_all(self) -> bool:
        return self.ids is None or self.count is None or len(self.ids) == self.count

    def owns(self, guild_id: int | None) -> bool:
        """Whether this process posts for that server (``None``: no known server, shard 0)."""
        if self.ids is None or self.count is None:
            return True
        return shard_of(guild_id, self.count) in self.ids

    def sorted_ids(self) -> list[int]:
        """The owned shard ids in order (every shard when all are owned and the count is known)."""
        if self.ids is not None:
            return sorted(self.ids)
        return list(range(self.count)) if self.count is not None else []

    def __str__(self) -> str:
        if self.ids is None:
            return "all shards" if self.count is None else f"all {self.count} shards"
        return f"shards {format_shard_ids(self.ids)} of {self.count}"


def parse_shard_ids(text: str) -> frozenset[int]:
    """``0-3``, ``0,2,5`` or a mix (``0-1,4``) as a set of shard ids; ValueError otherwise."""
    ids: set[int] = set()
    for raw in text.split(","):
        part = raw.strip()
        if not part:
            raise ValueError("empty shard range")
        low, sep, high = part.partition("-")
        if not low.strip().isdigit() or (sep and not high.strip().isdigit()):
            raise ValueError(f"not a shard number or range: {part!r}")
        first, last = int(low), int(high) if sep else int(low)
        if last < first:
            raise ValueError(f"a shard range must go upwards: {part!r}")
        ids.update(range(first, last + 1))
    return frozenset(ids)


def format_shard_ids(ids: Iterable[int]) -> str:
    """The shortest ``0-3,5`` spelling of a set of shard ids."""
    runs: list[list[int]] = []
    for shard in sorted(set(ids)):
        if runs and runs[-1][1] == shard - 1:
            runs[-1][1] = shard
        else:
            runs.append([shard, shard])
    return ",".join(str(first) if first == last else f"{first}-{last}" for first, last in runs)
