"""The run directory: one folder that holds everything a run knows about itself.

Layout::

    WORKDIR/
      run.json                 plan, stage keys, versions, the command that started the run
      events.jsonl             append-only event log (written by the driver only)
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
from shardflow.plan import Plan, StagePlan, TaskId


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
        path = self.marker_path(sp, shard)
        try:
            with self.fs.open(path, "rb") as f:
                data = orjson.loads(f.read())
        except FileNotFoundError:
            return None
        except orjson.JSONDecodeError:
            return None  # a torn marker cannot be trusted: the task reruns
        if data.get("stage_key") != sp.key or "outputs" not in data:
            return None
        marker = Marker.from_dict(TaskId(sp.id, shard), data)
        for entry in marker.files():
            problem = self._damage(entry, verify)
            if problem:
                self.append_event("output_damaged", task=str(marker.task), path=entry["path"], problem=problem)
                return None
        return marker

    def _damage(self, entry: dict[str, Any], verify: str) -> str | None:
        """Why a committed file cannot be trusted, or None if it is intact."""
        try:
            size = self.fs.size(entry["path"])
        except FileNotFoundError:
            return "missing"
        if size != entry["size"]:
            return f"size {size} instead of {entry['size']}"
        if verify == "checksum" and entry.get("crc32") is not None:
            crc = file_crc32(entry["path"], self.storage_options)
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
                found[int(name[:-5])] = path if "://" in path or path.startswith("/") else self.path(path)
        return dict(sorted(found.items()))

    def completed(self, plan: Plan, verify: str = "size") -> dict[TaskId, Marker]:
        """Valid markers of every task of ``plan`` (one listing per stage, not per task)."""
        found: dict[TaskId, Marker] = {}
        for sp in plan.stages.values():
            present = self.marker_paths(sp.dirname)
            for shard in range(sp.n_tasks):
                if shard in present:
                    marker = self.read_marker(sp, shard, verify)
                    if marker is not None:
                        found[marker.task] = marker
        return found

    # -- events ------------------------------------------------------------------------------
    def append_event(self, event: str, **fields: Any) -> None:
        """Append one event (with time, host and pid) to events.jsonl and flush it."""
        record = {"t": round(time.time(), 6), "event": event, "host": socket.gethostname(), "pid": os.getpid()}
        record.update(fields)
        line = orjson.dumps(record, default=str) + b"\n"
        with self.fs.open(self.path("events.jsonl"), "ab") as f:
            f.write(line)

    def events(self) -> list[dict[str, Any]]:
        try:
            with self.fs.open(self.path("events.jsonl"), "rb") as f:
                return [orjson.loads(line) for line in f.read().splitlines() if line.strip()]
        except FileNotFoundError:
            return []

    def makedirs(self, sp: StagePlan) -> None:
        for sub in ("done", "logs", "data", "progress"):
            self.fs.makedirs(posixpath.join(self.stage_dir(sp), sub), exist_ok=True)
