#!/usr/bin/env bash
# make test: unit tests (cmocka, fuzz-corpus replays) under ASan+UBSan, then
# the black-box API suites over HTTPS against the sanitized server.
set -euo pipefail
build=${1:-build}
asan=${2:-build-asan}
root=$(cd "$(dirname "$0")/.." && pwd)

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

echo "== unit tests (ASan + UBSan)"
meson test -C "$asan" --print-errorlogs --num-processes 2

echo "== API tests (HTTPS, real server under ASan + UBSan)"
# The server's threads and libraries keep some memory until exit; leaks are
# checked by the unit tests, crashes and UB here.
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
    SALESVAULT_BIN="$root/$asan/salesvault" bash "$root/tests/api/run.sh"
