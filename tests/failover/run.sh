#!/usr/bin/env bash
# DR-2 failover test: `salesvault serve` on a PostgreSQL primary with a
# synchronous hot standby (scripts/pg-standby.sh), a write load, kill -9 of
# the primary mid-load, promotion of the standby; then every acknowledged
# write must be there, the outage must have been answered with 503
# `unavailable` only, the server must still be up, and the audit chains
# must verify. The scenario and its checks are tests/failover/failover.test.mjs.
#
#   bash tests/failover/run.sh
#
# Env: SALESVAULT_BIN (default <repo>/build/salesvault),
#      SV_TEST_KEEP=1 keeps the temp dir (data dir, server and PostgreSQL logs).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export SALESVAULT_BIN=${SALESVAULT_BIN:-$REPO/build/salesvault}

if [ ! -x "$SALESVAULT_BIN" ]; then
    echo "failover: $SALESVAULT_BIN is missing or not executable (build it first)" >&2
    exit 2
fi
for tool in node psql python3 timeout; do
    command -v "$tool" >/dev/null || { echo "failover: $tool is required" >&2; exit 2; }
done

T=$(mktemp -d "${TMPDIR:-/tmp}/sv-failover.XXXXXX")
chmod 755 "$T" # the postgres user (when root) reaches its cluster dir through it
PG="$T/pg"

NODE_PID=
cleanup() {
    local rc=$?
    if [ -n "$NODE_PID" ] && kill -0 "$NODE_PID" 2>/dev/null; then
        kill -TERM "$NODE_PID" 2>/dev/null || true # timeout passes it to node
        wait "$NODE_PID" 2>/dev/null || true
    fi
    # The server, by the pid the test wrote (if it is still running).
    if [ -r "$T/serve.pid" ]; then
        pid=$(cat "$T/serve.pid")
        if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    if [ -n "${SV_TEST_KEEP:-}" ]; then
        # Keep the logs; the clusters themselves still go.
        cp "$PG"/*.log "$T/" 2>/dev/null || true
        bash "$REPO/scripts/pg-standby.sh" stop "$PG" || true
        echo "failover: kept $T" >&2
    else
        bash "$REPO/scripts/pg-standby.sh" stop "$PG" || true
        rm -rf "$T"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "# starting a primary and a synchronous standby" >&2
read -r P1 P2 < <(bash "$REPO/scripts/pg-standby.sh" start "$PG")
[[ $P1 =~ ^[0-9]+$ && $P2 =~ ^[0-9]+$ ]] || { echo "failover: pg-standby.sh start failed" >&2; exit 1; }
echo "# primary 127.0.0.1:$P1, standby 127.0.0.1:$P2" >&2

DATA="$T/data"
"$SALESVAULT_BIN" init --data "$DATA" >"$T/init.log" 2>&1 || {
    echo "failover: init failed:" >&2
    cat "$T/init.log" >&2
    exit 1
}
# Both hosts in one URL: libpq takes the first that accepts writes.
hosts="127.0.0.1:$P1,127.0.0.1:$P2"
attrs="target_session_attrs=read-write&connect_timeout=2"
python3 - "$DATA/salesvault.conf" \
    "postgres://sv_app@$hosts/salesvault?$attrs" \
    "postgres://sv_owner@$hosts/salesvault?$attrs" <<'EOF'
import re, sys
path, url, migrate_url = sys.argv[1:]
want = {
    "database": {"url": url, "migrate_url": migrate_url},
    "password": {"opslimit": "1", "memlimit_kib": "8192"},
    "log": {"level": "info"},
}
out, section, done = [], None, set()
def flush():
    for k, v in want.get(section, {}).items():
        if (section, k) not in done:
            out.append(f"{k} = {v}")
            done.add((section, k))
for line in open(path).read().split("\n"):
    head = re.match(r"^\s*\[([^\]]+)\]\s*$", line)
    if head:
        flush()
        section = head.group(1).strip()
        out.append(line)
        continue
    kv = re.match(r"^\s*([A-Za-z0-9_.-]+)\s*=", line)
    if kv and kv.group(1) in want.get(section, {}):
        out.append(f"{kv.group(1)} = {want[section][kv.group(1)]}")
        done.add((section, kv.group(1)))
        continue
    out.append(line)
flush()
for sec, kv in want.items():
    missing = [(k, v) for k, v in kv.items() if (sec, k) not in done]
    if missing:
        out += ["", f"[{sec}]"] + [f"{k} = {v}" for k, v in missing]
open(path, "w").write("\n".join(out))
EOF
# init made an SQLite file for the default config; nothing may use it now.
rm -f "$DATA"/salesvault.db "$DATA"/salesvault.db-wal "$DATA"/salesvault.db-shm

# The tenant and its admin (migrations run here, as sv_owner).
umask 077
"$SALESVAULT_BIN" tenant create --data "$DATA" --name "Failover Test" --slug fo \
    --admin admin --json >"$T/tenant.json" 2>"$T/tenant.log" || {
    echo "failover: tenant create failed:" >&2
    cat "$T/tenant.log" >&2
    exit 1
}
umask 022

export NODE_EXTRA_CA_CERTS="$DATA/tls/cert.pem"
export SV_FO_DIR="$T" SV_FO_DATA="$DATA" SV_FO_PG="$PG" SV_FO_P1="$P1" SV_FO_P2="$P2"
export SV_FO_PG_SCRIPT="$REPO/scripts/pg-standby.sh"

cd "$REPO"
status=0
# In the background and waited for, so that INT/TERM run the trap at once
# (which stops node, then the server it started). One process, not
# `node --test` (which would run the file in a child of its own). The test
# bounds each of its phases; timeout bounds the whole.
timeout -k 5 180 node --test-reporter=tap tests/failover/failover.test.mjs \
    >"$T/failover.tap" 2>&1 &
NODE_PID=$!
wait "$NODE_PID" || status=$?
NODE_PID=
cat "$T/failover.tap"

sum() { awk -v k="$1" '$1 == "#" && $2 == k { n += $3 } END { print n + 0 }' "$T/failover.tap"; }
echo "failover: $(sum pass) passed, $(sum fail) failed"
exit "$status"
