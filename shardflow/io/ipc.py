"""Arrow IPC: the engine's intermediate (checkpoint) format.

Batches are stored as they are, in the Arrow stream format, optionally lz4 or zstd
compressed per buffer: no parsing, no schema negotiation. Batches of one file may differ
in schema (JSON input does): whenever the schema changes, the writer ends the current
stream and starts a new one in the same file, and the reader reads the streams one after
the other. So every batch comes back exactly as written, types included.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa

from .compression import open_output
from .errors import BadInputError
from .fs import filesystem, is_local
from .writer import Writer

IPC_COMPRESSIONS = (None, "lz4", "zstd")
_CORRUPT_HINT = (
    "The intermediate file is damaged or was cut short: delete it (or its stage directory) "
    "so that the stage producing it runs again."
)


def read_ipc(path: str, *, storage_options: dict | None = None, memory_map: bool = True) -> Iterator[pa.Table]:
    """Reads the batches of a file written by ``IpcWriter``, in order.

    Args:
        path: Path or URL of the file.
        storage_options: Keyword arguments for the file system.
        memory_map: Map a local file rather than read it: batches then point into the page
            cache, but the pages read stay in the process's resident size until the end.

    Yields:
        One table per record batch written (a table written with several chunks comes back
        as several tables); none for an empty file.

    Raises:
        BadInputError: The file is not a valid sequence of Arrow streams ("corrupt_ipc").
    """
    fs, stripped = filesystem(path, storage_options)
    # Local files are memory-mapped: batches then point into the page cache, no copies.
    local = is_local(fs)
    source = (pa.memory_map(stripped) if memory_map else pa.OSFile(stripped)) if local else fs.open(stripped, "rb")
    try:
        size = source.size() if local else fs.size(stripped)
        while source.tell() < size:  # one Arrow stream after another
            reader = _checked(path, source, lambda: pa.ipc.open_stream(source))
            while True:
                batch = _checked(path, source, reader.read_next_batch)
                if batch is None:
                    break
                yield pa.Table.from_batches([batch])
    finally:
        source.close()


def _checked(path, source, read):
    """Calls ``read``; end of stream gives None, damage a ``BadInputError``."""
    try:
        return read()
    except StopIteration:
        return None
    except (pa.ArrowInvalid, OSError) as e:
        if isinstance(e, (FileNotFoundError, PermissionError)):
            raise
        where = f"at byte {source.tell()}"
        raise BadInputError(path, None, "corrupt_ipc", f"{e} ({where})", _CORRUPT_HINT) from e


class IpcWriter(Writer):
    """Writes tables as Arrow IPC streams, committed atomically on ``close``.

    Args:
        path: Final path or URL; parent directories are created.
        compression: None, "lz4" (the default: fast enough to cost less than the disk
            time it saves) or "zstd".
        storage_options: Keyword arguments for the file system.
        fsync: Force the file to disk on commit (False for scratch files).
    """

    def __init__(
        self,
        path: str,
        *,
        compression: str | None = "lz4",
        storage_options: dict | None = None,
        fsync: bool = True,
    ) -> None:
        if compression not in IPC_COMPRESSIONS:
            raise ValueError(
                f"Unknown IPC compression {compression!r} for {path}: use one of "
                f"{IPC_COMPRESSIONS}."
            )
        super().__init__(path, storage_options, fsync=fsync)
        self._options = pa.ipc.IpcWriteOptions(compression=compression)
        # The pass-through keeps Arrow from closing the stream that the commit must close.
        self._sink = open_output(self._pending.stream, None, None)
        self._stream: pa.ipc.RecordBatchStreamWriter | None = None
        self._schema: pa.Schema | None = None

    def _write(self, table: pa.Table) -> None:
        for batch in table.to_batches():
            if not batch.num_rows:
                continue
            if self._stream is None or not batch.schema.equals(self._schema, check_metadata=True):
                if self._stream is not None:
                    self._stream.close()  # ends this schema's stream; the next one follows
                self._stream = pa.ipc.new_stream(self._sink, batch.schema, options=self._options)
                self._schema = batch.schema
            self._stream.write_batch(batch)

    def _finish(self) -> None:
        if self._stream is not None:
            self._stream.close()
        self._sink.close()

    def _discard(self) -> None:
        if self._stream is not None:
            try:
                self._stream.close()
            except Exception:  # the file is being thrown away
                pass
