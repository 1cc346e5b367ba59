"""Paths and file systems, through fsspec.

Every path in shardflow is a string that fsspec understands: a plain local path, or a URL
with a protocol (``s3://bucket/key``, ``memory://x``). ``FileInfo.path`` is always the
*full* form (absolute for local files, protocol included otherwise), so that it can be
handed to another process and opened there with the same storage options.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass

import fsspec
from fsspec.core import split_protocol, url_to_fs
from fsspec.implementations.local import LocalFileSystem

TEMP_PREFIX = ".tmp-"
"""Basename prefix of files being written (see ``commit.py``); never treated as input."""

_MAGIC = frozenset("*?[")
_LISTING_CACHED = frozenset({"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss"})


@dataclass(frozen=True)
class FileInfo:
    """A file and its size in bytes.

    Attributes:
        path: Full path: absolute for local files, protocol included otherwise ("s3://b/k").
        size: Size in bytes, as stored (compressed size for compressed files).
        crc32: CRC-32 of the bytes as stored, when the writer computed it (``commit`` does).
    """

    path: str
    size: int
    crc32: int | None = None


def filesystem(
    path: str, storage_options: dict | None = None
) -> tuple[fsspec.AbstractFileSystem, str]:
    """Resolves a path or URL to its file system and the path within it.

    Args:
        path: A local path or an fsspec URL.
        storage_options: Keyword arguments for the file system (credentials, endpoints).

    Returns:
        The file system and the path with its protocol stripped (absolute, for local paths).
    """
    return url_to_fs(path, **_with_defaults(path, storage_options))


def _with_defaults(path: str, storage_options: dict | None) -> dict:
    """The user's options, plus what shardflow needs from object stores unless told otherwise.

    * ``use_listings_cache=False``: s3fs and its kin cache directory listings per process
      and answer ``exists``/``size`` from them. Other processes (workers, a rerun) write
      markers and outputs; a cached listing would call them missing.
    * For S3, botocore's "standard" retry mode with 6 attempts (backoff up to about 30 s in
      all): a restarting or throttling server (503 SlowDown, refused connections) is
      retried; past that the task fails as an infrastructure failure and is retried whole.
    """
    options = dict(storage_options or {})
    protocol = split_protocol(path)[0] if "::" not in path else None
    if protocol in _LISTING_CACHED:
        options.setdefault("use_listings_cache", False)
    if protocol in ("s3", "s3a"):
        config = dict(options.get("config_kwargs") or {})
        config.setdefault("retries", {"mode": "standard", "max_attempts": 6})
        options["config_kwargs"] = config
    return options


def is_local(fs: fsspec.AbstractFileSystem) -> bool:
    """Whether ``fs`` is the local disk (where ``os.replace`` and ``fsync`` apply)."""
    return isinstance(fs, LocalFileSystem)


def protocol_of(path: str) -> str:
    """The protocol of a path or URL: "file" for plain local paths."""
    return split_protocol(path)[0] or "file"


def full_path(fs: fsspec.AbstractFileSystem, path: str) -> str:
    """The full form of a path stripped by ``filesystem``: plain for local, URL otherwise."""
    return path if is_local(fs) else fs.unstrip_protocol(path)


def expand_paths(
    patterns: str | Sequence[str], storage_options: dict | None = None
) -> list[FileInfo]:
    """Expands files, globs and directories into a sorted, deduplicated list of files.

    A directory stands for every file under it, recursively. Hidden entries (a name starting
    with ".", which includes the ``.tmp-*`` files of writers still at work) are skipped
    inside directories and glob matches, unless the pattern itself names a hidden entry;
    ``.tmp-*`` files are skipped always. A file named explicitly is taken as is.

    Args:
        patterns: One pattern or several (files, globs with ``*``, ``?``, ``[]``, ``**``,
            or directories), local or URLs.
        storage_options: Keyword arguments for the file system.

    Returns:
        The files, sorted by full path, each once.

    Raises:
        FileNotFoundError: A pattern matches no file; the message names the pattern.
    """
    if isinstance(patterns, str):
        patterns = [patterns]
    if not patterns:
        raise FileNotFoundError("No input paths were given: pass at least one path or glob.")
    found: dict[str, FileInfo] = {}
    for pattern in patterns:
        fs, stripped = filesystem(pattern, storage_options)
        infos = _expand_one(fs, stripped)
        if not infos:
            raise FileNotFoundError(_nothing_matched(pattern, fs, stripped))
        for name, size in infos:
            path = full_path(fs, name)
            found[path] = FileInfo(path, size)
    return [found[p] for p in sorted(found)]


def _expand_one(fs: fsspec.AbstractFileSystem, path: str) -> list[tuple[str, int]]:
    if any(c in _MAGIC for c in path):
        base = _magic_free_prefix(path)
        # The user asked for hidden entries if the pattern below the base names one.
        want_hidden = "/." in "/" + path[len(base) :].lstrip("/")
        out = []
        for name, info in fs.glob(path, detail=True).items():
            if not _visible(name[len(base) :], want_hidden):
                continue
            if info.get("type") == "directory":
                out.extend(_walk(fs, name))
            else:
                out.append((name, _size(fs, name, info)))
        return out
    if fs.isdir(path):
        return _walk(fs, path)
    if fs.isfile(path):
        return [(path, _size(fs, path, fs.info(path)))]
    return []


def _walk(fs: fsspec.AbstractFileSystem, directory: str) -> list[tuple[str, int]]:
    prefix = directory.rstrip("/") + "/"
    return [
        (name, _size(fs, name, info))
        for name, info in fs.find(directory, detail=True).items()
        if info.get("type", "file") != "directory" and _visible(name[len(prefix) :], False)
    ]


def _visible(relative: str, want_hidden: bool) -> bool:
    parts = relative.strip("/").split("/")
    if parts[-1].startswith(TEMP_PREFIX):
        return False
    return want_hidden or not any(p.startswith(".") for p in parts)


def _magic_free_prefix(path: str) -> str:
    parts = path.split("/")
    for i, part in enumerate(parts):
        if any(c in _MAGIC for c in part):
            return "/".join(parts[:i])
    return path


def _size(fs: fsspec.AbstractFileSystem, path: str, info: dict) -> int:
    size = info.get("size")
    if size is None:  # Some stores (HTTP without Content-Length) only know on request.
        size = fs.size(path)
    if size is None:
        raise OSError(f"Cannot determine the size of {path}: the store does not report it.")
    return int(size)


def _nothing_matched(pattern: str, fs: fsspec.AbstractFileSystem, stripped: str) -> str:
    if not any(c in _MAGIC for c in stripped) and fs.isdir(stripped):
        what = "is a directory with no visible files in it (hidden and .tmp-* files are skipped)"
    else:
        magic = any(c in _MAGIC for c in stripped)
        parent = _magic_free_prefix(stripped) if magic else posixpath.dirname(stripped)
        what = "matches no file"
        if parent and not fs.exists(parent):
            what += f" (the directory {full_path(fs, parent)} does not exist)"
    return (
        f"Input pattern {pattern!r} {what}. Check the path and its spelling, the protocol "
        "(e.g. s3://), the storage_options (credentials), and that the files were written."
    )
