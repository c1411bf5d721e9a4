"""Extractive summarization. Pure functions.

Interface: ``summarize(paras: list[str], *, title: str | None, sentences: int, avoid: list[str])
-> list[str]``: the sentences of the gist, in article order; ``avoid`` are key-quote texts the
summary must not repeat.
"""

from __future__ import annotations


def summarize(paras: list[str], *, title: str | None, sentences: int, avoid: list[str]) -> list[str]:
    raise NotImplementedError
