#!/usr/bin/env bash
# The realistic load run: 1 000 clients, 40 officers of three agencies, three
# agencies' records per client; each request a random record read by a
# random officer allowed to read it (many tokens), over HTTPS with
# keep-alive, beside the floor — a bare actix-web + rustls server answering
# 1 KiB (bench/floor) — measured in the same run on the same cores.
#
#   bash bench/realistic-load.sh                  # SQLite, 20 s per target
#   BACKEND=postgres bash bench/realistic-load.sh # PostgreSQL (its CPU counted too)
#   MODE=list|plan|write bash bench/realistic-load.sh   # other requests
#   MODE=mixed bash bench/realistic-load.sh       # single-record reads, one request in ten a new note
#   BINS="/tmp/a /tmp/b /tmp/a /tmp/b" bash bench/realistic-load.sh  # A/B on one population
#   CONNECTIONS=1000 DURATION=30s bash bench/realistic-load.sh       # prints resident memory
#   PERF=/tmp/perf.data bash bench/realistic-load.sh   # and profiles 3 s of the run
#
# Reports requests/s, the ratio to the floor, p50 and p99, server CPU per
# request, resident memory, and checks that every answered read has its
# audit entry. Needs wrk and python3; loopback traffic only.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
PORT=${PORT:-18443}
FLOOR_PORT=$((PORT + 2))
CLIENTS=${CLIENTS:-1000}
OFFICERS=${OFFICERS:-40}
export MODE=${MODE:-record}
BACKEND=${BACKEND:-sqlite}
TARGET_DIR=${CARGO_TARGET_DIR:-target}

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
if [ -z "${BINS:-}" ]; then
  cargo build --release -q -p ingang-api -p ingang-bench-floor
  BINS=$TARGET_DIR/release/ingang
fi
FLOOR_BIN=${FLOOR_BIN:-$TARGET_DIR/release/bench-floor}
[ -x "$FLOOR_BIN" ] || cargo build --release -q -p ingang-bench-floor

DATA=$(mktemp -d)
SERVER=""; FLOOR=""
source bench/postgres.sh
source bench/server.sh
cleanup() {
  for pid in $SERVER $FLOOR; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  stop_throwaway_postgres
  rm -rf "$DATA"
}
trap cleanup EXIT

database_for_backend $((PORT + 1))

set -- $BINS
start_server "$1"
python3 bench/population.py "$DATA" "https://localhost:$PORT" "$1" "$DATA/reads.txt" "$CLIENTS" "$OFFICERS"
stop_server
"$FLOOR_BIN" "127.0.0.1:$FLOOR_PORT" "$DATA/certs/server.pem" "$DATA/certs/server.key" &
FLOOR=$!
sleep 0.3

run() { READS_FILE="$DATA/reads.txt" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@"; }
# Server CPU (user + system, clock ticks) from /proc; with PostgreSQL its
# processes (postmaster and backends) count too.
pids_of() {
  echo "$1"
  if [ -n "$PGDIR" ] && [ "$1" = "$SERVER" ]; then
    local postmaster; postmaster=$(head -1 "$PGDIR/data/postmaster.pid")
    echo "$postmaster"; pgrep -P "$postmaster" || true
  fi
}
cpu_ticks() { for pid in $(pids_of "$1"); do cat "/proc/$pid/stat" 2>/dev/null; done | awk '{t += $14 + $15} END {print t}'; }
rss_mib() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
audit_count() {
  local sql="select count(*) from audit_events where action in ('record.read','record.write')"
  if [ "$BACKEND" = postgres ]; then psql -tA "$DB_URL" -c "$sql"; else
    python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "$DATA/ingang.sqlite3" "$sql"; fi
}
# Audit entries and commits (the group commit's batches) so far, from /metrics.
audit_commits() {
  curl -s --cacert "$DATA/certs/ca.pem" "https://localhost:$PORT/metrics" |
    awk '/^ingang_audit_batch_size_sum/ {e=$2} /^ingang_audit_batch_size_count/ {c=$2}
         /^ingang_audit_decided_again_total/ {a=$2} END {print e, c, a + 0}'
}
TICK=$(getconf CLK_TCK)
# wrk's report → requests/s p50 p99 requests non-2xx
numbers() {
  awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /requests in/ {n=$1}
       /Non-2xx/ {bad=$NF} END {print rps, p50, p99, n, (bad==""?0:bad)}'
}

echo "# $BACKEND, MODE=$MODE; $CLIENTS clients, $OFFICERS officers; wrk -t$THREADS -c$CONNECTIONS -d$DURATION; $(nproc) cores; $(date -u +%Y-%m-%dT%H:%MZ)"
echo "| target | requests/s | ÷ floor | p50 | p99 | requests | non-2xx | server CPU µs/request | RSS MiB after | audit entries added | entries per audit commit | decided again |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
for bin in $BINS; do
  T0=$(cpu_ticks "$FLOOR")
  read -r F_RPS F_P50 F_P99 F_N F_BAD < <(run "https://localhost:$FLOOR_PORT/" | numbers)
  T1=$(cpu_ticks "$FLOOR")
  echo "| floor (bare actix-web + rustls, 1 KiB) | $F_RPS | 1 | $F_P50 | $F_P99 | $F_N | $F_BAD | $(( (T1 - T0) * 1000000 / TICK / F_N )) | $(rss_mib "$FLOOR") | | | |"
  start_server "$bin"
  # Warm the connection pool and caches, as a service in use is.
  READS_FILE="$DATA/reads.txt" wrk -t1 -c4 -d2s "https://localhost:$PORT/" -s bench/reads.lua >/dev/null
  A0=$(audit_count); read -r E0 C0 D0 < <(audit_commits); T0=$(cpu_ticks "$SERVER")
  if [ -n "${PERF:-}" ]; then  # PERF=file.data: a CPU profile of the server under load
    perf record -q -e cpu-clock -F 999 --call-graph "${PERF_CALL_GRAPH:-dwarf,16384}" -p "$SERVER" -o "$PERF" -- sleep 3 >/dev/null 2>&1 &
  fi
  read -r RPS P50 P99 N BAD < <(run -s bench/reads.lua "https://localhost:$PORT" | numbers)
  T1=$(cpu_ticks "$SERVER"); RSS=$(rss_mib "$SERVER"); A1=$(audit_count); read -r E1 C1 D1 < <(audit_commits)
  RATIO=$(python3 -c "print(f'{$RPS / $F_RPS:.3f}')")
  echo "| $MODE: $(basename "$bin") | $RPS | $RATIO | $P50 | $P99 | $N | $BAD | $(( (T1 - T0) * 1000000 / TICK / N )) | $RSS | $((A1 - A0)) | $(python3 -c "print(f'{($E1 - $E0) / max($C1 - $C0, 1):.1f}')") | $((D1 - D0)) |"
  if [ "$MODE" = record ] && [ "$((A1 - A0))" -lt "$((N - BAD))" ]; then
    echo "!!! fewer audit entries ($((A1 - A0))) than answered reads ($((N - BAD)))" >&2; exit 1
  fi
  stop_server
done
