"""Stories and their quotes: writing what a poll brought, and every scoped read (FTS5 search).

Every read a server makes takes a required ``Scope``: a server reads only the stories of the
feeds it subscribes; ``Scope.everything()`` is spelled out where the operator's own tools read
everything. Lookups by id for deliveries (``load_stories``) are the store's own business.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from digests.model import (
    Quote,
    Scope,
    SearchHit,
    SpeakerQuote,
    Story,
    StoryWrite,
)
from digests.store.base import (
    Conn,
    StoreBase,
    dt,
    id_chunks,
    ots,
    placeholders,
    rows,
    storage_errors,
    ts,
)

_TOKEN = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class StoryRef:
    """What the service needs to know about an already stored entry to spot changes."""

    story_id: int
    entry_id: str
    url: str | None
    content_hash: str


@dataclass(frozen=True, slots=True)
class EntryKey:
    """A polled entry, as far as finding its stored versions goes."""

    feed_id: int
    entry_id: str
    url: str | None


#: polled entries per read (three ``IN`` lists of at most this many values each)
_ENTRY_CHUNK = 300


def _ref(r: Any) -> StoryRef:
    return StoryRef(
        story_id=int(r["story_id"]),
        entry_id=str(r["entry_id"]),
        url=r["url"],
        content_hash=str(r["content_hash"]),
    )


def fts_query(text: str, *, any_word: bool = False) -> str | None:
    """Quote every word of user text for FTS5 (so any input is a valid query); None if empty.

    All words must match, or any of them with ``any_word``."""
    tokens = _TOKEN.findall(text)
    if not tokens:
        return None
    joiner = " OR " if any_word else " "
    return joiner.join('"' + token.replace('"', '""') + '"' for token in tokens[:32])


#: A story's feed is subscribed by the server (``guild_id`` bound as the one parameter).
_VISIBLE = "s.feed_id IN (SELECT feed_id FROM subscriptions WHERE guild_id = ?)"


def visible_to(scope: Scope, where: str, params: list[Any]) -> tuple[str, list[Any]]:
    """``where`` limited to the stories ``scope`` may read: one server's subscribed feeds'
    stories, or everything for ``Scope.everything()`` (the command line, the service's own)."""
    if scope.guild_id is None:
        return where, params
    return f"({where}) AND {_VISIBLE}", [*params, scope.guild_id]


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class StoriesMixin(StoreBase):
    @storage_errors
    def story_refs(self, feed_id: int) -> list[StoryRef]:
        """Every stored entry of one feed."""
        found = self._read(
            "SELECT story_id, entry_id, url, content_hash FROM stories WHERE feed_id = ?"
            " ORDER BY story_id",
            (feed_id,),
        )
        return [_ref(r) for r in found]

    @storage_errors
    def stories_of_entries(self, entries: Sequence[EntryKey]) -> dict[int, list[StoryRef]]:
        """The stored stories that polled entries may be versions of, by feed: those with one
        of the feed's polled entry ids or links (a feed without any is left out), read for many
        polls at once. Not the feeds' other stories: a poll brings a few new entries of a
        feed that has stored dozens, and every row read costs the database thread."""
        by_id = {(e.feed_id, e.entry_id) for e in entries}
        by_url = {(e.feed_id, e.url) for e in entries if e.url}
        found: dict[int, dict[int, StoryRef]] = {}
        for start in range(0, len(entries), _ENTRY_CHUNK):
            chunk = entries[start : start + _ENTRY_CHUNK]
            feeds = list(dict.fromkeys(e.feed_id for e in chunk))
            ids = list(dict.fromkeys(e.entry_id for e in chunk))
            urls = list(dict.fromkeys(e.url for e in chunk if e.url))
            links = f" OR url IN ({placeholders(len(urls))})" if urls else ""
            # (the feeds' index narrows the search; a row of one feed that matched another
            # feed's entry is left out below)
            for r in self._read(
                "SELECT feed_id, story_id, entry_id, url, content_hash FROM stories "  # noqa: S608
                f"WHERE feed_id IN ({placeholders(len(feeds))})"
                f" AND (entry_id IN ({placeholders(len(ids))}){links})",
                (*feeds, *ids, *urls),
            ):
                feed_id = int(r["feed_id"])
                if (feed_id, r["entry_id"]) in by_id or (feed_id, r["url"]) in by_url:
                    found.setdefault(feed_id, {})[int(r["story_id"])] = _ref(r)
        return {feed: [refs[k] for k in sorted(refs)] for feed, refs in found.items()}

    @storage_errors
    def save_gists(self, writes: Sequence[StoryWrite], now: datetime) -> int:
        """Store the condensed form of stories stored as parsed, in one transaction (see
        ``save_gist``); returns how many were still waiting for it."""
        stamp = ts(now)
        with self._write() as conn:
            return sum(save_gist(conn, write, stamp) for write in writes)

    @storage_errors
    def stories(self, story_ids: Sequence[int], *, scope: Scope) -> dict[int, Story]:
        """The stories with these ids that ``scope`` may read, by id."""
        out: dict[int, Story] = {}
        for chunk, marks in id_chunks(story_ids):
            where, params = visible_to(scope, f"s.story_id IN ({marks})", list(chunk))
            out.update(
                (story.story_id, story) for story in load_stories(self._conn(), where, params)
            )
        return out

    @storage_errors
    def story(self, story_id: int, *, scope: Scope) -> Story | None:
        """The story, if it exists and ``scope`` may read it."""
        where, params = visible_to(scope, "s.story_id = ?", [story_id])
        found = load_stories(self._conn(), where, params)
        return found[0] if found else None

    @storage_errors
    def newest_story(self, feed_id: int) -> Story | None:
        found = self.newest_stories(feed_id, 1)
        return found[0] if found else None

    @storage_errors
    def newest_stories(self, feed_id: int, limit: int) -> list[Story]:
        return load_stories(
            self._conn(),
            "s.feed_id = ?",
            (feed_id,),
            order="COALESCE(s.published, s.first_seen) DESC, s.story_id DESC",
            limit=limit,
        )

    @storage_errors
    def stories_between(self, start: datetime, end: datetime, *, scope: Scope) -> list[Story]:
        """Stories ``scope`` may read published (or first seen) in [start, end], for same-story
        lookups."""
        where, params = visible_to(
            scope, "COALESCE(s.published, s.first_seen) BETWEEN ? AND ?", [ts(start), ts(end)]
        )
        return load_stories(self._conn(), where, params, limit=500)

    @storage_errors
    def story_choices(self, text: str, limit: int, *, scope: Scope) -> list[tuple[int, str]]:
        pattern = f"%{_like_escape(text.strip())}%"
        where, params = visible_to(
            scope,
            f"(s.title {self._conn().like} ? ESCAPE '\\' OR CAST(s.story_id AS TEXT) = ?)",
            [pattern, text.strip().lstrip("#")],
        )
        found = self._read(
            f"""
            SELECT s.story_id, COALESCE(s.title, s.url, '') AS title FROM stories s
            WHERE {where}
            ORDER BY COALESCE(s.published, s.first_seen) DESC, s.story_id DESC LIMIT ?
            """,  # noqa: S608 - ``where`` is built from our own constant clauses
            (*params, limit),
        )
        return [(int(r["story_id"]), str(r["title"])) for r in found]

    @storage_errors
    def speaker_choices(self, text: str, limit: int, *, scope: Scope) -> list[str]:
        """Speakers whose name contains ``text``, the most recently quoted first."""
        where, params = visible_to(
            scope,
            f"q.speaker IS NOT NULL AND q.speaker {self._conn().like} ? ESCAPE '\\'",
            [f"%{_like_escape(' '.join(text.split()))}%"],
        )
        found = self._read(
            f"""
            SELECT q.speaker AS speaker FROM quotes q JOIN stories s ON s.story_id = q.story_id
            WHERE {where} GROUP BY q.speaker
            ORDER BY MAX(COALESCE(s.published, s.first_seen)) DESC, q.speaker LIMIT ?
            """,  # noqa: S608 - ``where`` is built from our own constant clauses
            (*params, limit),
        )
        return [str(r["speaker"]) for r in found]

    @storage_errors
    def speaker_quotes(self, speaker: str, limit: int, *, scope: Scope) -> list[SpeakerQuote]:
        name = " ".join(speaker.split())
        if not name:
            return []
        where, params = visible_to(
            scope,
            """q.speaker IS NOT NULL
              AND (lower(q.speaker) = lower(?)
                   OR lower(q.speaker) LIKE '% ' || lower(?) ESCAPE '\\')""",
            [name, _like_escape(name)],
        )
        found = self._read(
            f"""
            SELECT q.text, q.speaker, q.score, s.story_id, s.title, s.url, s.published
            FROM quotes q JOIN stories s ON s.story_id = q.story_id
            WHERE {where}
            ORDER BY COALESCE(s.published, s.first_seen) DESC, s.story_id DESC, q.position
            LIMIT ?
            """,  # noqa: S608 - ``where`` is built from our own constant clauses
            (*params, limit),
        )
        return [
            SpeakerQuote(
                story_id=int(r["story_id"]),
                story_title=r["title"],
                story_url=r["url"],
                published=dt(r["published"]),
                quote=Quote(text=str(r["text"]), speaker=r["speaker"], score=float(r["score"])),
            )
            for r in found
        ]

    @storage_errors
    def search(self, query: str, limit: int, *, scope: Scope) -> list[SearchHit]:
        """Stories ``scope`` may read matching every word of ``query`` (else any word), best
        first."""
        hits = self._search(query, limit, scope, any_word=False)
        if not hits:
            hits = self._search(query, limit, scope, any_word=True)
        return hits

    def _search(self, query: str, limit: int, scope: Scope, *, any_word: bool) -> list[SearchHit]:
        conn = self._conn()
        matches = _tsvector_matches if conn.postgres else _fts5_matches
        found = matches(conn, query, limit, scope, any_word=any_word)
        if found is None:
            return []
        story_rows, quote_rows = found
        snippets: dict[int, str] = {}
        for r in story_rows:
            snippets.setdefault(int(r["story_id"]), str(r["snip"]))
        for r in quote_rows:
            who = f" — {r['speaker']}" if r["speaker"] else ""
            snippets.setdefault(int(r["story_id"]), f"“{r['text']}”{who}")
        stories = stories_by_id(conn, list(snippets)[:limit])
        return [
            SearchHit(
                story_id=sid,
                title=stories[sid].title,
                url=stories[sid].url,
                feed_title=stories[sid].feed_title,
                published=stories[sid].published,
                snippet=snippet,
            )
            for sid, snippet in list(snippets.items())[:limit]
            if sid in stories
        ]

    def _prune_story_texts(self, stamp: str, batch: int) -> int:
        """Blank the article text of stories first seen before ``stamp`` (batches of ``batch``)."""
        return self._in_batches(
            """
            UPDATE stories SET text = '' WHERE story_id IN (
                SELECT story_id FROM stories WHERE first_seen < ? AND text != '' LIMIT ?)
            """,
            stamp,
            batch,
        )


# --- full-text search: FTS5 on SQLite, tsvector on PostgreSQL -------------------------------------
#: (story rows with a snippet, quote rows), best first; None when the query has no words
Matches = tuple[list[dict[str, Any]], list[dict[str, Any]]] | None


def _fts5_matches(conn: Conn, query: str, limit: int, scope: Scope, *, any_word: bool) -> Matches:
    match = fts_query(query, any_word=any_word)
    if match is None:
        return None
    where, params = visible_to(scope, "stories_fts MATCH ?", [match])
    story_rows = rows(
        conn,
        f"""
        SELECT s.story_id AS story_id, snippet(stories_fts, -1, '**', '**', '…', 24) AS snip
        FROM stories_fts JOIN stories s ON s.story_id = stories_fts.rowid
        WHERE {where} ORDER BY bm25(stories_fts) LIMIT ?
        """,  # noqa: S608 - ``where`` is built from our own constant clauses
        (*params, limit),
    )
    where, params = visible_to(scope, "quotes_fts MATCH ?", [match])
    quote_rows = rows(
        conn,
        f"""
        SELECT q.story_id AS story_id, q.text AS text, q.speaker AS speaker
        FROM quotes_fts JOIN quotes q ON q.quote_id = quotes_fts.rowid
             JOIN stories s ON s.story_id = q.story_id
        WHERE {where} ORDER BY bm25(quotes_fts) LIMIT ?
        """,  # noqa: S608 - ``where`` is built from our own constant clauses
        (*params, limit),
    )
    return story_rows, quote_rows


def tsquery(text: str, *, any_word: bool = False) -> str | None:
    """Every word of user text as a quoted lexeme for ``to_tsquery`` (so any input is a valid
    query), all of them required (``&``) or any (``|``); None if there is no word."""
    tokens = _TOKEN.findall(text)
    if not tokens:
        return None
    joiner = " | " if any_word else " & "
    return joiner.join("'" + token.replace("'", "''") + "'" for token in tokens[:32])


#: ts_headline's options: FTS5 snippet()'s markers, ellipsis and length
_HEADLINE = "StartSel=**, StopSel=**, MaxFragments=1, MaxWords=24, MinWords=8, FragmentDelimiter=…"


def _tsvector_matches(
    conn: Conn, query: str, limit: int, scope: Scope, *, any_word: bool
) -> Matches:
    match = tsquery(query, any_word=any_word)
    if match is None:
        return None
    where, params = visible_to(scope, "s.search @@ tq", [])
    story_rows = rows(
        conn,
        f"""
        SELECT s.story_id AS story_id,
               ts_headline('simple', concat_ws(' ', s.title, s.summary, s.text), tq,
                           '{_HEADLINE}') AS snip
        FROM stories s CROSS JOIN to_tsquery('simple', ?) tq
        WHERE {where} ORDER BY ts_rank(s.search, tq) DESC, s.story_id DESC LIMIT ?
        """,  # noqa: S608 - ``where`` is built from our own constant clauses
        (match, *params, limit),
    )
    where, params = visible_to(scope, "q.search @@ tq", [])
    quote_rows = rows(
        conn,
        f"""
        SELECT q.story_id AS story_id, q.text AS text, q.speaker AS speaker
        FROM quotes q JOIN stories s ON s.story_id = q.story_id
             CROSS JOIN to_tsquery('simple', ?) tq
        WHERE {where} ORDER BY ts_rank(q.search, tq) DESC, q.quote_id DESC LIMIT ?
        """,  # noqa: S608 - ``where`` is built from our own constant clauses
        (match, *params, limit),
    )
    return story_rows, quote_rows


# --- reading rows into records ----------------------------------------------------------------
def load_stories(
    conn: Conn,
    where: str,
    params: Sequence[Any],
    *,
    order: str = "s.story_id",
    limit: int | None = None,
) -> list[Story]:
    """Stories (with their quotes) matching ``where``, one of our own constant clauses."""
    sql = f"""
        SELECT s.*, f.url AS feed_url, f.title AS feed_title, f.image AS feed_image
        FROM stories s JOIN feeds f ON f.feed_id = s.feed_id
        WHERE {where} ORDER BY {order}
    """  # noqa: S608 - ``where``/``order`` are our own constant clauses
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    found = rows(conn, sql, params)
    if not found:
        return []
    ids = [int(r["story_id"]) for r in found]
    quotes: dict[int, list[Quote]] = {sid: [] for sid in ids}
    for chunk, marks in id_chunks(ids):
        for q in rows(
            conn,
            f"SELECT story_id, text, speaker, score FROM quotes "  # noqa: S608
            f"WHERE story_id IN ({marks}) ORDER BY story_id, position",
            chunk,
        ):
            quotes[int(q["story_id"])].append(
                Quote(text=str(q["text"]), speaker=q["speaker"], score=float(q["score"]))
            )
    return [_story(r, quotes[int(r["story_id"])]) for r in found]


def stories_by_id(conn: Conn, story_ids: Sequence[int]) -> dict[int, Story]:
    """The stories with these ids (unscoped: for deliveries and hits already scoped)."""
    out: dict[int, Story] = {}
    for chunk, marks in id_chunks(story_ids):
        for story in load_stories(conn, f"s.story_id IN ({marks})", chunk):
            out[story.story_id] = story
    return out


def _story(r: Any, quotes: list[Quote]) -> Story:
    return Story(
        story_id=int(r["story_id"]),
        feed_url=str(r["feed_url"]),
        feed_title=r["feed_title"],
        entry_id=str(r["entry_id"]),
        url=r["url"],
        title=r["title"],
        published=dt(r["published"]) or dt(r["first_seen"]),
        summary=str(r["summary"]),
        sentences=[str(s) for s in json.loads(str(r["sentences"]))],
        quotes=quotes,
        image=r["image"],
        text=str(r["text"]),
        author=r["author"],
        categories=tuple(str(c) for c in json.loads(str(r["categories"] or "[]"))),
        feed_image=r.get("feed_image"),
        condensed=bool(r["condensed"]),
        teaser=bool(r["teaser"]),
    )


# --- writing (inside a write transaction) ------------------------------------------------------
def upsert_story(conn: Conn, feed_id: int, write: StoryWrite, stamp: str) -> tuple[int, bool]:
    """Insert or update one story and replace its quotes; (story id, whether it is new)."""
    entry = write.entry
    condensed = write.condensed
    values = (
        entry.url,
        entry.title,
        ots(entry.published or entry.updated),
        write.content_hash,
        write.text,
        condensed.summary,
        json.dumps(condensed.sentences, ensure_ascii=False),
        write.image,
        entry.author,
        json.dumps(list(entry.categories), ensure_ascii=False) if entry.categories else None,
        int(not write.parsed_only),
        int(entry.is_teaser),
    )
    story_id = write.story_id
    if story_id is None:
        row = conn.execute(
            "SELECT story_id FROM stories WHERE feed_id = ? AND entry_id = ?",
            (feed_id, entry.entry_id),
        ).fetchone()
        story_id = int(row[0]) if row else None
    if story_id is None:
        story_id = int(
            conn.execute(
                """
                INSERT INTO stories(feed_id, entry_id, url, title, published, content_hash,
                    text, summary, sentences, image, author, categories, condensed, teaser,
                    first_seen, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING story_id
                """,
                (feed_id, entry.entry_id, *values, stamp, stamp),
            ).fetchone()[0]
        )
        is_new = True
    else:
        conn.execute(
            """
            UPDATE stories SET entry_id = ?, url = ?, title = ?, published = ?, content_hash = ?,
                text = ?, summary = ?, sentences = ?, image = ?, author = ?, categories = ?,
                condensed = ?, teaser = ?, updated_at = ?
            WHERE story_id = ?
            """,
            (entry.entry_id, *values, stamp, story_id),
        )
        conn.execute("DELETE FROM quotes WHERE story_id = ?", (story_id,))
        is_new = False
    _insert_quotes(conn, story_id, condensed.quotes)
    return story_id, is_new


def save_gist(conn: Conn, write: StoryWrite, stamp: str) -> bool:
    """Store the condensed form of a story stored as parsed (its text and image from the
    article page for a teaser): once, so False when it was condensed meanwhile."""
    condensed = write.condensed
    changed = conn.execute(
        """
        UPDATE stories SET text = ?, image = ?, summary = ?, sentences = ?, condensed = 1,
            updated_at = ?
        WHERE story_id = ? AND condensed = 0
        """,
        (
            write.text,
            write.image,
            condensed.summary,
            json.dumps(condensed.sentences, ensure_ascii=False),
            stamp,
            write.story_id,
        ),
    ).rowcount
    if changed != 1 or write.story_id is None:
        return False
    conn.execute("DELETE FROM quotes WHERE story_id = ?", (write.story_id,))
    _insert_quotes(conn, write.story_id, condensed.quotes)
    return True


def _insert_quotes(conn: Conn, story_id: int, quotes: Sequence[Quote]) -> None:
    conn.executemany(
        "INSERT INTO quotes(story_id, position, text, speaker, score) VALUES (?, ?, ?, ?, ?)",
        [(story_id, i, q.text, q.speaker, q.score) for i, q in enumerate(quotes)],
    )
