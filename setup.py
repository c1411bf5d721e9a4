"""Build hook: compile the condensing modules with mypyc when it can (pure Python otherwise).

The condensing library (``digests/text.py``, ``summarize.py``, the quote modules) is typed
Python that mypyc compiles to C extension modules, about 1.5x faster. Everything else is in
pyproject.toml. The extensions are optional: without a C compiler, or with
``NEWSDIGEST_PURE_PYTHON=1``, the same modules install and run as plain Python, with the same
results. An editable install (``pip install -e .``) puts the compiled modules beside the sources;
after editing one of these files, run the install again (the test run refuses stale builds).
"""

from __future__ import annotations

import os

from setuptools import Extension, setup

#: The modules compiled (pure functions over text: no I/O, no discord, no monkeypatching).
COMPILED = [
    "digests/text.py",
    "digests/summarize.py",
    "digests/quote_words.py",
    "digests/quote_sentences.py",
    "digests/quote_marks.py",
    "digests/speakers.py",
    "digests/quote_attrib.py",
    "digests/quotes.py",
    "digests/condense.py",
]


def extensions() -> list[Extension]:
    if os.environ.get("NEWSDIGEST_PURE_PYTHON", "").strip().lower() in {"1", "true", "yes", "on"}:
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:  # mypy is not in this build environment: plain Python
        return []
    modules = mypycify(COMPILED, opt_level="3", group_name="digests_compiled")
    for ext in modules:
        ext.optional = True  # a failed C build leaves the plain Python modules in place
    return modules


setup(ext_modules=extensions())
