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

from shardflow.steps.dedup.nfkc import nfkc
from shardflow.steps.dedup.separators import separators_to_space


def normalize_text(texts: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Normalise a string column as the module docstring says; returns one ``large_string`` array."""
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks() if texts.num_chunks else pa.array([], pa.string())
    texts = pc.fill_null(texts.cast(pa.large_string()), "")
    texts = nfkc(texts)
    texts = pc.utf8_lower(texts)
    texts = separators_to_space(texts)
    return pc.utf8_trim(texts, " ")


def text_column(batch: pa.Table, column: str, step: str) -> pa.ChunkedArray:
    """The column ``column`` of ``batch``, or an error that names the step and the columns."""
    if column not in batch.column_names:
        raise KeyError(
            f"step {step!r} needs a text column {column!r}, but the batch has {batch.column_names}; "
            f"pass column=<name> to the step"
        )
    return batch.column(column)

