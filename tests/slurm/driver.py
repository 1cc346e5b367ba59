"""A driver following a Slurm run, as its own process (for the Ctrl-C test).

``python -m tests.slurm.driver INPUT OUT WORKDIR FLAGS``: exit 0 when the run is done,
3 when it raised RunFailed (its message on stderr).
"""

from __future__ import annotations

import sys

import shardflow as sf
from tests.slurm.conftest import slurm
from tests.slurm.steps import trapped

if __name__ == "__main__":
    inp, out, workdir, flags = sys.argv[1:5]
    try:
        trapped(inp, out, flags).run(workdir=workdir, executor=slurm(), tasks=5)
    except sf.RunFailed as exc:
        print(exc, file=sys.stderr)
        sys.exit(3)
