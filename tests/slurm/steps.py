"""Steps for the Slurm failure tests; importable on the nodes (the jobs start in the repo root)."""

from __future__ import annotations

import os
import signal
import time

import pyarrow as pa

import shardflow as sf
from shardflow.steps import map_rows, read_jsonl, write_jsonl, write_parquet
from tests.conformance.pipelines import with_length


class Trap(sf.Transform):
    """Passes batches through, but acts on documents whose id has a flag file in ``flags``.

    ``<id>.kill``: the flag is removed and the process killed (SIGKILL): a crash, once.
    ``<id>.raise``: a RuntimeError, as long as the flag is there.
    ``sleep``: a number of seconds to sleep per batch (a slow task).
    The flags are read at run time, so they do not change the stage key.
    """

    def __init__(self, flags: str, **options) -> None:
        super().__init__(**options)
        self.flags = flags

    def process(self, batch: pa.Table) -> pa.Table:
        try:
            with open(os.path.join(self.flags, "sleep")) as f:
                time.sleep(float(f.read()))
        except FileNotFoundError:
            pass
        for doc_id in batch.column("id").to_pylist():
            kill = os.path.join(self.flags, f"{doc_id}.kill")
            if os.path.exists(kill):
                os.remove(kill)
                os.kill(os.getpid(), signal.SIGKILL)
            if os.path.exists(os.path.join(self.flags, f"{doc_id}.raise")):
                raise RuntimeError(f"trap on {doc_id}")
        return batch


def trapped(inp: str, out: str, flags: str, **trap_options) -> sf.Pipeline:
    """read -> trap (with ``trap_options``), then two branches: ``a`` (jsonl) and ``b``
    (length, parquet)."""
    with sf.Pipeline("trapped") as p:
        docs = read_jsonl(inp) >> Trap(flags, name="trap", **trap_options)
        docs >> write_jsonl(f"{out}/a", name="a")
        docs >> map_rows(with_length, name="length") >> write_parquet(f"{out}/b", name="b")
    return p


def flag(flags: str, doc_id: str, kind: str) -> str:
    """Arm the trap for ``doc_id`` (``kind``: ``kill`` or ``raise``); return the flag's path."""
    os.makedirs(flags, exist_ok=True)
    path = os.path.join(flags, f"{doc_id}.{kind}")
    open(path, "w").close()
    return path


def slow_down(flags: str, seconds: float) -> str:
    """Make every batch of the trap sleep ``seconds``; return the flag's path."""
    os.makedirs(flags, exist_ok=True)
    path = os.path.join(flags, "sleep")
    with open(path, "w") as f:
        f.write(str(seconds))
    return path
