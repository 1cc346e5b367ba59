"""The output of a global step, streamed and cut into partitions of near-equal row counts."""

from __future__ import annotations

import pyarrow as pa

from shardflow.io import read_ipc
from shardflow.run.push import SEQ
from shardflow.run.task_runner import _split


def test_rows_land_in_their_partition_in_order_and_empty_partitions_write_nothing(tmp_path):
    sizes = [7, 1, 25_003, 4, 0, 12]  # uneven batches, one empty, one over 10,000 rows
    start, tables = 0, []
    for n in sizes:
        tables.append(pa.table({"n": list(range(start, start + n))}))
        start += n
    total = start
    parts = 5
    bounds = [total * i // parts for i in range(parts + 1)] + [total]  # a sixth, empty partition
    paths = [str(tmp_path / f"p{i}.arrow") for i in range(parts + 1)]
    manifests = _split(iter(tables), bounds, paths, None)
    for i in range(parts):
        got = [t for f in manifests[i] for t in read_ipc(f["path"])]
        assert [n for t in got for n in t.column("n").to_pylist()] == list(range(bounds[i], bounds[i + 1]))
        assert [t.column(SEQ)[0].as_py() for t in got] == list(range(len(got)))  # numbered batches
        assert max(t.num_rows for t in got) <= 10_000
    assert manifests[parts] == []
