"""The event log read back: filter events.jsonl by stage, kind or failures, and print it.

Every event has ``t`` (wall time), ``event``, ``host`` and ``pid``; task and stage events
name their task or stage, and finished ones carry ``seconds`` (measured: a task's own run
time for ``task_done``, submission to failure for ``task_failed``, first start to last
completion for ``stage_done``).
"""

from __future__ import annotations

import time
from typing import Any, Iterable, Iterator

from shardflow.io import filesystem

#: The kinds ``shardflow events --kind`` accepts, and what each matches.
KINDS = {
    "run": "run_start, run_end",
    "stage": "stage_start, stage_done, stage_failed",
    "task": "task_start, task_done, task_failed, task_reused",
    "branch": "stage events of stages on a branch of a fan-out",
    "retry": "failures that are retried (retry_in set)",
    "failure": "failures with no retry left, failed stages, and runs that did not end ok",
    "interrupt": "Ctrl-C",
}


def event_kinds(event: dict[str, Any]) -> set[str]:
    """The kinds (keys of :data:`KINDS`) an event belongs to."""
    name = event.get("event", "")
    kinds = {name.split("_")[0]}
    if event.get("retry_in") is not None:
        kinds.add("retry")
    elif name in ("task_failed", "stage_failed"):
        kinds.add("failure")
    if name == "run_end" and event.get("status") != "ok":
        kinds.add("failure")
    if name.startswith("stage_") and event.get("branch"):
        kinds.add("branch")
    return kinds


def event_stage(event: dict[str, Any]) -> str | None:
    """The stage an event is about (from its ``stage`` or its ``task``), or None."""
    if event.get("stage"):
        return event["stage"]
    task = event.get("task")
    return task.rsplit("/", 1)[0] if task else None


def filter_events(
    events: Iterable[dict[str, Any]],
    stage: str | None = None,
    kind: str | None = None,
    failures: bool = False,
) -> Iterator[dict[str, Any]]:
    """The events that match every filter given.

    Args:
        events: Events, as read from events.jsonl.
        stage: Keep events about this stage (or its tasks).
        kind: Keep events of this kind (see :data:`KINDS`), or with exactly this name.
        failures: Keep only failures (same as ``kind="failure"`` plus retried failures).

    Raises:
        ValueError: ``kind`` is neither a kind nor an event name seen in the log.
    """
    events = list(events)
    if kind is not None and kind not in KINDS and kind not in {e.get("event") for e in events}:
        raise ValueError(f"unknown event kind {kind!r}: use one of {', '.join(KINDS)} or an event name")
    for event in events:
        kinds = event_kinds(event)
        if stage is not None and event_stage(event) != stage:
            continue
        if kind is not None and kind not in kinds and event.get("event") != kind:
            continue
        if failures and not kinds & {"failure", "retry"}:
            continue
        yield event


_SHOWN_FIRST = ("t", "event", "task", "stage", "host", "pid")


def format_event(event: dict[str, Any]) -> str:
    """One line: time, event, task or stage, then the other fields as ``key=value``."""
    t = event.get("t", 0.0)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t)) + f".{int(t % 1 * 1000):03d}"
    what = event.get("task") or event.get("stage") or ""
    rest = " ".join(f"{k}={v}" for k, v in event.items() if k not in _SHOWN_FIRST and v is not None)
    return f"{stamp} {event.get('event', '?'):<13} {what:<24} {rest} [{event.get('host')}:{event.get('pid')}]"


def log_tail(path: str | None, lines: int = 20) -> str:
    """The last ``lines`` lines of a task's log ("" if there is none)."""
    if not path:
        return ""
    try:
        fs, stripped = filesystem(path)
        with fs.open(stripped, "rb") as f:
            data = f.read()
    except (FileNotFoundError, OSError):
        return ""
    return "\n".join(data.decode("utf-8", errors="replace").splitlines()[-lines:])
