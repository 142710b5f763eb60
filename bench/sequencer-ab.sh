#!/usr/bin/env bash
# Audited reads per second with the Merkle log's sequencer on and off,
# interleaved (on, off, on, off, …) under the same load run
# (bench/load-run.sh: wrk against GET /v1/records/{id}, keep-alive).
# With the sequencer on, the serving process also integrates every entry
# into the tree and signs a checkpoint each 200 ms.
#
#   bash bench/sequencer-ab.sh                 # 3 rounds of 15 s, SQLite
#   BACKEND=postgres ROUNDS=2 bash bench/sequencer-ab.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p ingang-api
export BIN=${BIN:-${CARGO_TARGET_DIR:-target}/release/ingang}
export DURATION=${DURATION:-15s}
for round in $(seq 1 "${ROUNDS:-3}"); do
  for side in true false; do
    echo "== sequencer $side, round $round"
    INGANG_AUDIT_LOG_SEQUENCER=$side bash bench/load-run.sh 2>&1 | grep -E "audited|audit log"
  done
done
