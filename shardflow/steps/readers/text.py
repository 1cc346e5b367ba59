"""Plain text files, one document per file: ``read_text_files``."""

from __future__ import annotations

import posixpath
from collections import Counter
from typing import Any, Iterator

import pyarrow as pa

from shardflow.io import BadInputError, Piece, filesystem, full_path, open_input
from shardflow.steps.files import FileSource

_MAGIC = frozenset("*?[")


class TextFilesReader(FileSource):
    """Read plain text files (``.gz`` and ``.zst`` too); each file is one document.

    The id is the file's path relative to the directory of the pattern that found it
    (``docs/**/*.txt`` gives ``a/b.txt``), so ids do not depend on where the data lives.
    Empty files are dropped and counted (``empty_file``); a file that is not valid text in
    ``encoding`` is a bad record (``decode_error``).

    Args:
        paths: Files, globs or directories.
        encoding: The files' text encoding.
        **kwargs: ``limit``, ``skip``, ``adapter``, ``path_column``, ``on_error`` ...
            (see :class:`~shardflow.steps.files.FileSource`).

    Example:
        ``docs = read_text_files("corpus/**/*.txt", path_column="source_path")``
    """

    default_name = "read_text_files"

    def __init__(self, paths, *, encoding: str = "utf-8", **kwargs: Any) -> None:
        super().__init__(paths, **kwargs)
        self.encoding = encoding

    def read_piece(self, piece: Piece, skipped: Counter) -> Iterator[pa.Table]:
        try:
            with open_input(piece.path, self.storage_options) as f:
                data = f.read()
        except BadInputError as e:  # a cut or damaged .gz / .zst: the document is not whole
            self.bad(skipped, e.path, e.line, e.reason, e.detail, e.hint)
            return
        try:
            text = data.decode(self.encoding)
        except UnicodeDecodeError as e:
            self.bad(skipped, piece.path, None, "decode_error",
                     f"the file is not valid {self.encoding} at byte {e.start} (pass encoding=...)")
            return
        text = text.removeprefix("\ufeff")
        if not text:
            skipped["empty_file"] += 1
            return
        document = {"id": self._relative(piece.path), "text": text}
        if self.adapter is None:
            yield pa.table({"id": [document["id"]], "text": [text]})
        elif (table := self.record_parser(piece.path, skipped, "document").records([document], 0)) is not None:
            yield table

    def _relative(self, path: str) -> str:
        roots = self.__dict__.get("_roots")
        if roots is None:
            roots = self._roots = sorted(_roots(self.paths, self.storage_options), key=len, reverse=True)
        for root in roots:
            if path.startswith(root + "/"):
                return path[len(root) + 1 :]
        return posixpath.basename(path)


def _roots(patterns: list[str], storage_options: dict | None) -> list[str]:
    """The directory each pattern is relative to: the glob's fixed prefix, the directory
    itself, or a named file's directory; in full path form, as pieces name files."""
    out = []
    for pattern in patterns:
        fs, stripped = filesystem(pattern, storage_options)
        if any(c in _MAGIC for c in stripped):
            parts = stripped.split("/")
            k = next(i for i, p in enumerate(parts) if any(c in _MAGIC for c in p))
            root = "/".join(parts[:k])
        elif fs.isdir(stripped):
            root = stripped.rstrip("/")
        else:
            root = posixpath.dirname(stripped)
        out.append(full_path(fs, root))
    return out


read_text_files = TextFilesReader
