#!/usr/bin/env bash
# The tests that need PostgreSQL use the local server on 127.0.0.1:5432; start it when it is down.
set -uo pipefail
if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  echo "postgresql: running"
  exit 0
fi
if ls /etc/postgresql >/dev/null 2>&1; then
  version=$(ls /etc/postgresql | head -n1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
  for _ in $(seq 1 30); do
    pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null && { echo "postgresql: started"; exit 0; }
    sleep 1
  done
fi
echo "postgresql: not reachable on 127.0.0.1:5432 — the PostgreSQL tests will fail" >&2
exit 0
