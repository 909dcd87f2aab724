#!/usr/bin/env bash
# Install the Debian packages Salesvault needs to build, run and test.
# Checks with dpkg first; uses sudo only when not root. Safe to run twice.
set -euo pipefail

build_pkgs=(
    build-essential meson ninja-build pkg-config python3
    libmicrohttpd-dev libgnutls28-dev libsodium-dev libjansson-dev
    libsqlite3-dev libpq-dev liboath-dev libqrencode-dev libgd-dev
    libzxcvbn-dev libcurl4-openssl-dev libinih-dev libzstd-dev
    john-data libzbar-dev fonts-dejavu-core
)
test_pkgs=(libcmocka-dev clang sqlite3 nodejs npm python3-yaml postgresql chromium)
bench_pkgs=(nginx wrk)

want=("${build_pkgs[@]}")
case "${1:-build}" in
    build) ;;
    test) want+=("${test_pkgs[@]}") ;;
    bench) want+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
    *) echo "usage: $0 [build|test|bench]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
    # nodejs/npm may come from elsewhere on a developer machine: accept the command.
    if [[ $p == nodejs ]] && command -v node >/dev/null; then continue; fi
    if [[ $p == npm ]] && command -v npm >/dev/null; then continue; fi
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
        missing+=("$p")
    fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo=()
[[ $(id -u) -eq 0 ]] || sudo=(sudo)
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
