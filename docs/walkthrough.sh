#!/usr/bin/env bash
# The README's five-minute walk-through, as one script. Run it in a second
# terminal while `cargo run --release -p ingang-api -- serve` runs in the
# repository root (it reads data/ from there). Needs curl and python3.
set -euo pipefail
BASE=${BASE:-https://localhost:8443}
DATA=${DATA:-data}
INGANG=${INGANG:-"cargo run -q --release -p ingang-api --"}
CURL=(curl -s --cacert "$DATA/certs/ca.pem")
json() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1], {"d": d}))' "$1"; }
post() { "${CURL[@]}" -H "Authorization: Bearer $1" -H 'Content-Type: application/json' -d "$3" "$BASE$2"; }
get() { "${CURL[@]}" -H "Authorization: Bearer $1" "$BASE$2"; }
token() { $INGANG token --data-dir "$DATA" --sub "$1" --agency "$2" --role "$3" --ttl 1h 2>/dev/null; }

# 1. The first admin, and a token for them (development key).
ADMIN_ID=$($INGANG bootstrap --data-dir "$DATA" --agency alm --agency-name "Arbetsmarknadsenheten" --admin-name "Anna Admin" 2>/dev/null)
ADMIN=$(token "$ADMIN_ID" alm admin)

# 2. Agencies and named officers.
for a in "af Arbetsförmedlingen" "soc Socialtjänsten" "psyk Regionpsykiatrin"; do
  set -- $a; post "$ADMIN" /v1/agencies "{\"code\": \"$1\", \"name\": \"$2\"}" >/dev/null
done
officer() { post "$ADMIN" /v1/officers "{\"name\": \"$1\", \"agency\": \"$2\", \"roles\": [\"$3\"]}" | json 'd["id"]'; }
COORD_ID=$(officer "Karin Kvist" alm coordinator);  COORD=$(token "$COORD_ID" alm coordinator)
AUDIT_ID=$(officer "Olle Granskare" alm auditor);   AUDITOR=$(token "$AUDIT_ID" alm auditor)
EVA_ID=$(officer "Eva Ek" af officer);              EVA=$(token "$EVA_ID" af officer)
SARA_ID=$(officer "Sara Berg" soc officer);         SARA=$(token "$SARA_ID" soc officer)
PER_ID=$(officer "Per Lind" psyk officer);          PER=$(token "$PER_ID" psyk officer)

# 3. The coordinator registers the client, records the signed consent
#    (Eva and Sara; records from af and soc only) and assigns the officers.
CLIENT=$(post "$COORD" /v1/clients '{"personal_number": "19900101-1239", "name": "Ali Svensson"}' | json 'd["id"]')
CONSENT=$(post "$COORD" "/v1/clients/$CLIENT/consents" "{
  \"recipients\": {\"officers\": [\"$EVA_ID\", \"$SARA_ID\"], \"agencies\": []},
  \"scope\": {\"from_agencies\": [\"af\", \"soc\"], \"kinds\": []},
  \"purpose\": \"Samordnad rehabilitering\", \"signed_at\": \"2026-01-10T09:00:00Z\",
  \"valid_from\": \"2026-01-10T09:00:00Z\", \"valid_until\": \"2027-12-31T00:00:00Z\",
  \"evidence\": {\"method\": \"paper\", \"document_sha256\": \"$(printf 'signed form' | sha256sum | cut -c1-64)\"}}" | json 'd["id"]')
for o in "$EVA_ID" "$SARA_ID" "$PER_ID"; do
  post "$COORD" "/v1/clients/$CLIENT/assignments" "{\"officer_id\": \"$o\"}" >/dev/null
done

# 4. Three agencies plan the same weeks. Eva: a full-time internship; Sara:
#    half-time studies (and is warned of the collision as she writes).
plan() { post "$1" "/v1/clients/$CLIENT/records" "{\"kind\": \"action_plan\", \"body\": {
  \"goals\": [\"$2\"], \"overall_responsibility\": \"$3\", \"activities\": [$4]}}"; }
RECORD=$(plan "$EVA" "Arbete inom lager" af \
  '{"type": "internship", "extent_percent": 100, "from": "2026-02-01", "to": "2026-04-30"}' | json 'd["id"]')
echo "Sara writes her plan; warned of:"
plan "$SARA" "Gymnasiebehörighet" soc \
  '{"type": "studies", "extent_percent": 50, "from": "2026-03-01", "to": "2026-05-31"}' |
  json '[(c["type"], c["from"], c["to"], c["total_percent"]) for c in d["conflicts"]]'
echo "Sara reads Eva's plan:";        get "$SARA" "/v1/records/$RECORD" | json 'd["body"]["goals"]'
echo "Per (assigned, not named):";    get "$PER" "/v1/records/$RECORD" | json 'd["status"], d["reason"]'

# Per gets a consent of his own, covering every source, and plans full-time
# sick leave over the same weeks.
post "$COORD" "/v1/clients/$CLIENT/consents" "{
  \"recipients\": {\"officers\": [\"$PER_ID\"], \"agencies\": []}, \"scope\": {\"from_agencies\": [], \"kinds\": []},
  \"purpose\": \"Vård och rehabilitering\", \"signed_at\": \"2026-01-10T09:00:00Z\",
  \"valid_from\": \"2026-01-10T09:00:00Z\", \"valid_until\": \"2027-12-31T00:00:00Z\",
  \"evidence\": {\"method\": \"e-signature\", \"document_sha256\": \"$(printf 'e-signed' | sha256sum | cut -c1-64)\"}}" >/dev/null
plan "$PER" "Återhämtning" psyk \
  '{"type": "sick_leave", "extent_percent": 100, "from": "2026-03-15", "to": "2026-06-30"}' >/dev/null
conflicts='[(c["type"], c["agencies"]) for c in d["conflicts"]]'
echo "The plan as Eva sees it (two plans):"; get "$EVA" "/v1/clients/$CLIENT/plan" | json "len(d['plans']), $conflicts"
echo "The plan as Per sees it (three):";     get "$PER" "/v1/clients/$CLIENT/plan" | json "len(d['plans']), $conflicts"

# 5. Ali withdraws consent: the very next read is refused.
post "$COORD" "/v1/consents/$CONSENT/withdraw" '{"reason": "Klientens begäran"}' >/dev/null
echo "Sara after withdrawal:";        get "$SARA" "/v1/records/$RECORD" | json 'd["status"], d["reason"]'

# 6. Erasure: the data key is destroyed; every later read answers 410.
"${CURL[@]}" -o /dev/null -w "Erase: %{http_code}\n" -H "Authorization: Bearer $COORD" \
  -H 'Content-Type: application/json' -d '{"reason": "Klientens begäran"}' "$BASE/v1/clients/$CLIENT/erase"
echo "Per after erasure:";            get "$PER" "/v1/clients/$CLIENT/plan" | json 'd["status"], d["type"]'

# 7. The auditor sees who read what, under which consent.
echo "Audit log for the client:"
get "$AUDITOR" "/v1/audit/events?client_id=$CLIENT" |
  json '"\n".join("%3d %-12s %-5s %-22s actor=%s" % (e["seq"], e["action"], e["decision"], e["reason"] or "", e["actor_id"][:8]) for e in d["items"])'
