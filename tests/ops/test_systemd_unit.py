"""contrib/newsdigest.service: restarts on failure, is hardened, and may write where the database
lives; checked with ``systemd-analyze verify`` where systemd's tools are installed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path, PurePosixPath

import pytest

UNIT = Path(__file__).resolve().parents[2] / "contrib" / "newsdigest.service"


def directives(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        key, _, value = line.partition("=")
        found.setdefault(key.strip(), []).append(value.strip())
    return found


def test_unit_restarts_on_failure_and_runs_the_service_hardened() -> None:
    unit = directives(UNIT.read_text(encoding="utf-8"))
    assert unit["Restart"] == ["on-failure"]
    assert unit["ExecStart"][0].endswith("/newsdigest run")
    assert unit["NoNewPrivileges"] == ["yes"] and unit["ProtectSystem"] == ["strict"]
    db = next(v for v in unit["Environment"] if v.startswith("NEWSDIGEST_DB="))
    folder = PurePosixPath(db.split("=", 1)[1]).parent
    writable = [PurePosixPath(p) for v in unit["ReadWritePaths"] for p in v.split()]
    assert folder in writable  # the database, its WAL files and the command hash file
    assert unit["WorkingDirectory"] == [str(folder)]
    assert "DISCORD_TOKEN" not in UNIT.read_text(encoding="utf-8").split("[Unit]", 1)[1]


def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    script = shutil.which("newsdigest")
    if analyze is None or script is None:
        pytest.skip("systemd-analyze or the newsdigest script is not installed")
    text = UNIT.read_text(encoding="utf-8").replace("/opt/newsdigest/bin/newsdigest", script)
    unit = tmp_path / "newsdigest.service"
    unit.write_text(text, encoding="utf-8")
    done = subprocess.run(
        [analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr
