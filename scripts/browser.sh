#!/usr/bin/env bash
# Install Debian's chromium for the browser tests (tests/report), if it is missing.
# The tests drive it with Playwright's Python package; Playwright's own browser download
# is never used. Exits non-zero if chromium cannot be installed; the tests then skip.
set -uo pipefail
[ -x /usr/bin/chromium ] && exit 0
if ! command -v apt-get > /dev/null; then
  echo "scripts/browser.sh: no apt-get here; install chromium by hand for the browser tests" >&2
  exit 1
fi
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo -n"
log="$(mktemp)"
if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium; } > "$log" 2>&1; then
  tail -20 "$log" >&2
  echo "scripts/browser.sh: apt-get could not install chromium (see above)" >&2
  exit 1
fi
rm -f "$log"
