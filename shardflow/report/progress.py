"""Progress of a run in the terminal: a live rich display, or plain periodic log lines.

``make_progress("auto")`` picks what suits where the output goes: on a terminal, a live
table with one line per stage (tasks done / total, rows/s, bytes/s, ETA) and a total; in CI
or when the output is a file or pipe, where redrawing would only fill logs with escape
codes, a plain line every ``interval`` seconds and one per failure.
"""

from __future__ import annotations

import os
import sys
import threading
from datetime import timedelta
from typing import IO, Callable

from rich.console import Console
from rich.filesize import decimal
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table

from shardflow.report.tally import RunTally, StageTally
from shardflow.run.hooks import RunHooks

#: Seconds between two plain progress lines (overridden by SHARDFLOW_PROGRESS_INTERVAL).
DEFAULT_INTERVAL = 30.0


def _eta(seconds: float | None) -> str:
    if seconds is None:
        return "-:--:--"
    return str(timedelta(seconds=round(seconds)))


def _rates(t: StageTally, now: float) -> tuple[str, str]:
    """Rows/s and bytes/s read, or dashes while nothing ran in this run."""
    if t.started is None:
        return "-", "-"
    rows, nbytes = t.rates(now)
    return f"{rows:,.0f}", f"{decimal(int(nbytes))}"


def _counts(t: StageTally) -> str:
    extra = [f"{t.reused} reused"] if t.reused else []
    extra += [f"{t.running} running"] if t.running else []
    extra += [f"{t.failed} FAILED"] if t.failed else []
    return f"{t.done}/{t.total}" + (f" ({', '.join(extra)})" if extra else "")


class LiveProgress(RunTally):
    """A live rich table on a terminal: one line per stage, then the total.

    Args:
        console: Where to draw (default: a console on stderr).
        clock: Current time in seconds (tests pass a fake one).
    """

    def __init__(self, console: Console | None = None, clock: Callable[[], float] | None = None) -> None:
        super().__init__(**({"clock": clock} if clock else {}))
        self.console = console or Console(stderr=True)
        self._live: Live | None = None

    def render(self) -> Table:
        """The table as it stands now."""
        now = self.clock()
        with self.lock:
            rows = list(self.stages.values()) + [self.total()]
        title = f"shardflow · {self.plan.name}" if self.plan else "shardflow"
        table = Table(title=title, title_justify="left", box=None, pad_edge=False)
        for col, justify in (("stage", "left"), ("", "left"), ("tasks", "left"),
                             ("rows/s", "right"), ("read/s", "right"), ("ETA", "right")):
            table.add_column(col, justify=justify, no_wrap=True)
        for t in rows:
            bar = ProgressBar(total=max(t.total, 1), completed=t.done, width=16,
                              complete_style="red" if t.failed else "green", finished_style="green")
            rows_s, bytes_s = _rates(t, now)
            name = f"[bold]{t.id}[/bold]" if t.id == "total" else t.id
            table.add_row(name, bar, _counts(t), rows_s, bytes_s, _eta(t.eta(now)))
        return table

    def on_run_start(self, plan, reused) -> None:
        super().on_run_start(plan, reused)
        self._live = Live(get_renderable=self.render, console=self.console,
                          refresh_per_second=4, transient=False)
        self._live.start()

    def on_task_failed(self, task, failure, retry_in) -> None:
        super().on_task_failed(task, failure, retry_in)
        what = f"retry in {retry_in:.1f}s" if retry_in is not None else "no retry left"
        self.console.print(f"[red]task {task} failed ({what}):[/red] {failure.message}", highlight=False)

    def on_interrupt(self, count: int) -> None:
        self.console.print("[yellow]interrupted: finishing running tasks (Ctrl-C again to kill them)[/yellow]"
                           if count == 1 else "[yellow]interrupted again: killing running tasks[/yellow]")

    def on_run_end(self, status: str) -> None:
        super().on_run_end(status)
        if self._live is not None:
            self._live.stop()  # draws the final state once more and leaves it on screen
            self._live = None


class LogProgress(RunTally):
    """Plain progress lines: at start, every ``interval`` seconds, on each failure, at end.

    Args:
        stream: Where the lines go (default: stderr).
        interval: Seconds between two periodic lines.
        clock: Current time in seconds (tests pass a fake one).
    """

    def __init__(self, stream: IO[str] | None = None, interval: float | None = None,
                 clock: Callable[[], float] | None = None) -> None:
        super().__init__(**({"clock": clock} if clock else {}))
        self.stream = stream
        self.interval = interval if interval is not None else float(
            os.environ.get("SHARDFLOW_PROGRESS_INTERVAL", DEFAULT_INTERVAL))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def line(self) -> str:
        """One line: the total, then each stage that has work left or ran in this run."""
        now = self.clock()
        with self.lock:
            total = self.total()
            stages = [t for t in self.stages.values() if t.started is not None or t.done < t.total]
            parts = [f"{t.id} {_counts(t)}" for t in stages]
        rows_s, bytes_s = _rates(total, now)
        name = self.plan.name if self.plan else "?"
        return (f"[shardflow] {name}: tasks {_counts(total)}, {rows_s} rows/s, {bytes_s}/s read, "
                f"ETA {_eta(total.eta(now))} | " + "; ".join(parts))

    def _print(self, text: str) -> None:
        stream = self.stream or sys.stderr
        print(text, file=stream, flush=True)

    def _tick(self) -> None:
        # Event.wait is the periodic timer: it returns at once when the run ends.
        while not self._stop.wait(self.interval):
            self._print(self.line())

    def on_run_start(self, plan, reused) -> None:
        super().on_run_start(plan, reused)
        self._print(self.line())
        self._stop.clear()
        self._thread = threading.Thread(target=self._tick, name="shardflow-progress", daemon=True)
        self._thread.start()

    def on_task_failed(self, task, failure, retry_in) -> None:
        super().on_task_failed(task, failure, retry_in)
        what = f"retry in {retry_in:.1f}s" if retry_in is not None else "no retry left"
        self._print(f"[shardflow] task {task} failed ({what}): {failure.message}")

    def on_interrupt(self, count: int) -> None:
        self._print(f"[shardflow] interrupted ({count}): "
                    + ("finishing running tasks" if count == 1 else "killing running tasks"))

    def on_run_end(self, status: str) -> None:
        super().on_run_end(status)
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._print(self.line() + f" | run {status}")


def in_ci() -> bool:
    """True when the CI environment variable says so (as CI services set it)."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def make_progress(progress: bool | str | RunHooks | None, stream: IO[str] | None = None) -> RunHooks | None:
    """The progress display for ``Pipeline.run(progress=...)``.

    Args:
        progress: ``"auto"``: live on a terminal outside CI, plain lines otherwise;
            ``True``: live on a terminal (even in CI), plain lines otherwise; ``"live"`` or
            ``"log"``: that one; ``False`` or None: nothing; a :class:`RunHooks`: itself.
        stream: Where to write (default: stderr).
    """
    if progress is None or progress is False:
        return None
    if isinstance(progress, RunHooks):
        return progress
    if progress not in (True, "auto", "live", "log"):
        raise ValueError(f"progress={progress!r}: use True, False, 'auto', 'live' or 'log'")
    stream = stream or sys.stderr
    terminal = hasattr(stream, "isatty") and stream.isatty()
    live = progress == "live" or (terminal and (progress is True or (progress == "auto" and not in_ci())))
    if live:
        return LiveProgress(Console(file=stream, force_terminal=progress == "live" or None))
    return LogProgress(stream)
