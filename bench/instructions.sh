#!/usr/bin/env bash
# Instructions per audited read, counted by callgrind: the same count for
# the same binary and requests whatever else the machine does, so a change
# of a few per cent shows where the load run (bench/realistic-load.sh)
# varies by ±10 %. One keep-alive connection by default, so each audit
# commit holds one entry: it weighs the request path, not the group commit;
# with CONNECTIONS=k, k connections share the reads and commits hold several
# entries, as under load (then the count varies a little with the batching).
#
#   BINS="/tmp/a /tmp/b" bash bench/instructions.sh     # A/B, one population
#   MODE=list|plan READS=500 bash bench/instructions.sh  # other requests
#   KEEP=/tmp bash bench/instructions.sh   # keeps the profile: callgrind_annotate /tmp/ingang.callgrind
#   CONNECTIONS=16 bash bench/instructions.sh   # group commits of several entries
#   WARMUP=1000 bash bench/instructions.sh # the same reads sent once before: every cache warm,
#                                          # as in the load run's steady state
#
# Seeds CLIENTS (100) clients and OFFICERS (10) officers with the first
# binary (bench/population.py), then for each binary: starts it on that data
# under callgrind, warms up, zeroes the counters, sends READS (1 000) random
# reads (the same ones for every binary), and reports instructions per read.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is missing: apt-get install valgrind" >&2; exit 1; }
READS=${READS:-1000}
CLIENTS=${CLIENTS:-100}
OFFICERS=${OFFICERS:-10}
PORT=${PORT:-18543}
export MODE=${MODE:-record}
TARGET_DIR=${CARGO_TARGET_DIR:-target}
if [ -z "${BINS:-}" ]; then
  cargo build --release -q -p ingang-api
  BINS=$TARGET_DIR/release/ingang
fi
DATA=$(mktemp -d)
SERVER=""
cleanup() {
  [ -n "$SERVER" ] && { kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; }
  rm -rf "$DATA"
}
trap cleanup EXIT

source bench/server.sh

set -- $BINS
start_server "$1"
python3 bench/population.py "$DATA" "https://localhost:$PORT" "$1" "$DATA/reads.txt" "$CLIENTS" "$OFFICERS" >&2
stop_server

requests() {  # $1: how many; the same random sequence every time
  python3 - "$DATA" "$PORT" "$1" <<'PY'
import http.client, os, random, ssl, sys, threading
data, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
lines = [l.split() for l in open(f"{data}/reads.txt") if l.strip()]
rng = random.Random(2026)
context = ssl.create_default_context(cafile=f"{data}/certs/ca.pem")
mode = os.environ.get("MODE", "record")
reads = [rng.choice(lines) for _ in range(count)]
connections = int(os.environ.get("CONNECTIONS", "1"))
failed = []
def send(share):
    conn = http.client.HTTPSConnection("localhost", port, context=context)
    for token, client, record in share:
        path = {"record": f"/v1/records/{record}", "list": f"/v1/clients/{client}/records",
                "plan": f"/v1/clients/{client}/plan"}[mode]
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            failed.append(f"{path}: {response.status}")
            return
threads = [threading.Thread(target=send, args=(reads[i::connections],)) for i in range(connections)]
for t in threads: t.start()
for t in threads: t.join()
if failed:
    sys.exit(failed[0])
PY
}

echo "# MODE=$MODE, $READS reads over ${CONNECTIONS:-1} connection(s); $CLIENTS clients, $OFFICERS officers; $(date -u +%Y-%m-%dT%H:%MZ)"
echo "| binary | instructions per read |"
echo "|---|---|"
for bin in $BINS; do
  rm -f "$DATA"/callgrind.out.*
  start_server valgrind --tool=callgrind --callgrind-out-file="$DATA/callgrind.out.%p" "$bin"
  requests "${WARMUP:-50}"
  callgrind_control -z "$SERVER" >/dev/null 2>&1
  requests "$READS"
  callgrind_control -d "$SERVER" >/dev/null 2>&1
  stop_server
  # The dump after zeroing: the part files (.1, .2 …) hold what the load cost.
  total=$(cat "$DATA"/callgrind.out.*.[0-9]* 2>/dev/null | awk '/^summary:/ {s += $2} END {print s + 0}')
  echo "| $(basename "$bin") | $(( total / READS )) |"
  # KEEP=dir keeps the profile of the load for callgrind_annotate.
  [ -n "${KEEP:-}" ] && cat "$DATA"/callgrind.out.*.[0-9]* > "$KEEP/$(basename "$bin").callgrind"
done
