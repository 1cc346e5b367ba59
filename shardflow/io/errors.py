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
        self.detail = detail
        self.hint = hint if hint is not None else _SKIP_HINT
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {detail} [{reason}]. {self.hint}")

    def __reduce__(self):
        # The default pickling calls cls(message), which does not fit our signature.
        return (type(self), (self.path, self.line, self.reason, self.detail, self.hint))


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
