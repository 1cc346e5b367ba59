"""Arrow's JSON reader as the fast path of ``records.py``, where it gives what orjson gives.

Arrow's C++ reader parses a batch of JSON lines straight into columns, in about 40% of the
CPU time of ``orjson.loads`` per line plus ``pa.array`` of the rows. It is not a drop-in
replacement, though: it reads strings that look like dates as timestamps, turns integers
past int64 into doubles, accepts ``NaN`` and a byte order mark, skips blank lines and does
not check UTF-8. ``arrow_table`` returns its table only for batches where none of that can
have happened (every line one object, nothing but strings, int64, doubles that are finite
and below 2**63, booleans, nulls, lists and structs, valid UTF-8), and None otherwise, so
that the orjson path, with its per-record checks and line numbers, decides as before.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

_BOM = b"\xef\xbb\xbf"
# Larger batches take the orjson path. They are a few huge records (the readers cut batches
# at 4 MB by default), and that path frees each raw line before the Arrow copy is made,
# which keeps a 200 MB record within about 3x its size (here it would be 4x).
_MAX_BATCH_BYTES = 32 << 20
_LEAF_TYPES = (pa.types.is_string, pa.types.is_int64, pa.types.is_boolean, pa.types.is_null)
_ERRORS = (pa.ArrowException, ValueError, OverflowError)
# orjson reads integers from 2**63 on as unsigned or floats; Arrow as doubles: a double that
# large may have been an integer in the text, so those batches take the orjson path.
_INT64_LIMIT = float(2**63)


def arrow_table(lines: list[bytes]) -> pa.Table | None:
    """The table of ``lines`` (one JSON object each) as ``pa.array`` of orjson's rows would
    give it, or None when Arrow's reader cannot vouch for that (see the module docstring).

    Args:
        lines: Raw JSON lines, with or without their line ends.
    """
    if sum(map(len, lines)) > _MAX_BATCH_BYTES:
        return None
    buf = b"".join(lines)
    if not buf or buf.startswith(_BOM):
        return None
    # One block: types are inferred from the whole batch at once, as pa.array does.
    options = pa_json.ReadOptions(use_threads=False, block_size=len(buf) + 1)
    try:
        table = pa_json.read_json(pa.BufferReader(buf), read_options=options)
        if table.num_rows != len(lines):  # a blank or skipped line: line numbers would shift
            return None
        table.validate(full=True)  # UTF-8 of every string
    except _ERRORS:
        return None
    if all(_plain(column, field.type) for column, field in zip(table.columns, table.schema)):
        return table
    return None


def _plain(values, kind: pa.DataType) -> bool:
    """Whether ``values`` (of type ``kind``) hold only what orjson would have read alike."""
    if any(check(kind) for check in _LEAF_TYPES):
        return True
    if pa.types.is_float64(kind):
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        if values.null_count == len(values):
            return True
        finite = pc.all(pc.is_finite(values)).as_py() is not False
        return finite and pc.max(pc.abs(values)).as_py() < _INT64_LIMIT
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if pa.types.is_list(kind):
        return _plain(values.flatten(), kind.value_type)
    if pa.types.is_struct(kind):
        return all(_plain(values.field(i), kind.field(i).type) for i in range(kind.num_fields))
    return False  # timestamps (from date-like strings) and anything else Arrow infers
