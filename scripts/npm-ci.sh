#!/usr/bin/env bash
# Install a folder's npm packages exactly as its package-lock.json pins them
# (npm ci), once per lock content: a second run does nothing and works
# offline. Needs node and npm (scripts/deps.sh installs them).
#
#   bash scripts/npm-ci.sh            # web/ (the console's build: esbuild, Preact, htm)
#   bash scripts/npm-ci.sh DIR        # e.g. tests/browser (playwright-core, axe-core)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=${1:-web}
[[ $DIR == /* ]] || DIR=$ROOT/$DIR
stamp="$DIR/node_modules/.sv-lock.sha256"
want=$(sha256sum "$DIR/package-lock.json" | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    exit 0
fi
echo "npm-ci: npm ci in ${DIR#"$ROOT"/} (package-lock.json)" >&2
(cd "$DIR" && npm ci --no-audit --no-fund --loglevel=error)
echo "$want" >"$stamp"
