#!/usr/bin/env bash
# make run: initialise the data directory (once), make sure a demo tenant
# exists, print how to sign in, and serve until Ctrl-C.
set -euo pipefail
bin=${1:-build/salesvault}
data=${2:-var}
listen=${3:-127.0.0.1:8443}

"$bin" init --data "$data" >/dev/null

if ! "$bin" tenant list --data "$data" --json | grep -q '"slug": "demo"'; then
    out=$("$bin" tenant create --data "$data" --name "Demo Company" \
        --slug demo --admin admin --json)
    password=$(printf '%s' "$out" | sed -n 's/.*"temporary_password": "\(.*\)".*/\1/p')
    note="a new temporary password"
elif "$bin" user show --data "$data" --tenant demo --username admin --json |
        grep -q '"must_change_password": true'; then
    # The first password was never used: issue a fresh one to print.
    out=$("$bin" user reset --data "$data" --tenant demo --username admin --json)
    password=$(printf '%s' "$out" | sed -n 's/.*"temporary_password": "\(.*\)".*/\1/p')
    note="a fresh one: the previous temporary password was never used"
else
    password="(already changed by you; use 'salesvault user reset' to rescue)"
    note="the password you set"
fi

cat <<TXT

  Salesvault is starting.
    console:   https://${listen}/  (sign in here in a browser)
    API:       https://${listen}/api/v1/health
    tenant:    demo
    username:  admin
    password:  ${password}
               (${note}; it must be changed at first login)
    CA cert:   ${data}/tls/cert.pem (self-signed development certificate)

  Try:  curl --cacert ${data}/tls/cert.pem -H 'content-type: application/json' \\
          -d '{"tenant":"demo","username":"admin","password":"…"}' \\
          https://${listen}/api/v1/auth/login
  Messages (SMS codes, e-mails) go to ${data}/outbox.jsonl in development.

TXT
exec "$bin" serve --data "$data" --listen "$listen"
