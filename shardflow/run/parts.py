"""Commit parts: a long task commits its outputs every N input rows, with a progress record.

The progress record is rewritten after each part, atomically: a task killed at any moment
resumes after its last recorded part and redoes at most one part of work.
"""

from __future__ import annotations

from typing import Any

import orjson

from shardflow.graph.stats import StepStats
from shardflow.graph.step import Step
from shardflow.io import FileInfo, filesystem, write_bytes_atomic
from shardflow.run.bound import BoundTask
from shardflow.run.push import LazyWriter


def manifest(infos: list[FileInfo]) -> list[dict[str, Any]]:
    return [{"path": i.path, "size": i.size, "crc32": i.crc32} for i in infos]


def part_path(path: str, part: int) -> str:
    """A checkpoint file's name for commit part ``part`` (part 0 keeps the plain name)."""
    if not part:
        return path
    stem, dot, ext = path.rpartition(".")
    return f"{stem}-p{part:05d}{dot}{ext}"


class Parts:
    """What the committed parts of a task hold so far, and where its input resumes.

    The progress record is rewritten after each part, atomically: a task killed at any
    moment resumes after its last recorded part and redoes at most one part of work.
    """

    def __init__(self, task: BoundTask, steps: list[Step]) -> None:
        self.task = task
        self.steps = steps
        self.part = 0
        self.rows = 0  # input rows consumed by committed parts
        self.files: dict[str, list[dict[str, Any]]] = {}
        self.side: list[dict[str, Any]] = []

    def resume(self, fs_exists) -> None:
        """Continue after the parts a previous attempt recorded (if their files are intact)."""
        try:
            with open_record(self.task) as f:
                record = orjson.loads(f.read())
        except (FileNotFoundError, orjson.JSONDecodeError):
            return
        if record.get("stage_key") != self.task.stage_key:
            return
        entries = [e for files in record["files"].values() for e in files] + record["side"]
        if not all(fs_exists(e) for e in entries):
            return  # a damaged part: redo the task from the start
        self.part, self.rows = record["part"], record["rows"]
        self.files, self.side = record["files"], record["side"]
        for step in self.steps:
            if step.name in record["stats"]:
                step.stats = StepStats.from_dict(record["stats"][step.name])

    def commit(self, exits: dict, side: dict[str, LazyWriter], rows: int, record: bool) -> None:
        for name, node in exits.items():
            self.files.setdefault(name, []).extend(manifest(node.files))
        for writer in side.values():
            self.side.extend(manifest(writer.close()))
        self.part += 1
        self.rows = rows
        if record:
            data = {
                "stage_key": self.task.stage_key, "part": self.part, "rows": self.rows,
                "files": self.files, "side": self.side,
                "stats": {s.name: s.stats.to_dict() for s in self.steps},
            }
            # No fsync, as for the marker: a lost or torn record (resume() ignores it) only
            # means redoing the parts it listed, whose files are durable already.
            write_bytes_atomic(self.task.progress_path, orjson.dumps(data), self.task.storage_options, fsync=False)


def open_record(task: BoundTask):
    fs, path = filesystem(task.progress_path, task.storage_options)
    return fs.open(path, "rb")


def intact(entry: dict[str, Any], storage_options: dict | None) -> bool:
    fs, path = filesystem(entry["path"], storage_options)
    try:
        return fs.size(path) == entry["size"]
    except FileNotFoundError:
        return False


def remove_file(path: str, storage_options: dict | None) -> None:
    fs, stripped = filesystem(path, storage_options)
    try:
        fs.rm(stripped)
    except FileNotFoundError:
        pass
