#!/usr/bin/env bash
# Make bench/.venv-datatrove: datatrove 0.10.1 with what its filters need (spaCy is its
# English word tokenizer; tldextract and pyahocorasick its URL filter), and shardflow beside
# it, so that bench/filters_agreement.py runs both in one process. datatrove is a benchmark
# anchor only, never a dependency of shardflow.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=bench/.venv-datatrove
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q 'datatrove[processing]==0.10.1' 'spacy==3.8.18'
"$VENV/bin/pip" install -q -e '.[url]'
"$VENV/bin/python" -c "import datatrove, spacy, shardflow; print('ready:', '$VENV', 'spacy', spacy.__version__)"
