# Sourced by the other scripts: make .venv (once) and install shardflow with the given extras.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip > /dev/null
fi
# Reinstall only when pyproject.toml changed since the last install.
stamp=".venv/.shardflow-installed-${1:-base}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  # pip's build chatter goes to a log; it is shown only if the install fails.
  if ! .venv/bin/python -m pip install -q -e ".${1:+[$1]}" > .venv/install.log 2>&1; then
    cat .venv/install.log >&2
    exit 1
  fi
  touch "$stamp"
fi
