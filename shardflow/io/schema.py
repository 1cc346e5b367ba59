"""One schema for many batches: unify their schemas, and conform a batch to the result.

Batches read from JSON differ in shape (a metadata dict with other keys, a field that is
null in one batch and a number in the next). Columnar files need one schema, so writers
unify what they saw, with Arrow's permissive promotion (null -> any type, int -> float,
union of struct fields), and conform each batch to it. What cannot be unified is an error
naming the column; nothing is dropped on the way.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa

from .errors import SchemaMismatchError

_UNIFY_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError)


def unify(tables_or_schemas: Iterable[pa.Schema | pa.Table | pa.RecordBatch]) -> pa.Schema:
    """The smallest schema that every input fits, columns in order of first appearance.

    Args:
        tables_or_schemas: Schemas, tables or record batches (at least one).

    Returns:
        The unified schema.

    Raises:
        SchemaMismatchError: Some column has types that do not unify (e.g. string and
            struct); the error names it, dotted for struct fields ("meta.score").
    """
    schemas = [x if isinstance(x, pa.Schema) else x.schema for x in tables_or_schemas]
    if not schemas:
        raise ValueError("unify() needs at least one schema or table.")
    try:
        return pa.unify_schemas(schemas, promote_options="permissive")
    except _UNIFY_ERRORS as e:
        column, types = _culprit([s for s in schemas], "")
        raise SchemaMismatchError(
            column or "?",
            f"has types that cannot be unified ({', '.join(map(str, types)) or e}). "
            "Cast it to one type before writing, e.g. with pyarrow.compute.cast in a step, "
            "or serialise it to a JSON string.",
        ) from e


def joined_type(a: pa.DataType, b: pa.DataType) -> pa.DataType | None:
    """The type that values of types ``a`` and ``b`` can share under ``unify``'s promotion
    rules (null -> any, int -> float, union of struct fields), or None if there is none."""
    if a.equals(b):
        return a
    try:
        schemas = [pa.schema([("x", a)]), pa.schema([("x", b)])]
        return pa.unify_schemas(schemas, promote_options="permissive").field("x").type
    except _UNIFY_ERRORS:
        return None


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """Brings ``table`` to ``schema``: adds missing columns (and struct fields) as nulls,
    reorders columns, and casts where the types differ.

    Args:
        table: The table to conform.
        schema: The target; typically ``unify`` of this table's schema and others.

    Returns:
        A table with exactly ``schema``.

    Raises:
        SchemaMismatchError: A column or struct field of ``table`` has no place in
            ``schema`` (it would be lost), or a cast fails; the error names it.
    """
    if table.schema.equals(schema):
        return table
    extra = [n for n in table.column_names if schema.get_field_index(n) < 0]
    if extra:
        raise SchemaMismatchError(
            extra[0], "is not in the target schema; unify the schemas first (schema.unify)."
        )
    columns = []
    for field in schema:
        if field.name not in table.column_names:
            if not field.nullable:
                raise SchemaMismatchError(field.name, "is missing and not nullable.")
            columns.append(pa.nulls(table.num_rows, field.type))
            continue
        column = table.column(field.name)
        if not column.type.equals(field.type):
            lost = _lost_field(column.type, field.type, field.name)
            if lost:
                raise SchemaMismatchError(lost, "is not in the target schema and would be lost.")
            try:
                column = column.cast(field.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as e:
                raise SchemaMismatchError(
                    field.name, f"cannot be cast from {column.type} to {field.type} ({e})."
                ) from e
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=schema)


def _lost_field(src: pa.DataType, dst: pa.DataType, name: str) -> str | None:
    """The dotted name of a struct field in ``src`` that ``dst`` lacks (Arrow's struct cast
    would drop it silently), or None."""
    if pa.types.is_struct(src) and pa.types.is_struct(dst):
        for child in src:
            i = dst.get_field_index(child.name)
            if i < 0:
                return f"{name}.{child.name}"
            lost = _lost_field(child.type, dst[i].type, f"{name}.{child.name}")
            if lost:
                return lost
    elif _is_list(src) and _is_list(dst):
        return _lost_field(src.value_type, dst.value_type, f"{name}[]")
    return None


def _is_list(t: pa.DataType) -> bool:
    return pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t)


def _culprit(schemas: list[pa.Schema], prefix: str) -> tuple[str | None, list]:
    """The first column (dotted path) whose types do not unify, and those types."""
    names = dict.fromkeys(n for s in schemas for n in s.names)
    for name in names:
        fields = [s.field(name) for s in schemas if s.get_field_index(name) >= 0]
        try:
            pa.unify_schemas([pa.schema([f]) for f in fields], promote_options="permissive")
            continue
        except _UNIFY_ERRORS:
            pass
        types = [f.type for f in fields]
        path = f"{prefix}{name}"
        if all(pa.types.is_struct(t) for t in types):
            inner, inner_types = _culprit([pa.schema(list(t)) for t in types], f"{path}.")
            if inner:
                return inner, inner_types
        return path, list(dict.fromkeys(types))
    return None, []
