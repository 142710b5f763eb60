#!/usr/bin/env python3
"""Seeds a running `ingang serve --demo` with a realistic population over its
REST API, as agency systems would: officers of three agencies, clients with a
signed consent naming their three officers, each officer assigned and each
writing one record. Writes one line per allowed read, `token client record`,
for the load run's wrk script to pick from at random.

    population.py DATA_DIR BASE_URL INGANG_BIN OUT [CLIENTS] [OFFICERS]
"""
import datetime
import hashlib
import http.client
import json
import os
import ssl
import subprocess
import sys
import threading
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

data_dir, base_url, ingang, out = sys.argv[1:5]
clients = int(sys.argv[5]) if len(sys.argv) > 5 else 1000
officers = int(sys.argv[6]) if len(sys.argv) > 6 else 40
agencies = ["af", "fk", "soc"]

demo = json.load(open(os.path.join(data_dir, "demo.json")))
person = {p["label"]: p for p in demo["people"]}
context = ssl.create_default_context(cafile=os.path.join(data_dir, "certs", "ca.pem"))
url = urllib.parse.urlsplit(base_url)
local = threading.local()


def token(sub, agency, role):
    return subprocess.run(
        [ingang, "token", "--data-dir", data_dir, "--sub", sub, "--agency", agency,
         "--role", role, "--ttl", "4h"],
        check=True, capture_output=True, text=True).stdout.strip()


def call(method, path, bearer, body=None):
    if not hasattr(local, "conn"):
        local.conn = http.client.HTTPSConnection(url.hostname, url.port, context=context)
    headers = {"Authorization": "Bearer " + bearer}
    if body is not None:
        headers["Content-Type"] = "application/json"
    local.conn.request(method, path, json.dumps(body) if body is not None else None, headers)
    response = local.conn.getresponse()
    text = response.read()
    if response.status >= 300:
        raise SystemExit(f"{method} {path}: {response.status} {text[:300]!r}")
    return json.loads(text)


def personal_number(n):
    """A valid personnummer (Luhn) for serial n: unique per client."""
    born = datetime.date(1960, 1, 1) + datetime.timedelta(days=n % 14000)
    serial = 100 + n // 14000
    digits = born.strftime("%y%m%d") + f"{serial:03d}"
    total = 0
    for i, d in enumerate(digits):
        p = int(d) * (2 if i % 2 == 0 else 1)
        total += p // 10 + p % 10
    return born.strftime("%Y%m%d") + "-" + f"{serial:03d}" + str((10 - total % 10) % 10)


admin = token(person["admin"]["id"], "alm", "admin")
coordinator = token(person["coordinator"]["id"], "alm", "coordinator")
staff = {a: [] for a in agencies}
for i in range(officers):
    agency = agencies[i % len(agencies)]
    made = call("POST", "/v1/officers", admin,
                {"name": f"Handläggare {i}", "agency": agency, "roles": ["officer"]})
    staff[agency].append((made["id"], token(made["id"], agency, "officer")))

now = datetime.datetime.now(datetime.timezone.utc)
stamp = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")
note = ("Samtal om mål och planering inför nästa period. Klienten berättar om "
        "sin vardag, sina styrkor och vad som behövs för att komma vidare. ") * 3


def seed(n):
    team = [staff[a][n % len(staff[a])] for a in agencies]
    client = call("POST", "/v1/clients", coordinator,
                  {"personal_number": personal_number(n), "name": f"Klient {n}"})["id"]
    call("POST", f"/v1/clients/{client}/consents", coordinator, {
        "recipients": {"officers": [officer for officer, _ in team]},
        "scope": {"from_agencies": agencies},
        "purpose": "Samordnad rehabilitering mot arbete",
        "signed_at": stamp(now - datetime.timedelta(days=1)),
        "valid_from": stamp(now - datetime.timedelta(days=1)),
        "valid_until": stamp(now + datetime.timedelta(days=365)),
        "evidence": {"method": "paper",
                     "document_sha256": hashlib.sha256(str(n).encode()).hexdigest()},
    })
    records = []
    for officer, bearer in team:
        call("POST", f"/v1/clients/{client}/assignments", coordinator, {"officer_id": officer})
        made = call("POST", f"/v1/clients/{client}/records", bearer,
                    {"kind": "note", "body": {"text": note}})
        records.append(made["id"])
    # Every officer of the team may read every record of the client.
    return [f"{bearer} {client} {record}" for _, bearer in team for record in records]


with ThreadPoolExecutor(8) as pool:
    lines = [line for made in pool.map(seed, range(clients)) for line in made]
with open(out, "w") as f:
    f.write("\n".join(lines) + "\n")
print(f"seeded {clients} clients, {officers} officers, {clients * 3} records; "
      f"{len(lines)} allowed (officer, record) reads in {out}", file=sys.stderr)
