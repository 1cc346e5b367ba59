#!/usr/bin/env bash
# Run the demo pipeline on the sample data in examples/data, on the local executor.
source "$(dirname "$0")/env.sh" ""
.venv/bin/shardflow run examples/demo.py "$@"
