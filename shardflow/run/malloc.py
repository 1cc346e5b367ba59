"""Keep a long-lived worker's memory from staying at its high-water mark.

glibc serves large allocations with mmap and gives them back on free, but each free of such a
block raises its mmap threshold to the block's size (up to 32 MB), after which blocks that
big come from the heap, and a heap freed in the middle is not given back. A reader that
holds a few 4 MB blocks (a long line in pieces) thus leaves a worker whose next batches
grow the heap instead of reusing mapped memory: a 200 MB line cost 4.6x its size instead of
3.8x. Pinning the threshold turns that adjustment off.
"""

from __future__ import annotations

import ctypes
import ctypes.util

_M_MMAP_THRESHOLD = -3  # from malloc.h
MMAP_THRESHOLD = 1 << 20
"""Blocks of 1 MB and more are mapped and unmapped on their own (a 4 MB block costs a
fraction of a millisecond in page faults: nothing beside parsing it)."""


def pin_mmap_threshold(threshold: int = MMAP_THRESHOLD) -> bool:
    """Fix glibc's mmap threshold for this process; returns False where there is no glibc
    (musl, macOS), which has no such adjustment to turn off, or the call is refused."""
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return mallopt(_M_MMAP_THRESHOLD, threshold) == 1
