#!/usr/bin/env bash
# A throwaway PostgreSQL primary with a synchronous streaming-replication hot
# standby, both on 127.0.0.1 and free ports (DR-2; for tests/failover).
#
#   scripts/pg-standby.sh start DIR          # prints "PRIMARY_PORT STANDBY_PORT"
#   scripts/pg-standby.sh promote DIR        # standby becomes a primary (waits
#                                            # until it accepts writes)
#   scripts/pg-standby.sh kill-primary DIR   # kill -9 of the primary postmaster
#   scripts/pg-standby.sh status DIR         # one line per cluster (debugging)
#   scripts/pg-standby.sh stop DIR           # stops both and removes DIR
#
# Roles as in pg-cluster.sh: postgres (superuser, for the scripts), sv_owner
# (owns database `salesvault`, runs migrations) and sv_app (the server's
# role: no superuser, no BYPASSRLS, owns nothing). Trust authentication on
# loopback only: the pair lives for one test run.
#
# Unlike pg-cluster.sh this one keeps fsync and synchronous_commit on: the
# point is that a commit the primary acknowledges is durable on the standby
# (synchronous_standby_names = 'FIRST 1 (sv_standby)'), so that a kill -9 of
# the primary loses nothing that a client was told had been written.
#
# As root the clusters run as the 'postgres' system user (initdb refuses
# root). Every wait is bounded; every process is found by its pid.
set -euo pipefail

cmd=${1:?usage: pg-standby.sh start|promote|kill-primary|status|stop DIR}
dir=${2:?usage: pg-standby.sh start|promote|kill-primary|status|stop DIR}

# Seconds allowed for each wait (server start, replication catching up,
# promotion, a process to exit).
WAIT_S=${SV_PG_WAIT_S:-60}
STANDBY_NAME=sv_standby

# shellcheck source=scripts/pg-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/pg-lib.sh"
pg_lib_require initdb pg_ctl pg_basebackup

own() {
    if [[ $(id -u) -eq 0 ]]; then chown postgres: "$@"; fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# psql as the superuser over TCP, bounded: PORT SQL... (one -c per argument)
sql() {
    local port=$1
    shift
    local args=()
    for s in "$@"; do args+=(-c "$s"); done
    PGCONNECT_TIMEOUT=3 timeout 15 psql -X -q -A -t -h 127.0.0.1 -p "$port" -U postgres \
        -d postgres -v ON_ERROR_STOP=1 "${args[@]}"
}

# wait_for DESCRIPTION COMMAND...: retry COMMAND every 0.2 s for WAIT_S.
wait_for() {
    local what=$1
    shift
    local deadline=$((SECONDS + WAIT_S))
    while ! "$@" >/dev/null 2>&1; do
        if ((SECONDS >= deadline)); then
            echo "pg-standby: timed out after ${WAIT_S}s waiting for $what" >&2
            return 1
        fi
        sleep 0.2
    done
}

postmaster_pid() { # DATADIR → pid of a running postmaster, or nothing
    local f=$1/postmaster.pid pid
    [[ -r $f ]] || return 1
    pid=$(head -n 1 "$f")
    [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

is_sync() {
    [[ $(sql "$1" "SELECT sync_state FROM pg_stat_replication WHERE application_name = '$STANDBY_NAME' AND state = 'streaming'") == sync ]]
}

is_writable() {
    [[ $(sql "$1" "SELECT pg_is_in_recovery()") == f ]] &&
        sql "$1" "SELECT pg_current_xact_id()" >/dev/null
}

start_cluster() { # NAME PORT
    local name=$1 port=$2
    as_owner "$bindir/pg_ctl" -D "$dir/$name" -l "$dir/$name.log" -w -t "$WAIT_S" \
        -o "-p $port" start >/dev/null || {
        echo "pg-standby: the $name did not start:" >&2
        tail -n 30 "$dir/$name.log" >&2
        exit 1
    }
}

fail_start() {
    # Leave nothing running behind a failed start.
    for d in "$dir/standby" "$dir/primary"; do
        if [[ -d $d ]]; then
            as_owner "$bindir/pg_ctl" -D "$d" -m immediate -w -t 10 stop >/dev/null 2>&1 || true
        fi
    done
}

case $cmd in
start)
    [[ ! -e $dir/primary ]] || { echo "pg-standby: $dir is in use" >&2; exit 2; }
    mkdir -p "$dir" "$dir/sock-primary" "$dir/sock-standby"
    own "$dir" "$dir/sock-primary" "$dir/sock-standby"
    started=0
    trap '[[ $started == 1 ]] || fail_start' EXIT
    p1=$(free_port)
    p2=$(free_port)
    while [[ $p2 == "$p1" ]]; do p2=$(free_port); done

    as_owner "$bindir/initdb" -D "$dir/primary" -U postgres --auth=trust \
        -E UTF8 --locale=C.UTF-8 --no-instructions >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        exit 1
    }
    # Loopback only, for clients and for the standby's replication stream.
    as_owner tee "$dir/primary/pg_hba.conf" >/dev/null <<'EOF'
# pg-standby.sh: trust on loopback only (a throwaway pair).
local   all          all                 trust
local   replication  all                 trust
host    all          all   127.0.0.1/32  trust
host    replication  all   127.0.0.1/32  trust
EOF
    # Settings both clusters share (pg_basebackup copies this file); the
    # standby's port and socket directory are given on its command line.
    as_owner tee -a "$dir/primary/postgresql.conf" >/dev/null <<EOF

# ---- pg-standby.sh ----
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir/sock-primary'
max_connections = 100
wal_level = replica
max_wal_senders = 4
max_replication_slots = 4
hot_standby = on
fsync = on
synchronous_commit = on
wal_sender_timeout = 10s
wal_receiver_status_interval = 1s
EOF
    start_cluster primary "$p1"
    sql "$p1" \
        "CREATE ROLE sv_owner LOGIN" \
        "CREATE ROLE sv_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE" \
        "CREATE DATABASE salesvault OWNER sv_owner" >/dev/null

    # The standby: a base backup with -R (standby.signal + primary_conninfo,
    # here naming the standby for synchronous_standby_names) and a slot so
    # the primary keeps the WAL the standby still needs.
    as_owner timeout "$WAIT_S" "$bindir/pg_basebackup" -D "$dir/standby" -R -X stream \
        -C -S "$STANDBY_NAME" --checkpoint=fast \
        -d "host=127.0.0.1 port=$p1 user=postgres application_name=$STANDBY_NAME connect_timeout=5" \
        >"$dir/basebackup.log" 2>&1 || {
        echo "pg-standby: pg_basebackup failed:" >&2
        cat "$dir/basebackup.log" >&2
        exit 1
    }
    as_owner tee -a "$dir/standby/postgresql.conf" >/dev/null <<EOF
unix_socket_directories = '$dir/sock-standby'
cluster_name = '$STANDBY_NAME'
EOF
    start_cluster standby "$p2"

    # Only now make commits wait for the standby: before it existed they
    # would have waited for ever.
    sql "$p1" "ALTER SYSTEM SET synchronous_standby_names = 'FIRST 1 ($STANDBY_NAME)'" \
        "SELECT pg_reload_conf()" >/dev/null
    wait_for "the standby to stream synchronously" is_sync "$p1"
    wait_for "the standby to accept connections" sql "$p2" "SELECT 1"
    echo "$p1 $p2" >"$dir/ports"
    started=1
    echo "$p1 $p2"
    ;;
promote)
    read -r p1 p2 <"$dir/ports"
    [[ $(sql "$p2" "SELECT pg_is_in_recovery()") == t ]] || {
        echo "pg-standby: the standby is not in recovery (promoted already?)" >&2
        exit 1
    }
    as_owner "$bindir/pg_ctl" -D "$dir/standby" -w -t "$WAIT_S" promote >/dev/null
    # The new primary has no standby of its own: it must not wait for one
    # (the setting lives in the old primary's postgresql.auto.conf only, but
    # say so explicitly).
    sql "$p2" "ALTER SYSTEM SET synchronous_standby_names = ''" "SELECT pg_reload_conf()" >/dev/null
    wait_for "the promoted standby to accept writes" is_writable "$p2"
    ;;
kill-primary)
    pid=$(postmaster_pid "$dir/primary") || {
        echo "pg-standby: the primary is not running" >&2
        exit 1
    }
    # Its children (backends, walsender, …) leave by themselves when they
    # see the postmaster die; remember them so that stop can make sure.
    pgrep -P "$pid" >>"$dir/primary-children" 2>/dev/null || true
    kill -9 "$pid"
    deadline=$((SECONDS + WAIT_S))
    # Gone, or a zombie nobody has reaped yet: either way it serves nothing.
    while kill -0 "$pid" 2>/dev/null &&
        [[ $(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null) != Z ]]; do
        ((SECONDS < deadline)) || { echo "pg-standby: pid $pid still alive" >&2; exit 1; }
        sleep 0.05
    done
    echo "$pid"
    ;;
status)
    read -r p1 p2 <"$dir/ports" || true
    for name in primary standby; do
        port=$p1
        [[ $name == standby ]] && port=$p2
        if pid=$(postmaster_pid "$dir/$name"); then
            echo "$name port $port pid $pid in_recovery=$(sql "$port" "SELECT pg_is_in_recovery()" 2>/dev/null || echo '?')"
        else
            echo "$name port $port down"
        fi
    done
    ;;
stop)
    for name in standby primary; do
        if [[ -d $dir/$name ]] && postmaster_pid "$dir/$name" >/dev/null; then
            as_owner "$bindir/pg_ctl" -D "$dir/$name" -m immediate -w -t "$WAIT_S" stop >/dev/null 2>&1 || true
        fi
    done
    # Children of a killed primary that have not noticed yet.
    if [[ -r $dir/primary-children ]]; then
        while read -r pid; do
            [[ $pid =~ ^[0-9]+$ ]] || continue
            if [[ $(cat "/proc/$pid/comm" 2>/dev/null) == postgres ]]; then
                kill -9 "$pid" 2>/dev/null || true
            fi
        done <"$dir/primary-children"
    fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: pg-standby.sh start|promote|kill-primary|status|stop DIR" >&2
    exit 2
    ;;
esac
