use ingang_tests::{consent_body, metric, World};
use serde_json::json;

#[test]
fn coordinator_records_and_lists_consents() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    let r = s.get(
        &format!("/v1/clients/{}/consents", world.client),
        &world.coordinator.token,
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], world.consent.as_str());
    assert_eq!(items[0]["purpose"], "Samordnad rehabilitering");
    assert_eq!(items[0]["scope"]["from_agencies"], json!(["af", "soc"]));
    assert_eq!(items[0]["evidence"]["method"], "paper");
    assert!(items[0]["withdrawn_at"].is_null());
    // Officers, auditors and admins cannot see or record consents.
    for who in [&world.af, &world.auditor, &world.admin] {
        assert_eq!(
            s.get(
                &format!("/v1/clients/{}/consents", world.client),
                &who.token
            )
            .status,
            404
        );
    }
}

#[test]
fn consent_input_is_validated() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    let path = format!("/v1/clients/{}/consents", world.client);
    let mut reversed = consent_body(&[&world.af.id], &[], &[], &[]);
    reversed["valid_until"] = json!("2020-01-01T00:00:00Z");
    let mut bad_sha = consent_body(&[&world.af.id], &[], &[], &[]);
    bad_sha["evidence"]["document_sha256"] = json!("xyz");
    let mut bad_method = consent_body(&[&world.af.id], &[], &[], &[]);
    bad_method["evidence"]["method"] = json!("telepathy");
    let mut future_signature = consent_body(&[&world.af.id], &[], &[], &[]);
    future_signature["signed_at"] = json!("2099-01-01T00:00:00Z");
    let mut bad_time = consent_body(&[&world.af.id], &[], &[], &[]);
    bad_time["valid_from"] = json!("yesterday");
    let unknown_officer = uuid::Uuid::new_v4().to_string();
    // Malformed fields are 400; well-formed names of officers or agencies
    // that are not registered conflict with what the service holds (409).
    // Every answer names the field.
    for (body, status, field) in [
        (reversed, 400, "valid_until"),
        (bad_sha, 400, "evidence.document_sha256"),
        (bad_method, 400, "evidence.method"),
        (future_signature, 400, "signed_at"),
        (consent_body(&[], &[], &[], &[]), 400, "recipients"),
        (
            consent_body(&[&world.af.id], &[], &[], &["diary"]),
            400,
            "scope.kinds",
        ),
        (
            consent_body(&[&world.af.id], &["NOPE"], &[], &[]),
            400,
            "recipients.agencies",
        ),
        (
            consent_body(&[&world.af.id], &["zz"], &[], &[]),
            409,
            "agencies",
        ),
        (
            consent_body(&[&unknown_officer], &[], &[], &[]),
            409,
            "recipients.officers",
        ),
        (bad_time, 400, "valid_from"),
    ] {
        let r = s.post(&path, &world.coordinator.token, body.clone());
        assert_eq!(
            (r.status, r.body["field"].as_str()),
            (status, Some(field)),
            "{}",
            r.text
        );
    }
    // Nothing half-written: still exactly the one consent.
    let r = s.get(&path, &world.coordinator.token);
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1);
}

#[test]
fn withdrawal_is_final_and_immediate() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    let read = format!("/v1/clients/{}/records", world.client);
    assert_eq!(s.get(&read, &world.af.token).status, 200);
    // A single record read twice, so its metadata and facts are kept in
    // memory and the second read makes no query before its audit entry.
    let note = world.kept_note(&world.af, "Samtal");
    let withdraw = format!("/v1/consents/{}/withdraw", world.consent);
    let r = s.post(&withdraw, &world.af.token, json!({"reason": "x"}));
    assert_eq!(r.status, 404, "only coordinators withdraw");
    let r = s.post(&withdraw, &world.coordinator.token, json!({"reason": ""}));
    assert_eq!((r.status, r.body["field"].as_str()), (400, Some("reason")));
    let r = s.post(
        &withdraw,
        &world.coordinator.token,
        json!({"reason": "Klienten återkallade muntligen"}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.body["withdrawn_at"].is_string());
    assert_eq!(
        r.body["withdrawal_reason"],
        "Klienten återkallade muntligen"
    );
    // The very next request is refused.
    let r = s.get(&read, &world.af.token);
    assert_eq!(
        (r.status, r.body["reason"].as_str()),
        (403, Some("consent-withdrawn"))
    );
    let r = s.get(&note, &world.af.token);
    assert_eq!(
        (r.status, r.body["reason"].as_str()),
        (403, Some("consent-withdrawn")),
        "a record read after the withdrawal (its facts reloaded by the list read)"
    );
    let r = s.post(
        &withdraw,
        &world.coordinator.token,
        json!({"reason": "again"}),
    );
    assert_eq!(r.status, 409);
    let r = s.post(
        &format!("/v1/consents/{}/withdraw", uuid::Uuid::new_v4()),
        &world.coordinator.token,
        json!({"reason": "x"}),
    );
    assert_eq!(r.status, 404);
    // A new consent is a new row; the withdrawn one stays withdrawn.
    let r = s.post(
        &format!("/v1/clients/{}/consents", world.client),
        &world.coordinator.token,
        consent_body(&[&world.af.id], &[], &[], &[]),
    );
    assert_eq!(r.status, 201);
    assert_eq!(s.get(&read, &world.af.token).status, 200);
}

/// Decision facts are cached in memory between requests (docs/design.md,
/// "the facts cache"): a change made around this process — another
/// process, or a tool on the database — must still take effect on the very
/// next request.
#[test]
fn changes_made_around_the_process_take_effect_at_once() {
    use diesel::prelude::*;
    use ingang_store::schema::{consent_withdrawals, officers};
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    let read = format!("/v1/clients/{}/records", world.client);
    // Read twice: the second answer comes from the cached facts.
    assert_eq!(s.get(&read, &world.af.token).status, 200);
    assert_eq!(s.get(&read, &world.af.token).status, 200);
    let mut other = s.raw_db();
    diesel::insert_into(consent_withdrawals::table)
        .values((
            consent_withdrawals::consent_id.eq(&world.consent),
            consent_withdrawals::withdrawn_at.eq(ingang_store::to_micros(chrono::Utc::now())),
            consent_withdrawals::withdrawn_by.eq(&world.coordinator.id),
            consent_withdrawals::reason_ct.eq(vec![0u8; 32]),
        ))
        .execute(&mut other)
        .unwrap();
    let r = s.get(&read, &world.af.token);
    assert_eq!(
        (r.status, r.body["reason"].as_str()),
        (403, Some("consent-withdrawn")),
        "{}",
        r.text
    );
    // An account deactivated around the process is refused at once too.
    assert_eq!(s.get("/v1/clients", &world.soc.token).status, 200);
    diesel::update(officers::table.filter(officers::id.eq(&world.soc.id)))
        .set((
            officers::active.eq(false),
            officers::deactivated_at.eq(Some(ingang_store::to_micros(chrono::Utc::now()))),
        ))
        .execute(&mut other)
        .unwrap();
    let r = s.get("/v1/clients", &world.soc.token);
    assert_eq!(r.status, 401, "{}", r.text);
}

#[test]
fn a_kept_read_right_after_a_withdrawal_is_decided_again_and_audited_once() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    // Read twice: the account, the record and its facts are kept, and the
    // next read is decided on them with no statement of its own.
    let note = world.kept_note(&world.af, "Samtal");
    let entries = |decision: &str| {
        let r = s.get(
            &format!(
                "/v1/audit/events?client_id={}&actor_id={}&action=record.read&decision={decision}",
                world.client, world.af.id
            ),
            &world.auditor.token,
        );
        assert_eq!(r.status, 200, "{}", r.text);
        r.body["items"].as_array().unwrap().len()
    };
    let again = "ingang_audit_decided_again_total";
    let before = metric(&s.request("GET", "/metrics", None, None, &[]).text, again);
    assert_eq!((entries("allow"), entries("deny")), (2, 0));

    // The withdrawal moves the policy epoch; nothing in this process has
    // read the new one when the kept record is read again at once.
    let r = s.post(
        &format!("/v1/consents/{}/withdraw", world.consent),
        &world.coordinator.token,
        json!({"reason": "Klienten återkallade muntligen"}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let r = s.get(&note, &world.af.token);
    assert_eq!(
        (r.status, r.body["reason"].as_str()),
        (403, Some("consent-withdrawn")),
        "{}",
        r.text
    );
    // Its first decision, on the kept facts, was not stored: the log holds
    // the refusal alone.
    assert_eq!((entries("allow"), entries("deny")), (2, 1));
    let after = metric(&s.request("GET", "/metrics", None, None, &[]).text, again);
    // Decided on what was kept, then again on the database.
    assert_eq!(after - before, 1.0);
}
