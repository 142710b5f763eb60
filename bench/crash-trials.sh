#!/usr/bin/env bash
# Crash trials (bench/crash-trials.py): kill -9 under mixed audited reads
# and writes, 20 trials, then the whole log verified.
#
#   bash bench/crash-trials.sh                      # SQLite
#   BACKEND=postgres bash bench/crash-trials.sh     # a throwaway PostgreSQL cluster
#   TRIALS=50 BIN=/tmp/ingang bash bench/crash-trials.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${BIN:-}" ]; then
  cargo build --release -q -p ingang-api
  BIN=${CARGO_TARGET_DIR:-target}/release/ingang
fi
source bench/postgres.sh
trap stop_throwaway_postgres EXIT
URL=()
if [ "${BACKEND:-sqlite}" = postgres ]; then
  start_throwaway_postgres "${PG_PORT:-18701}"
  URL=("$DB_URL")
fi
python3 bench/crash-trials.py "$BIN" "${TRIALS:-20}" "${URL[@]}"
