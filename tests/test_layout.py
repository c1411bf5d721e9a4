"""The code's shape (issue 10, ../shared/docs/layout.md): one home per responsibility.

- the library's import graph (module-level imports) has no cycles;
- only ``digests/store/`` talks to SQLite;
- threads meet the event loop in one helper;
- ``digests/`` never imports discord and its top level holds only the façade and orchestration.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("digests", "bot")
TOP_LEVEL = {
    "__init__",
    "batching",
    "clock",
    "compose",
    "errors",
    "filters",
    "jobs",
    "model",
    "oneshot",
    "opml",
    "polling",
    "service",
    "shards",
    "workers",
}
SUBPACKAGES = {"feeds", "condensing", "store"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for package in PACKAGES
        for path in sorted((REPO / package).rglob("*.py"))
    }


def imported(tree: ast.Module, known: set[str], *, top_only: bool) -> set[str]:
    """Our modules an import statement names (``from pkg import sub`` names ``pkg.sub``)."""
    nodes = tree.body if top_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            subs = {f"{node.module}.{alias.name}" for alias in node.names}
            named = subs & known
            found.update(named)
            if node.module in known and len(named) < len(subs):
                found.add(node.module)
    return found


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {
        name: imported(ast.parse(path.read_text(encoding="utf-8")), known, top_only=True)
        for name, path in mods.items()
    }


def cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the list of modules on it, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_cycle_finder_finds_a_cycle() -> None:
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None


def test_import_graph_has_no_cycles() -> None:
    assert cycle(graph()) is None


def test_only_the_store_talks_to_the_database() -> None:
    """SQLite's modules and PostgreSQL's driver are imported by digests.store alone."""
    offenders = []
    for name, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        names |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        drivers = {"sqlite3", "sqlite_utils", "psycopg", "psycopg_pool", "psycopg.errors"}
        if names & drivers and not name.startswith("digests.store"):
            offenders.append(name)
    assert offenders == []


def test_threads_meet_the_loop_in_one_place() -> None:
    users = [
        name for name, path in modules().items() if "to_thread" in path.read_text(encoding="utf-8")
    ]
    assert users == ["digests.service"]


def test_the_library_never_imports_discord_or_the_bot() -> None:
    known = set(modules())
    for name, path in modules().items():
        if not name.startswith("digests"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert not any(m.startswith("bot") for m in imported(tree, known, top_only=False)), name
        source = path.read_text(encoding="utf-8")
        assert "import discord" not in source and "from discord" not in source, name


def test_digests_top_level_is_the_facade_and_orchestration() -> None:
    top = REPO / "digests"
    assert {p.stem for p in top.glob("*.py")} <= TOP_LEVEL
    assert {p.name for p in top.iterdir() if (p / "__init__.py").exists()} == SUBPACKAGES
