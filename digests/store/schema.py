"""Schema migrations: an append-only list of named steps per backend and a tiny runner each.

sqlite-utils 4 ships no migration runner we want to depend on, so this module keeps one table,
``_migrations(name PRIMARY KEY, applied_at)``, and applies each step of ``MIGRATIONS`` (SQLite)
or ``PG_MIGRATIONS`` (PostgreSQL) that it does not list yet, in order, each in its own
transaction. Applying twice is a no-op.

The two lists mirror each other step for step, under the same names: a new step goes into both
(additive: ``ADD COLUMN``, ``CREATE TABLE``/``INDEX``). PostgreSQL spells the same schema with
identity keys, BIGINT for Discord ids, "C" collation on text (byte order, as SQLite sorts) and a
generated ``tsvector`` column with a GIN index where SQLite has an FTS5 table and triggers.

Never edit or reorder a released step: append a new one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import sqlite_utils

if TYPE_CHECKING:
    from digests.store.base import Conn

#: (name, SQL statements) in application order. Append only.
MIGRATIONS: Sequence[tuple[str, Sequence[str]]] = (
    (
        "0001_initial",
        (
            """
            CREATE TABLE feeds (
                feed_id INTEGER PRIMARY KEY,
                url TEXT NOT NULL UNIQUE,
                title TEXT,
                link TEXT,
                image TEXT,
                etag TEXT,
                last_modified TEXT,
                body_hash TEXT,
                last_fetched TEXT,
                next_fetch TEXT,
                failures INTEGER NOT NULL DEFAULT 0,
                failing_since TEXT,
                last_error TEXT,
                disabled INTEGER NOT NULL DEFAULT 0,
                created_at TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE stories (
                story_id INTEGER PRIMARY KEY,
                feed_id INTEGER NOT NULL REFERENCES feeds(feed_id) ON DELETE CASCADE,
                entry_id TEXT NOT NULL,
                url TEXT,
                title TEXT,
                published TEXT,
                content_hash TEXT NOT NULL,
                text TEXT NOT NULL,
                summary TEXT NOT NULL,
                sentences TEXT NOT NULL,
                image TEXT,
                author TEXT,
                first_seen TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                UNIQUE (feed_id, entry_id)
            )
            """,
            "CREATE INDEX stories_feed_url ON stories(feed_id, url)",
            "CREATE INDEX stories_published ON stories(published)",
            """
            CREATE TABLE quotes (
                quote_id INTEGER PRIMARY KEY,
                story_id INTEGER NOT NULL REFERENCES stories(story_id) ON DELETE CASCADE,
                position INTEGER NOT NULL,
                text TEXT NOT NULL,
                speaker TEXT,
                score REAL NOT NULL
            )
            """,
            "CREATE INDEX quotes_story ON quotes(story_id, position)",
            "CREATE INDEX quotes_speaker ON quotes(speaker COLLATE NOCASE)",
            """
            CREATE TABLE subscriptions (
                subscription_id INTEGER PRIMARY KEY,
                guild_id INTEGER NOT NULL,
                channel_id INTEGER NOT NULL,
                feed_id INTEGER NOT NULL REFERENCES feeds(feed_id) ON DELETE CASCADE,
                mode TEXT NOT NULL CHECK (mode IN ('live', 'digest')),
                created_at TEXT NOT NULL,
                UNIQUE (channel_id, feed_id)
            )
            """,
            "CREATE INDEX subscriptions_guild ON subscriptions(guild_id)",
            "CREATE INDEX subscriptions_feed ON subscriptions(feed_id)",
            """
            CREATE TABLE channel_stories (
                story_id INTEGER NOT NULL REFERENCES stories(story_id) ON DELETE CASCADE,
                channel_id INTEGER NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('seen', 'queued', 'skipped')),
                at TEXT NOT NULL,
                UNIQUE (story_id, channel_id)
            )
            """,
            "CREATE INDEX channel_stories_channel ON channel_stories(channel_id)",
            """
            CREATE TABLE outbox (
                delivery_id INTEGER PRIMARY KEY,
                channel_id INTEGER NOT NULL,
                kind TEXT NOT NULL CHECK (kind IN ('story', 'digest', 'notice')),
                nonce TEXT NOT NULL,
                payload TEXT NOT NULL,
                created_at TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                delivered_at TEXT,
                message_id INTEGER,
                dropped INTEGER NOT NULL DEFAULT 0,
                last_error TEXT
            )
            """,
            "CREATE INDEX outbox_pending ON outbox(delivered_at, dropped, delivery_id)",
            """
            CREATE TABLE schedules (
                schedule_id INTEGER PRIMARY KEY,
                guild_id INTEGER NOT NULL,
                channel_id INTEGER NOT NULL UNIQUE,
                hour INTEGER NOT NULL,
                minute INTEGER NOT NULL,
                timezone TEXT NOT NULL,
                created_at TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE digest_runs (
                run_id INTEGER PRIMARY KEY,
                schedule_id INTEGER NOT NULL,
                period_start TEXT NOT NULL,
                period_end TEXT NOT NULL,
                queued INTEGER NOT NULL,
                created_at TEXT NOT NULL,
                UNIQUE (schedule_id, period_start)
            )
            """,
            """
            CREATE VIRTUAL TABLE stories_fts USING fts5(
                title, summary, text, content='stories', content_rowid='story_id'
            )
            """,
            """
            CREATE TRIGGER stories_ai AFTER INSERT ON stories BEGIN
                INSERT INTO stories_fts(rowid, title, summary, text)
                VALUES (new.story_id, new.title, new.summary, new.text);
            END
            """,
            """
            CREATE TRIGGER stories_ad AFTER DELETE ON stories BEGIN
                INSERT INTO stories_fts(stories_fts, rowid, title, summary, text)
                VALUES ('delete', old.story_id, old.title, old.summary, old.text);
            END
            """,
            """
            CREATE TRIGGER stories_au AFTER UPDATE ON stories BEGIN
                INSERT INTO stories_fts(stories_fts, rowid, title, summary, text)
                VALUES ('delete', old.story_id, old.title, old.summary, old.text);
                INSERT INTO stories_fts(rowid, title, summary, text)
                VALUES (new.story_id, new.title, new.summary, new.text);
            END
            """,
            """
            CREATE VIRTUAL TABLE quotes_fts USING fts5(
                text, speaker, content='quotes', content_rowid='quote_id'
            )
            """,
            """
            CREATE TRIGGER quotes_ai AFTER INSERT ON quotes BEGIN
                INSERT INTO quotes_fts(rowid, text, speaker)
                VALUES (new.quote_id, new.text, new.speaker);
            END
            """,
            """
            CREATE TRIGGER quotes_ad AFTER DELETE ON quotes BEGIN
                INSERT INTO quotes_fts(quotes_fts, rowid, text, speaker)
                VALUES ('delete', old.quote_id, old.text, old.speaker);
            END
            """,
        ),
    ),
    (
        "0002_feed_item_hashes",
        (
            # hashes of the raw items of the last document: parse only new items next time
            "ALTER TABLE feeds ADD COLUMN item_hashes TEXT",
        ),
    ),
    (
        "0003_outbox_attempted_at",
        (
            # when a delivery was first tried: recovery looks for our message from then on
            "ALTER TABLE outbox ADD COLUMN attempted_at TEXT",
        ),
    ),
    (
        "0004_subscription_options",
        (
            # how a subscription posts, and the role it mentions (opt-in)
            "ALTER TABLE subscriptions ADD COLUMN style TEXT NOT NULL DEFAULT 'full'"
            " CHECK (style IN ('full', 'compact', 'headline'))",
            "ALTER TABLE subscriptions ADD COLUMN ping_role_id INTEGER",
            # what filters look at besides title, summary, text and author
            "ALTER TABLE stories ADD COLUMN categories TEXT",
            """
            CREATE TABLE filters (
                filter_id INTEGER PRIMARY KEY,
                subscription_id INTEGER NOT NULL
                    REFERENCES subscriptions(subscription_id) ON DELETE CASCADE,
                kind TEXT NOT NULL CHECK (kind IN ('include', 'exclude')),
                pattern TEXT NOT NULL,
                regex INTEGER NOT NULL,
                field TEXT NOT NULL
                    CHECK (field IN ('any', 'title', 'summary', 'text', 'category', 'author')),
                ping_role_id INTEGER,
                created_at TEXT NOT NULL
            )
            """,
            "CREATE INDEX filters_subscription ON filters(subscription_id)",
        ),
    ),
    (
        "0005_delivery",
        (
            # weekly digests: 'daily' or a weekday (mon … sun)
            "ALTER TABLE schedules ADD COLUMN day TEXT NOT NULL DEFAULT 'daily'",
            # a live post edited to name more outlets: edits wanted vs done (see outbox.py)
            "ALTER TABLE outbox ADD COLUMN edits_wanted INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE outbox ADD COLUMN edits_done INTEGER NOT NULL DEFAULT 0",
            "CREATE INDEX outbox_edits ON outbox(edits_wanted, edits_done)",
            "CREATE INDEX outbox_channel_kind ON outbox(channel_id, kind, created_at)",
        ),
    ),
    (
        "0006_delivery_targets",
        (
            # where a subscription posts in a text or announcement channel: in the channel, a
            # thread on each story post, or each digest in one thread
            "ALTER TABLE subscriptions ADD COLUMN thread TEXT NOT NULL DEFAULT 'none'"
            " CHECK (thread IN ('none', 'per-story', 'per-digest'))",
            # post under the feed's name and icon through the bot's own webhook
            "ALTER TABLE subscriptions ADD COLUMN webhook INTEGER NOT NULL DEFAULT 0",
            # the steps of a delivery after its message exists (see bot/delivery.py): where the
            # message lives (a thread, for a forum post), the thread it opened, whether it was
            # published (announcement channels) and the webhook that sent it (edits go through it)
            "ALTER TABLE outbox ADD COLUMN message_channel_id INTEGER",
            "ALTER TABLE outbox ADD COLUMN thread_id INTEGER",
            "ALTER TABLE outbox ADD COLUMN published INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE outbox ADD COLUMN webhook_id INTEGER",
            # channels told that their webhook posts fell back to normal posts (one notice each)
            """
            CREATE TABLE webhook_fallbacks (
                channel_id INTEGER PRIMARY KEY,
                reason TEXT NOT NULL,
                at TEXT NOT NULL
            )
            """,
        ),
    ),
    (
        "0007_outbox_guild",
        (
            # the server of a post's channel: with several processes, the one that owns the
            # server's Discord shard delivers it (NULL: unknown, shard 0's owner)
            "ALTER TABLE outbox ADD COLUMN guild_id INTEGER",
            """
            UPDATE outbox SET guild_id = COALESCE(
                (SELECT MAX(s.guild_id) FROM subscriptions s
                 WHERE s.channel_id = outbox.channel_id),
                (SELECT sc.guild_id FROM schedules sc WHERE sc.channel_id = outbox.channel_id))
            """,
        ),
    ),
    (
        "0008_lazy_condensing",
        (
            # 0: stored as parsed; condensed (teaser page extracted) when first shown or posted
            "ALTER TABLE stories ADD COLUMN condensed INTEGER NOT NULL DEFAULT 1",
            # the feed's text is a teaser: the article page is fetched when it is condensed
            "ALTER TABLE stories ADD COLUMN teaser INTEGER NOT NULL DEFAULT 0",
        ),
    ),
    (
        "0009_feeds_due",
        # the claim of due feeds reads them in this order, a chunk at a time: without the
        # index every chunk sorted the whole table (10,000 feeds: 12 ms a chunk, 20 chunks)
        ("CREATE INDEX feeds_due ON feeds(next_fetch, feed_id)",),
    ),
)


def applied_migrations(db: sqlite_utils.Database) -> list[str]:
    """Names of the steps already applied to ``db``, in order."""
    _ensure_version_table(db)
    rows = db.execute("SELECT name FROM _migrations ORDER BY rowid").fetchall()
    return [str(row[0]) for row in rows]


def apply_migrations(db: sqlite_utils.Database) -> list[str]:
    """Apply every pending step, each atomically; returns the names applied now (may be empty)."""
    done = set(applied_migrations(db))
    applied: list[str] = []
    for name, statements in MIGRATIONS:
        if name in done:
            continue
        conn = db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have applied it while we waited for the write lock.
            if conn.execute("SELECT 1 FROM _migrations WHERE name = ?", (name,)).fetchone():
                conn.execute("COMMIT")
                continue
            for statement in statements:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO _migrations(name, applied_at) VALUES (?, ?)",
                (name, datetime.now(UTC).isoformat()),
            )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        applied.append(name)
    return applied


def _ensure_version_table(db: sqlite_utils.Database) -> None:
    db.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )


# --- PostgreSQL ---------------------------------------------------------------------------------
_ID = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
#: text compared and sorted byte by byte, as SQLite does (timestamps, titles, URLs)
_TEXT = 'TEXT COLLATE "C"'

#: the same steps as ``MIGRATIONS``, in PostgreSQL's spelling. Append only, in step with it.
PG_MIGRATIONS: Sequence[tuple[str, Sequence[str]]] = (
    (
        "0001_initial",
        (
            f"""
            CREATE TABLE feeds (
                feed_id {_ID},
                url {_TEXT} NOT NULL UNIQUE,
                title {_TEXT},
                link {_TEXT},
                image {_TEXT},
                etag {_TEXT},
                last_modified {_TEXT},
                body_hash {_TEXT},
                last_fetched {_TEXT},
                next_fetch {_TEXT},
                failures INTEGER NOT NULL DEFAULT 0,
                failing_since {_TEXT},
                last_error {_TEXT},
                disabled INTEGER NOT NULL DEFAULT 0,
                created_at {_TEXT} NOT NULL
            )
            """,
            "CREATE INDEX feeds_next_fetch ON feeds(next_fetch)",
            f"""
            CREATE TABLE stories (
                story_id {_ID},
                feed_id BIGINT NOT NULL REFERENCES feeds(feed_id) ON DELETE CASCADE,
                entry_id {_TEXT} NOT NULL,
                url {_TEXT},
                title {_TEXT},
                published {_TEXT},
                content_hash {_TEXT} NOT NULL,
                text {_TEXT} NOT NULL,
                summary {_TEXT} NOT NULL,
                sentences {_TEXT} NOT NULL,
                image {_TEXT},
                author {_TEXT},
                first_seen {_TEXT} NOT NULL,
                updated_at {_TEXT} NOT NULL,
                search tsvector GENERATED ALWAYS AS (
                    to_tsvector('simple', coalesce(title, '') || ' ' || summary || ' ' || text)
                ) STORED,
                UNIQUE (feed_id, entry_id)
            )
            """,
            "CREATE INDEX stories_feed_url ON stories(feed_id, url)",
            "CREATE INDEX stories_published ON stories(published)",
            "CREATE INDEX stories_search ON stories USING GIN (search)",
            f"""
            CREATE TABLE quotes (
                quote_id {_ID},
                story_id BIGINT NOT NULL REFERENCES stories(story_id) ON DELETE CASCADE,
                position INTEGER NOT NULL,
                text {_TEXT} NOT NULL,
                speaker {_TEXT},
                score DOUBLE PRECISION NOT NULL,
                search tsvector GENERATED ALWAYS AS (
                    to_tsvector('simple', text || ' ' || coalesce(speaker, ''))
                ) STORED
            )
            """,
            "CREATE INDEX quotes_story ON quotes(story_id, position)",
            "CREATE INDEX quotes_speaker ON quotes(lower(speaker))",
            "CREATE INDEX quotes_search ON quotes USING GIN (search)",
            f"""
            CREATE TABLE subscriptions (
                subscription_id {_ID},
                guild_id BIGINT NOT NULL,
                channel_id BIGINT NOT NULL,
                feed_id BIGINT NOT NULL REFERENCES feeds(feed_id) ON DELETE CASCADE,
                mode {_TEXT} NOT NULL CHECK (mode IN ('live', 'digest')),
                created_at {_TEXT} NOT NULL,
                UNIQUE (channel_id, feed_id)
            )
            """,
            "CREATE INDEX subscriptions_guild ON subscriptions(guild_id)",
            "CREATE INDEX subscriptions_feed ON subscriptions(feed_id)",
            f"""
            CREATE TABLE channel_stories (
                story_id BIGINT NOT NULL REFERENCES stories(story_id) ON DELETE CASCADE,
                channel_id BIGINT NOT NULL,
                status {_TEXT} NOT NULL CHECK (status IN ('seen', 'queued', 'skipped')),
                at {_TEXT} NOT NULL,
                UNIQUE (story_id, channel_id)
            )
            """,
            "CREATE INDEX channel_stories_channel ON channel_stories(channel_id)",
            f"""
            CREATE TABLE outbox (
                delivery_id {_ID},
                channel_id BIGINT NOT NULL,
                kind {_TEXT} NOT NULL CHECK (kind IN ('story', 'digest', 'notice')),
                nonce {_TEXT} NOT NULL,
                payload {_TEXT} NOT NULL,
                created_at {_TEXT} NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                delivered_at {_TEXT},
                message_id BIGINT,
                dropped INTEGER NOT NULL DEFAULT 0,
                last_error {_TEXT}
            )
            """,
            "CREATE INDEX outbox_pending ON outbox(delivered_at, dropped, delivery_id)",
            f"""
            CREATE TABLE schedules (
                schedule_id {_ID},
                guild_id BIGINT NOT NULL,
                channel_id BIGINT NOT NULL UNIQUE,
                hour INTEGER NOT NULL,
                minute INTEGER NOT NULL,
                timezone {_TEXT} NOT NULL,
                created_at {_TEXT} NOT NULL
            )
            """,
            f"""
            CREATE TABLE digest_runs (
                run_id {_ID},
                schedule_id BIGINT NOT NULL,
                period_start {_TEXT} NOT NULL,
                period_end {_TEXT} NOT NULL,
                queued INTEGER NOT NULL,
                created_at {_TEXT} NOT NULL,
                UNIQUE (schedule_id, period_start)
            )
            """,
        ),
    ),
    ("0002_feed_item_hashes", (f"ALTER TABLE feeds ADD COLUMN item_hashes {_TEXT}",)),
    ("0003_outbox_attempted_at", (f"ALTER TABLE outbox ADD COLUMN attempted_at {_TEXT}",)),
    (
        "0004_subscription_options",
        (
            f"ALTER TABLE subscriptions ADD COLUMN style {_TEXT} NOT NULL DEFAULT 'full'"
            " CHECK (style IN ('full', 'compact', 'headline'))",
            "ALTER TABLE subscriptions ADD COLUMN ping_role_id BIGINT",
            f"ALTER TABLE stories ADD COLUMN categories {_TEXT}",
            f"""
            CREATE TABLE filters (
                filter_id {_ID},
                subscription_id BIGINT NOT NULL
                    REFERENCES subscriptions(subscription_id) ON DELETE CASCADE,
                kind {_TEXT} NOT NULL CHECK (kind IN ('include', 'exclude')),
                pattern {_TEXT} NOT NULL,
                regex INTEGER NOT NULL,
                field {_TEXT} NOT NULL
                    CHECK (field IN ('any', 'title', 'summary', 'text', 'category', 'author')),
                ping_role_id BIGINT,
                created_at {_TEXT} NOT NULL
            )
            """,
            "CREATE INDEX filters_subscription ON filters(subscription_id)",
        ),
    ),
    (
        "0005_delivery",
        (
            f"ALTER TABLE schedules ADD COLUMN day {_TEXT} NOT NULL DEFAULT 'daily'",
            "ALTER TABLE outbox ADD COLUMN edits_wanted INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE outbox ADD COLUMN edits_done INTEGER NOT NULL DEFAULT 0",
            "CREATE INDEX outbox_edits ON outbox(edits_wanted, edits_done)",
            "CREATE INDEX outbox_channel_kind ON outbox(channel_id, kind, created_at)",
        ),
    ),
    (
        "0006_delivery_targets",
        (
            f"ALTER TABLE subscriptions ADD COLUMN thread {_TEXT} NOT NULL DEFAULT 'none'"
            " CHECK (thread IN ('none', 'per-story', 'per-digest'))",
            "ALTER TABLE subscriptions ADD COLUMN webhook INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE outbox ADD COLUMN message_channel_id BIGINT",
            "ALTER TABLE outbox ADD COLUMN thread_id BIGINT",
            "ALTER TABLE outbox ADD COLUMN published INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE outbox ADD COLUMN webhook_id BIGINT",
            f"""
            CREATE TABLE webhook_fallbacks (
                channel_id BIGINT PRIMARY KEY,
                reason {_TEXT} NOT NULL,
                at {_TEXT} NOT NULL
            )
            """,
        ),
    ),
    (
        "0007_outbox_guild",
        (
            "ALTER TABLE outbox ADD COLUMN guild_id BIGINT",
            """
            UPDATE outbox SET guild_id = COALESCE(
                (SELECT MAX(s.guild_id) FROM subscriptions s
                 WHERE s.channel_id = outbox.channel_id),
                (SELECT sc.guild_id FROM schedules sc WHERE sc.channel_id = outbox.channel_id))
            """,
        ),
    ),
    (
        "0008_lazy_condensing",
        (
            "ALTER TABLE stories ADD COLUMN condensed INTEGER NOT NULL DEFAULT 1",
            "ALTER TABLE stories ADD COLUMN teaser INTEGER NOT NULL DEFAULT 0",
        ),
    ),
    (
        "0009_feeds_due",
        (
            # (ascending, a never-polled feed first, as SQLite orders NULL)
            "CREATE INDEX feeds_due ON feeds(next_fetch NULLS FIRST, feed_id)",
        ),
    ),
)

#: the advisory lock held while migrating (any constant shared by every newsdigest process)
MIGRATION_LOCK = 0x6E65_7773_6469_6773  # "newsdigs"


def apply_pg_migrations(conn: Conn) -> list[str]:
    """Apply every pending PostgreSQL step, each atomically, under an advisory lock (processes
    starting at once wait, then find the steps applied); returns the names applied now."""
    conn.execute("SELECT pg_advisory_lock(?)", (MIGRATION_LOCK,))
    try:
        conn.execute(
            'CREATE TABLE IF NOT EXISTS _migrations (name TEXT COLLATE "C" PRIMARY KEY,'
            " applied_at TEXT NOT NULL)"
        )
        done = {str(r[0]) for r in conn.execute("SELECT name FROM _migrations").fetchall()}
        applied: list[str] = []
        for name, statements in PG_MIGRATIONS:
            if name in done:
                continue
            with conn.transaction():
                for statement in statements:
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO _migrations(name, applied_at) VALUES (?, ?)",
                    (name, datetime.now(UTC).isoformat()),
                )
            applied.append(name)
        return applied
    finally:
        conn.execute("SELECT pg_advisory_unlock(?)", (MIGRATION_LOCK,))
