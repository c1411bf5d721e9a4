"""The ``newsdigest`` command line (interface.md §1).

``condense``, ``digest``, ``backup``, ``copy-db`` and ``check`` work without running the
service; ``run`` starts it. Exit status: 0 success, 1 a runtime failure reported as one
sentence on stderr (``check``: one per problem), 2 bad usage.
Nothing here prints a traceback unless NEWSDIGEST_LOG_LEVEL is DEBUG.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import re
import sys
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO

from digests import __version__
from digests.condensing import condense
from digests.errors import DigestError, InputError
from digests.feeds.htmltext import looks_like_html
from digests.model import Condensed, Quote

log = logging.getLogger("newsdigest")

#: Files and standard input larger than this are refused rather than read whole.
MAX_INPUT_BYTES = 20 * 1024 * 1024
#: ``{"id": <string, number, true, false or null>`` at the start of a batch line
_LEADING_ID = re.compile(
    r'\s*\{\s*"id"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)'
)


class CLIError(Exception):
    """A failure to report as one sentence with exit status 1."""


def build_parser() -> argparse.ArgumentParser:
    # ``--db`` goes before or after the command. The command's copy has no default of its own
    # (SUPPRESS), so it does not overwrite a value given before the command with None.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="SQLite database file or postgresql:// URL (default: $NEWSDIGEST_DATABASE_URL, "
        "else $NEWSDIGEST_DB, else newsdigest.db)",
    )
    parser = argparse.ArgumentParser(
        prog="newsdigest",
        description="Condense news stories and feeds into digests, here or in Discord.",
    )
    parser.add_argument(
        "--db",
        metavar="PATH",
        default=None,
        help="SQLite database file or postgresql:// URL (default: $NEWSDIGEST_DATABASE_URL, "
        "else $NEWSDIGEST_DB, else newsdigest.db)",
    )
    parser.add_argument("--version", action="version", version=f"newsdigest {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    c = sub.add_parser(
        "condense",
        parents=[common],
        help="condense one article into its gist and key quotes",
        description="Condense one article: a .txt or .html file, an http(s) URL, or - for stdin.",
    )
    c.add_argument("source", nargs="?", metavar="SOURCE", help="a .txt/.html file, a URL, or -")
    c.add_argument("--title", help="the story's title (helps pick the gist)")
    c.add_argument("--sentences", type=_sentences, default=3, metavar="N", help="summary length")
    c.add_argument("--format", choices=("text", "json"), default="text")
    c.add_argument(
        "--jsonl",
        nargs="?",
        const="-",
        metavar="PATH|-",
        help='batch mode: one {"id", "title", "text"} object per line in, one result per line out',
    )

    d = sub.add_parser(
        "digest",
        parents=[common],
        help="fetch feeds and print one de-duplicated, ranked digest",
        description="Fetch feeds (URLs or files), condense their newest stories, print a digest.",
    )
    d.add_argument("feeds", nargs="+", metavar="FEED", help="feed URL or local feed file")
    d.add_argument("--limit", type=_positive, default=10, metavar="N", help="stories at most")
    d.add_argument("--format", choices=("text", "json"), default="text")

    _feeds_parser(sub, common)

    sub.add_parser(
        "run",
        parents=[common],
        help="run the service: scheduler, feed polling and the Discord bot (needs DISCORD_TOKEN)",
    )
    b = sub.add_parser(
        "backup",
        parents=[common],
        help="copy the database while the service runs, integrity-checked",
        description="Copy the database online (SQLite backup API) to PATH, a file or a folder, "
        "and check the copy with PRAGMA integrity_check before it replaces an older one.",
    )
    b.add_argument("path", metavar="PATH", help="the backup file, or a folder to put it in")
    m = sub.add_parser(
        "copy-db",
        parents=[common],
        help="copy the whole database into a new, empty one (e.g. SQLite to PostgreSQL)",
        description="Copy every table of the database (--db, else NEWSDIGEST_DATABASE_URL, else "
        "NEWSDIGEST_DB) into TARGET, in one transaction, keeping every id; TARGET must hold no "
        "rows yet. Stop the bot first.",
    )
    m.add_argument("target", metavar="TARGET", help="a postgresql:// URL or an SQLite file path")
    c = sub.add_parser(
        "check",
        parents=[common],
        help="check settings, the bot token, the database and every feed",
        description="Check the settings, the bot token (GET /users/@me), the database's "
        "integrity and that every enabled feed answers. Exit 0 when healthy, else 1 with one "
        "sentence per problem.",
    )
    c.add_argument(
        "--quick",
        action="store_true",
        help="only the settings and a quick database check, no network (container health checks)",
    )
    return parser


def _feeds_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    f = sub.add_parser(
        "feeds",
        parents=[common],
        help="import or export subscriptions as OPML, without Discord",
        description="Import or export subscriptions as OPML.",
    )
    verbs = f.add_subparsers(dest="verb", metavar="VERB", required=True)
    i = verbs.add_parser(
        "import",
        parents=[common],
        help="subscribe a channel to every feed of an OPML file (without --channel: list them)",
        description=(
            "Subscribe a Discord channel to every feed of an OPML file, each checked like "
            "/feed add. Without --channel, list the file's feeds and change nothing."
        ),
    )
    i.add_argument("file", metavar="FILE.opml", help="an OPML file, or - for stdin")
    i.add_argument("--channel", type=_positive, metavar="ID", help="the channel's id")
    i.add_argument("--mode", choices=("live", "digest"), default="digest")
    i.add_argument(
        "--guild",
        type=_positive,
        metavar="ID",
        help="the channel's server (default: as recorded by an earlier /feed add there)",
    )
    e = verbs.add_parser(
        "export",
        parents=[common],
        help="print (or write) the subscriptions as OPML",
        description="Write the subscriptions as OPML to FILE, or to stdout.",
    )
    e.add_argument("file", nargs="?", metavar="FILE", help="where to write (default: stdout)")
    e.add_argument("--guild", type=_positive, metavar="ID", help="only this server's")


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def _sentences(value: str) -> int:
    number = _positive(value)
    if number > 10:
        raise argparse.ArgumentTypeError("must be from 1 to 10")
    return number


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.db is not None and not args.db.strip():
        parser.error("--db needs a file path")
    _configure_logging()
    try:
        if args.command == "condense":
            return _condense_command(parser, args)
        if args.command == "digest":
            return _digest_command(args)
        if args.command == "backup":
            return _backup_command(args)
        if args.command == "copy-db":
            return _copy_db_command(parser, args)
        if args.command == "check":
            return _check_command(args)
        if args.command == "feeds":
            return _feeds_command(args)
        return _run_command(args)
    except (CLIError, DigestError) as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return _fail("Interrupted.", status=130)
    except Exception as exc:
        log.debug("unexpected error", exc_info=True)
        name = type(exc).__name__
        return _fail(f"Unexpected error ({name}); set NEWSDIGEST_LOG_LEVEL=DEBUG for details.")


def _configure_logging() -> None:
    level = os.environ.get("NEWSDIGEST_LOG_LEVEL", "WARNING").upper()
    logging.basicConfig(
        level=level if level in logging.getLevelNamesMapping() else "WARNING",
        format="%(levelname)s %(name)s: %(message)s",
    )


def _fail(message: str, *, status: int = 1) -> int:
    print(f"newsdigest: {_one_line(message)}", file=sys.stderr)
    return status


def _one_line(message: str) -> str:
    return " ".join(message.split()) or "Failed."


# --- condense ------------------------------------------------------------------------------------


def _condense_command(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.jsonl is not None:
        if args.source is not None:
            parser.error("give either SOURCE or --jsonl, not both")
        return _condense_batch(args.jsonl, sentences=args.sentences)
    if args.source is None:
        parser.error("SOURCE is required (a .txt or .html file, an http(s) URL, or -)")
    text, found_title = _load_source(args.source)
    result = condense(text, title=args.title or found_title, sentences=args.sentences)
    if args.format == "json":
        print(json.dumps(result.to_dict(), ensure_ascii=False))
    else:
        print(format_condensed(result))
    return 0


def format_condensed(result: Condensed, *, key_quotes: int = 3) -> str:
    """The terminal form: the title, the summary, then the key quotes as `“…” — Speaker`."""
    lines: list[str] = []
    if result.title:
        lines += [result.title, ""]
    lines.append(result.summary or "(no summary)")
    quotes = result.quotes[:key_quotes]
    if quotes:
        lines.append("")
        lines.extend(format_quote(q) for q in quotes)
    return "\n".join(lines)


def format_quote(quote: Quote) -> str:
    speaker = f" — {quote.speaker}" if quote.speaker else ""
    return f"“{quote.text.rstrip(',;: ')}”{speaker}"


def _load_source(source: str) -> tuple[str, str | None]:
    """Return (text, title found in the page or None)."""
    if source == "-":
        return _decode(_read_limited(sys.stdin.buffer), "standard input"), None
    if source.startswith(("http://", "https://")):
        return asyncio.run(_fetch_article(source))
    if "://" in source:
        raise CLIError("Only http and https URLs can be condensed.")
    path = Path(source)
    if not path.is_file():
        raise CLIError(f"There is no file {source}.")
    with path.open("rb") as handle:
        data = _read_limited(handle)
    if path.suffix.lower() in {".html", ".htm", ".xhtml"} or _looks_like_html(data):
        return _html_to_text(data, url=None)
    return _decode(data, source), None


def _read_limited(handle: Any) -> bytes:
    data: bytes = handle.read(MAX_INPUT_BYTES + 1)
    if len(data) > MAX_INPUT_BYTES:
        raise CLIError(f"The input is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MB.")
    return data


def _decode(data: bytes, where: str) -> str:
    bom16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))
    if b"\x00" in data[:4096] and not bom16:
        raise InputError(f"The {where} is binary data, not text.")
    for encoding in ("utf-16", "utf-8-sig") if bom16 else ("utf-8-sig",):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("cp1252", errors="replace")


def _looks_like_html(data: bytes) -> bool:
    # (bytes as Latin-1: one character per byte, ASCII unchanged)
    return looks_like_html(data[:1024].decode("latin-1"), evidence="document")


def _html_to_text(data: bytes, *, url: str | None) -> tuple[str, str | None]:
    from digests.feeds.extract import extract_article

    article = extract_article(data, url=url)
    if article is None or not article.text.strip():
        raise CLIError("No article text could be found in that page.")
    return article.text, article.title


async def _fetch_article(url: str) -> tuple[str, str | None]:
    from bot.settings import load_settings
    from digests.feeds.fetch import Fetcher
    from digests.model import Retrieved
    from digests.service import off_loop

    settings = _settings(load_settings)
    async with Fetcher(
        user_agent=settings.user_agent,
        allow_private=settings.allow_private_urls,
        limits=settings.fetch_limits(),
    ) as fetcher:
        response = await fetcher.fetch(url, kind="page")
    if not isinstance(response, Retrieved):
        raise CLIError("The page answered without content.")
    return await off_loop(_html_to_text, response.content, url=response.url)


def _settings(loader: Any, db: str | None = None) -> Any:
    """The settings, with ``--db`` (when given: a file or a URL) in place of NEWSDIGEST_DB and
    NEWSDIGEST_DATABASE_URL."""
    from bot.settings import SettingsError

    try:
        return loader(**_db_override(db))
    except SettingsError as exc:
        raise CLIError(str(exc)) from None


def _db_override(db: str | None) -> dict[str, Any]:
    return {} if db is None else {"db": db, "database_url": None}


def _condense_batch(path: str, *, sentences: int) -> int:
    if path == "-":
        _batch(sys.stdin, sys.stdout, sentences=sentences)
        return 0
    source = Path(path)
    if not source.is_file():
        raise CLIError(f"There is no file {path}.")
    with source.open(encoding="utf-8", errors="replace") as handle:
        _batch(handle, sys.stdout, sentences=sentences)
    return 0


def _batch(lines: Iterable[str], out: TextIO, *, sentences: int) -> None:
    progress = _Progress("condensed") if sys.stderr.isatty() else None
    for line in _nonblank(lines):
        out.write(json.dumps(condense_record(line, sentences=sentences), ensure_ascii=False) + "\n")
        out.flush()
        if progress:
            progress.tick()
    if progress:
        progress.done()


def _nonblank(lines: Iterable[str]) -> Iterator[str]:
    return (line for line in lines if line.strip())


def condense_record(line: str, *, sentences: int = 3) -> dict[str, Any]:
    """One batch line in, one result out; a bad line gives {"id", "error"} and the batch goes on."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return {"id": None, "error": "The line is not valid JSON."}
    except RecursionError:  # "[[[[…" thousands deep: the decoder recurses once per level
        return {"id": _leading_id(line), "error": "The line's JSON is nested too deeply."}
    if not isinstance(record, dict):
        return {"id": None, "error": "The line is not a JSON object."}
    ident = record.get("id")
    text, title = record.get("text"), record.get("title")
    if not isinstance(text, str):
        return {"id": ident, "error": 'The line has no "text" string.'}
    if title is not None and not isinstance(title, str):
        return {"id": ident, "error": 'The "title" must be a string or null.'}
    try:
        result = condense(text, title=title, sentences=sentences)
    except DigestError as exc:
        return {"id": ident, "error": _one_line(str(exc))}
    except Exception as exc:
        log.debug("condense failed on %r", ident, exc_info=True)
        return {"id": ident, "error": f"The text could not be condensed ({type(exc).__name__})."}
    return {"id": ident, "summary": result.summary, "quotes": [q.to_dict() for q in result.quotes]}


def _leading_id(line: str) -> Any:
    """The ``id`` of a line that cannot be decoded whole, when it is the object's first key."""
    match = _LEADING_ID.match(line)
    if match is None:
        return None
    try:
        return json.loads(match.group(1))
    except (json.JSONDecodeError, RecursionError):  # pragma: no cover - the pattern is valid JSON
        return None


class _Progress:
    """A one-line progress counter on stderr, shown only on a TTY."""

    def __init__(self, verb: str) -> None:
        self.verb = verb
        self.count = 0

    def tick(self) -> None:
        self.count += 1
        print(f"\r{self.count} {self.verb}", end="", file=sys.stderr, flush=True)

    def done(self) -> None:
        print(file=sys.stderr, flush=True)


# --- digest and run ------------------------------------------------------------------------------


def _digest_command(args: argparse.Namespace) -> int:
    from bot.settings import load_settings
    from digests.feeds.fetch import Fetcher
    from digests.oneshot import digest_sources, digest_to_json, digest_to_text
    from digests.workers import WorkerPool

    settings = _settings(load_settings, args.db)

    async def go() -> Any:
        async with (
            Fetcher(
                user_agent=settings.user_agent,
                allow_private=settings.allow_private_urls,
                limits=settings.fetch_limits(),
            ) as fetcher,
            WorkerPool() as workers,
        ):
            return await digest_sources(
                list(args.feeds),
                fetcher=fetcher,
                limit=args.limit,
                db_path=settings.db,
                workers=workers,
            )

    if sys.stderr.isatty():
        print(f"Fetching {len(args.feeds)} feed(s)…", file=sys.stderr, flush=True)
    result = asyncio.run(go())
    for source, message in result.failures:
        print(f"newsdigest: {source}: {_one_line(message)}", file=sys.stderr)
    if args.format == "json":
        print(json.dumps(digest_to_json(result.digest), ensure_ascii=False))
    else:
        print(digest_to_text(result.digest))
    if result.failures and not result.digest.items and len(result.failures) == len(args.feeds):
        return 1
    return 0


def _backup_command(args: argparse.Namespace) -> int:
    from bot.settings import load_settings
    from digests.store.backup import backup

    settings = _settings(load_settings, args.db)
    if settings.postgres:
        raise CLIError(
            "The database is PostgreSQL: back it up with pg_dump, e.g. "
            '`pg_dump --format=custom --file=newsdigest.dump "$NEWSDIGEST_DATABASE_URL"`.'
        )
    made = backup(settings.db, args.path)
    size = made.size / (1024 * 1024)
    print(f"Backed up {made.source} to {made.target} ({size:.1f} MB); the copy is intact.")
    return 0


def _copy_db_command(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from bot.settings import load_settings
    from digests.store import open_store
    from digests.store.copy import TableCopied, copy_database

    if not args.target.strip():
        parser.error("copy-db needs a TARGET: a postgresql:// URL or an SQLite file path")
    settings = _settings(load_settings, args.db)

    def copied(table: TableCopied) -> None:
        print(f"{table.table:<18} {table.rows:>9} rows", flush=True)

    with (
        contextlib.closing(open_store(settings.database)) as source,
        contextlib.closing(open_store(args.target)) as target,
    ):
        report = copy_database(source, target, progress=copied)
    print(
        f"Copied {report.rows} rows in {len(report.tables)} tables; the target's counts match "
        "the source's."
    )
    return 0


def _check_command(args: argparse.Namespace) -> int:
    from bot.check import check
    from bot.settings import load_settings

    def load() -> Any:
        return load_settings(**_db_override(args.db))

    report = asyncio.run(check(load, quick=args.quick))
    for problem in report.problems:
        print(f"newsdigest: {_one_line(problem)}", file=sys.stderr)
    if not report.healthy:
        return 1
    if args.quick:
        print("Healthy: settings valid, database intact (quick check).")
        return 0
    bot = f" (bot {report.bot_name})" if report.bot_name else ""
    feeds = "1 feed answers" if report.feeds == 1 else f"{report.feeds} feeds answer"
    print(f"Healthy: settings valid, token accepted{bot}, database intact, {feeds}.")
    return 0


# --- feeds import / export (OPML) ---------------------------------------------------------------


def _feeds_command(args: argparse.Namespace) -> int:
    from bot.settings import load_settings

    settings = _settings(load_settings, args.db)
    if args.verb == "export":
        return asyncio.run(_export(settings, args.file, args.guild))
    content = _read_opml(args.file)
    if args.channel is None:
        return _list_opml(content)
    return asyncio.run(_import(settings, content, args))


def _read_opml(path: str) -> bytes:
    from digests.feeds.opml import MAX_OPML_BYTES

    if path == "-":
        data = sys.stdin.buffer.read(MAX_OPML_BYTES + 1)
    else:
        source = Path(path)
        if not source.is_file():
            raise CLIError(f"There is no file {path}.")
        if source.stat().st_size > MAX_OPML_BYTES:
            raise CLIError(f"The OPML file is too large: at most {MAX_OPML_BYTES // 2**20} MB.")
        data = source.read_bytes()
    return data


def _list_opml(content: bytes) -> int:
    from digests.feeds.opml import parse_opml

    feeds = parse_opml(content)
    for feed in feeds:
        where = f"  [{feed.category}]" if feed.category else ""
        print(f"{feed.url}  {feed.title or ''}{where}".rstrip())
    print(
        f"{len(feeds)} feed(s); pass --channel ID to subscribe a channel to them.",
        file=sys.stderr,
    )
    return 0


@contextlib.asynccontextmanager
async def _service(settings: Any) -> AsyncIterator[Any]:
    """The service as ``run`` composes it, without Discord."""
    from digests.clock import SystemClock
    from digests.feeds.fetch import Fetcher
    from digests.service import DigestService, off_loop
    from digests.store import open_store

    store = await off_loop(open_store, settings.database)
    try:
        async with Fetcher(
            user_agent=settings.user_agent, allow_private=settings.allow_private_urls
        ) as fetcher:
            yield DigestService(
                store,
                fetcher,
                clock=SystemClock(),
                poll_interval=timedelta(minutes=settings.poll_minutes),
                max_failures=settings.max_failures,
                feed_limit=settings.feed_limit,
            )
    finally:
        await off_loop(store.close)


async def _import(settings: Any, content: bytes, args: argparse.Namespace) -> int:
    async with _service(settings) as service:
        guild = args.guild or await service.channel_guild(args.channel)
        if guild is None:
            raise CLIError(
                f"Channel {args.channel} is not known yet; pass --guild ID (its server's id)."
            )
        if sys.stderr.isatty():
            print("Checking the feeds…", file=sys.stderr, flush=True)
        report = await service.import_opml(
            guild_id=guild, channel_id=args.channel, content=content, mode=args.mode
        )
    for url in report.added:
        print(f"added    {url}")
    for url, why in report.skipped:
        print(f"skipped  {url}: {_one_line(why)}")
    for url, why in report.refused:
        print(f"refused  {url}: {_one_line(why)}")
    print(report.summary(), file=sys.stderr)
    return 1 if report.refused and not report.added and not report.skipped else 0


async def _export(settings: Any, path: str | None, guild: int | None) -> int:
    async with _service(settings) as service:
        data = await service.export_opml(guild, category=lambda s: f"channel {s.channel_id}")
    _write_out(data, path)
    return 0


def _write_out(data: bytes, path: str | None) -> None:
    if path is None or path == "-":
        sys.stdout.buffer.write(data + b"\n")
        sys.stdout.flush()
    else:
        try:
            Path(path).write_bytes(data + b"\n")
        except OSError as exc:
            raise CLIError(f"{path} could not be written ({exc.strerror or exc}).") from None


def _run_command(args: argparse.Namespace) -> int:
    from bot.runner import run
    from bot.settings import load_settings

    return int(run(_settings(load_settings, args.db)))


if __name__ == "__main__":
    sys.exit(main())
