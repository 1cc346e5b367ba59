"""Filter.process: the keep mask, drop counts by reason and the rejected side output,
computed column by column whatever form filter_batch answers in."""

from __future__ import annotations

import pyarrow as pa
import pytest

import shardflow as sf
from shardflow.graph.stats import StepStats


class Recorder:
    """Stands for the engine's rejected-rows writer."""

    def __init__(self) -> None:
        self.tables: list[pa.Table] = []

    def write(self, table: pa.Table) -> None:
        self.tables.append(table)


class ByRow(sf.Filter):
    def filter(self, row):
        n = row["n"]
        if n % 3 == 0:
            return False, "three"
        if n % 5 == 0:
            return (False, None) if n % 2 else (False, "")  # no reason: the step's name
        return True


class ByBatch(sf.Filter):
    def __init__(self, arrays: bool, **kw) -> None:
        super().__init__(**kw)
        self.arrays = arrays

    def filter_batch(self, batch):
        keep = [None if n == 7 else n % 2 == 0 for n in batch.column("n").to_pylist()]
        return (pa.array(keep, pa.bool_()), None) if self.arrays else (keep, None)


def _run(step, n=20):
    step.stats = StepStats()
    step.rejected_writer = Recorder()
    batch = pa.table({"n": list(range(n)), "text": [f"t{i}" for i in range(n)]})
    return step.process(batch), step


def test_reasons_counted_and_rejected_rows_named():
    with sf.Pipeline("p"):
        step = ByRow(name="by_row")
    out, step = _run(step)
    kept = [n for n in range(20) if n % 3 and n % 5]
    assert out.column("n").to_pylist() == kept
    assert dict(step.stats.dropped) == {"three": 7, "by_row": 2}  # 0,3,..,18 and 5,10
    rejected = pa.concat_tables(step.rejected_writer.tables)
    assert rejected.column("n").to_pylist() == [n for n in range(20) if n not in kept]
    assert rejected.column("reject_reason").to_pylist() == [
        "three" if n % 3 == 0 else "by_row" for n in range(20) if n not in kept]


@pytest.mark.parametrize("arrays", [False, True])
def test_batch_verdicts_null_drops_and_no_reasons(arrays):
    with sf.Pipeline("p"):
        step = ByBatch(arrays, name="odd")
    out, step = _run(step, 10)
    assert out.column("n").to_pylist() == [0, 2, 4, 6, 8]
    assert dict(step.stats.dropped) == {"odd": 5}  # 1, 3, 5, 9 and the null verdict of 7
    assert pa.concat_tables(step.rejected_writer.tables).column("reject_reason").to_pylist() == ["odd"] * 5


def test_a_batch_that_keeps_everything_is_passed_through_untouched():
    with sf.Pipeline("p"):
        step = ByRow(name="by_row")
    step.stats, step.rejected_writer = StepStats(), Recorder()
    batch = pa.table({"n": [1, 2, 4]})
    assert step.process(batch) is batch
    assert not step.stats.dropped and not step.rejected_writer.tables


class ArrowReasons(sf.Filter):
    """Answers with a chunked keep mask and an Arrow array of reasons (null, "" or named)."""

    def filter_batch(self, batch):
        n = batch.column("n").to_pylist()
        keep = [x % 4 != 0 for x in n]
        reasons = [None if k else ("" if x == 4 else None if x == 8 else "four") for x, k in zip(n, keep)]
        return pa.chunked_array([keep[:5], keep[5:]], pa.bool_()), pa.array(reasons, pa.string())


def test_arrow_reasons_and_a_chunked_mask():
    with sf.Pipeline("p"):
        step = ArrowReasons(name="arrow")
    out, step = _run(step, 13)
    assert out.column("n").to_pylist() == [n for n in range(13) if n % 4]
    assert dict(step.stats.dropped) == {"four": 2, "arrow": 2}  # 0, 12 named; 4 (""), 8 (null)
    assert pa.concat_tables(step.rejected_writer.tables).column("reject_reason").to_pylist() == ["four", "arrow", "arrow", "four"]


class WrongLength(sf.Filter):
    def filter_batch(self, batch):
        return [False] * batch.num_rows, ["x"]


def test_reasons_of_the_wrong_length_are_an_error_naming_the_step():
    with sf.Pipeline("p"):
        step = WrongLength(name="short")
    with pytest.raises(ValueError, match=r"step 'short': filter_batch returned 1 reasons for 3 rows"):
        _run(step, 3)
