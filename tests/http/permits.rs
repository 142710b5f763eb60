//! Audit-before-data as a type, seen from below the use cases: the store
//! hands out case data only for a permit, a permit comes only from storing
//! an allowed decision's audit entry, and it opens exactly the action,
//! client and record that entry names.

use ingang_policy::{AuditAction, DenyReason, Verdict};
use ingang_store::{Permit, StoreError};
use ingang_tests::{allowed_entry as allowed, World};
use serde_json::json;

#[test]
fn a_permit_opens_only_what_its_audit_entry_names() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    let store = &s.state.store;
    // A second client, with a record of its own.
    let r = s.post(
        "/v1/clients",
        &world.coordinator.token,
        json!({"personal_number": "19121212-1212", "name": "Tolvan"}),
    );
    let other_client = r.id();
    for (path, body) in [
        (
            format!("/v1/clients/{other_client}/consents"),
            ingang_tests::consent_body(&[&world.af.id], &[], &[], &[]),
        ),
        (
            format!("/v1/clients/{other_client}/assignments"),
            json!({"officer_id": world.af.id}),
        ),
    ] {
        assert_eq!(s.post(&path, &world.coordinator.token, body).status, 201);
    }
    let r = s.post(
        &format!("/v1/clients/{other_client}/records"),
        &world.af.token,
        json!({"kind": "note", "body": {"text": "Tolvans anteckning"}}),
    );
    let other_record = r.id();
    let record = world.note(&world.af, "Alis anteckning");
    let mut db = store.db().unwrap();
    let meta = |id: &str| {
        store
            .db()
            .unwrap()
            .record_meta(id.parse().unwrap())
            .unwrap()
    };

    let mut permits = store
        .audit()
        .append_decisions(vec![
            allowed(AuditAction::ReadRecord, &world.client, Some(&record)),
            allowed(AuditAction::ReadRecord, &world.client, Some(&record)),
            allowed(AuditAction::ReadClient, &world.client, None),
        ])
        .unwrap()
        .into_iter()
        .map(Option::unwrap);
    let (read_record, read_record_again, read_client): (Permit, Permit, Permit) = (
        permits.next().unwrap(),
        permits.next().unwrap(),
        permits.next().unwrap(),
    );

    // A permit for one client's record does not open another client's record.
    let refused = db.record_bodies(&[(meta(&other_record), read_record)]);
    assert!(
        matches!(
            refused,
            Err(StoreError::PermitMismatch(AuditAction::ReadRecord))
        ),
        "{refused:?}"
    );
    // Nor is a client-level permit good for a record, or a record permit
    // good for the identity.
    assert!(matches!(
        db.record_bodies(&[(meta(&record), read_client)]),
        Err(StoreError::PermitMismatch(_))
    ));
    let mut permits = store
        .audit()
        .append_decisions(vec![allowed(
            AuditAction::ReadRecord,
            &world.client,
            Some(&record),
        )])
        .unwrap();
    let record_permit = permits.pop().flatten().unwrap();
    assert!(matches!(
        db.client_identity(&record_permit),
        Err(StoreError::PermitMismatch(AuditAction::ReadClient))
    ));
    // The right permit opens the record it names.
    let bodies = db
        .record_bodies(&[(meta(&record), read_record_again)])
        .unwrap();
    assert_eq!(bodies[0]["text"], "Alis anteckning");

    // A denial's entry gives no permit at all.
    let mut denied = allowed(AuditAction::ReadRecord, &world.client, Some(&record));
    denied.decision = Verdict::Deny;
    denied.reason = Some(DenyReason::NoActiveConsent);
    let permits = store.audit().append_decisions(vec![denied]).unwrap();
    assert_eq!(permits.len(), 1);
    assert!(permits[0].is_none());
}

/// Store operations compose: writes in one `Db::tx` commit together or not
/// at all, and a nested one is a savepoint.
#[test]
fn a_transaction_commits_everything_or_nothing() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let store = &world.server.state.store;
    let create = || {
        let mut event = allowed(AuditAction::CreateRecord, &world.client, None);
        event.actor_id = world.af.id.parse().unwrap();
        store
            .audit()
            .append_decisions(vec![event])
            .unwrap()
            .pop()
            .flatten()
            .unwrap()
    };
    let note = |db: &mut ingang_store::Db<'_>, permit: &Permit, text: &str| {
        db.create_record(
            permit,
            ingang_policy::RecordKind::Note,
            &"af".parse().unwrap(),
            world.af.id.parse().unwrap(),
            &json!({ "text": text }),
        )
    };
    let count = || {
        world
            .server
            .get(
                &format!("/v1/clients/{}/records", world.client),
                &world.af.token,
            )
            .body["items"]
            .as_array()
            .unwrap()
            .len()
    };
    let (first, second) = (create(), create());
    let mut db = store.db().unwrap();
    let failed: Result<(), StoreError> = db.tx(|db| {
        note(db, &first, "kept?")?;
        note(db, &second, "kept?")?;
        Err(StoreError::Conflict("the use case changed its mind"))
    });
    assert!(failed.is_err());
    assert_eq!(count(), 0, "a failed transaction leaves nothing");
    db.tx(|db| {
        note(db, &first, "one")?;
        // A nested transaction that fails rolls back only itself.
        let inner: Result<(), StoreError> = db.tx(|db| {
            note(db, &second, "dropped")?;
            Err(StoreError::Conflict("inner"))
        });
        assert!(inner.is_err());
        note(db, &second, "two")
    })
    .unwrap();
    drop(db);
    assert_eq!(count(), 2);
}
