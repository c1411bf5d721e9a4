"""The ``newsdigest`` command line (interface.md §1).

``condense`` and ``digest`` work without Discord; ``run`` starts the service. Exit status:
0 success, 1 a runtime failure reported as one sentence on stderr, 2 bad usage (argparse).
Nothing here prints a traceback unless NEWSDIGEST_LOG_LEVEL is DEBUG.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from digests import __version__
from digests.condensing import condense
from digests.errors import DigestError, InputError
from digests.model import Condensed, Quote

log = logging.getLogger("newsdigest")

#: Files and standard input larger than this are refused rather than read whole.
MAX_INPUT_BYTES = 20 * 1024 * 1024


class CLIError(Exception):
    """A failure to report as one sentence with exit status 1."""


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        metavar="PATH",
        help="SQLite database file (default: $NEWSDIGEST_DB)",
    )
    parser = argparse.ArgumentParser(
        prog="newsdigest",
        description="Condense news stories and feeds into digests, here or in Discord.",
        parents=[common],
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

    sub.add_parser(
        "run",
        parents=[common],
        help="run the service: scheduler, feed polling and the Discord bot (needs DISCORD_TOKEN)",
    )
    return parser


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
    if args.db:
        os.environ["NEWSDIGEST_DB"] = args.db
    _configure_logging()
    try:
        if args.command == "condense":
            return _condense_command(parser, args)
        if args.command == "digest":
            return _digest_command(args)
        return _run_command()
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
    head = data[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<body" in head


def _html_to_text(data: bytes, *, url: str | None) -> tuple[str, str | None]:
    from digests.feeds.extract import extract_article

    article = extract_article(data, url=url)
    if article is None or not article.text.strip():
        raise CLIError("No article text could be found in that page.")
    return article.text, article.title


async def _fetch_article(url: str) -> tuple[str, str | None]:
    from bot.settings import load_settings
    from digests.feeds.fetch import Fetcher, Retrieved
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


def _settings(loader: Any) -> Any:
    from bot.settings import SettingsError

    try:
        return loader()
    except SettingsError as exc:
        raise CLIError(str(exc)) from None


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

    settings = _settings(load_settings)

    async def go() -> Any:
        async with Fetcher(
            user_agent=settings.user_agent,
            allow_private=settings.allow_private_urls,
            limits=settings.fetch_limits(),
        ) as fetcher:
            return await digest_sources(
                list(args.feeds), fetcher=fetcher, limit=args.limit, db_path=settings.db
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


def _run_command() -> int:
    from bot.runner import run
    from bot.settings import load_settings

    return int(run(_settings(load_settings)))


if __name__ == "__main__":
    sys.exit(main())
