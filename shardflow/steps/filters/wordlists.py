"""Word lists: the ones shipped in ``data/`` and the ones a user points to."""

from __future__ import annotations

import re
from importlib import resources
from typing import Iterable

import fsspec


def shipped_lines(name: str) -> list[str]:
    """The lines of ``data/<name>`` shipped with shardflow (see ``data/NOTICE``)."""
    text = resources.files("shardflow.steps.filters").joinpath(f"data/{name}").read_text("utf-8")
    return text.splitlines(keepends=True)


def file_lines(path: str) -> list[str]:
    """The lines of a local or remote (fsspec) file; ``.gz`` / ``.zst`` are decompressed."""
    try:
        with fsspec.open(path, "rt", encoding="utf-8", compression="infer") as f:
            return f.readlines()
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"word list {path!r} does not exist: give the path of a text file, one entry per line") from exc


def any_word_regex(words: Iterable[str]) -> str:
    """One regex alternation matching any of ``words``, arranged as a trie.

    It matches the same strings as ``"|".join(map(re.escape, words))`` (at a given position,
    one of the words matches), but tries each character once instead of once per word.
    """
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        ends = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if ends else body

    return build(trie)
