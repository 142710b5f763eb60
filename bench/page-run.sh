#!/usr/bin/env bash
# Load run of the web page: the officer's client page (GET /clients/{id},
# Eva opening Ali's file: identity, records and the consents behind them,
# every read audited) over HTTPS with keep-alive, signed in through the
# development sign-in. Reports wrk's view (requests/s, latency) and the
# server's own time per page from its access log (p50, p99), and the
# server's CPU per page.
#
#   bash bench/page-run.sh                      # 15 s, 8 connections, SQLite
#   PAGE=plan bash bench/page-run.sh            # the shared plan page instead
#   BIN=/tmp/other-build DURATION=30s bash bench/page-run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-15s}
CONNECTIONS=${CONNECTIONS:-8}
PORT=${PORT:-18470}
PAGE=${PAGE:-file}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
if [ -z "${BIN:-}" ]; then
  cargo build --release -q -p ingang-api
  BIN=${CARGO_TARGET_DIR:-target}/release/ingang
fi
DATA=$(mktemp -d)
trap 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; rm -rf "$DATA"' EXIT
RUST_LOG=warn,ingang::access=info INGANG_LOG_FORMAT=json \
  "$BIN" serve --demo --data-dir "$DATA" --listen "127.0.0.1:$PORT" >"$DATA/out" 2>"$DATA/log" &
SERVER=$!
for _ in $(seq 1 100); do
  [ -f "$DATA/demo.json" ] && curl -sf --cacert "$DATA/certs/ca.pem" "https://localhost:$PORT/healthz" >/dev/null && break
  sleep 0.1
done
read -r EVA CLIENT < <(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(next(p["id"] for p in d["people"] if p["label"] == "af-officer"), d["client"])' "$DATA/demo.json")
BASE="https://localhost:$PORT"
CURL=(curl -sf --cacert "$DATA/certs/ca.pem" -c "$DATA/jar" -b "$DATA/jar")
NONCE=$("${CURL[@]}" "$BASE/sign-in" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -1)
"${CURL[@]}" -o /dev/null --data-urlencode "csrf=$NONCE" --data-urlencode "account=$EVA" "$BASE/sign-in/development"
SESSION=$(awk '$6 == "ingang_session" {print $7}' "$DATA/jar")
[ -n "$SESSION" ] || { echo "the sign-in failed" >&2; exit 1; }
case "$PAGE" in
  file) URL="$BASE/clients/$CLIENT"; ROUTE="/clients/{id}" ;;
  plan) URL="$BASE/clients/$CLIENT/plan"; ROUTE="/clients/{id}/plan" ;;
  *) echo "PAGE is file or plan" >&2; exit 1 ;;
esac
"${CURL[@]}" -o /dev/null "$URL"
: > "$DATA/log"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER/stat"; }
T0=$(cpu_ticks)
OUT=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -H "Cookie: ingang_session=$SESSION" "$URL")
T1=$(cpu_ticks)
sleep 0.5
SERVER_TIMES=$(python3 - "$DATA/log" "$ROUTE" <<'PY'
import json, sys
route = sys.argv[2]
times, bad = [], 0
for line in open(sys.argv[1]):
    try:
        entry = json.loads(line)
    except ValueError:
        continue
    fields = entry.get("fields", entry)
    if fields.get("route") != route:
        continue
    if int(fields.get("status", 0)) != 200:
        bad += 1
    times.append(int(fields["micros"]))
times.sort()
pick = lambda q: times[min(len(times) - 1, int(q * len(times)))] / 1000
print(f"{pick(0.50):.2f} ms | {pick(0.99):.2f} ms | {len(times)} | {bad}")
PY
)
echo "# web page $ROUTE as Eva; wrk -t2 -c$CONNECTIONS -d$DURATION, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "| page | pages/s | wrk p50 | wrk p99 | server p50 | server p99 | pages logged | non-200 | server CPU µs/page |"
echo "$OUT" | awk -v ticks=$((T1 - T0)) -v tick="$(getconf CLK_TCK)" -v server="$SERVER_TIMES" -v route="$ROUTE" '
  /Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /requests in/ {n=$1}
  END {printf "| GET %s | %s | %s | %s | %s | %.0f |\n", route, rps, p50, p99, server, ticks * 1e6 / tick / n}'
