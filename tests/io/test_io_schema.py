"""unify and conform: heterogeneous batches to one schema, losing nothing."""

import pyarrow as pa
import pytest

from shardflow.io import SchemaMismatchError, conform, unify


def test_unify_merges_struct_fields_and_promotes():
    a = pa.table({"id": ["1"], "meta": [{"x": 1}], "score": pa.array([None], pa.null())})
    b = pa.table({"id": ["2"], "meta": [{"y": "s"}], "score": [0.5], "extra": [True]})
    schema = unify([a, b.schema])
    assert schema.names == ["id", "meta", "score", "extra"]
    assert schema.field("meta").type == pa.struct([("x", pa.int64()), ("y", pa.string())])
    assert schema.field("score").type == pa.float64()


def test_unify_conflict_names_the_nested_column():
    a = pa.schema([("meta", pa.struct([("score", pa.int64()), ("k", pa.string())]))])
    b = pa.schema([("meta", pa.struct([("score", pa.struct([("v", pa.int64())]))]))])
    with pytest.raises(SchemaMismatchError) as e:
        unify([a, b])
    assert e.value.column == "meta.score"
    assert "meta.score" in str(e.value) and "cast" in str(e.value).lower()


def test_conform_adds_missing_columns_and_fields_and_reorders():
    t = pa.table({"meta": [{"y": "s"}], "id": ["1"]})
    target = pa.schema(
        [
            ("id", pa.string()),
            ("meta", pa.struct([("x", pa.int64()), ("y", pa.string())])),
            ("extra", pa.bool_()),
        ]
    )
    out = conform(t, target)
    assert out.schema == target
    assert out.to_pylist() == [{"id": "1", "meta": {"x": None, "y": "s"}, "extra": None}]


def test_conform_refuses_to_drop_a_struct_field():
    # Arrow's struct cast would silently drop "y"; conform must not.
    t = pa.table({"meta": [{"x": 1, "y": "s"}]})
    target = pa.schema([("meta", pa.struct([("x", pa.int64())]))])
    with pytest.raises(SchemaMismatchError) as e:
        conform(t, target)
    assert e.value.column == "meta.y"


def test_conform_refuses_extra_columns_and_bad_casts():
    with pytest.raises(SchemaMismatchError, match="'b'"):
        conform(pa.table({"a": [1], "b": [2]}), pa.schema([("a", pa.int64())]))
    with pytest.raises(SchemaMismatchError, match="'a'"):
        conform(pa.table({"a": ["not a number"]}), pa.schema([("a", pa.int64())]))
