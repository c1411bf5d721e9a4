"""The one-shot digest behind `newsdigest digest`: URLs and files, failures as values, output."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from digests.clock import FakeClock
from digests.condensing import condense
from digests.feeds.fetch import Fetcher
from digests.model import Condensed
from digests.oneshot import digest_sources, digest_to_json, digest_to_text
from tests.builders import Item, rss
from tests.digests.test_service import FILLER
from tests.feedserver import FeedServer

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
QUAKE = (
    "A magnitude 6.1 earthquake struck off the coast of central Chile on Wednesday, shaking "
    "buildings in Valparaiso and Santiago, seismologists said.\n\n"
    '"Everything was moving," said Rosa Diaz, a shopkeeper in Valparaiso.\n\n' + FILLER
)


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, text: str, *, title: str | None = None) -> Condensed:
        self.calls += 1
        return condense(text, title=title)


def write_feed(path: Path, title: str, items: list[Item]) -> str:
    path.write_bytes(rss(title, items))
    return str(path)


async def test_files_and_urls_make_one_ranked_deduplicated_digest(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    alpha = write_feed(
        tmp_path / "alpha.xml",
        "Alpha",
        [
            Item("a1", "Magnitude 6.1 earthquake strikes off coast of Chile", QUAKE),
            Item(
                "a2",
                "Museum opens new wing",
                "The museum opened a new wing. " + FILLER,
                published=NOW - timedelta(hours=5),
            ),
        ],
    )
    feed_server.add(
        "/beta.xml",
        rss(
            "Beta",
            [Item("b1", "Strong earthquake strikes off the coast of Chile", QUAKE + " More.")],
        ),
        etag='"b1"',
    )
    sources = [alpha, feed_server.url("/beta.xml"), str(tmp_path / "missing.xml")]
    sources.append(feed_server.url("/gone.xml"))
    async with Fetcher(user_agent="t", allow_private=True) as fetcher:
        result = await digest_sources(sources, fetcher=fetcher, limit=10, clock=FakeClock(NOW))
    failed = dict(result.failures)
    assert set(failed) == {str(tmp_path / "missing.xml"), feed_server.url("/gone.xml")}
    assert all(m.endswith(".") and "\n" not in m for m in failed.values())
    items = result.digest.items
    assert len(items) == 2
    top = items[0]
    assert "earthquake" in (top.story.title or "").lower()
    assert len(top.also_covered_by) == 1

    data = digest_to_json(result.digest)
    assert list(data) == ["stories"]
    first = data["stories"][0]
    assert list(first) == [
        "id",
        "feed",
        "title",
        "url",
        "published",
        "summary",
        "quotes",
        "also_covered_by",
    ]
    assert first["published"].endswith("Z")
    assert datetime.fromisoformat(first["published"].replace("Z", "+00:00")).tzinfo is not None
    assert first["also_covered_by"][0].keys() == {"feed", "url"}
    assert {q["speaker"] for q in first["quotes"]} >= {"Rosa Diaz"}

    text = digest_to_text(result.digest)
    assert text.startswith("1. ")
    assert "\n\n2. " in text
    assert "“Everything was moving” — Rosa Diaz" in text or "Everything was moving" in text
    assert "Also covered by: " in text


async def test_limit_and_a_kept_database_skip_repeat_work(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    topics = ["harbour", "museum", "bridge", "tram", "school", "hospital"]
    feed_server.add(
        "/a.xml",
        rss(
            "Alpha",
            [
                Item(f"t{i}", f"The {w} story", f"About the {w}. {FILLER}")
                for i, w in enumerate(topics)
            ],
        ),
        etag='"v1"',
    )
    counter = Counter()
    db = str(tmp_path / "kept.db")
    async with Fetcher(user_agent="t", allow_private=True) as fetcher:
        first = await digest_sources(
            [feed_server.url("/a.xml")], fetcher=fetcher, limit=3, db_path=db, condense=counter
        )
        calls = counter.calls
        again = await digest_sources(
            [feed_server.url("/a.xml")], fetcher=fetcher, limit=3, db_path=db, condense=counter
        )
    assert len(first.digest.items) == 3
    assert calls == 3  # only the newest `limit` entries are condensed
    assert counter.calls == calls  # 304 the second time: nothing condensed again
    assert [i.story.story_id for i in again.digest.items] == [
        i.story.story_id for i in first.digest.items
    ]
    assert feed_server.last_headers("/a.xml")["If-None-Match"] == '"v1"'


async def test_everything_failing_gives_an_empty_digest_and_reasons(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text("<html><body><p>not a feed</p></body></html>")
    async with Fetcher(user_agent="t", allow_private=False) as fetcher:
        result = await digest_sources(
            [str(tmp_path / "page.html"), str(tmp_path), "http://127.0.0.1:1/feed"],
            fetcher=fetcher,
        )
    assert result.digest.items == []
    assert len(result.failures) == 3
    assert digest_to_text(result.digest) == "No stories."
    assert digest_to_json(result.digest) == {"stories": []}
