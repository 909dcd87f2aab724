#!/usr/bin/env bash
# make test: every suite, on both database engines.
#   1. unit tests (cmocka, fuzz-corpus replays) under ASan + UBSan
#   2. the black-box API suites over HTTPS against the sanitized server, on
#      SQLite, then the web console in chromium (tests/browser)
#   3. a throwaway PostgreSQL cluster: the engine and row-level security
#      tests, the API suites again and the console's admin flows on
#      PostgreSQL
#   4. failover: a synchronous standby, the primary killed under load
set -euo pipefail
build=${1:-build}
asan=${2:-build-asan}
root=$(cd "$(dirname "$0")/.." && pwd)

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# The server's threads and libraries keep some memory until exit; leaks are
# checked by the unit tests, crashes and UB in the API runs.
server_asan=detect_leaks=0:abort_on_error=1

echo "== format: clang-format --dry-run -Werror (make format fixes it)"
if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
    mapfile -t c_files < <(cd "$root" && git ls-files 'src/*.c' 'src/*.cc' 'src/*.h' 'tests/*.c' 'bench/*.c')
else
    mapfile -t c_files < <(cd "$root" && find src tests bench \( -name '*.[ch]' -o -name '*.cc' \) -not -path '*/node_modules/*')
fi
(cd "$root" && clang-format --dry-run -Werror "${c_files[@]}")
echo "format: ${#c_files[@]} files clean"

echo "== unit tests (ASan + UBSan)"
meson test -C "$asan" --print-errorlogs --num-processes 2

echo "== API tests on SQLite (HTTPS, real server under ASan + UBSan)"
ASAN_OPTIONS=$server_asan SV_TEST_ENGINE=sqlite \
    SALESVAULT_BIN="$root/$asan/salesvault" bash "$root/tests/api/run.sh"

echo "== browser tests: the web console in chromium (SQLite)"
ASAN_OPTIONS=$server_asan SALESVAULT_BIN="$root/$asan/salesvault" \
    bash "$root/tests/browser/run.sh"

echo "== PostgreSQL: a throwaway cluster"
pg=$(mktemp -d "${TMPDIR:-/tmp}/sv-pg.XXXXXX")
rmdir "$pg"
trap 'bash "$root/scripts/pg-cluster.sh" stop "$pg"' EXIT
port=$(bash "$root/scripts/pg-cluster.sh" start "$pg")
echo "cluster on 127.0.0.1:$port"

echo "== unit tests on PostgreSQL (engine, row-level security)"
SV_TEST_PG_PORT=$port meson test -C "$asan" --print-errorlogs test_db

echo "== API tests on PostgreSQL"
ASAN_OPTIONS=$server_asan SV_TEST_ENGINE=postgres SV_TEST_PG_PORT=$port \
    SALESVAULT_BIN="$root/$asan/salesvault" bash "$root/tests/api/run.sh"

echo "== browser tests on PostgreSQL: the console's admin flows"
ASAN_OPTIONS=$server_asan SV_TEST_PG_PORT=$port SALESVAULT_BIN="$root/$asan/salesvault" \
    bash "$root/tests/browser/run.sh" "$root/tests/browser/admin.test.mjs" \
    "$root/tests/browser/directory.test.mjs" \
    "$root/tests/browser/employees.test.mjs" "$root/tests/browser/access.test.mjs" \
    "$root/tests/browser/offboarding.test.mjs" "$root/tests/browser/groups.test.mjs" \
    "$root/tests/browser/import.test.mjs" "$root/tests/browser/records.test.mjs"

echo "== failover: synchronous standby, primary killed under load (DR-2)"
ASAN_OPTIONS=$server_asan SALESVAULT_BIN="$root/$asan/salesvault" \
    bash "$root/tests/failover/run.sh"
