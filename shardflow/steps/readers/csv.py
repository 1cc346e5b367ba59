"""CSV: ``read_csv`` (plain, .gz, .zst), quoted fields and newlines inside them included."""

from __future__ import annotations

import csv
import io
from collections import Counter
from typing import Any, Iterator

import pyarrow as pa
import pyarrow.csv as pacsv

from shardflow.io import BadInputError, Piece, open_input
from shardflow.steps.files import FileSource


class CsvReader(FileSource):
    """Read CSV files with a header row; each row is a document.

    Parsing is Arrow's (fast, streaming, RFC 4180 quoting, newlines inside quoted fields).
    Every column is read as a string, as datatrove's CSV reader does, unless ``column_types``
    says otherwise: numbers in a CSV are often ids or codes, and a type guessed from the first
    block can fail on a later one. Rows without an id get ``<file name>:<row>`` (0-based).

    Args:
        paths: Files, globs or directories.
        delimiter: The field separator.
        column_types: Arrow types (or type names such as ``"int64"``) for some columns.
        **kwargs: ``text_key``, ``id_key``, ``limit``, ``skip``, ``adapter``,
            ``path_column``, ``on_error`` ... (see :class:`~shardflow.steps.files.FileSource`).
            A row with the wrong number of fields is a bad record (``csv_bad_row``).

    Example:
        ``docs = read_csv("data/*.csv.gz", text_key="body", id_key="doc_id")``
    """

    default_name = "read_csv"

    def __init__(self, paths, *, delimiter: str = ",", column_types: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(paths, **kwargs)
        self.delimiter = delimiter
        self.column_types = {k: str(v) for k, v in (column_types or {}).items()}

    def read_piece(self, piece: Piece, skipped: Counter) -> Iterator[pa.Table]:
        return self.until_damaged(self._read(piece, skipped), skipped, ("corrupt_compressed", "corrupt_csv"))

    def _read(self, piece: Piece, skipped: Counter) -> Iterator[pa.Table]:
        header = self._header(piece.path)
        if header is None:
            return  # an empty file: no documents
        types = {name: pa.string() for name in header}
        types.update({k: pa.type_for_alias(v) for k, v in self.column_types.items()})
        bad_rows: list = []

        def on_bad_row(row) -> str:
            if self.on_error == "skip":
                skipped["csv_bad_row"] += 1
                return "skip"
            bad_rows.append(row)
            return "error"

        parser = self.record_parser(piece.path, skipped)
        first = 0
        with open_input(piece.path, self.storage_options) as stream:
            try:
                reader = pacsv.open_csv(
                    stream,
                    read_options=pacsv.ReadOptions(block_size=4 << 20),
                    parse_options=pacsv.ParseOptions(
                        delimiter=self.delimiter, newlines_in_values=True, invalid_row_handler=on_bad_row
                    ),
                    convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=False),
                )
                for batch in reader:
                    if batch.num_rows:
                        table = self.documents(pa.Table.from_batches([batch]), parser, first)
                        first += batch.num_rows
                        if table is not None:
                            yield table
            except pa.ArrowInvalid as e:
                if bad_rows:
                    row = bad_rows[0]
                    raise BadInputError(
                        piece.path, None, "csv_bad_row",
                        f"after data row {first}, a row has {row.actual_columns} fields where the header has "
                        f"{row.expected_columns}: {row.text[:200]!r}",
                    ) from e
                raise BadInputError(piece.path, None, "corrupt_csv", str(e), "Check the delimiter, quoting and column_types.") from e

    def _header(self, path: str) -> list[str] | None:
        # Python's csv module reads just the header (quoted newlines included), so that
        # every column can be typed before Arrow sees the first block.
        with open_input(path, self.storage_options) as stream:
            text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
            try:
                return next(csv.reader(text, delimiter=self.delimiter), None)
            except (csv.Error, UnicodeDecodeError) as e:
                raise BadInputError(path, 1, "corrupt_csv", f"the header cannot be read ({e})",
                                    "Check that the file is UTF-8 CSV with a header row.") from e


read_csv = CsvReader
