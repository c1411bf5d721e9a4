"""Which condensing modules run compiled (mypyc, see setup.py) and whether a build is stale.

An editable install puts the compiled modules beside their sources, and Python imports the
compiled one first: after editing a source, the old build would keep running until the next
``pip install -e .``. ``stale_builds`` finds such builds so the test run can refuse them.
"""

from __future__ import annotations

import importlib
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

#: The modules setup.py compiles when it can.
CONDENSING_MODULES = (
    "digests.text",
    "digests.summarize",
    "digests.quote_words",
    "digests.quote_sentences",
    "digests.quote_marks",
    "digests.speakers",
    "digests.quote_attrib",
    "digests.quotes",
    "digests.condense",
)


def compiled_modules() -> list[str]:
    """The condensing modules imported from compiled extension files."""
    out = []
    for name in CONDENSING_MODULES:
        origin = getattr(importlib.import_module(name), "__file__", None) or ""
        if origin.endswith(tuple(EXTENSION_SUFFIXES)):
            out.append(name)
    return out


def stale_builds(package_dir: Path) -> list[str]:
    """Sources in ``package_dir`` edited after their compiled module was built."""
    stale = []
    for suffix in EXTENSION_SUFFIXES:
        for built in package_dir.glob(f"*{suffix}"):
            source = built.with_name(built.name[: -len(suffix)] + ".py")
            if source.exists() and source.stat().st_mtime > built.stat().st_mtime:
                stale.append(source.name)
    return sorted(set(stale))
