"""The run directory: one folder that holds everything a run knows about itself.

Layout::

    WORKDIR/
      run.json                 plan, stage keys, versions, the command that started the run
      events.jsonl             append-only event log (written by the driver only); on an
                               object store, which cannot append: events/<ms>-<pid>-<seq>.jsonl
                               segments read in name order (see events.py)
      lock.json                held while a run writes here
      stats.json               merged stats of the last run
      dag.mmd                  the stage DAG as Mermaid
      stages/<id>-<key>/
        done/<shard>.json      completion marker: output manifest + stats, written last
        progress/<shard>.json  parts a running task has committed, and its input position
        logs/<shard>.log       the task's log
        data/<exit>/<shard>-p<part>.arrow   checkpointed output of each exit that is not a sink

A marker is written only after every file it lists is committed, so a marker is proof that
its outputs are complete. A stage whose key changes gets a new folder; the old one stays
reusable until deleted.

On an object store the same holds without a rename: each file is published whole by one
upload (see ``shardflow.io.commit``), the marker last; what is done is found with one
listing of each stage's ``done/`` folder, never a listing of outputs.
"""

from __future__ import annotations

import os
import posixpath
import re
import socket
import time
from dataclasses import dataclass
from typing import Any

import orjson

from shardflow.io import file_crc32, filesystem, write_bytes_atomic
from shardflow.io.fs import full_path, protocol_of
from shardflow.io.objectstore import publishes_whole_objects
from shardflow.plan import Plan, StagePlan, TaskId
from shardflow.run.events import EventLog
from shardflow.run.intact import stored_sizes


#: A marker's file name: the shard, zero-padded (temporaries of killed writers never match).
MARKER_NAME = re.compile(r"\d{5,}\.json")


@dataclass(frozen=True)
class Marker:
    """A parsed completion marker.

    Attributes:
        task: The task.
        outputs: Per exit, per output partition, the files (``{"path", "size"}``) committed.
        side: Side outputs (rejected rows) committed with the task.
        stats: Per-step stats of the task.
        seconds: Wall time of the task.
        data: The whole marker as stored.
    """

    task: TaskId
    outputs: dict[str, list[list[dict[str, Any]]]]
    side: list[dict[str, Any]]
    stats: dict[str, dict[str, Any]]
    seconds: float
    data: dict[str, Any]

    @classmethod
    def from_dict(cls, task: TaskId, data: dict[str, Any]) -> "Marker":
        return cls(
            task=task,
            outputs=data["outputs"],
            side=data.get("side", []),
            stats=data["stats"],
            seconds=data.get("seconds", 0.0),
            data=data,
        )

    def files(self) -> list[dict[str, Any]]:
        """Every file the marker vouches for."""
        return [f for parts in self.outputs.values() for part in parts for f in part] + list(self.side)


class RunDir:
    """Paths and records of one run directory (local path or any fsspec URL)."""

    def __init__(self, workdir: str, storage_options: dict | None = None) -> None:
        workdir = str(workdir)
        # Workers may start elsewhere: local paths are made absolute once, here.
        self.url = (workdir if "://" in workdir else os.path.abspath(workdir)).rstrip("/")
        self.storage_options = storage_options
        self.fs, self.root = filesystem(self.url, storage_options)
        self.object_store = publishes_whole_objects(self.fs)
        self._events = EventLog(self.fs, self.root)
        self._output_options: list[tuple[str, dict | None]] = []

    def add_output_options(self, directories: list[tuple[str, dict | None]]) -> None:
        """Registers the storage options of output directories outside the run directory
        (sinks with their own credentials), for checking the files that markers list."""
        for directory, options in directories:
            if options is not None:
                url = directory if "://" in directory else os.path.abspath(directory)
                self._output_options.append((url.rstrip("/") + "/", options))

    def options_for(self, path: str) -> dict | None:
        """Storage options for a file a marker lists: its sink's, else the run directory's
        when on the same kind of storage, else none (the environment's credentials)."""
        for prefix, options in sorted(self._output_options, key=lambda x: -len(x[0])):
            if path.startswith(prefix):
                return options
        return self.storage_options if protocol_of(path) == protocol_of(self.url) else None

    # -- paths -------------------------------------------------------------------------------
    def path(self, *parts: str) -> str:
        return posixpath.join(self.url, *parts)

    def stage_dir(self, sp: StagePlan) -> str:
        return self.path("stages", sp.dirname)

    def marker_path(self, sp: StagePlan, shard: int) -> str:
        return posixpath.join(self.stage_dir(sp), "done", f"{shard:05d}.json")

    def progress_path(self, sp: StagePlan, shard: int) -> str:
        return posixpath.join(self.stage_dir(sp), "progress", f"{shard:05d}.json")

    def log_path(self, sp: StagePlan, shard: int) -> str:
        return posixpath.join(self.stage_dir(sp), "logs", f"{shard:05d}.log")

    def data_path(self, sp: StagePlan, exit: str, shard: int, part: int) -> str:
        return posixpath.join(self.stage_dir(sp), "data", exit.replace(":", "--"), f"{shard:05d}-p{part:05d}.arrow")

    # -- records -----------------------------------------------------------------------------
    def write_json(self, name: str, data: Any) -> None:
        write_bytes_atomic(self.path(name), orjson.dumps(data, option=orjson.OPT_INDENT_2), self.storage_options)

    def read_json(self, name: str) -> Any:
        with self.fs.open(self.path(name), "rb") as f:
            return orjson.loads(f.read())

    def exists(self, name: str) -> bool:
        return self.fs.exists(self.path(name))

    def write_marker(self, sp: StagePlan, shard: int, data: dict[str, Any]) -> None:
        write_bytes_atomic(self.marker_path(sp, shard), orjson.dumps(data), self.storage_options)

    def read_marker(self, sp: StagePlan, shard: int, verify: str = "size") -> Marker | None:
        """The task's marker if it exists and every file it lists is intact.

        Args:
            sp: The stage.
            shard: The task's shard.
            verify: ``"size"``: each file exists with its recorded size; ``"checksum"``:
                and its CRC-32 matches (reads every file). A damaged file is reported in the
                event log and the task reruns.
        """
        return self._valid_markers(sp, {shard: self.marker_path(sp, shard)}, verify).get(shard)

    def _valid_markers(self, sp: StagePlan, paths: dict[int, str], verify: str) -> dict[int, Marker]:
        """The markers at ``paths`` (by shard) that belong to ``sp`` and whose files are intact.

        All markers are read in one call (concurrent GETs on an object store) and all their
        files' sizes are checked together (see ``intact.py``).
        """
        raw = self.fs.cat([self.fs._strip_protocol(p) for p in paths.values()], on_error="return") if paths else {}
        raw = {full_path(self.fs, k): v for k, v in raw.items()}
        markers: dict[int, Marker] = {}
        for shard, path in paths.items():
            data = raw.get(path)
            if not isinstance(data, bytes):
                continue  # missing, or unreadable: the task reruns
            try:
                data = orjson.loads(data)
            except orjson.JSONDecodeError:
                continue  # a torn marker cannot be trusted: the task reruns
            if data.get("stage_key") == sp.key and "outputs" in data:
                markers[shard] = Marker.from_dict(TaskId(sp.id, shard), data)
        sizes = stored_sizes([e["path"] for m in markers.values() for e in m.files()], self.options_for)
        for shard, marker in list(markers.items()):
            for entry in marker.files():
                problem = self._damage(entry, sizes[entry["path"]], verify)
                if problem:
                    self.append_event("output_damaged", task=str(marker.task), path=entry["path"], problem=problem)
                    del markers[shard]
                    break
        return markers

    def _damage(self, entry: dict[str, Any], size: int | None, verify: str) -> str | None:
        """Why a committed file (stored with ``size`` bytes) cannot be trusted, or None."""
        if size is None:
            return "missing"
        if size != entry["size"]:
            return f"size {size} instead of {entry['size']}"
        if verify == "checksum" and entry.get("crc32") is not None:
            crc = file_crc32(entry["path"], self.options_for(entry["path"]))
            if crc != entry["crc32"]:
                return f"crc32 {crc:08x} instead of {entry['crc32']:08x}"
        return None

    def marker_paths(self, stage_dirname: str) -> dict[int, str]:
        """Markers present in one stage folder, by shard (one listing; temporaries ignored)."""
        done_dir = self.path("stages", stage_dirname, "done")
        try:
            paths = self.fs.ls(done_dir, detail=False)
        except FileNotFoundError:
            return {}
        found = {}
        for path in paths:
            name = posixpath.basename(path)
            if MARKER_NAME.fullmatch(name):
                found[int(name[:-5])] = full_path(self.fs, path)  # ls strips the protocol
        return dict(sorted(found.items()))

    def completed(self, plan: Plan, verify: str = "size") -> dict[TaskId, Marker]:
        """Valid markers of every task of ``plan`` (one listing per stage, not per task)."""
        found: dict[TaskId, Marker] = {}
        for sp in plan.stages.values():
            present = {s: p for s, p in self.marker_paths(sp.dirname).items() if s < sp.n_tasks}
            for marker in self._valid_markers(sp, present, verify).values():
                found[marker.task] = marker
        return found

    # -- events ------------------------------------------------------------------------------
    def append_event(self, event: str, **fields: Any) -> None:
        """Append one event (with time, host and pid) to the event log (see ``events.py``)."""
        record = {"t": round(time.time(), 6), "event": event, "host": socket.gethostname(), "pid": os.getpid()}
        record.update(fields)
        self._events.append(record)

    def flush_events(self) -> None:
        """Write events still buffered (object stores buffer about a second of them)."""
        self._events.flush()

    def events(self) -> list[dict[str, Any]]:
        """Every event of the run directory, oldest first."""
        return self._events.read()

    def makedirs(self, sp: StagePlan) -> None:
        if self.object_store:  # no folders to make, and each makedirs would be a request
            return
        for sub in ("done", "logs", "data", "progress"):
            self.fs.makedirs(posixpath.join(self.stage_dir(sp), sub), exist_ok=True)
