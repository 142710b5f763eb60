#!/usr/bin/env python3
"""Crash trials: `kill -9` of the service under mixed audited reads and
writes, then checks that nothing it acknowledged is missing.

    python3 bench/crash-trials.py INGANG_BIN [TRIALS] [DATABASE_URL]

One data directory (and database) lives through all trials, as a real
service's would. Each trial starts `ingang serve --demo`, runs 8 client
threads (three reads to one write: GET a record, POST a note) for a random
0.3–1.5 s, kills the process with SIGKILL, restarts it and checks:
  * every read answered 200 has an audit entry with its request id (the
    entry was durable before the data left);
  * every write answered 201 is stored (its record reads back);
then, after the last trial, `ingang audit verify` checks the whole Merkle
log (every entry sequenced, every checkpoint signed and consistent).
Exits non-zero on the first violation.
"""
import http.client
import json
import os
import random
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time

binary = sys.argv[1]
trials = int(sys.argv[2]) if len(sys.argv) > 2 else 20
database_url = sys.argv[3] if len(sys.argv) > 3 else None
port = int(os.environ.get("PORT", "18643"))
data = tempfile.mkdtemp(prefix="ingang-crash-")
extra = ["--database-url", database_url] if database_url else []


def serve():
    log = open(os.path.join(data, "serve.err"), "ab")
    process = subprocess.Popen(
        [binary, "serve", "--demo", "--data-dir", data, "--listen", f"127.0.0.1:{port}"] + extra,
        stdout=subprocess.DEVNULL, stderr=log, env=dict(os.environ, RUST_LOG="warn"))
    ca = os.path.join(data, "certs", "ca.pem")
    for _ in range(300):
        try:
            if os.path.exists(os.path.join(data, "demo.json")) and os.path.exists(ca):
                connection(ssl.create_default_context(cafile=ca)).request("GET", "/healthz")
                return process
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit("the service did not start; see " + log.name)


def connection(context):
    return http.client.HTTPSConnection("localhost", port, context=context, timeout=10)


def token(person):
    return subprocess.run(
        [binary, "token", "--data-dir", data, "--sub", person["id"], "--agency",
         person["agency"], "--role", person["roles"][0], "--ttl", "2h"],
        check=True, capture_output=True, text=True).stdout.strip()


def audited_request_ids():
    sql = "select request_id from audit_events where action = 'record.read' and decision = 'allow'"
    if database_url:
        out = subprocess.run(["psql", "-tA", database_url, "-c", sql],
                             check=True, capture_output=True, text=True).stdout
        return set(out.split())
    import sqlite3
    with sqlite3.connect(os.path.join(data, "ingang.sqlite3")) as db:
        return {row[0] for row in db.execute(sql)}


process = serve()
demo = json.load(open(os.path.join(data, "demo.json")))
eva = next(p for p in demo["people"] if p["label"] == "af-officer")
bearer = {"Authorization": "Bearer " + token(eva)}
context = ssl.create_default_context(cafile=os.path.join(data, "certs", "ca.pem"))
answered_reads, acknowledged_writes = [], []
totals = {"reads": 0, "writes": 0, "failed": 0}

for trial in range(1, trials + 1):
    stop = threading.Event()
    reads, writes, lock = [], [], threading.Lock()

    def worker():
        conn = connection(context)
        while not stop.is_set():
            try:
                if random.random() < 0.75:
                    conn.request("GET", f"/v1/records/{demo['record']}", headers=bearer)
                    r = conn.getresponse()
                    # Answered once the status line arrived, even if the
                    # kill then cuts the body.
                    if r.status == 200:
                        with lock: reads.append(r.getheader("x-request-id"))
                    r.read()
                else:
                    body = json.dumps({"kind": "note", "body": {"text": f"försök {trial}"}})
                    conn.request("POST", f"/v1/clients/{demo['client']}/records", body,
                                 dict(bearer, **{"Content-Type": "application/json"}))
                    r = conn.getresponse(); text = r.read()
                    if r.status == 201:
                        with lock: writes.append(json.loads(text)["id"])
            except (OSError, http.client.HTTPException):
                with lock: totals["failed"] += 1
                time.sleep(0.01)
                conn = connection(context)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads: t.start()
    time.sleep(random.uniform(0.3, 1.5))
    process.send_signal(signal.SIGKILL)
    process.wait()
    stop.set()
    for t in threads: t.join()

    if not reads or not writes:
        raise SystemExit(f"trial {trial}: nothing was answered ({len(reads)} reads, "
                         f"{len(writes)} writes): the trial checks nothing; see {data}/serve.err")
    process = serve()
    audited = audited_request_ids()
    missing = [r for r in reads if r not in audited]
    if missing:
        raise SystemExit(f"trial {trial}: {len(missing)} answered reads have no audit entry, e.g. {missing[0]}")
    conn = connection(context)
    for record in writes:
        conn.request("GET", f"/v1/records/{record}", headers=bearer)
        r = conn.getresponse(); r.read()
        if r.status != 200:
            raise SystemExit(f"trial {trial}: acknowledged write {record} is lost ({r.status})")
    totals["reads"] += len(reads); totals["writes"] += len(writes)
    print(f"trial {trial}: killed after {len(reads)} answered reads and {len(writes)} "
          f"acknowledged writes; all audited and stored", flush=True)

time.sleep(1.5)  # the survivor's sequencer integrates what the last kill left queued
process.send_signal(signal.SIGTERM)
process.wait()
auditor = next(p for p in demo["people"] if p["label"] == "auditor")
verify = subprocess.run([binary, "audit", "verify", "--data-dir", data, "--auditor", auditor["id"]],
                        capture_output=True, text=True,
                        env=dict(os.environ, **({"INGANG_DATABASE_URL": database_url} if database_url else {})))
print(verify.stdout.strip())
if verify.returncode != 0:
    raise SystemExit("the log does not verify: " + verify.stderr.strip())
print(f"{trials} trials: {totals['reads']} answered reads, {totals['writes']} acknowledged "
      f"writes, {totals['failed']} requests cut by the kills; zero reads without their "
      f"audit entry, zero lost writes, the log verifies")
