"""``python -m bot``: the same as ``newsdigest run``."""

from __future__ import annotations

import sys

from bot.runner import run
from bot.settings import SettingsError, load_settings


def main() -> int:
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"newsdigest: {exc}", file=sys.stderr)  # noqa: T201
        return 1
    return run(settings)


if __name__ == "__main__":
    sys.exit(main())
