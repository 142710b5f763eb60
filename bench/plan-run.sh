#!/usr/bin/env bash
# Load run of the shared plan: GET /v1/clients/{id}/plan for a client with
# PLANS action plans of ACTIVITIES activities each (default 10 × 20), read
# by an officer who may see them all, over HTTPS with keep-alive; the
# server's CPU per request as in bench/load-run.sh.
#
#   bash bench/plan-run.sh                     # 15 s, 8 connections, SQLite
#   BIN=/tmp/other-build DURATION=30s bash bench/plan-run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-15s}
CONNECTIONS=${CONNECTIONS:-8}
PLANS=${PLANS:-10}
ACTIVITIES=${ACTIVITIES:-20}
PORT=${PORT:-18460}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
if [ -z "${BIN:-}" ]; then
  cargo build --release -q -p ingang-api
  BIN=${CARGO_TARGET_DIR:-target}/release/ingang
fi
DATA=$(mktemp -d)
trap 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; rm -rf "$DATA"' EXIT
RUST_LOG=warn "$BIN" serve --demo --data-dir "$DATA" --listen "127.0.0.1:$PORT" >"$DATA/out" 2>"$DATA/err" &
SERVER=$!
for _ in $(seq 1 100); do
  [ -f "$DATA/demo.json" ] && curl -sf --cacert "$DATA/certs/ca.pem" "https://localhost:$PORT/healthz" >/dev/null && break
  sleep 0.1
done
read -r PER CLIENT < <(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(next(p["id"] for p in d["people"] if p["label"] == "psyk-officer"), d["client"])' "$DATA/demo.json")
TOKEN=$("$BIN" token --data-dir "$DATA" --sub "$PER" --agency psyk --role officer --ttl 1h 2>/dev/null)
BASE="https://localhost:$PORT"
# Per (psychiatry, whose consent covers every source) writes the plans.
python3 - "$PLANS" "$ACTIVITIES" > "$DATA/plan.json" <<'PY'
import json, sys, datetime
plans, activities = int(sys.argv[1]), int(sys.argv[2])
start = datetime.date(2026, 1, 1)
types = ["work", "subsidised_work", "internship", "studies", "sick_leave", "treatment", "other"]
out = []
for p in range(plans):
    acts = []
    for a in range(activities):
        f = start + datetime.timedelta(days=(p * 7 + a * 17) % 330)
        acts.append({"type": types[(p + a) % 7], "extent_percent": 10 + (p * 13 + a * 7) % 91,
                     "from": f.isoformat(), "to": (f + datetime.timedelta(days=14 + (a * 5) % 40)).isoformat()})
    out.append({"kind": "action_plan", "body": {"goals": ["Mål %d" % p], "overall_responsibility": "psyk",
                "activities": acts}})
print(json.dumps(out))
PY
python3 - "$DATA/plan.json" "$BASE/v1/clients/$CLIENT/records" "$TOKEN" "$DATA/certs/ca.pem" <<'PY'
import json, ssl, sys, urllib.request
plans, url, token, ca = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context(cafile=ca)
for body in plans:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    urllib.request.urlopen(req, context=ctx).read()
PY
URL="$BASE/v1/clients/$CLIENT/plan"
SHAPE=$(curl -sf --cacert "$DATA/certs/ca.pem" -H "Authorization: Bearer $TOKEN" "$URL" |
  python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["plans"]), "plans,", len(d["activities"]), "activities,", len(d["conflicts"]), "conflicts")')
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER/stat"; }
T0=$(cpu_ticks)
OUT=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -H "Authorization: Bearer $TOKEN" "$URL")
T1=$(cpu_ticks)
echo "# plan view: $SHAPE; wrk -t2 -c$CONNECTIONS -d$DURATION, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "$OUT" | awk -v ticks=$((T1 - T0)) -v tick="$(getconf CLK_TCK)" '
  /Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /requests in/ {n=$1} /Non-2xx/ {bad=$NF}
  END {printf "| GET /v1/clients/{id}/plan | %s | %s | %s | %s | %s | %.0f |\n", rps, p50, p99, n, (bad==""?0:bad), ticks * 1e6 / tick / n}'
