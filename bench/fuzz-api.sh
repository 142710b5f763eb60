#!/usr/bin/env bash
# Property-based fuzzing of the running API against its own OpenAPI
# document (schemathesis): no 5xx, and every status code, content type and
# response body as documented. Runs once per demo role. Loopback only.
#
#   pip install schemathesis && bash bench/fuzz-api.sh      # EXAMPLES=40 by default
#   BACKEND=postgres bash bench/fuzz-api.sh                 # on a throwaway PostgreSQL
set -euo pipefail
cd "$(dirname "$0")/.."
EXAMPLES=${EXAMPLES:-40}
PORT=${PORT:-18450}
command -v schemathesis >/dev/null || { echo "pip install schemathesis" >&2; exit 1; }
cargo build -q -p ingang-api
DATA=$(mktemp -d)
source bench/postgres.sh
trap 'kill "$SERVER" 2>/dev/null || true; stop_throwaway_postgres; rm -rf "$DATA"' EXIT
SERVE_ARGS=()
if [ "${BACKEND:-sqlite}" = postgres ]; then
  start_throwaway_postgres $((PORT + 1))
  SERVE_ARGS=(--database-url "$DB_URL")
fi
RUST_LOG=warn target/debug/ingang serve --demo --data-dir "$DATA" --listen "127.0.0.1:$PORT" "${SERVE_ARGS[@]}" >"$DATA/out" 2>"$DATA/err" &
SERVER=$!
for _ in $(seq 1 100); do grep -q '^export AF_SYSTEM' "$DATA/out" 2>/dev/null && break; sleep 0.1; done
# shellcheck disable=SC1090
source <(grep '^export' "$DATA/out")
status=0
for who in COORDINATOR AF_OFFICER ADMIN AUDITOR AF_SYSTEM; do
  echo "== as $who"
  schemathesis run openapi/ingang.json -u "https://localhost:$PORT" --tls-verify "$DATA/certs/ca.pem" \
    -H "Authorization: Bearer ${!who}" -n "$EXAMPLES" \
    -c not_a_server_error,content_type_conformance,status_code_conformance,response_schema_conformance \
    | tail -n 9 || status=1
done
if grep -qiE 'internal error|panick' "$DATA/err"; then echo "the server logged an internal error" >&2; status=1; fi
exit $status
