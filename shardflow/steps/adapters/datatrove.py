"""Run a datatrove step inside a shardflow DAG: ``from_datatrove``. Needs ``shardflow[datatrove]``.

For users migrating from datatrove: its filters (``BaseFilter``), formatters
(``BaseFormatter``) and other document-to-document steps (extractors, enrichers) work
unchanged. Rows become ``Document(text, id, metadata={every other column})`` and come back
as rows with the metadata as columns, so a step that writes ``doc.metadata["language"]``
adds a ``language`` column.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from shardflow.graph.step import Transform, _snake


class DatatroveStep(Transform):
    """A datatrove ``PipelineStep`` as a shardflow transform.

    Filters are called through ``filter_batch`` (in chunks of the filter's own
    ``batch_size``); a dropped document is counted under the reason the filter gives
    (``(False, "reason")``), else under the step's name. Other steps run through their
    ``run(documents)``; documents they do not yield back are counted as ``dropped``. Use
    shardflow's stats and side outputs in place of a filter's ``exclusion_writer``.

    Args:
        step: The datatrove step (an instance).

    Example:
        ``docs >> from_datatrove(GopherQualityFilter(min_doc_words=50))``
    """

    default_name = "datatrove"

    def __init__(self, step: Any, **options: Any) -> None:
        try:
            from datatrove.pipeline.base import PipelineStep
        except ImportError as e:
            raise ImportError("from_datatrove needs datatrove: pip install 'shardflow[datatrove]'") from e
        if not isinstance(step, PipelineStep):
            raise TypeError(f"from_datatrove expects a datatrove PipelineStep instance, got {type(step).__name__}")
        if getattr(step, "exclusion_writer", None) is not None:
            raise ValueError(
                f"{type(step).__name__} has an exclusion_writer, which would write outside shardflow's "
                "atomic commit; remove it (dropped rows are counted by reason in shardflow's stats)"
            )
        if "name" not in options:
            options["name"] = _snake(type(step).__name__)
        super().__init__(**options)
        self.step = step

    def process(self, batch: pa.Table) -> pa.Table | None:
        from datatrove.data import Document
        from datatrove.pipeline.filters.base_filter import BaseFilter

        docs = [
            Document(text=row.pop("text"), id=row.pop("id"), metadata=row)
            for row in batch.to_pylist()
        ]
        if isinstance(self.step, BaseFilter):
            kept = self._filter(docs)
        else:
            kept = list(self.step.run(iter(docs), rank=0, world_size=1))
            if len(kept) < len(docs):
                self.stats.drop("dropped", len(docs) - len(kept))
        if not kept:
            return None
        return pa.Table.from_pylist([{"id": d.id, "text": d.text, **d.metadata} for d in kept])

    def _filter(self, docs: list) -> list:
        size = max(1, getattr(self.step, "batch_size", 1) or 1)
        kept = []
        for start in range(0, len(docs), size):
            chunk = docs[start : start + size]
            for doc, verdict in zip(chunk, self.step.filter_batch(chunk)):
                ok, reason = verdict if isinstance(verdict, tuple) else (verdict, None)
                if ok:
                    kept.append(doc)
                else:
                    self.stats.drop(reason or self.name)
        return kept


from_datatrove = DatatroveStep
