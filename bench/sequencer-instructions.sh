#!/usr/bin/env bash
# Instructions the sequencer spends per audit entry, counted by callgrind
# (the same count for the same binary and entries whatever else the machine
# does). The load run weighs the sequencer only as part of the whole server
# (bench/realistic-load.sh); this isolates it.
#
#   BINS="/tmp/a /tmp/b" bash bench/sequencer-instructions.sh   # A/B
#   ENTRIES=50000 bash bench/sequencer-instructions.sh
#
# Makes a demo data directory with the first binary, queues ENTRIES (20 000)
# record reads in its SQLite log as the audit writer stores them, and for
# each binary integrates them all into the Merkle tree on its own copy with
# `ingang audit checkpoint` under callgrind. Reports instructions per entry
# beyond the same command with nothing queued.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is missing: apt-get install valgrind" >&2; exit 1; }
ENTRIES=${ENTRIES:-20000}
PORT=${PORT:-18643}
TARGET_DIR=${CARGO_TARGET_DIR:-target}
if [ -z "${BINS:-}" ]; then
  cargo build --release -q -p ingang-api
  BINS=$TARGET_DIR/release/ingang
fi
DATA=$(mktemp -d)
SERVER=""
source bench/server.sh
trap 'rm -rf "$DATA" "$DATA".*' EXIT

set -- $BINS
start_server "$1"
stop_server
cp -a "$DATA" "$DATA.empty"
python3 - "$DATA/ingang.sqlite3" "$ENTRIES" <<'PY'
import random, sqlite3, sys, uuid
db = sqlite3.connect(sys.argv[1], isolation_level=None)
random.seed(7)
officers = [str(uuid.uuid4()) for _ in range(40)]
clients = [str(uuid.uuid4()) for _ in range(1000)]
db.execute("BEGIN")
for i in range(int(sys.argv[2])):
    db.execute(
        "INSERT INTO audit_events (at, actor_id, actor_agency, roles, action, client_id, record_id, "
        "decision, consent_id, request_id, source_addr) VALUES (?, ?, 'af', 'officer', 'record.read', ?, ?, "
        "'allow', ?, ?, '127.0.0.1')",
        (1_764_000_000_000_000 + i, random.choice(officers), random.choice(clients),
         str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())))
db.execute("COMMIT")
PY

count() {  # count BIN DIR → instructions of `BIN audit checkpoint` on DIR
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1" audit checkpoint --data-dir "$2" 2>&1 >/dev/null |
    awk '/Collected :/ {print $NF}'
}
echo "# $ENTRIES queued entries; $(date -u +%Y-%m-%dT%H:%MZ)"
echo "| binary | sequencer instructions per entry |"
echo "|---|---|"
for bin in $BINS; do
  rm -rf "$DATA.copy" && cp -a "$DATA.empty" "$DATA.copy"
  idle=$(count "$bin" "$DATA.copy")
  rm -rf "$DATA.copy" && cp -a "$DATA" "$DATA.copy"
  busy=$(count "$bin" "$DATA.copy")
  echo "| $(basename "$bin") | $(( (busy - idle) / ENTRIES )) |"
done
