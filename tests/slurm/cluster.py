"""A real, single-node Slurm cluster on loopback, for tests and benchmarks.

Everything lives in one folder: its own munge key and socket (munged runs as the ``munge``
user), a minimal ``slurm.conf`` (one node at 127.0.0.1 with this machine's CPUs, no
accounting, ``proctrack/linuxproc``, ``task/none``), state and spool folders, and the
daemons' logs. Nothing global is touched: no ``/etc/slurm``, no systemd, and the munge socket
is not the system one, so several clusters (or a system munged) can coexist. The daemons run
in the foreground as our children and are stopped by their pid.

As a script::

    python tests/slurm/cluster.py install      # apt-get install the packages if missing (root)
    python tests/slurm/cluster.py start DIR    # prints `export SLURM_CONF=...`; daemons keep running
    python tests/slurm/cluster.py stop DIR     # stops the daemons started in DIR, by pid

In Python, :class:`LoopbackCluster` is a context manager (see ``tests/slurm/conftest.py``).
Debian's ``slurmctld slurmd slurm-client munge`` packages are installed with apt when
missing (root only); :func:`ensure_packages` says why when that is impossible.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

PACKAGES = ("slurmctld", "slurmd", "slurm-client", "munge")
BINARIES = ("slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "munged")


def ensure_packages() -> str | None:
    """Install the Slurm and munge packages if missing; return why not, or None when ready."""
    if all(shutil.which(b) or os.path.exists(f"/usr/sbin/{b}") for b in BINARIES):
        return None
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return f"Slurm is not installed and cannot be (needs root and apt-get): apt-get install {' '.join(PACKAGES)}"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", *PACKAGES]):
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
        if proc.returncode != 0:
            return f"`{' '.join(cmd)}` failed: {proc.stderr.strip()[-500:]}"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _sbin(name: str) -> str:
    return shutil.which(name) or f"/usr/sbin/{name}"


class LoopbackCluster:
    """Start munged, slurmctld and slurmd in ``root``; stop them by pid.

    Args:
        root: An empty folder for keys, config, state and logs.
        cpus: CPUs of the node (default: this machine's).
        memory_mb: Memory of the node, in MB.
    """

    def __init__(self, root: str | os.PathLike, cpus: int | None = None, memory_mb: int = 8000) -> None:
        self.root = Path(root).resolve()
        self.cpus = cpus or os.cpu_count() or 1
        self.memory_mb = memory_mb
        self.node = socket.gethostname().split(".")[0]
        self.conf = self.root / "slurm.conf"
        self.pids: dict[str, int] = {}
        self._procs: list[subprocess.Popen] = []

    @property
    def env(self) -> dict[str, str]:
        """The environment for Slurm clients (sbatch, squeue) to reach this cluster."""
        return {**os.environ, "SLURM_CONF": str(self.conf)}

    # -- start -------------------------------------------------------------------------------
    def start(self, timeout: float = 60) -> "LoopbackCluster":
        for sub in ("munge", "state", "spool", "log"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        try:
            self._start_munge()
            self._write_conf()
            self._spawn("slurmctld", [_sbin("slurmctld"), "-D", "-f", str(self.conf)])
            self._spawn("slurmd", [_sbin("slurmd"), "-D", "-f", str(self.conf), "-N", self.node])
            self._wait_idle(timeout)
        except BaseException:
            self.stop()
            raise
        (self.root / "pids").write_text("".join(f"{n} {p}\n" for n, p in self.pids.items()))
        return self

    def _start_munge(self) -> None:
        munge_dir = self.root / "munge"
        key = munge_dir / "munge.key"
        # munged refuses a key or socket folder that others can write or read.
        key.write_bytes(os.urandom(1024))
        user = pwd.getpwnam("munge")
        for path in (munge_dir, key):
            os.chown(path, user.pw_uid, user.pw_gid)
        os.chmod(munge_dir, 0o700)
        os.chmod(key, 0o600)
        os.chmod(self.root, 0o755)
        self.munge_socket = munge_dir / "munge.socket"
        cmd = [
            _sbin("munged"), "-F", "--force", f"--socket={self.munge_socket}", f"--key-file={key}",
            f"--pid-file={munge_dir / 'munged.pid'}", f"--log-file={munge_dir / 'munged.log'}",
            f"--seed-file={munge_dir / 'munged.seed'}",
        ]
        self._spawn("munged", cmd, user=user.pw_uid, group=user.pw_gid, extra_groups=[])
        deadline = time.monotonic() + 20
        while not self.munge_socket.exists():
            if time.monotonic() > deadline or self._procs[-1].poll() is not None:
                raise RuntimeError(f"munged did not start; see {munge_dir / 'munged.log'}")
            time.sleep(0.1)
        # Slurm runs as root here and reads the socket; the folder must let it through.
        os.chmod(munge_dir, 0o755)

    def _write_conf(self) -> None:
        r = self.root
        lines = {
            "ClusterName": "sftest",
            "SlurmctldHost": f"{self.node}(127.0.0.1)",
            "SlurmctldPort": _free_port(),
            "SlurmdPort": _free_port(),
            "AuthType": "auth/munge",
            "AuthInfo": f"socket={self.munge_socket}",
            "CredType": "cred/munge",
            "SlurmUser": "root",
            "SlurmdUser": "root",
            "StateSaveLocation": r / "state",
            "SlurmdSpoolDir": r / "spool",
            "SlurmctldPidFile": r / "slurmctld.pid",
            "SlurmdPidFile": r / "slurmd.pid",
            "SlurmctldLogFile": r / "log" / "slurmctld.log",
            "SlurmdLogFile": r / "log" / "slurmd.log",
            "ProctrackType": "proctrack/linuxproc",
            "TaskPlugin": "task/none",
            "MpiDefault": "none",
            "SwitchType": "switch/none",
            "SchedulerType": "sched/backfill",
            "SelectType": "select/cons_tres",
            "SelectTypeParameters": "CR_Core",
            "AccountingStorageType": "accounting_storage/none",
            "JobAcctGatherType": "jobacct_gather/none",
            "JobCompType": "jobcomp/none",
            "ReturnToService": 2,
            # Quick turnaround for tests: finished jobs leave the queue fast.
            "MinJobAge": 30,
            "SlurmdTimeout": 30,
            "MaxArraySize": 10001,
            # Schedule as soon as a job ends, so a chain of dependent jobs moves in about a
            # second per link rather than three.
            "SchedulerParameters": "sched_min_interval=0,batch_sched_delay=0,sched_interval=2",
        }
        text = "".join(f"{k}={v}\n" for k, v in lines.items())
        text += (
            f"NodeName={self.node} NodeAddr=127.0.0.1 CPUs={self.cpus} RealMemory={self.memory_mb} State=UNKNOWN\n"
            f"PartitionName=debug Nodes={self.node} Default=YES MaxTime=INFINITE State=UP\n"
        )
        self.conf.write_text(text)

    def _spawn(self, name: str, cmd: list[str], **as_user) -> None:
        log = open(self.root / "log" / f"{name}.out", "ab")
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=self.env, start_new_session=True, **as_user)
        log.close()
        self._procs.append(proc)
        self.pids[name] = proc.pid

    def _wait_idle(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            for proc in self._procs:
                if proc.poll() is not None:
                    raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}; see {self.root / 'log'}")
            out = subprocess.run(["sinfo", "-h", "-N", "-o", "%t"], env=self.env, capture_output=True, text=True)
            last = (out.stdout + out.stderr).strip()
            if out.returncode == 0 and last == "idle":
                return
            time.sleep(0.5)
        raise RuntimeError(f"the Slurm node did not become idle in {timeout}s (sinfo: {last!r}); see {self.root / 'log'}")

    # -- stop --------------------------------------------------------------------------------
    def stop(self) -> None:
        """Stop the daemons we started, slurmd first, by pid (never by name)."""
        for proc in reversed(self._procs):
            _terminate(proc.pid, proc)
        self._procs.clear()

    def __enter__(self) -> "LoopbackCluster":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _terminate(pid: int, proc: subprocess.Popen | None = None, grace: float = 10) -> None:
    """SIGTERM ``pid``'s process group (the daemon and what it forked), then SIGKILL if needed."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return
        if proc is None and not _alive(pid):
            return
        time.sleep(0.1)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    if proc is not None:
        proc.wait(timeout=5)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie of an exited parent still answers kill(0)
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def main(argv: list[str]) -> int:
    if argv[1:] == ["install"]:
        reason = ensure_packages()
        if reason:
            print(reason, file=sys.stderr)
        return 1 if reason else 0
    if len(argv) != 3 or argv[1] not in ("start", "stop"):
        print("usage: python tests/slurm/cluster.py install | start DIR | stop DIR", file=sys.stderr)
        return 2
    root = Path(argv[2])
    if argv[1] == "start":
        reason = ensure_packages()
        if reason:
            print(reason, file=sys.stderr)
            return 1
        root.mkdir(parents=True, exist_ok=True)
        cluster = LoopbackCluster(root).start()
        print(f"export SLURM_CONF={cluster.conf}")
        return 0
    pids = root / "pids"
    if not pids.exists():
        print(f"{pids} does not exist: nothing was started in {root}", file=sys.stderr)
        return 1
    for line in reversed(pids.read_text().splitlines()):
        _terminate(int(line.split()[1]))
    pids.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
