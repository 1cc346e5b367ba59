"""Output file names from a template: ``{language}/{shard:05d}.jsonl.gz``.

A template is a Python format string. ``{shard}`` (the task's shard) is required, so two
tasks never write one file; ``{part}`` numbers the files of one shard and partition when a
size limit rolls them over; every other field names a column, whose value in each row picks
the file the row goes to (partitioning).
"""

from __future__ import annotations

import string
from typing import Any

import pyarrow as pa

BUILT_IN = ("shard", "part")
PART_SUFFIX = "-{part:03d}"


class OutputNames:
    """A parsed file name template.

    Args:
        template: The template, relative to the sink's directory.
        extension: The extension the sink's format writes (``.jsonl.gz``); the template
            must end with it.
        rollover: Whether files roll over at a size limit: a template without ``{part}``
            then gets ``-{part:03d}`` before its extension.

    Attributes:
        template: The template in use (with ``{part}`` added when rolling over).
        columns: The column fields, in order of appearance.
    """

    def __init__(self, template: str, extension: str, *, rollover: bool = False) -> None:
        if not template.endswith(extension):
            raise ValueError(
                f"filename {template!r} must end with {extension!r}, the extension of what this sink "
                "writes (set compression= to match the name, or fix the name)"
            )
        fields = _fields(template)
        if "shard" not in fields:
            raise ValueError(
                f"filename {template!r} has no {{shard}} field: every task would write the same "
                "file. Add e.g. {shard:05d} to it."
            )
        if rollover and "part" not in fields:
            head = template[: -len(extension)]
            template = head + PART_SUFFIX + extension
            fields.append("part")
        for name in fields:
            if not name.isidentifier():
                raise ValueError(
                    f"filename {template!r}: field {{{name}}} must be a plain column name (no "
                    "dots or indexes); copy a nested value into its own column first"
                )
        self.template = template
        self.columns = [f for f in dict.fromkeys(fields) if f not in BUILT_IN]

    def split(self, table: pa.Table) -> list[tuple[tuple, pa.Table]]:
        """Group the rows of ``table`` by the values of the template's columns, groups in
        order of first appearance and rows in their order."""
        if not self.columns:
            return [((), table)]
        missing = [c for c in self.columns if c not in table.column_names]
        if missing:
            raise KeyError(
                f"the filename template {self.template!r} uses column(s) {missing}, which the "
                f"rows lack (columns: {table.column_names})"
            )
        keys = list(zip(*(table.column(c).to_pylist() for c in self.columns)))
        groups: dict[tuple, list[int]] = {}
        for i, key in enumerate(keys):
            groups.setdefault(key, []).append(i)
        if len(groups) == 1:
            return [(keys[0], table)]
        return [(key, table.take(pa.array(rows, pa.int64()))) for key, rows in groups.items()]

    def render(self, key: tuple, shard: int, part: int = 0) -> str:
        """The file name of partition ``key`` (values of the columns), shard and part."""
        values: dict[str, Any] = {c: _segment(v) for c, v in zip(self.columns, key)}
        return self.template.format(shard=shard, part=part, **values)


def _fields(template: str) -> list[str]:
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as e:
        raise ValueError(f"filename {template!r} is not a valid format string: {e}") from None
    names = [name for _, name, _, _ in parsed if name is not None]
    if "" in names:
        raise ValueError(f"filename {template!r}: every {{}} field needs a name, e.g. {{shard:05d}} or {{language}}")
    return names


def _segment(value: Any) -> Any:
    """A column value made safe as (part of) one path segment."""
    if value is None:
        return "__null__"
    if isinstance(value, str):
        cleaned = value.replace("/", "_").replace("\\", "_")
        if cleaned in ("", ".", ".."):
            return f"__{'empty' if not cleaned else 'dot'}__"
        return cleaned
    return value
