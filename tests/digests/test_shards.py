"""ShardSet: which servers a process owns, by Discord's formula ``(guild_id >> 22) % count``."""

from __future__ import annotations

import pytest

from digests.shards import ShardSet, format_shard_ids, parse_shard_ids, shard_of


def guild_on(shard: int, count: int, n: int = 1) -> int:
    """A guild id whose timestamp bits put it on ``shard`` (``n`` varies the id)."""
    return ((n * count + shard) << 22) | 12345


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("0-3", {0, 1, 2, 3}),
        ("0,2,5", {0, 2, 5}),
        ("0-1, 4", {0, 1, 4}),
        ("7", {7}),
        ("2-2", {2}),
    ],
)
def test_parse_shard_ids(text: str, ids: set[int]) -> None:
    assert parse_shard_ids(text) == ids
    assert parse_shard_ids(format_shard_ids(ids)) == ids


@pytest.mark.parametrize("text", ["", "a", "3-1", "1,,2", "-1", "1-", "0x2", "1.5"])
def test_bad_shard_ids(text: str) -> None:
    with pytest.raises(ValueError):
        parse_shard_ids(text)


def test_format_is_short() -> None:
    assert format_shard_ids({5, 0, 1, 2, 3}) == "0-3,5"
    assert format_shard_ids({4}) == "4"


def test_shard_of_follows_discords_formula() -> None:
    assert shard_of(guild_on(5, 6), 6) == 5
    assert shard_of(guild_on(0, 6, n=3), 6) == 0
    # a real-looking snowflake: 2015-era guild id on 8 shards
    assert shard_of(81384788765712384, 8) == 2  # (id >> 22) % 8
    assert shard_of(None, 6) == 0  # no known server: shard 0, like direct messages


def test_a_set_owns_its_shards_guilds_only() -> None:
    mine = ShardSet.of([2, 3], 6)
    assert all(mine.owns(guild_on(s, 6, n)) for s in (2, 3) for n in range(1, 5))
    assert not any(mine.owns(guild_on(s, 6, n)) for s in (0, 1, 4, 5) for n in range(1, 5))
    assert not mine.owns(None)
    assert ShardSet.of([0], 6).owns(None)
    assert not mine.owns_all
    assert str(mine) == "shards 2-3 of 6"


def test_the_default_owns_everything() -> None:
    everything = ShardSet()
    assert everything.owns_all
    assert everything.owns(guild_on(5, 6)) and everything.owns(None)
    assert ShardSet.of(range(4), 4).owns_all  # every shard listed
    assert ShardSet(count=4).sorted_ids() == [0, 1, 2, 3]


def test_three_processes_split_every_guild_exactly_once() -> None:
    processes = [ShardSet.of([0, 1], 6), ShardSet.of([2, 3], 6), ShardSet.of([4, 5], 6)]
    for guild in [guild_on(s, 6, n) for s in range(6) for n in range(1, 4)] + [None]:
        assert sum(p.owns(guild) for p in processes) == 1


@pytest.mark.parametrize(("ids", "count"), [([6], 6), ([], 6), ([0], None), ([0], 0), ([-1], 3)])
def test_inconsistent_sets_are_refused(ids: list[int], count: int | None) -> None:
    with pytest.raises(ValueError):
        ShardSet(frozenset(ids), count)
