"""A real Slurm cluster on loopback for the whole test session (see ``cluster.py``).

The tests here skip, with the reason, only when Slurm cannot be installed (not root, no apt).
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

from tests.slurm.cluster import LoopbackCluster, ensure_packages

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="session")
def slurm_cluster():
    """Start munged, slurmctld and slurmd; point Slurm clients at them; stop them by pid."""
    reason = ensure_packages()
    if reason:
        pytest.skip(reason)
    # Not under pytest's tmp folder: that one is private to root, and munged runs as munge.
    root = tempfile.mkdtemp(prefix="shardflow-slurm-")
    cluster = LoopbackCluster(root)
    cluster.start()
    old = os.environ.get("SLURM_CONF")
    os.environ["SLURM_CONF"] = str(cluster.conf)
    try:
        yield cluster
    finally:
        if old is None:
            os.environ.pop("SLURM_CONF", None)
        else:
            os.environ["SLURM_CONF"] = old
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


def slurm(**options):
    """A Slurm executor for tests: jobs start in the repository root (where the test steps
    import from) and the driver looks at the queue often."""
    options.setdefault("poll_interval", 0.3)
    import shardflow as sf

    return sf.SlurmExecutor(chdir=ROOT, **options)
