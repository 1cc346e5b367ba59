"""Storage and formats: fsspec paths, atomic commit, input sharding, JSONL, Parquet and
Arrow IPC.

Every file is read or written through fsspec, so every function takes local paths and
URLs alike (with ``storage_options`` for credentials). Every writer commits atomically: a
file is visible complete or not at all.
"""

from .commit import PendingFile, atomic_write, file_crc32, remove_stale_temps, write_bytes_atomic
from .compression import infer_compression, open_input, open_output
from .errors import BadInputError, SchemaMismatchError
from .fs import FileInfo, expand_paths, filesystem, full_path
from .ipc import IpcWriter, read_ipc
from .jsonl import JsonlWriter, read_jsonl
from .ledger import ShardLedger
from .parquet import ParquetWriter, read_parquet
from .schema import conform, unify
from .shards import InputShard, Piece, plan_shards
from .writer import Writer

__all__ = [
    "BadInputError",
    "FileInfo",
    "InputShard",
    "IpcWriter",
    "JsonlWriter",
    "ParquetWriter",
    "PendingFile",
    "Piece",
    "SchemaMismatchError",
    "ShardLedger",
    "Writer",
    "atomic_write",
    "conform",
    "expand_paths",
    "file_crc32",
    "filesystem",
    "full_path",
    "infer_compression",
    "open_input",
    "open_output",
    "plan_shards",
    "read_ipc",
    "read_jsonl",
    "read_parquet",
    "remove_stale_temps",
    "unify",
    "write_bytes_atomic",
]
