#!/usr/bin/env bash
# Run the whole test suite in its own virtual environment.
source "$(dirname "$0")/env.sh" test
.venv/bin/python -m pytest "$@"
