"""Workers allocate Arrow's buffers from the system pool (which gives freed memory back),
unless the user chose a pool with ARROW_DEFAULT_MEMORY_POOL."""

from __future__ import annotations

import pyarrow as pa
import pytest

import shardflow as sf
from shardflow.steps import read_jsonl, write_jsonl
from tests.conformance.pipelines import write_inputs
from tests.helpers import read_all


class PoolProbe(sf.Transform):
    """Adds the worker's Arrow memory pool to every row."""

    def process(self, batch):
        return batch.append_column("pool", pa.array([pa.default_memory_pool().backend_name] * batch.num_rows))


@pytest.mark.parametrize("chosen, expected", [(None, "system"), ("jemalloc", "jemalloc")])
def test_workers_use_the_system_pool_unless_the_user_chose_one(tmp_path, monkeypatch, chosen, expected):
    if chosen and chosen not in pa.supported_memory_backends():
        pytest.skip(f"this pyarrow has no {chosen}")
    if chosen:
        monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", chosen)
    else:
        monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    write_inputs(str(tmp_path / "in"))
    with sf.Pipeline("pool") as p:
        read_jsonl(f"{tmp_path}/in/main") >> PoolProbe(name="probe") >> write_jsonl(f"{tmp_path}/out")
    result = p.run(workdir=str(tmp_path / "work"), workers=2)
    rows = read_all(result.outputs["write_jsonl"])
    assert rows
    pools = {row["pool"] for row in rows}
    assert pools == {expected}
