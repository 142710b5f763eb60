#!/usr/bin/env bash
# Load run: audited single-record reads over HTTPS with keep-alive, beside
# /healthz on the same server in the same run (the floor).
#
#   bash bench/load-run.sh            # 20 s per target, 32 connections
#   DURATION=60s CONNECTIONS=64 bash bench/load-run.sh
#   BIN=/tmp/ingang-old bash bench/load-run.sh   # measure another build
#   BACKEND=postgres bash bench/load-run.sh      # on PostgreSQL
#
# Needs wrk (Debian: apt-get install wrk). Builds the release binary, starts
# `ingang serve --demo` on a free loopback port over a fresh data directory,
# and stops it afterwards. Only loopback traffic. With BACKEND=postgres it
# first starts a throwaway PostgreSQL cluster (Debian's postgresql package,
# default durable settings: fsync and synchronous_commit on) and counts the
# database server's CPU time in the per-request figure too.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
PORT=${PORT:-18443}

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
# BIN may name another build to compare (A/B); by default build this tree.
if [ -z "${BIN:-}" ]; then
  cargo build --release -q -p ingang-api
  BIN=target/release/ingang
fi
DATA=$(mktemp -d)
BACKEND=${BACKEND:-sqlite}
source bench/postgres.sh
cleanup() {
  kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true
  stop_throwaway_postgres
  rm -rf "$DATA"
}
trap cleanup EXIT

database_for_backend $((PORT + 1))

RUST_LOG=${RUST_LOG:-warn,ingang=info} "$BIN" serve --demo --data-dir "$DATA" --listen "127.0.0.1:$PORT" "${SERVE_ARGS[@]}" >"$DATA/serve.out" 2>"$DATA/serve.err" &
SERVER=$!
for _ in $(seq 1 100); do
  [ -f "$DATA/demo.json" ] && curl -sf --cacert "$DATA/certs/ca.pem" "https://localhost:$PORT/healthz" >/dev/null && break
  sleep 0.1
done

read -r OFFICER RECORD < <(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
officer = next(p["id"] for p in d["people"] if p["label"] == "af-officer")
print(officer, d["record"])' "$DATA/demo.json")
TOKEN=$("$BIN" token --data-dir "$DATA" --sub "$OFFICER" --agency af --role officer --ttl 1h 2>/dev/null)
URL="https://localhost:$PORT/v1/records/$RECORD"
curl -sf --cacert "$DATA/certs/ca.pem" -H "Authorization: Bearer $TOKEN" "$URL" >/dev/null

run() { wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@"; }
# The server's CPU time (user + system, in clock ticks) from /proc: a
# steadier figure than requests/s on a machine wrk shares.
# With PostgreSQL, its processes (postmaster and backends) count too.
server_pids() {
  echo "$SERVER"
  if [ -n "$PGDIR" ]; then
    local postmaster; postmaster=$(head -1 "$PGDIR/data/postmaster.pid")
    echo "$postmaster"; pgrep -P "$postmaster" || true
  fi
}
cpu_ticks() { for pid in $(server_pids); do cat "/proc/$pid/stat" 2>/dev/null; done | awk '{t += $14 + $15} END {print t}'; }
TICK=$(getconf CLK_TCK)
summary() {
  awk -v name="$1" -v ticks="$2" -v tick="$TICK" '
    /Requests\/sec/ {rps=$2}
    /^ +50%/ {p50=$2}
    /^ +99%/ {p99=$2}
    /requests in/ {n=$1}
    /Non-2xx/ {bad=$NF}
    END {printf "| %s | %s | %s | %s | %s | %s | %.0f |\n", name, rps, p50, p99, n, (bad==""?0:bad), ticks * 1e6 / tick / n}'
}

echo "# $BACKEND; wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
T0=$(cpu_ticks); HEALTH=$(run "https://localhost:$PORT/healthz"); T1=$(cpu_ticks)
READS=$(run -H "Authorization: Bearer $TOKEN" "$URL"); T2=$(cpu_ticks)
COUNT_SQL="select count(*) from audit_events where action='record.read'"
if [ "$BACKEND" = postgres ]; then
  AUDITED=$(psql -tA "$DB_URL" -c "$COUNT_SQL")
else
  AUDITED=$(python3 - "$DATA/ingang.sqlite3" "$COUNT_SQL" <<'PY'
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])
PY
)
fi
echo "| target | requests/s | p50 | p99 | requests | non-2xx | server CPU µs/request |"
echo "|---|---|---|---|---|---|---|"
echo "$HEALTH" | summary "GET /healthz (floor)" $((T1 - T0))
echo "$READS" | summary "GET /v1/records/{id} (audited read)" $((T2 - T1))
echo "audit entries for record reads after the run: $AUDITED"
kill -TERM "$SERVER"; wait "$SERVER" 2>/dev/null || true
grep -o 'audit log: .*' "$DATA/serve.err" || true
