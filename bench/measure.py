"""Run one benchmark command and measure its process tree: peak memory and CPU per process.

Why sampling with psutil rather than ``ru_maxrss``: it sees every process of the tree the
same way whatever the engine does. datatrove's workers are children of a forkserver that is
never waited for, so ``RUSAGE_CHILDREN`` would not see them, and an engine's own stats would
measure each engine differently. The sampler reads each process's RSS every ``interval``
seconds; an allocation that lives shorter than that can be missed, which batch-sized
buffers (held for a whole batch, hundreds of milliseconds) are not.
"""

from __future__ import annotations

import json
import subprocess
import threading
from dataclasses import dataclass, field

import psutil


@dataclass
class Measured:
    """What one command printed and used.

    Attributes:
        report: The JSON object of the command's last stdout line.
        peak_rss: Per process id, the largest resident set size seen (bytes).
        cpu: Per process id, its user + system CPU seconds at the last sample.
        names: Per process id, its command line (shortened).
    """

    report: dict
    peak_rss: dict[int, int] = field(default_factory=dict)
    cpu: dict[int, float] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)

    @property
    def max_rss_mb(self) -> float:
        """The peak RSS of the largest process of the tree, in MB."""
        return max(self.peak_rss.values(), default=0) / 1e6

    @property
    def cpu_seconds(self) -> float:
        return sum(self.cpu.values())


def run_measured(cmd: list[str], interval: float = 0.05, env: dict | None = None) -> Measured:
    """Run ``cmd`` to completion, sampling its process tree; raise if it fails."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    measured = Measured(report={})
    stop = threading.Event()

    def sample() -> None:
        root = psutil.Process(proc.pid)
        while not stop.is_set():
            try:
                tree = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            for p in tree:
                try:
                    with p.oneshot():
                        rss, times = p.memory_info().rss, p.cpu_times()
                        if p.pid not in measured.names:
                            measured.names[p.pid] = " ".join(p.cmdline()[:3])[:80]
                except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                    continue
                measured.peak_rss[p.pid] = max(measured.peak_rss.get(p.pid, 0), rss)
                measured.cpu[p.pid] = times.user + times.system
            stop.wait(interval)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    out, err = proc.communicate()
    stop.set()
    thread.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed with exit code {proc.returncode}:\n{err[-3000:]}")
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"{' '.join(cmd)} printed no JSON result:\n{out[-2000:]}\n{err[-2000:]}")
    measured.report = json.loads(lines[-1])
    return measured
