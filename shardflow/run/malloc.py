"""Keep a long-lived worker's memory from staying at its high-water mark.

Two allocators hold on to freed memory: glibc's heap (below) and the allocator of Arrow's
default memory pool (mimalloc in pyarrow's wheels), which caches what batches freed. With
Arrow's buffers in the system pool instead, the largest worker of the 3-branch benchmark
peaks at 361 MB instead of 478 MB, and a passthrough worker at 328 MB instead of 378 MB, at
the same speed (bench/README.md). ``tune_worker_memory`` does both.

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
import os

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


def use_system_memory_pool() -> bool:
    """Allocate Arrow's buffers with the system allocator, unless the user chose a pool with
    ``ARROW_DEFAULT_MEMORY_POOL``; returns whether it did."""
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return False
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())
    return True


def tune_worker_memory() -> None:
    """What every worker process (local, Ray, Slurm) does before its first task."""
    pin_mmap_threshold()  # freed batches go back to the system, task after task
    use_system_memory_pool()
