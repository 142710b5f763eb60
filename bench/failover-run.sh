#!/usr/bin/env bash
# The sequencer's failover under load, release build: two `ingang serve`
# processes on one throwaway PostgreSQL, Eva's worklist read through both
# (each request audits ~41 entries), the lease holder killed with kill -9
# half-way. Prints the entries/s and how long entries waited for a signed
# checkpoint (p50, p99, max). The test itself asserts only correctness:
# no entry lost, none sequenced twice, every one in a checkpoint.
#
#   bash bench/failover-run.sh                      # 40 clients, 6 s
#   INGANG_FAILOVER_SECONDS=20 bash bench/failover-run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
INGANG_REQUIRE_POSTGRES=1 cargo test --release -q -p ingang-api --test audit_log \
  the_sequencer_fails_over_under_load_on_postgresql -- --nocapture 2>&1 | grep -E "^figures|test result|panicked"
