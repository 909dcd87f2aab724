#!/usr/bin/env bash
# Black-box API tests: real `salesvault serve` processes on 127.0.0.1, driven
# over HTTPS by node:test suites (tests/api/*.test.mjs), then a check that the
# suites exercised every operation of docs/openapi.yaml and nothing else.
#
#   bash tests/api/run.sh                     # every suite
#   bash tests/api/run.sh tests/api/auth.test.mjs ...   # some suites (no coverage check)
#
# Env: SALESVAULT_BIN (default <repo>/build/salesvault),
#      SV_TEST_CONCURRENCY (default 2; 1 = one suite at a time),
#      SV_TEST_KEEP=1 keeps the suites' data dirs (printed on failure).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export SALESVAULT_BIN=${SALESVAULT_BIN:-$REPO/build/salesvault}

if [ ! -x "$SALESVAULT_BIN" ]; then
    echo "run.sh: $SALESVAULT_BIN is missing or not executable (build it first)" >&2
    exit 2
fi
for tool in node sqlite3; do
    command -v "$tool" >/dev/null || { echo "run.sh: $tool is required" >&2; exit 2; }
done

T=$(mktemp -d "${TMPDIR:-/tmp}/sv-api.XXXXXX")
trap 'rm -rf "$T"' EXIT

# One certificate for the whole run: each suite copies it into its data dir
# before `init`, and node trusts it through NODE_EXTRA_CA_CERTS.
if ! "$SALESVAULT_BIN" init --data "$T/ca" >"$T/init.log" 2>&1; then
    echo "run.sh: $SALESVAULT_BIN init failed:" >&2
    cat "$T/init.log" >&2
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
    suites=(tests/api/*.test.mjs)
fi

status=0
node --test --test-reporter=tap --test-concurrency="${SV_TEST_CONCURRENCY:-2}" "${suites[@]}" \
    | tee "$T/suites.tap" || status=$?

# Route coverage and OpenAPI conformance need every suite's logs: full runs only.
if [ $# -eq 0 ]; then
    node --test --test-reporter=tap tests/api/coverage/routes.check.mjs \
        | tee "$T/coverage.tap" || { [ "$status" -ne 0 ] || status=1; }
fi

# One closing line for the whole run (node prints one summary per invocation).
sum() { cat "$T"/*.tap 2>/dev/null | awk -v k="$1" '$1 == "#" && $2 == k { n += $3 } END { print n + 0 }'; }
echo "api-${SV_TEST_ENGINE:-sqlite}: $(sum pass) passed, $(sum fail) failed"
exit "$status"
