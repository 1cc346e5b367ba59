"""What object stores (S3, GCS, Azure) need that a disk does not: no rename, paid listings.

An object store has no rename: ``fs.mv`` is a copy then a delete, two requests and the whole
file transferred again, and a crash between them leaves both. What it does have is an
atomic publish: a PUT, or the completion of a multipart upload, makes the object visible
whole, at once, or not at all. So on an object store a file is written to a local *spool*
file first and uploaded to its final key when it is committed (``fs.put_file``: one PUT
for small files, a multipart upload with a bounded number of parts in flight for large
ones). Until the commit the store has seen nothing; a writer killed during the upload
leaves at most an incomplete multipart upload, which is invisible and which
:func:`abort_stale_uploads` removes when the run resumes.

This module also holds the two conditional writes the run lock needs (create if absent,
replace if unchanged), done with S3's ``If-None-Match`` and ``If-Match``.
"""

from __future__ import annotations

import errno
import os
import posixpath
import tempfile
import uuid

import fsspec
import psutil

#: Protocols whose PUT publishes a whole object atomically and that have no cheap rename.
WHOLE_OBJECT_PROTOCOLS = frozenset({"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "memory"})
#: Protocols that speak the S3 API (multipart uploads, conditional PUTs).
S3_PROTOCOLS = frozenset({"s3", "s3a"})

_SPOOL_DIR = "shardflow-spool"
_swept = False


def protocols(fs: fsspec.AbstractFileSystem) -> set[str]:
    """The names a file system answers to (``fs.protocol`` is a string or a tuple)."""
    proto = fs.protocol
    return {proto} if isinstance(proto, str) else set(proto)


def publishes_whole_objects(fs: fsspec.AbstractFileSystem) -> bool:
    """Whether ``fs`` is an object store: a PUT is atomic and a rename is a copy."""
    return bool(protocols(fs) & WHOLE_OBJECT_PROTOCOLS)


def is_s3(fs: fsspec.AbstractFileSystem) -> bool:
    """Whether ``fs`` speaks the S3 API (s3fs)."""
    return bool(protocols(fs) & S3_PROTOCOLS)


# -- spool files -------------------------------------------------------------------------------
def spool_path(basename: str) -> str:
    """A fresh local file name for the bytes of ``basename`` until they are uploaded.

    The name carries this process's pid, so that the spool files of a killed process can be
    recognised and removed (see :func:`sweep_orphan_spools`). The spool lives under the
    usual temporary directory (``TMPDIR``).
    """
    global _swept
    directory = os.path.join(tempfile.gettempdir(), _SPOOL_DIR)
    os.makedirs(directory, exist_ok=True)
    if not _swept:
        _swept = True
        sweep_orphan_spools(directory)
    return os.path.join(directory, f"{os.getpid()}-{uuid.uuid4().hex}-{basename}")


def sweep_orphan_spools(directory: str) -> int:
    """Removes the spool files of processes that are gone; returns how many."""
    removed = 0
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return 0
    for name in names:
        pid, _, _ = name.partition("-")
        if not pid.isdigit() or psutil.pid_exists(int(pid)):
            continue
        try:
            os.unlink(os.path.join(directory, name))
            removed += 1
        except FileNotFoundError:  # another process swept it first
            pass
    return removed


# -- conditional writes ------------------------------------------------------------------------
def _precondition_failed(exc: OSError) -> bool:
    # s3fs maps 412 to FileExistsError when the server names the condition, else to EINVAL.
    return isinstance(exc, FileExistsError) or (exc.errno == errno.EINVAL and "pre-condition" in str(exc))


def create_exclusive(fs: fsspec.AbstractFileSystem, path: str, data: bytes) -> bool:
    """Writes ``path`` only if it does not exist; returns whether this call created it.

    On S3 this is one conditional PUT (``If-None-Match: *``), atomic on the server: of two
    callers, exactly one wins. Other object stores get a check-then-write, which two
    callers at the same instant can both pass.
    """
    if is_s3(fs):
        try:
            fs.pipe_file(path, data, mode="create")
            return True
        except OSError as exc:
            if _precondition_failed(exc):
                return False
            raise
    if fs.exists(path):
        return False
    fs.pipe_file(path, data)
    return True


def etag(fs: fsspec.AbstractFileSystem, path: str) -> str | None:
    """The object's ETag (S3), or None where the store has none."""
    if not is_s3(fs):
        return None
    bucket, key, _ = fs.split_path(path)
    return fs.call_s3("head_object", Bucket=bucket, Key=key)["ETag"]


def replace_if_unchanged(fs: fsspec.AbstractFileSystem, path: str, data: bytes, tag: str | None) -> bool:
    """Overwrites ``path`` only if it still has the ETag ``tag``; returns whether it did.

    On S3 this is one conditional PUT (``If-Match``): of two callers that read the same
    object, exactly one replaces it. Without an ETag, the object is overwritten.
    """
    if tag is None or not is_s3(fs):
        fs.pipe_file(path, data)
        return True
    bucket, key, _ = fs.split_path(path)
    try:
        fs.call_s3("put_object", Bucket=bucket, Key=key, Body=data, IfMatch=tag)
        return True
    except FileNotFoundError:
        return False
    except OSError as exc:
        if _precondition_failed(exc):
            return False
        raise


# -- stale uploads -----------------------------------------------------------------------------
def abort_stale_uploads(fs: fsspec.AbstractFileSystem, directory: str, name_prefix: str = "") -> int:
    """Aborts incomplete multipart uploads under ``directory`` (S3 only); returns how many.

    These are what a writer killed in the middle of a large upload leaves: invisible, but
    stored and billed until aborted. Only uploads whose key's basename starts with
    ``name_prefix`` are aborted. One ``ListMultipartUploads`` per page of uploads, never a
    listing of the objects.
    """
    if not is_s3(fs):
        return 0
    bucket, key, _ = fs.split_path(directory)
    prefix = key.rstrip("/") + "/" if key else ""
    aborted = 0
    kwargs = {"Bucket": bucket, "Prefix": prefix}
    while True:
        page = fs.call_s3("list_multipart_uploads", **kwargs)
        for upload in page.get("Uploads", []):
            if not posixpath.basename(upload["Key"]).startswith(name_prefix):
                continue
            try:
                fs.call_s3("abort_multipart_upload", Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
                aborted += 1
            except FileNotFoundError:  # completed or aborted meanwhile
                pass
        if not page.get("IsTruncated"):
            return aborted
        kwargs.update(KeyMarker=page["NextKeyMarker"], UploadIdMarker=page["NextUploadIdMarker"])
