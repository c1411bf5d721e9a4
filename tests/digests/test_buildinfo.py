"""The optional compiled build: setup.py and digests.buildinfo name the same modules, and a build
older than its edited source is found."""

from __future__ import annotations

import ast
import os
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

from digests.buildinfo import CONDENSING_MODULES, compiled_modules, stale_builds

REPO = Path(__file__).resolve().parents[2]


def _setup_list() -> list[str]:
    tree = ast.parse((REPO / "setup.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.AnnAssign | ast.Assign):
            targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
            if any(isinstance(t, ast.Name) and t.id == "COMPILED" for t in targets):
                assert node.value is not None
                return list(ast.literal_eval(node.value))
    raise AssertionError("setup.py has no COMPILED list")


def test_setup_compiles_exactly_the_condensing_modules() -> None:
    from_setup = [p.removesuffix(".py").replace("/", ".") for p in _setup_list()]
    assert from_setup == list(CONDENSING_MODULES)


def test_compiled_modules_are_a_subset_of_the_condensing_ones() -> None:
    assert set(compiled_modules()) <= set(CONDENSING_MODULES)


def test_a_build_older_than_its_source_is_stale(tmp_path: Path) -> None:
    suffix = EXTENSION_SUFFIXES[0]
    (tmp_path / "quotes.py").write_text("x = 1\n")
    (tmp_path / f"quotes{suffix}").write_bytes(b"\0")
    (tmp_path / "text.py").write_text("x = 1\n")
    (tmp_path / f"text{suffix}").write_bytes(b"\0")
    os.utime(tmp_path / "quotes.py", (2_000_000_000, 2_000_000_000))
    os.utime(tmp_path / f"quotes{suffix}", (1_000_000_000, 1_000_000_000))
    os.utime(tmp_path / "text.py", (1_000_000_000, 1_000_000_000))
    os.utime(tmp_path / f"text{suffix}", (2_000_000_000, 2_000_000_000))
    assert stale_builds(tmp_path) == ["quotes.py"]
