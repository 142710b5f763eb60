//! Role × consent state over every case-data endpoint. Each consent state
//! gets a fresh server; the records are seeded through the store (under a
//! permit from an audited seed decision) so that every state can be set up
//! the same way.

use ingang_tests::{consent_body, TestServer, Who, World};
use serde_json::json;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ConsentState {
    Active,
    Withdrawn,
    Expired,
    NotYetValid,
    AgencyWide,
    OtherOfficer,
    None,
}

fn world_in(state: ConsentState) -> Option<(World, String)> {
    let server = TestServer::start(crate::BACKEND)?;
    let world = World::build(server, false);
    let s = &world.server;
    let store = &s.state.store;
    // Seeded below the use cases, before any consent exists: the seed is
    // audited as an allowed create, which is what gives its permit.
    let seeded = ingang_store::NewAuditEvent {
        actor_id: world.af.id.parse().unwrap(),
        request_id: "matrix-seed".into(),
        ..ingang_tests::allowed_entry(
            ingang_policy::AuditAction::CreateRecord,
            &world.client,
            None,
        )
    };
    let permit = store
        .audit()
        .append_decisions(vec![seeded])
        .unwrap()
        .pop()
        .flatten()
        .unwrap();
    let record = store
        .db()
        .unwrap()
        .create_record(
            &permit,
            ingang_policy::RecordKind::Note,
            &"af".parse().unwrap(),
            world.af.id.parse().unwrap(),
            &json!({"text": "seed"}),
        )
        .unwrap();
    let now = chrono::Utc::now();
    let day = chrono::Duration::days(1);
    let mut body = consent_body(&[&world.af.id], &[], &[], &[]);
    match state {
        ConsentState::Active | ConsentState::Withdrawn => {}
        ConsentState::Expired => {
            body["signed_at"] = json!((now - day * 30).to_rfc3339());
            body["valid_from"] = json!((now - day * 30).to_rfc3339());
            body["valid_until"] = json!((now - day).to_rfc3339());
        }
        ConsentState::NotYetValid => body["valid_from"] = json!((now + day).to_rfc3339()),
        ConsentState::AgencyWide => body = consent_body(&[], &["af"], &[], &[]),
        ConsentState::OtherOfficer => body = consent_body(&[&world.soc.id], &[], &[], &[]),
        ConsentState::None => return Some((world, record.id.to_string())),
    }
    let r = s.post(
        &format!("/v1/clients/{}/consents", world.client),
        &world.coordinator.token,
        body,
    );
    assert_eq!(r.status, 201, "{}", r.text);
    if state == ConsentState::Withdrawn {
        let r = s.post(
            &format!("/v1/consents/{}/withdraw", r.id()),
            &world.coordinator.token,
            json!({"reason": "matrix"}),
        );
        assert_eq!(r.status, 200);
    }
    Some((world, record.id.to_string()))
}

/// What the af officer (assigned) should see under each state.
fn expected_for_assigned(state: ConsentState) -> (u16, Option<&'static str>) {
    match state {
        ConsentState::Active | ConsentState::AgencyWide => (200, None),
        ConsentState::Withdrawn => (403, Some("consent-withdrawn")),
        ConsentState::Expired => (403, Some("consent-expired")),
        ConsentState::NotYetValid | ConsentState::OtherOfficer | ConsentState::None => {
            (403, Some("no-active-consent"))
        }
    }
}

#[test]
fn role_by_consent_state_over_every_case_data_endpoint() {
    use ConsentState::*;
    for state in [
        Active,
        Withdrawn,
        Expired,
        NotYetValid,
        AgencyWide,
        OtherOfficer,
        None,
    ] {
        let Some((world, record)) = world_in(state) else {
            return;
        };
        let s = &world.server;
        let c = &world.client;
        let endpoints: Vec<(&str, String, Option<serde_json::Value>)> = vec![
            ("GET", format!("/v1/clients/{c}"), Option::None),
            ("GET", format!("/v1/clients/{c}/records"), Option::None),
            ("GET", format!("/v1/records/{record}"), Option::None),
            (
                "POST",
                format!("/v1/clients/{c}/records"),
                Some(json!({"kind": "note", "body": {"text": "m"}})),
            ),
            (
                "PUT",
                format!("/v1/records/{record}"),
                Some(json!({"body": {"text": "m2"}})),
            ),
        ];
        let af_via_system = Who {
            token: world.af_system.token.clone(),
            ..world.af_system.clone()
        };
        let callers: Vec<(&str, &Who, Option<&str>)> = vec![
            ("assigned officer", &world.af, Option::None),
            (
                "system for assigned officer",
                &af_via_system,
                Some(world.af.id.as_str()),
            ),
            ("unassigned officer", &world.unassigned, Option::None),
            ("coordinator", &world.coordinator, Option::None),
            ("auditor", &world.auditor, Option::None),
            ("admin", &world.admin, Option::None),
            ("system alone", &world.af_system, Option::None),
        ];
        for (label, who, obo) in &callers {
            for (method, path, body) in &endpoints {
                let mut headers: Vec<(&str, String)> = vec![];
                if let Some(officer) = obo {
                    headers.push(("Ingang-On-Behalf-Of", officer.to_string()));
                }
                if *method == "PUT" {
                    let meta = s
                        .state
                        .store
                        .db()
                        .unwrap()
                        .record_meta(record.parse().unwrap())
                        .unwrap();
                    headers.push(("If-Match", format!("\"{}\"", meta.version)));
                }
                let headers: Vec<(&str, &str)> =
                    headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let r = s.request(method, path, Some(&who.token), body.as_ref(), &headers);
                let (status, reason) = if obo.is_some() || *label == "assigned officer" {
                    expected_for_assigned(state)
                } else {
                    (404, Option::None)
                };
                let status = if status == 200 && *method == "POST" {
                    201
                } else {
                    status
                };
                assert_eq!(
                    (r.status, r.body["reason"].as_str()),
                    (status, reason),
                    "{state:?} / {label} / {method} {path}: {}",
                    r.text
                );
                if status >= 400 {
                    assert!(
                        !r.text.contains("seed") && !r.text.contains("Ali"),
                        "denied but leaked: {}",
                        r.text
                    );
                }
            }
        }
        // Psychiatry is assigned but never named: 403 everywhere.
        let r = s.get(&format!("/v1/records/{record}"), &world.psyk.token);
        assert_eq!(r.status, 403, "{state:?}");
    }
}
