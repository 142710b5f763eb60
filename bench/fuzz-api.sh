#!/usr/bin/env bash
# Property-based fuzzing of the running API against its own OpenAPI
# document (schemathesis) with every check but `missing_required_header`
# (whose 4xx expectation contradicts RFC 9110's 428 for a missing If-Match):
# no 5xx; status codes, content types, headers and bodies as documented;
# valid requests accepted and invalid ones refused; 405 with Allow for
# methods a path lacks; authentication not ignored. What JSON Schema cannot
# say (a personal number's check digit, ordered dates) the generator learns
# from bench/schemathesis_hooks.py. Runs once per demo role. Loopback only.
#
#   pip install schemathesis && bash bench/fuzz-api.sh      # EXAMPLES=40 by default
#   BACKEND=postgres bash bench/fuzz-api.sh                 # on a throwaway PostgreSQL
set -euo pipefail
cd "$(dirname "$0")/.."
EXAMPLES=${EXAMPLES:-40}
PORT=${PORT:-18450}
command -v schemathesis >/dev/null || { echo "pip install schemathesis" >&2; exit 1; }
cargo build -q -p ingang-api
BIN="${CARGO_TARGET_DIR:-target}/debug/ingang"
export SCHEMATHESIS_HOOKS=schemathesis_hooks PYTHONPATH="$PWD/bench${PYTHONPATH:+:$PYTHONPATH}"
DATA=$(mktemp -d)
source bench/postgres.sh
trap 'kill "$SERVER" 2>/dev/null || true; stop_throwaway_postgres; rm -rf "$DATA"' EXIT
SERVE_ARGS=()
if [ "${BACKEND:-sqlite}" = postgres ]; then
  start_throwaway_postgres $((PORT + 1))
  SERVE_ARGS=(--database-url "$DB_URL")
fi
RUST_LOG=warn "$BIN" serve --demo --data-dir "$DATA" --listen "127.0.0.1:$PORT" "${SERVE_ARGS[@]}" >"$DATA/out" 2>"$DATA/err" &
SERVER=$!
for _ in $(seq 1 100); do grep -q '^export AF_SYSTEM' "$DATA/out" 2>/dev/null && break; sleep 0.1; done
# shellcheck disable=SC1090
source <(grep '^export' "$DATA/out")
status=0
for who in COORDINATOR AF_OFFICER ADMIN AUDITOR AF_SYSTEM; do
  echo "== as $who"
  schemathesis run openapi/ingang.json -u "https://localhost:$PORT" --tls-verify "$DATA/certs/ca.pem" \
    -H "Authorization: Bearer ${!who}" -n "$EXAMPLES" \
    --checks all --exclude-checks missing_required_header \
    | tail -n 12 || status=1
done
if grep -qiE 'internal error|panick' "$DATA/err"; then echo "the server logged an internal error" >&2; status=1; fi
exit $status
