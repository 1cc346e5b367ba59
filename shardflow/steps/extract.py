"""HTML -> main text with trafilatura: ``extract_html``. Needs ``shardflow[html]``."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from shardflow.graph.step import Transform


class ExtractHtml(Transform):
    """Replace the HTML in ``text`` by the page's main text (trafilatura), keeping the URL.

    The defaults are datatrove's Trafilatura extractor's: ``favor_precision=True``, no
    comments, and trafilatura's deduplication of paragraphs repeated across pages. That
    cache is the step's own and starts empty for every task, so a task's output does not
    depend on what else its worker ran. The page's URL (``url_column``) is passed to
    trafilatura and stays in its column. A page with no main text is dropped and counted
    (``no_text``); one trafilatura fails on is a bad record: with ``on_error="skip"`` it is
    dropped and counted (``bad_html``), else the run stops naming the document.

    There is no per-page time limit (datatrove has one): a limit would make the output
    depend on the machine's speed.

    Args:
        url_column: The column holding the page URL (None: no URL).
        favor_precision: Prefer less text, more surely main content.
        include_comments: Keep the comments section of pages.
        deduplicate: Drop paragraphs already seen many times in the task.
        on_error: ``"raise"`` or ``"skip"`` for pages trafilatura cannot process.
        **trafilatura_options: Other options of ``trafilatura.extract`` (e.g.
            ``include_tables=False``).

    Example:
        ``read_warc("crawl/*.warc.gz") >> extract_html()``
    """

    default_name = "extract_html"

    def __init__(
        self,
        *,
        url_column: str | None = "url",
        favor_precision: bool = True,
        include_comments: bool = False,
        deduplicate: bool = True,
        on_error: str = "raise",
        trafilatura_options: dict[str, Any] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        if on_error not in ("raise", "skip"):
            raise ValueError(f"on_error={on_error!r}: use 'raise' or 'skip'")
        self.url_column = url_column
        self.favor_precision = favor_precision
        self.include_comments = include_comments
        self.deduplicate = deduplicate
        self.on_error = on_error
        self.trafilatura_options = dict(trafilatura_options or {})
        self._cache = None  # per task: set on the task's own copy of the step

    def setup(self) -> None:
        try:
            import trafilatura  # noqa: F401
        except ImportError as e:
            raise ImportError("extract_html needs trafilatura: pip install 'shardflow[html]'") from e

    def process(self, batch: pa.Table) -> pa.Table | None:
        from trafilatura import extract
        from trafilatura.deduplication import LRUCache
        from trafilatura.settings import LRU_SIZE

        if self.deduplicate and self._cache is None:
            self._cache = LRUCache(maxsize=LRU_SIZE)
        html = batch.column("text").to_pylist()
        urls = batch.column(self.url_column).to_pylist() if self.url_column in batch.column_names else [None] * len(html)
        ids = batch.column("id").to_pylist() if "id" in batch.column_names else [None] * len(html)
        keep, texts = [], []
        for page, url, doc_id in zip(html, urls, ids):
            try:
                if not isinstance(page, str):
                    raise TypeError(f"text is {type(page).__name__}, not HTML")
                text = extract(
                    page,
                    url=url,
                    favor_precision=self.favor_precision,
                    include_comments=self.include_comments,
                    deduplicate=self._cache if self.deduplicate else False,
                    **self.trafilatura_options,
                )
            except Exception as e:  # trafilatura raises many kinds on broken markup
                if self.on_error == "raise":
                    raise ValueError(
                        f"document {doc_id!r} ({url or 'no url'}): trafilatura cannot extract it ({type(e).__name__}: "
                        f"{e}); pass on_error='skip' to count such pages and go on"
                    ) from e
                self.stats.drop("bad_html")
                keep.append(False)
                continue
            if not text:
                self.stats.drop("no_text")
                keep.append(False)
                continue
            keep.append(True)
            texts.append(text)
        if not texts:
            return None
        kept = batch.filter(pa.array(keep)) if not all(keep) else batch
        return kept.set_column(kept.column_names.index("text"), "text", pa.array(texts, pa.string()))


extract_html = ExtractHtml
