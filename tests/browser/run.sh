#!/usr/bin/env bash
# Browser tests of the web sign-in page (web/*): Debian's chromium driven by
# playwright-core (tests/browser/package-lock.json), node:test suites
# tests/browser/*.test.mjs against real `salesvault serve` processes.
#
#   bash tests/browser/run.sh                                # every suite
#   bash tests/browser/run.sh tests/browser/login.test.mjs   # some suites
#
# `npm ci` runs only when node_modules is missing or the lock changed, so a
# second run works offline.
# Env: SALESVAULT_BIN (default <repo>/build/salesvault), SV_CHROMIUM (default
#      /usr/bin/chromium), SV_TEST_KEEP=1 keeps the data dirs and logs.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
export SALESVAULT_BIN=${SALESVAULT_BIN:-$REPO/build/salesvault}
export SV_CHROMIUM=${SV_CHROMIUM:-/usr/bin/chromium}

if [ ! -x "$SALESVAULT_BIN" ]; then
    echo "browser/run.sh: $SALESVAULT_BIN is missing or not executable (build it first)" >&2
    exit 2
fi
for tool in node npm; do
    command -v "$tool" >/dev/null || { echo "browser/run.sh: $tool is required" >&2; exit 2; }
done
if [ ! -x "$SV_CHROMIUM" ]; then
    echo "browser/run.sh: $SV_CHROMIUM is missing (apt-get install chromium)" >&2
    exit 2
fi

# Dependencies: exactly the lock, installed once per lock content.
bash "$REPO/scripts/npm-ci.sh" tests/browser

T=$(mktemp -d "${TMPDIR:-/tmp}/sv-browser.XXXXXX")
status=0
cleanup() {
    if [ "$status" -ne 0 ] || [ -n "${SV_TEST_KEEP:-}" ]; then
        echo "browser/run.sh: logs kept in $T" >&2
    else
        rm -rf "$T"
    fi
}
trap cleanup EXIT

# One certificate for the run: every server copies it before `init`; node
# trusts it through NODE_EXTRA_CA_CERTS, chromium through its key pin.
if ! "$SALESVAULT_BIN" init --data "$T/ca" >"$T/init.log" 2>&1; then
    echo "browser/run.sh: $SALESVAULT_BIN init failed:" >&2
    cat "$T/init.log" >&2
    status=2
    exit 2
fi
export NODE_EXTRA_CA_CERTS="$T/ca/tls/cert.pem"
export SV_TEST_CERT_DIR="$T/ca/tls"
export SV_TEST_LOG_DIR="$T/logs"
mkdir -p "$SV_TEST_LOG_DIR"

cd "$REPO"
if [ $# -gt 0 ]; then
    suites=("$@")
else
    suites=(tests/browser/*.test.mjs)
fi

# --test-timeout (a default bound on every test and hook) is Node 20.11+; on
# Debian 12's Node 18 the suites' own per-test and per-hook timeouts apply.
timeout_opt=()
if node --test-timeout=300000 -e '' 2>/dev/null; then timeout_opt=(--test-timeout=300000); fi
node --test --test-reporter=tap --test-concurrency=1 "${timeout_opt[@]}" "${suites[@]}" \
    | tee "$T/suites.tap" || status=$?

sum() { awk -v k="$1" '$1 == "#" && $2 == k { n += $3 } END { print n + 0 }' "$T/suites.tap"; }
passed=$(sum pass)
failed=$(( $(sum fail) + $(sum cancelled) ))
if [ "$status" -eq 0 ] && [ "$failed" -ne 0 ]; then status=1; fi
echo "browser: $passed passed, $failed failed"
exit "$status"
