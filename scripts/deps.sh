#!/usr/bin/env bash
# Install the Debian packages Salesvault needs to build, run and test.
# Checks with dpkg first; uses sudo only when not root. Safe to run twice.
set -euo pipefail

build_pkgs=(
    build-essential meson ninja-build pkg-config python3
    libmicrohttpd-dev libgnutls28-dev libsodium-dev libjansson-dev
    libsqlite3-dev libpq-dev liboath-dev libqrencode-dev libgd-dev
    libzxcvbn-dev libcurl4-openssl-dev libinih-dev libzstd-dev
    libphonenumber-dev libcsv-dev john-data libzbar-dev fonts-dejavu-core nodejs npm
    libp11-kit-dev
)
test_pkgs=(libcmocka-dev zlib1g-dev clang clang-format sqlite3 python3-yaml postgresql chromium fonts-noto-cjk softhsm2)
bench_pkgs=(nginx wrk time)

want=("${build_pkgs[@]}")
case "${1:-build}" in
    build) ;;
    test) want+=("${test_pkgs[@]}") ;;
    bench) want+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
    *) echo "usage: $0 [build|test|bench]" >&2; exit 2 ;;
esac

# The console's build (esbuild through npm) and the test suites (node:test,
# fetch, --test-concurrency) need Node.js 18.19 or later: Debian 12's own
# nodejs (18.19/18.20) through 20 and newer.
NODE_MIN_MAJOR=18 NODE_MIN_MINOR=19
node_new_enough() {
    local v maj min
    v=$(node -p 'process.versions.node' 2>/dev/null) || return 1
    IFS=. read -r maj min _ <<<"$v"
    [[ $maj =~ ^[0-9]+$ && $min =~ ^[0-9]+$ ]] || return 1
    ((maj > NODE_MIN_MAJOR || (maj == NODE_MIN_MAJOR && min >= NODE_MIN_MINOR)))
}

missing=()
for p in "${want[@]}"; do
    # nodejs/npm may come from elsewhere on a developer machine (NodeSource,
    # nvm): accept its node when new enough, and its npm. Otherwise Debian's
    # packages (unless installed: the node check below then says what is wrong).
    if [[ $p == nodejs ]] && command -v node >/dev/null && node_new_enough; then continue; fi
    if [[ $p == npm ]] && command -v npm >/dev/null; then continue; fi
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
        missing+=("$p")
    fi
done

if [[ ${#missing[@]} -gt 0 ]]; then
    sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    echo "deps: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The node that builds the console and runs the tests (the first in PATH)
# must be new enough.
if true; then
    node_problem=
    if ! command -v node >/dev/null; then
        node_problem="no node command after installing nodejs: the console build and the tests need Node.js $NODE_MIN_MAJOR.$NODE_MIN_MINOR or later"
    elif ! node_new_enough; then
        node_problem="$(command -v node) is Node.js $(node --version 2>/dev/null || echo '(unknown version)'): too old, the console build and the tests need Node.js $NODE_MIN_MAJOR.$NODE_MIN_MINOR or later (Debian 12's nodejs package, or 20+). Put a newer node first in PATH, or remove the old one and run this again to install Debian's."
    elif ! command -v npm >/dev/null; then
        node_problem="no npm command: the console's packages are installed with npm (apt-get install npm)"
    fi
    if [[ -n $node_problem ]]; then
        echo "deps: $node_problem" >&2
        exit 1
    fi
fi
