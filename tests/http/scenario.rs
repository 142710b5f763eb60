//! The scenario of the source documents, end to end.

use ingang_tests::World;
use serde_json::{json, Value};

#[test]
fn shared_record_under_consent_from_the_source_documents() {
    // The labour-market unit registers Ali; Ali's consent names Eva
    // (employment service) and Sara (social services) and covers their
    // agencies' records, not regional psychiatry's. Per (psychiatry) is
    // assigned but not named; Ulla is not assigned at all.
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    let client = &world.client;

    // Eva writes the employment service's action plan; Sara a note.
    let plan = s.post(&format!("/v1/clients/{client}/records"), &world.af.token, json!({"kind": "action_plan", "body": {
        "goals": ["Arbete inom lager"], "overall_responsibility": "af",
        "activities": [{"type": "internship", "extent_percent": 100, "from": "2026-02-01", "to": "2026-04-30", "responsible": "af"}]}}));
    assert_eq!(plan.status, 201, "{}", plan.text);
    let plan = plan.id();
    let note = world.note(&world.soc, "Försörjningsstöd beviljat");

    // Sara reads Eva's plan; Eva lists both.
    assert_eq!(
        s.get(&format!("/v1/records/{plan}"), &world.soc.token)
            .status,
        200
    );
    assert_eq!(
        s.get(&format!("/v1/clients/{client}/records"), &world.af.token)
            .body["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Per is assigned but not named: 403 no-active-consent.
    let r = s.get(&format!("/v1/records/{plan}"), &world.psyk.token);
    assert_eq!(
        (r.status, r.body["reason"].as_str()),
        (403, Some("no-active-consent"))
    );
    // Ulla is not assigned: 404, as for a client that does not exist.
    let r = s.get(
        &format!("/v1/clients/{client}/records"),
        &world.unassigned.token,
    );
    assert_eq!(r.status, 404);

    // Ali withdraws consent; it takes effect on the very next request.
    let r = s.post(
        &format!("/v1/consents/{}/withdraw", world.consent),
        &world.coordinator.token,
        json!({"reason": "Klientens begäran"}),
    );
    assert_eq!(r.status, 200);
    let r = s.get(&format!("/v1/records/{note}"), &world.af.token);
    assert_eq!(
        (r.status, r.body["reason"].as_str()),
        (403, Some("consent-withdrawn"))
    );

    // The audit log and Ali's extract show every one of these reads and denials.
    let expect = [
        (&world.soc.id, "record.read", Some(&plan), "allow", None),
        (&world.af.id, "record.list", None, "allow", None),
        (&world.af.id, "record.read", Some(&plan), "allow", None),
        (&world.af.id, "record.read", Some(&note), "allow", None),
        (
            &world.psyk.id,
            "record.read",
            Some(&plan),
            "deny",
            Some("no-active-consent"),
        ),
        (
            &world.unassigned.id,
            "record.list",
            None,
            "deny",
            Some("no-assignment"),
        ),
        (
            &world.af.id,
            "record.read",
            Some(&note),
            "deny",
            Some("consent-withdrawn"),
        ),
    ];
    let audit = s.get(
        &format!("/v1/audit/events?client_id={client}&limit=200"),
        &world.auditor.token,
    );
    let extract = s.get(
        &format!("/v1/clients/{client}/access-log?limit=200"),
        &world.coordinator.token,
    );
    for log in [&audit, &extract] {
        assert_eq!(log.status, 200, "{}", log.text);
        let events: Vec<Value> = log.body["items"].as_array().unwrap().clone();
        for (actor, action, record, decision, reason) in &expect {
            let found = events.iter().any(|e| {
                e["actor_id"] == actor.as_str()
                    && e["action"] == *action
                    && record.is_none_or(|r| e["record_id"] == r.as_str())
                    && e["decision"] == *decision
                    && e["reason"].as_str() == *reason
            });
            assert!(
                found,
                "missing audit entry {actor} {action} {record:?} {decision} {reason:?} in {}",
                log.text
            );
        }
        // The order of the log is the order of events.
        let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]));
    }
}
