"""Input sharding: which bytes of which files each task reads.

Shards are contiguous runs of the input in path order (shard 0 holds the first bytes of the
first file), balanced by bytes, and a pure function of the file list and ``n``: the same
inputs give the same shards on every machine. When there are fewer files than shards,
splittable files (uncompressed JSONL) are cut into byte ranges; a line belongs to the range
that holds its first byte (see ``lines.py``), so adjacent ranges read each line once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .fs import FileInfo

_GRAIN = 4
"""Split files into ``_GRAIN`` pieces per shard's worth of bytes, so that grouping pieces
into shards can balance within a quarter shard; adjacent pieces of one file that land in one
shard are merged back, so the grain costs nothing at read time."""


@dataclass(frozen=True)
class Piece:
    """A byte range of one file.

    Attributes:
        path: Full path of the file.
        start: First byte offset (of the uncompressed, splittable file); 0 for whole files.
        end: Exclusive end offset, or None to read to the end of the file.
    """

    path: str
    start: int = 0
    end: int | None = None

    def __post_init__(self) -> None:
        if self.start < 0 or (self.end is not None and self.end < self.start):
            raise ValueError(f"Invalid byte range [{self.start}, {self.end}) for {self.path}.")

    @property
    def whole(self) -> bool:
        """Whether the piece is the entire file."""
        return self.start == 0 and self.end is None


@dataclass(frozen=True)
class InputShard:
    """The input of one task.

    Attributes:
        index: Position of the shard, 0-based.
        pieces: The byte ranges to read, in order.
        nbytes: Total bytes of the pieces (stored size, so compressed size when compressed).
    """

    index: int
    pieces: tuple[Piece, ...]
    nbytes: int


def plan_shards(
    files: Sequence[FileInfo],
    n: int,
    splittable: Callable[[str], bool],
    *,
    min_piece_bytes: int = 1,
) -> list[InputShard]:
    """Divides files into at most ``n`` contiguous shards of roughly equal bytes.

    Files are split only when there are fewer files than ``n``, and then only those for
    which ``splittable(path)`` is true. Every file lands in some shard, zero-byte files
    included (reading them is what proves an empty input empty).

    Args:
        files: The input files, in reading order (as ``expand_paths`` returns them).
        n: The wanted number of shards (>= 1).
        splittable: Whether a file may be cut into byte ranges (uncompressed JSONL).
        min_piece_bytes: Never cut pieces smaller than this (1 by default: cut as needed).

    Returns:
        ``min(n, units)`` shards, where units are files or file pieces; none without
        pieces; ``[]`` for no files.
    """
    if n < 1:
        raise ValueError(f"The number of shards must be at least 1, got {n}.")
    if not files:
        return []
    units = _units(files, n, splittable, max(1, min_piece_bytes))
    sizes = [u[2] - u[1] for u in units]
    shards = []
    for index, (lo, hi) in enumerate(_partition(sizes, min(n, len(units)))):
        pieces = _merge(units[lo:hi])
        shards.append(InputShard(index, pieces, sum(sizes[lo:hi])))
    return shards


def _units(files, n, splittable, min_piece) -> list[tuple[str, int, int, int]]:
    """(path, start, end, file size) per unit, end exclusive and never None."""
    whole = [(f.path, 0, f.size, f.size) for f in files]
    if len(files) >= n:
        return whole
    can_split = [splittable(f.path) for f in files]
    if not any(can_split):
        return whole
    total = sum(f.size for f in files)
    units = []
    for f, ok in zip(files, can_split):
        # k pieces of about total / (n * _GRAIN) bytes: ceil(size * n * _GRAIN / total).
        k = -(-f.size * n * _GRAIN // total) if ok and total else 1
        k = max(1, min(k, f.size // min_piece))
        bounds = [f.size * i // k for i in range(k + 1)]
        units.extend((f.path, bounds[i], bounds[i + 1], f.size) for i in range(k))
    return units


def _partition(sizes: list[int], k: int) -> list[tuple[int, int]]:
    """Cuts ``sizes`` into exactly ``k`` non-empty contiguous runs, each as close to an
    equal share of what is left as whole units allow. Needs ``len(sizes) >= k``."""
    runs, i, m, remaining = [], 0, len(sizes), sum(sizes)
    for j in range(k):
        left = k - j
        if left == 1:
            runs.append((i, m))
            break
        start, acc = i, sizes[i]
        i += 1
        # Take the next unit while that brings the run closer to (or as close to) its share,
        # remaining / left, keeping one unit for each run still to come. Integer arithmetic:
        # acc + s/2 <= remaining/left, doubled and multiplied out.
        while m - i > left - 1 and (2 * acc + sizes[i]) * left <= 2 * remaining:
            acc += sizes[i]
            i += 1
        runs.append((start, i))
        remaining -= acc
    return runs


def _merge(units) -> tuple[Piece, ...]:
    pieces: list[list] = []
    for path, start, end, size in units:
        if pieces and pieces[-1][0] == path and pieces[-1][2] == start:
            pieces[-1][2] = end  # the next piece of the same file: extend
        else:
            pieces.append([path, start, end, size])
    return tuple(Piece(p, s, None if e == size else e) for p, s, e, size in pieces)
