"""Text normalisation shared by exact and near-duplicate detection, columnar (pyarrow.compute).

Two texts count as the same when they differ only in case, Unicode compatibility forms,
punctuation, symbols or whitespace. The steps, in order:

1. Unicode NFKC (``ﬁ`` -> ``fi``, full-width letters -> ASCII, non-breaking space -> space);
2. lower case (full Unicode case mapping);
3. every run of punctuation (``\\p{P}``), symbols (``\\p{S}``) and whitespace becomes one space;
4. leading and trailing spaces are removed.

So ``"Hello,  World!"`` and ``"hello world"`` normalise to the same ``"hello world"``, and the
words of a normalised text are exactly its space-separated pieces. A null text is treated as
the empty text.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

_SEPARATORS = r"[\p{P}\p{S}\s]+"
# The same replacement, leaving out the runs that are one plain space already (most of them:
# the space between two words), which it would replace by themselves: half the matches,
# half the time, the same text (RE2's \s is [\t\n\f\r ], hence the second class).
_SEPARATOR_RUNS = r"[\p{P}\p{S}\s]{2,}|[\p{P}\p{S}\t\n\f\r]"


def normalize_text(texts: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Normalise a string column as the module docstring says; returns one ``large_string`` array."""
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks() if texts.num_chunks else pa.array([], pa.string())
    texts = pc.fill_null(texts.cast(pa.large_string()), "")
    texts = pc.utf8_normalize(texts, "NFKC")
    texts = pc.utf8_lower(texts)
    texts = pc.replace_substring_regex(texts, _SEPARATOR_RUNS, " ")
    return pc.utf8_trim(texts, " ")


def text_column(batch: pa.Table, column: str, step: str) -> pa.ChunkedArray:
    """The column ``column`` of ``batch``, or an error that names the step and the columns."""
    if column not in batch.column_names:
        raise KeyError(
            f"step {step!r} needs a text column {column!r}, but the batch has {batch.column_names}; "
            f"pass column=<name> to the step"
        )
    return batch.column(column)
