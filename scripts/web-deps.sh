#!/usr/bin/env bash
# Install the web console's npm packages exactly as web/package-lock.json
# pins them (npm ci), once per lock content: a second run does nothing and
# works offline. Needs node and npm (scripts/deps.sh build installs them).
set -euo pipefail
WEB=$(cd "$(dirname "${BASH_SOURCE[0]}")/../web" && pwd)
stamp="$WEB/node_modules/.sv-lock.sha256"
want=$(sha256sum "$WEB/package-lock.json" | cut -d' ' -f1)
if [ -x "$WEB/node_modules/.bin/esbuild" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    exit 0
fi
echo "web-deps: npm ci (web/package-lock.json)" >&2
(cd "$WEB" && npm ci --no-audit --no-fund --loglevel=error)
echo "$want" >"$stamp"
