"""The run's event log: append-only, ordered, readable while the run goes on.

On a local disk (and any store that can append) it is one file, ``events.jsonl``, and
every event is appended and flushed at once.

An object store cannot append: an object is written whole, and "append" would mean reading
and rewriting the whole log for every event. There the log is a sequence of *segments*,
``events/<ms>-<pid>-<seq>.jsonl``, each holding the events of about one second: the driver
buffers events and writes the buffer as a new segment when an event arrives a second or
more after the last write, and when the run ends (``flush``). A reader lists ``events/``
(one listing; there are about as many segments as seconds of run time with activity) and
reads the segments in name order, which is time order: the name starts with the time of the
segment's first event, zero-padded. A driver killed outright loses at most the last second
of events, never the markers that say what is done. A segment that cannot be written (the
store is restarting) stays buffered and goes out with the next one.
"""

from __future__ import annotations

import logging
import os
import posixpath
import time
from typing import Any

import fsspec
import orjson

from shardflow.io.objectstore import publishes_whole_objects

log = logging.getLogger(__name__)

#: Seconds between two segment writes on an object store.
SEGMENT_SECONDS = 1.0


class EventLog:
    """Append and read the events of one run directory.

    Args:
        fs: The run directory's file system.
        root: The run directory, protocol stripped.
    """

    def __init__(self, fs: fsspec.AbstractFileSystem, root: str) -> None:
        self.fs = fs
        self.root = root
        self.segmented = publishes_whole_objects(fs)
        self._buffer: list[bytes] = []
        self._first_t: float | None = None
        self._last_write = 0.0
        self._seq = 0

    def append(self, record: dict[str, Any]) -> None:
        """Records one event (a dict with at least ``t`` and ``event``)."""
        line = orjson.dumps(record, default=str) + b"\n"
        if not self.segmented:
            with self.fs.open(posixpath.join(self.root, "events.jsonl"), "ab") as f:
                f.write(line)
            return
        if not self._buffer:
            self._first_t = record["t"]
        self._buffer.append(line)
        if time.monotonic() - self._last_write >= SEGMENT_SECONDS:
            self.flush(raise_errors=False)

    def flush(self, raise_errors: bool = True) -> None:
        """Writes buffered events as one segment (object stores; a no-op elsewhere)."""
        if not self._buffer:
            return
        self._seq += 1
        name = f"{int(self._first_t * 1000):013d}-{os.getpid()}-{self._seq:06d}.jsonl"
        try:
            self.fs.pipe_file(posixpath.join(self.root, "events", name), b"".join(self._buffer))
        except Exception:
            if raise_errors:
                raise
            # Kept for the next segment: a hiccup of the store must not stop the run.
            log.warning("could not write an event segment to %s; will retry", self.root, exc_info=True)
            return
        finally:
            self._last_write = time.monotonic()
        self._buffer.clear()

    def read(self) -> list[dict[str, Any]]:
        """Every event written so far, oldest first (this process's unflushed ones too)."""
        raw: list[bytes] = []
        try:
            raw.append(self.fs.cat_file(posixpath.join(self.root, "events.jsonl")))
        except FileNotFoundError:
            pass
        if self.segmented:
            try:
                names = sorted(self.fs.ls(posixpath.join(self.root, "events"), detail=False))
            except FileNotFoundError:
                names = []
            if names:
                contents = self.fs.cat(names)  # concurrent GETs, bounded by the store's batch size
                raw.extend(contents[n] for n in names)
            raw.extend(self._buffer)
        return [orjson.loads(line) for chunk in raw for line in chunk.splitlines() if line.strip()]
