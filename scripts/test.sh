#!/usr/bin/env bash
# Run the whole test suite in its own virtual environment.
source "$(dirname "$0")/env.sh" test
# The report and dashboard tests need a real browser; without one they skip, saying why.
bash scripts/browser.sh || echo "warning: chromium is missing: the browser tests will be skipped" >&2
# The Slurm tests start real daemons on loopback; install Debian's packages first if we can
# (root and apt). If not, those tests skip and say why.
.venv/bin/python tests/slurm/cluster.py install || echo "warning: Slurm is missing: the Slurm tests will be skipped" >&2
.venv/bin/python -m pytest "$@"
