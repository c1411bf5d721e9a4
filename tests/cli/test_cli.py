"""The `newsdigest` command line, run in-process (main(argv)) and once as the installed script."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from bot.cli import main

ARTICLE = """Jane Doe, the mayor of Riverton, announced on Monday that the city will close its oldest bridge for repairs.

The bridge, built in 1921, carries 30,000 vehicles a day and was rated unsafe by inspectors last month.

"We cannot wait for a collapse to act," Ms. Doe said at a press conference. "The repairs start next week."

Local businesses worry about the detour. One shop owner said: "Half my customers cross that bridge."

The work is expected to take eight months and cost $12 million, paid from the state's infrastructure fund.
"""


@pytest.fixture
def article(tmp_path: Path) -> Path:
    path = tmp_path / "story.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    return path


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse usage errors and --help/--version
        status = int(exc.code or 0)
    out, err = capsys.readouterr()
    return status, out, err


def test_condense_text_shows_summary_then_attributed_quotes(article: Path, capsys) -> None:
    status, out, err = run(["condense", str(article)], capsys)
    assert status == 0, err
    assert "bridge" in out.split("\n\n")[0]
    assert "“We cannot wait for a collapse to act,” — Jane Doe" not in out  # no stray comma
    assert "— Jane Doe" in out


def test_condense_json_matches_contract(article: Path, capsys) -> None:
    status, out, _ = run(
        ["condense", str(article), "--format", "json", "--title", "Bridge"], capsys
    )
    assert status == 0
    data = json.loads(out)
    assert set(data) == {"title", "summary", "sentences", "quotes"}
    assert data["title"] == "Bridge"
    assert data["summary"] == " ".join(data["sentences"])
    assert 1 <= len(data["sentences"]) <= 3
    speakers = {q["speaker"] for q in data["quotes"]}
    assert "Jane Doe" in speakers
    assert "One shop owner" in speakers
    for quote in data["quotes"]:
        assert set(quote) == {"text", "speaker", "score"}
        assert not quote["text"].startswith(('"', "“"))


def test_condense_stdin(monkeypatch, capsys) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(ARTICLE.encode())))
    status, out, _ = run(["condense", "-", "--sentences", "1", "--format", "json"], capsys)
    assert status == 0
    assert len(json.loads(out)["sentences"]) == 1


def test_condense_html_file(tmp_path: Path, capsys) -> None:
    paras = "".join(f"<p>{p}</p>" for p in ARTICLE.split("\n\n") if p.strip())
    page = tmp_path / "story.html"
    page.write_text(
        f"<html><head><title>Bridge to close</title></head><body><nav>Home | News</nav>"
        f"<article><h1>Bridge to close</h1>{paras}</article><footer>© Riverton Post</footer>"
        "</body></html>",
        encoding="utf-8",
    )
    status, out, err = run(["condense", str(page), "--format", "json"], capsys)
    assert status == 0, err
    data = json.loads(out)
    assert "bridge" in data["summary"].lower()
    assert "Home | News" not in data["summary"]


def test_jsonl_batch_keeps_order_and_reports_bad_lines(tmp_path: Path, capsys) -> None:
    batch = tmp_path / "in.jsonl"
    lines = [
        json.dumps({"id": 1, "title": None, "text": ARTICLE}),
        "{not json",
        json.dumps({"id": "b", "title": "x", "text": 5}),
        json.dumps({"id": 3, "title": "Bridge", "text": ARTICLE}),
        json.dumps({"id": 4, "title": None, "text": ""}),
    ]
    batch.write_text("\n".join(lines) + "\n", encoding="utf-8")
    status, out, _ = run(["condense", "--jsonl", str(batch)], capsys)
    assert status == 0
    results = [json.loads(line) for line in out.splitlines()]
    assert [r.get("id") for r in results] == [1, None, "b", 3, 4]
    assert "summary" in results[0] and "quotes" in results[0]
    for bad in (results[1], results[2], results[4]):
        assert set(bad) == {"id", "error"}
        assert bad["error"].endswith(".") and "\n" not in bad["error"]


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"\x00\x01\x02\xff\xfe garbage \x00" * 100, "garbage.bin"),
        (b"", "empty.txt"),
        (b"   \n\n  \n", "blank.txt"),
    ],
)
def test_bad_input_is_one_sentence_and_status_1(tmp_path: Path, capsys, content, name) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    status, out, err = run(["condense", str(path)], capsys)
    assert status == 1
    assert out == ""
    assert err.startswith("newsdigest: ") and err.count("\n") == 1
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "text",
    [
        "no sentence at all just words without any end",
        'He said "this quote never closes and goes on and on without end',
        "<html><body><p>Some <b>HTML</b> given as text.</p><script>x()</script></body></html>",
    ],
)
def test_odd_text_gives_a_result(tmp_path: Path, capsys, text: str) -> None:
    path = tmp_path / "odd.txt"
    path.write_text(text, encoding="utf-8")
    status, out, err = run(["condense", str(path), "--format", "json"], capsys)
    assert status in (0, 1)
    if status == 0:
        assert "<script>" not in json.loads(out)["summary"]
    else:
        assert err.count("\n") == 1 and "Traceback" not in err


def test_missing_file_and_bad_usage(capsys, tmp_path: Path) -> None:
    status, _, err = run(["condense", str(tmp_path / "nope.txt")], capsys)
    assert status == 1 and "There is no file" in err
    status, _, err = run(["condense", "x.txt", "--sentences", "zero"], capsys)
    assert status == 2
    status, _, _ = run(["frobnicate"], capsys)
    assert status == 2


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:9/story", "http://169.254.169.254/latest/meta-data", "ftp://example.com/x"],
)
def test_condense_refuses_unsafe_urls(monkeypatch, capsys, url: str) -> None:
    monkeypatch.setenv("NEWSDIGEST_ALLOW_PRIVATE_URLS", "false")
    status, out, err = run(["condense", url], capsys)
    assert status == 1
    assert out == "" and err.count("\n") == 1 and "Traceback" not in err


def test_installed_script_reports_version() -> None:
    # the script this interpreter's install put beside it (a venv's bin need not be on PATH,
    # where another install's script may be), else the one on PATH
    beside = Path(sys.executable).with_name("newsdigest")
    exe = str(beside) if beside.is_file() else shutil.which("newsdigest")
    if exe is None:
        pytest.skip("the console script is not installed (pip install -e .)")
    done = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert done.stdout.startswith("newsdigest ")


def _feed_file(path: Path, name: str, count: int, hours_ago: float) -> Path:
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    now = datetime.now(UTC)

    def words(n: int, k: int) -> str:  # distinct made-up words: no two stories look alike
        return " ".join(f"{name}{n}w{i}" for i in range(k))

    items = "".join(
        f"<item><guid>{name}-{n}</guid><title>{words(n, 6)}</title>"
        f"<link>https://{name}.example/{n}</link>"
        f"<pubDate>{format_datetime(now - timedelta(hours=hours_ago + n / 10))}</pubDate>"
        f"<description>{words(n, 90)}.</description>"  # not a teaser: no page fetch
        "</item>"
        for n in range(count)
    )
    path.write_text(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{name}</title>'
        f"<link>https://{name}.example/</link><description>d</description>{items}"
        "</channel></rss>",
        encoding="utf-8",
    )
    return path


def test_digest_over_six_feeds_includes_every_feed(tmp_path: Path, capsys) -> None:
    # two prolific, fresher feeds and four quieter ones (one of them older)
    sizes = {"busy": (60, 0.1), "loud": (60, 0.2), "calm": (3, 5), "quiet": (4, 6)}
    sizes |= {"slow": (2, 30), "rare": (1, 40)}
    files = [str(_feed_file(tmp_path / f"{n}.xml", n, c, h)) for n, (c, h) in sizes.items()]
    db = str(tmp_path / "cli.db")
    status, out, _ = run(
        ["digest", *files, "--limit", "100", "--format", "json", "--db", db], capsys
    )
    assert status == 0
    stories = json.loads(out)["stories"]
    assert len(stories) == 100
    feeds = {s["feed"] for s in stories}
    assert feeds == set(sizes)
    # the quiet feeds give every story they have; the busy ones share the rest
    for name, (count, _) in sizes.items():
        if count < 10:
            assert sum(s["feed"] == name for s in stories) == count


FEED = f"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>
<title>Riverton Times</title><link>https://riverton.example/</link><description>news</description>
<item><guid>bridge</guid><title>Riverton closes its oldest bridge</title>
<link>https://riverton.example/bridge</link><pubDate>Wed, 25 Nov 2026 08:00:00 +0000</pubDate>
<description>{escape(ARTICLE)}</description></item></channel></rss>"""


@pytest.mark.parametrize("before", [True, False], ids=["before", "after"])
def test_db_option_works_before_or_after_the_command(
    tmp_path: Path, monkeypatch, capsys, before: bool
) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text(FEED, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEWSDIGEST_DB", str(tmp_path / "from-env.db"))
    chosen = tmp_path / "chosen.db"
    option = ["--db", str(chosen)]
    argv = [*option, "digest", str(feed)] if before else ["digest", str(feed), *option]
    status, out, err = run(argv, capsys)
    assert status == 0, err
    assert "bridge" in out.lower()
    assert chosen.is_file()
    assert not (tmp_path / "from-env.db").exists() and not (tmp_path / "newsdigest.db").exists()


def test_jsonl_a_deeply_nested_line_is_one_error_and_the_batch_goes_on(
    tmp_path: Path, capsys
) -> None:
    batch = tmp_path / "in.jsonl"
    nested = '{"id": "deep", "text": ' + "[" * 100_000 + "]" * 100_000 + "}"
    lines = [nested, "[" * 100_000, json.dumps({"id": 2, "title": None, "text": ARTICLE})]
    batch.write_text("\n".join(lines) + "\n", encoding="utf-8")
    status, out, err = run(["condense", "--jsonl", str(batch)], capsys)
    assert status == 0, err
    results = [json.loads(line) for line in out.splitlines()]
    assert [r.get("id") for r in results] == ["deep", None, 2]
    assert results[0] == {"id": "deep", "error": "The line's JSON is nested too deeply."}
    assert set(results[1]) == {"id", "error"} and "summary" in results[2]


OPML_DIR = Path(__file__).parent.parent / "data" / "opml"


async def test_feeds_import_and_export_without_discord(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio

    from digests.feeds.opml import parse_opml
    from tests.builders import rss
    from tests.digests.test_service import long_item
    from tests.feedserver import FeedServer

    db = str(tmp_path / "news.db")
    monkeypatch.setenv("NEWSDIGEST_ALLOW_PRIVATE_URLS", "true")
    async with FeedServer() as server:
        for name in ("tomjerry", "cafe"):
            server.add(
                f"/{name}.xml", rss(name, [long_item(1)]), content_type="application/rss+xml"
            )
        fixture = (OPML_DIR / "miniflux.opml").read_bytes()
        source = tmp_path / "feeds.opml"
        source.write_bytes(fixture.replace(b"https://feeds.example.net", server.base.encode()))

        def cli(*argv: str) -> tuple[int, str, str]:
            return run(list(argv), capsys)

        listed = await asyncio.to_thread(cli, "feeds", "import", str(source))
        assert listed[0] == 0 and "Tom & Jerry's <Weekly> News  [All]" in listed[1]
        assert "2 feed(s)" in listed[2]
        unknown = await asyncio.to_thread(
            cli, "feeds", "import", str(source), "--channel", "5", "--db", db
        )
        assert unknown[0] == 1 and "--guild" in unknown[2]
        first = await asyncio.to_thread(
            cli,
            "--db",
            db,
            "feeds",
            "import",
            str(source),
            "--channel",
            "5",
            "--guild",
            "7",
            "--mode",
            "live",
        )
        assert first[0] == 0, first[2]
        assert first[1].count("added") == 2 and "Added 2 feeds" in first[2]
        again = await asyncio.to_thread(
            cli, "feeds", "import", str(source), "--channel", "5", "--db", db
        )
        assert again[1].count("skipped") == 2
        target = tmp_path / "out.opml"
        exported = await asyncio.to_thread(cli, "feeds", "export", str(target), "--db", db)
        assert exported[0] == 0
        feeds = parse_opml(target.read_bytes())
        assert {f.url for f in feeds} == {server.url("/tomjerry.xml"), server.url("/cafe.xml")}
        assert {f.category for f in feeds} == {"channel 5"}
        printed = await asyncio.to_thread(cli, "feeds", "export", "--db", db, "--guild", "8")
        assert printed[0] == 0 and parse_opml(printed[1].encode()) == []


def test_feeds_import_refuses_hostile_files(tmp_path: Path, capsys) -> None:
    bomb = tmp_path / "bomb.opml"
    bomb.write_bytes(
        b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaa">]><opml><body>'
        b'<outline text="&a;" xmlUrl="https://a.example/x"/></body></opml>'
    )
    status, _, err = run(["feeds", "import", str(bomb)], capsys)
    assert status == 1 and "DTD or entities" in err and err.count("\n") == 1
    huge = tmp_path / "huge.opml"
    with huge.open("wb") as handle:
        handle.truncate(50 * 2**20)
    status, _, err = run(["feeds", "import", str(huge), "--channel", "1"], capsys)
    assert status == 1 and "too large" in err
