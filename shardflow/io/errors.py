"""Errors raised by the io layer.

Both kinds subclass ``ValueError`` (the input or the data is wrong, not the program) and both
survive pickling with their attributes, because they are raised in worker processes and
re-raised in the driver.
"""

from __future__ import annotations

_SKIP_HINT = (
    'Fix or remove the record, or pass on_error="skip" to the reader to skip bad records '
    "(each skipped record is counted by reason in the stats)."
)


class BadInputError(ValueError):
    """An input record or file that cannot be read.

    Attributes:
        path: The file, as given to the reader.
        line: The 1-based line number of the record, or None when the problem is the file
            as a whole (e.g. a corrupt compressed stream).
        reason: A short snake_case reason, the key under which skipped records are counted
            (e.g. "invalid_json", "missing_text", "corrupt_compressed").
        detail: What exactly is wrong, in words.
        hint: What to do about it.
    """

    def __init__(
        self,
        path: str,
        line: int | None,
        reason: str,
        detail: str,
        hint: str | None = None,
    ) -> None:
        self.path = path
        self.line = line
        self.reason = reason
        # One line: details quoted from libraries (Arrow's) may end in a newline.
        self.detail = " ".join(detail.split())
        self.hint = hint if hint is not None else _SKIP_HINT
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {self.detail} [{reason}]. {self.hint}")

    def __reduce__(self):
        # The default pickling calls cls(message), which does not fit our signature.
        return (type(self), (self.path, self.line, self.reason, self.detail, self.hint))


def unreadable(path: str, error: OSError) -> BadInputError:
    """The ``BadInputError`` for a file that cannot be opened or read: no permission
    ("unreadable_file") or gone since it was listed ("missing_file")."""
    if isinstance(error, FileNotFoundError):
        return BadInputError(
            path, None, "missing_file",
            f"the file was listed when the run was planned but is gone now ({error})",
            "Restore the file and rerun (the inputs are listed again at each run), or pass "
            'on_error="skip" to the reader to count it and go on with the other files.',
        )
    return BadInputError(
        path, None, "unreadable_file", f"the file cannot be read: permission denied ({error})",
        "Give the user that runs shardflow read access to it (chmod / chown; on object stores, "
        'check the credentials in storage_options), or pass on_error="skip" to the reader to '
        "count it and go on with the other files.",
    )


def storage_error(path: str, error: OSError) -> OSError:
    """The error for a write to ``path`` that the storage refused (disk full, no
    permission, lost connection): the same kind and errno, naming the file and the fix."""
    what = (
        f"{error.strerror or error} while writing {path}; nothing of the file was committed. "
        "Fix the storage (free space, permissions, credentials) and rerun: completed tasks "
        "are kept"
    )
    return OSError(error.errno, what) if error.errno is not None else OSError(what)


#: Errors that ``unreadable`` turns into a ``BadInputError``.
ACCESS_ERRORS = (PermissionError, FileNotFoundError)


class SchemaMismatchError(ValueError):
    """Tables that cannot be brought to one schema (e.g. a column is a string in one batch
    and a struct in another).

    Attributes:
        column: The dotted name of the offending column (``meta.score`` for a struct field).
        detail: What differs and what to do.
    """

    def __init__(self, column: str, detail: str) -> None:
        self.column = column
        self.detail = detail
        super().__init__(f"column {column!r}: {detail}")

    def __reduce__(self):
        return (type(self), (self.column, self.detail))
