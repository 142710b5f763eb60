#!/usr/bin/env bash
# Interleaved A/B of two builds under the same load run: A, B, A, B, …
#
#   bash bench/ab.sh /tmp/a.bin /tmp/b.bin            # 3 rounds, SQLite
#   BACKEND=postgres ROUNDS=2 bash bench/ab.sh A B    # on PostgreSQL
#
# Each run is `bench/load-run.sh` with BIN set (DURATION defaults to 15s
# here); prints the audited-read line and the audit writer's counters
# (entries and commits: entries per commit shows how well group commit
# batched). Build each side first, for example with `git worktree add` and
# `cargo build --release -p ingang-api`.
set -euo pipefail
cd "$(dirname "$0")/.."
A=${1:?usage: bench/ab.sh A_BINARY B_BINARY}
B=${2:?usage: bench/ab.sh A_BINARY B_BINARY}
export DURATION=${DURATION:-15s}
for round in $(seq 1 "${ROUNDS:-3}"); do
  for side in A B; do
    if [ "$side" = A ]; then bin=$A; else bin=$B; fi
    echo "== $side round $round ($bin)"
    BIN=$bin bash bench/load-run.sh 2>&1 | grep -E "audited|audit log"
  done
done
