# Shared by pg-cluster.sh and pg-standby.sh (sourced, not run).
#
# bindir: the newest installed PostgreSQL server binaries.
# as_owner CMD…: run CMD as the cluster owner: the 'postgres' system user
# when we are root (initdb refuses root), ourselves otherwise.

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)

pg_lib_require() { # tool…
    local t
    for t in "$@"; do
        if [[ -z $bindir || ! -x $bindir/$t ]]; then
            echo "${0##*/}: PostgreSQL server binaries not found (apt install postgresql)" >&2
            exit 2
        fi
    done
}

as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}
