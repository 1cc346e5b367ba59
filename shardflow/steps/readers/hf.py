"""A dataset saved with Hugging Face ``datasets`` (``save_to_disk``): ``read_hf_dataset``.

Such a folder holds Arrow IPC stream files and a ``state.json`` that lists them in order
(``_data_files``); a ``DatasetDict`` holds one such folder per split and a
``dataset_dict.json``. Arrow reads them directly: ``datasets`` is not needed.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any, Iterator, Sequence

import pyarrow as pa

from shardflow.io import BadInputError, FileInfo, Piece, filesystem, full_path
from shardflow.steps.files import FileSource


class HfDatasetReader(FileSource):
    """Read a folder written by ``Dataset.save_to_disk`` (or one split of a ``DatasetDict``).

    Files are read in the order ``state.json`` lists them, so rows come in dataset order;
    each file is a unit of sharding. Rows without an id get ``<file name>:<row>``.

    Args:
        paths: One or more dataset folders.
        split: The split to read from a ``DatasetDict`` folder (required when it has
            several).
        columns: Only these columns (default: all).
        **kwargs: ``text_key``, ``id_key``, ``limit``, ``skip``, ``adapter``,
            ``path_column`` ... (see :class:`~shardflow.steps.files.FileSource`).

    Example:
        ``docs = read_hf_dataset("saved/wiki", split="train", text_key="content")``
    """

    default_name = "read_hf_dataset"

    def __init__(self, paths, *, split: str | None = None, columns: Sequence[str] | None = None, **kwargs: Any) -> None:
        super().__init__(paths, **kwargs)
        self.split = split
        self.columns = list(columns) if columns else None

    def list_files(self) -> list[FileInfo]:
        files: list[FileInfo] = []
        for folder in self.paths:
            fs, root = filesystem(folder, self.storage_options)
            root = root.rstrip("/")
            if fs.exists(f"{root}/dataset_dict.json"):
                root = self._split_folder(fs, root, folder)
            state_path = f"{root}/state.json"
            if not fs.exists(state_path):
                raise FileNotFoundError(
                    f"{folder} is not a dataset saved with datasets' save_to_disk: it has no state.json "
                    "(or dataset_dict.json). Pass the folder given to save_to_disk, or read exported "
                    "files with read_parquet / read_jsonl."
                )
            state = json.loads(fs.cat_file(state_path))
            for entry in state.get("_data_files", []):
                path = f"{root}/{entry['filename']}"
                files.append(FileInfo(full_path(fs, path), int(fs.info(path)["size"])))
        return files

    def _split_folder(self, fs, root: str, folder: str) -> str:
        splits = json.loads(fs.cat_file(f"{root}/dataset_dict.json")).get("splits", [])
        split = self.split
        if split is None and len(splits) == 1:
            split = splits[0]
        if split not in splits:
            raise ValueError(
                f"{folder} is a DatasetDict with splits {splits}; pass split= one of them"
                + (f" (got {self.split!r})" if self.split is not None else "")
            )
        return f"{root}/{split}"

    def read_piece(self, piece: Piece, skipped: Counter) -> Iterator[pa.Table]:
        return self.until_damaged(self._read(piece, skipped), skipped, ("corrupt_arrow",))

    def _read(self, piece: Piece, skipped: Counter) -> Iterator[pa.Table]:
        fs, path = filesystem(piece.path, self.storage_options)
        parser = self.record_parser(piece.path, skipped)
        first = 0
        with fs.open(path, "rb") as f:
            try:
                reader = pa.ipc.open_stream(f)
            except pa.ArrowInvalid:
                f.seek(0)
                reader = pa.ipc.open_file(f)  # older datasets versions wrote the file format
            try:
                batches = _batches(reader)
                for batch in batches:
                    table = pa.Table.from_batches([batch])
                    if self.columns:
                        table = table.select(self.columns)
                    for start in range(0, table.num_rows, self.read_batch_size):
                        part = table.slice(start, self.read_batch_size)
                        documents = self.documents(part, parser, first)
                        first += part.num_rows
                        if documents is not None:
                            yield documents
            except (pa.ArrowInvalid, OSError) as e:
                raise BadInputError(
                    piece.path, None, "corrupt_arrow", f"the Arrow file is damaged or cut short after {first:,} rows ({e})",
                    'Re-create the dataset with save_to_disk, or pass on_error="skip" to keep the rows before the '
                    "damage (the file is counted in the stats).",
                ) from e


def _batches(reader) -> Iterator[pa.RecordBatch]:
    if isinstance(reader, pa.ipc.RecordBatchFileReader):
        for i in range(reader.num_record_batches):
            yield reader.get_batch(i)
    else:
        yield from reader


read_hf_dataset = HfDatasetReader
