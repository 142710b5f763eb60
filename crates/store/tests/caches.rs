//! What a process keeps in memory for reads — a client's wrapped data key
//! under the policy epoch, the sealed bodies of record versions — on real
//! databases (SQLite and PostgreSQL): an erasure that commits before a
//! read's audit entry is durable is seen by that read, though the key was
//! in memory when the read was decided.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::wildcard_enum_match_arm
)]

mod common;

use chrono::Utc;
use diesel::prelude::*;
use ingang_policy::{
    AgencyCode, AuditAction, ClientId, OfficerId, PersonalNumber, RecordId, RecordKind, Role,
    Verdict,
};
use ingang_store::merkle::LogKeys;
use ingang_store::{NewAuditEvent, Permit, RecordMeta, Store, StoreError};
use ingang_testdb::{Backend, TestDatabase};
use ingang_tlog::note::{KeyType, SigningKey};
use serde_json::json;
use std::sync::Arc;

fn open(db: &TestDatabase) -> Store {
    let log = SigningKey::from_seed("test.example/audit", KeyType::Ed25519, [3; 32]).unwrap();
    common::open_store(db, Arc::new(LogKeys::new(log, vec![])))
}

/// A permit for an allowed `action`, its entry stored.
fn permit(
    store: &Store,
    action: AuditAction,
    client: Option<ClientId>,
    record: Option<RecordId>,
) -> Permit {
    let entry = NewAuditEvent {
        at: Utc::now(),
        actor_id: OfficerId(uuid::Uuid::from_u128(1)),
        actor_agency: AgencyCode::parse("af").unwrap(),
        on_behalf_of: None,
        roles: vec![Role::Officer],
        action,
        client_id: client,
        record_id: record,
        decision: Verdict::Allow,
        reason: None,
        consent_id: None,
        request_id: "r".into(),
        source_addr: None,
    };
    store
        .audit()
        .append_decisions(vec![entry])
        .unwrap()
        .pop()
        .flatten()
        .unwrap()
}

/// A client registered by `officer`, with one note of theirs.
fn client_with_note(
    store: &Store,
    db: &mut ingang_store::Db<'_>,
    officer: OfficerId,
) -> (ClientId, RecordMeta) {
    let number = PersonalNumber::parse("19121212-1212", Utc::now().date_naive()).unwrap();
    let register = permit(store, AuditAction::RegisterClient, None, None);
    let client = db
        .register_client(&register, &number, "Tolvan", false, officer)
        .unwrap();
    let create = permit(store, AuditAction::CreateRecord, Some(client), None);
    let record = db
        .create_record(
            &create,
            RecordKind::Note,
            &AgencyCode::parse("af").unwrap(),
            officer,
            &json!({"text": "Samtal"}),
        )
        .unwrap();
    (client, record)
}

/// A migrated database on one backend, a store over it, and a client
/// registered by officer 1 with one note of theirs.
struct WithNote {
    backend: Backend,
    database: TestDatabase,
    store: Store,
    officer: OfficerId,
    client: ClientId,
    record: RecordMeta,
}

/// Runs `test` on each backend at hand.
fn on_each_backend(test: impl Fn(&WithNote)) {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(database) = TestDatabase::create(backend) else {
            continue;
        };
        ingang_store::db::migrate(&database.url).unwrap();
        let store = open(&database);
        let officer = OfficerId(uuid::Uuid::from_u128(1));
        let (client, record) = client_with_note(&store, &mut store.db().unwrap(), officer);
        test(&WithNote {
            backend,
            database,
            store,
            officer,
            client,
            record,
        });
    }
}

#[test]
fn an_erasure_before_a_reads_entry_is_durable_is_seen_on_both_backends() {
    on_each_backend(|with| {
        let (backend, client) = (with.backend, with.client);
        let (database, store, record) = (&with.database, &with.store, &with.record);
        let mut db = store.db().unwrap();
        let read = || {
            permit(
                store,
                AuditAction::ReadRecord,
                Some(client),
                Some(record.id),
            )
        };

        // Decided and read once: the body and the wrapped key are now kept.
        let (meta, _) = db.record_with_facts(record.id).unwrap();
        let body = db.record_bodies(&[(meta.clone(), read())]).unwrap();
        assert_eq!(body, vec![json!({"text": "Samtal"})], "{backend:?}");
        let again = db.record_bodies(&[(meta.clone(), read())]).unwrap();
        assert_eq!(again, body, "{backend:?}: from memory");

        // The next read is decided; then the key goes, as an erasure's
        // transaction takes it, before the read's entry is stored.
        let (meta, _) = db.record_with_facts(record.id).unwrap();
        let mut raw = database.connect();
        diesel::sql_query(format!(
            "DELETE FROM data_keys WHERE subject_id = '{client}'"
        ))
        .execute(&mut raw)
        .unwrap();
        let late = read();
        assert!(
            matches!(
                db.record_bodies(&[(meta.clone(), late)]),
                Err(StoreError::KeyDestroyed)
            ),
            "{backend:?}: a body was read after its client's key was destroyed"
        );
    });
}

#[test]
fn a_record_changed_by_another_process_is_read_anew_on_both_backends() {
    on_each_backend(|with| {
        let (backend, officer, client) = (with.backend, with.officer, with.client);
        let (database, store, record) = (&with.database, &with.store, &with.record);
        let mut db = store.db().unwrap();
        // As a request does: the account, then the record; twice, so the
        // second is answered from memory.
        for _ in 0..2 {
            db.account(officer).unwrap();
            let (meta, _) = db.record_with_facts(record.id).unwrap();
            assert_eq!(meta.kind, RecordKind::Note, "{backend:?}");
        }
        // This request amends the record after its account's lookup: the
        // record read that follows does not go by the epochs read before.
        db.account(officer).unwrap();
        let (meta, _) = db.record_with_facts(record.id).unwrap();
        db.account(officer).unwrap();
        let amend = permit(
            store,
            AuditAction::UpdateRecord,
            Some(client),
            Some(record.id),
        );
        db.update_record(
            &amend,
            &meta,
            &[meta.version],
            officer,
            &json!({"text": "Ny"}),
        )
        .unwrap();
        let (after, _) = db.record_with_facts(record.id).unwrap();
        assert_eq!(
            after.version,
            meta.version + 1,
            "{backend:?}: stale after a write"
        );
        // Another process (or a tool) changes the record's metadata.
        let mut raw = database.connect();
        diesel::sql_query(format!(
            "UPDATE records SET kind = 'assessment' WHERE id = '{}'",
            record.id
        ))
        .execute(&mut raw)
        .unwrap();
        db.account(officer).unwrap();
        let (meta, _) = db.record_with_facts(record.id).unwrap();
        assert_eq!(
            meta.kind,
            RecordKind::Assessment,
            "{backend:?}: stale metadata"
        );
    });
}

/// A new officer account of agency af.
fn an_officer(store: &Store) -> OfficerId {
    let af = AgencyCode::parse("af").unwrap();
    let mut db = store.db().unwrap();
    match db.create_agency(&af, "Arbetsförmedlingen") {
        Ok(_) | Err(StoreError::Conflict(_)) => {}
        Err(other) => panic!("{other}"),
    }
    db.create_officer(&ingang_store::NewOfficer {
        name: "Handläggare".into(),
        agency: af,
        roles: vec![Role::Officer],
    })
    .unwrap()
    .account
    .id
}

/// The entry of an allowed read of the note by `officer`, as a request
/// decided kept first gives it.
fn kept_read_entry(with: &WithNote, officer: OfficerId) -> NewAuditEvent {
    NewAuditEvent {
        at: Utc::now(),
        actor_id: officer,
        actor_agency: AgencyCode::parse("af").unwrap(),
        on_behalf_of: None,
        roles: vec![Role::Officer],
        action: AuditAction::ReadRecord,
        client_id: Some(with.client),
        record_id: Some(with.record.id),
        decision: Verdict::Allow,
        reason: None,
        consent_id: None,
        request_id: "kept-first".into(),
        source_addr: None,
    }
}

/// How many entries of [`kept_read_entry`] are stored.
fn kept_read_entries(database: &TestDatabase) -> i64 {
    let mut raw = database.connect();
    ingang_store::schema::audit_events::table
        .filter(ingang_store::schema::audit_events::request_id.eq("kept-first"))
        .count()
        .get_result(&mut raw)
        .unwrap()
}

#[test]
fn a_decision_on_kept_epochs_is_stored_only_while_they_hold_on_both_backends() {
    on_each_backend(|with| {
        let (backend, database, store) = (with.backend, &with.database, &with.store);
        let record = &with.record;
        let officer = an_officer(store);
        let entry = || kept_read_entry(with, officer);
        let stored = || kept_read_entries(database);
        // As a request does, on the database: now the account, the record
        // and its facts are kept.
        let mut db = store.db().unwrap();
        db.account(officer).unwrap().unwrap();
        db.record_with_facts(record.id).unwrap();
        db.append_decisions(vec![entry()]).unwrap();
        assert_eq!(stored(), 1, "{backend:?}");

        // Kept first with nothing changed: decided on what is kept, and
        // stored.
        let kept = |db: &mut ingang_store::Db<'_>| {
            db.kept_first(true);
            db.account(officer).unwrap().unwrap();
            db.record_with_facts(record.id).unwrap();
        };
        let mut db = store.db().unwrap();
        kept(&mut db);
        assert!(db.relies_on_unread_epochs(), "{backend:?}");
        db.append_decisions(vec![entry()]).unwrap();
        assert_eq!(stored(), 2, "{backend:?}");

        // Another process changes the policy between the decision and the
        // commit: nothing is stored, and the request is told to decide
        // again.
        let mut db = store.db().unwrap();
        kept(&mut db);
        let mut raw = database.connect();
        diesel::sql_query(format!(
            "UPDATE officers SET deactivated_at = NULL WHERE id = '{officer}'"
        ))
        .execute(&mut raw)
        .unwrap();
        let result = db.append_decisions(vec![entry()]);
        assert!(matches!(result, Err(StoreError::Stale)), "{result:?}");
        assert_eq!(stored(), 2, "{backend:?}: a stale decision was stored");

        // The same request, no longer kept first, reads the epochs itself
        // (and so learns the new ones), and its entry is stored.
        db.kept_first(false);
        db.account(officer).unwrap().unwrap();
        db.record_with_facts(record.id).unwrap();
        db.append_decisions(vec![entry()]).unwrap();
        // Kept first again: the new epochs are the ones this process knows.
        let mut db = store.db().unwrap();
        kept(&mut db);
        assert!(db.relies_on_unread_epochs(), "{backend:?}");
        db.append_decisions(vec![entry()]).unwrap();

        // A request that read the epochs itself takes nothing more under
        // epochs it did not read; and a kept-first request whose own
        // statement finds them moved is told at once.
        let mut db = store.db().unwrap();
        db.kept_first(true);
        db.account(with.officer).unwrap();
        db.account(officer).unwrap().unwrap();
        assert!(!db.relies_on_unread_epochs(), "{backend:?}");
        let mut db = store.db().unwrap();
        db.kept_first(true);
        db.account(officer).unwrap().unwrap();
        diesel::sql_query(format!(
            "UPDATE records SET updated_at = updated_at WHERE id = '{}'",
            record.id
        ))
        .execute(&mut raw)
        .unwrap();
        // From memory, nothing read: the check is the commit's.
        let (meta, _) = db.record_with_facts(record.id).unwrap();
        assert_eq!(meta.id, record.id);
        assert!(db.relies_on_unread_epochs());
        // A statement of the request's own finds the epochs moved.
        let again = db.record_with_facts(record.id);
        assert!(matches!(again, Err(StoreError::Stale)), "{again:?}");
        assert_eq!(stored(), 4, "{backend:?}");
    });
}

#[test]
fn a_read_kept_only_takes_nothing_but_memory_and_opens_only_with_its_permit_on_both_backends() {
    on_each_backend(|with| {
        let (backend, database, store) = (with.backend, &with.database, &with.store);
        let record = &with.record;
        let officer = an_officer(store);
        let entry = || kept_read_entry(with, officer);
        let stored = || kept_read_entries(database);
        let kept_only = |db: &mut ingang_store::Db<'_>| {
            db.kept_first(true);
            db.kept_only(true);
        };

        // Nothing kept yet: every step that would need the database says
        // so, and nothing is stored.
        let mut db = store.db().unwrap();
        kept_only(&mut db);
        let account = db.account(officer);
        assert!(matches!(account, Err(StoreError::NotKept)), "{account:?}");
        let appended = db.append_decisions(vec![entry()]);
        assert!(matches!(appended, Err(StoreError::NotKept)), "{appended:?}");
        assert_eq!(stored(), 0, "{backend:?}");

        // Read once on the database: the account, the record, its facts,
        // the body and the key are now kept.
        let mut db = store.db().unwrap();
        db.account(officer).unwrap().unwrap();
        let (meta, _) = db.record_with_facts(record.id).unwrap();
        let warm = db.append_decisions(vec![entry()]).unwrap().pop().flatten();
        db.record_bodies(&[(meta, warm.unwrap())]).unwrap();
        assert_eq!(stored(), 1, "{backend:?}");

        // Kept only: decided from memory, the entry awaited, and the body
        // opened with the permit its entry gave.
        let mut db = store.db().unwrap();
        kept_only(&mut db);
        db.account(officer).unwrap().unwrap();
        let (meta, _) = db.record_with_facts(record.id).unwrap();
        let body = db.kept_body(&meta).unwrap();
        assert!(!format!("{body:?}").contains("Samtal"));
        let given = ingang_testdb::block_on(db.append_decisions_later(vec![entry()]))
            .unwrap()
            .pop()
            .flatten()
            .unwrap();
        assert_eq!(stored(), 2, "{backend:?}");
        assert_eq!(
            db.open_kept_body(body, &given).unwrap(),
            json!({"text": "Samtal"}),
            "{backend:?}"
        );
        // Never with a permit for another record.
        let other = permit_for_another_record(store, with.client);
        let body = db.kept_body(&meta).unwrap();
        let opened = db.open_kept_body(body, &other);
        assert!(
            matches!(opened, Err(StoreError::PermitMismatch(_))),
            "{opened:?}"
        );

        // The policy moves between the decision and the commit: nothing is
        // stored and no permit is given.
        let mut db = store.db().unwrap();
        kept_only(&mut db);
        db.account(officer).unwrap().unwrap();
        let (meta, _) = db.record_with_facts(record.id).unwrap();
        let body = db.kept_body(&meta).unwrap();
        let mut raw = database.connect();
        diesel::sql_query(format!(
            "UPDATE officers SET deactivated_at = NULL WHERE id = '{officer}'"
        ))
        .execute(&mut raw)
        .unwrap();
        let late = ingang_testdb::block_on(db.append_decisions_later(vec![entry()]));
        assert!(matches!(late, Err(StoreError::Stale)), "{late:?}");
        assert_eq!(stored(), 2, "{backend:?}: a stale decision was stored");
        // The body it took, kept under the old epoch, does not open with a
        // permit stored under the new one, even for its own record.
        let later = permit(
            store,
            AuditAction::ReadRecord,
            Some(with.client),
            Some(record.id),
        );
        let opened = db.open_kept_body(body, &later);
        assert!(matches!(opened, Err(StoreError::Stale)), "{opened:?}");
        // The commit told this process the new epochs: nothing kept under
        // the old ones is taken any more, the account first.
        let mut db = store.db().unwrap();
        kept_only(&mut db);
        let account = db.account(officer);
        assert!(matches!(account, Err(StoreError::NotKept)), "{account:?}");
    });
}

/// A permit to read a record of `client` that is not the note.
fn permit_for_another_record(store: &Store, client: ClientId) -> Permit {
    permit(
        store,
        AuditAction::ReadRecord,
        Some(client),
        Some(RecordId(uuid::Uuid::from_u128(99))),
    )
}

/// On PostgreSQL a change to an epoch takes the audit writer's lock until
/// it ends: while one is in flight, a read decided kept first is not stored
/// but decided again (it could not be checked), and nothing else waits.
#[test]
fn a_change_in_flight_holds_up_neither_the_log_nor_a_kept_read_on_postgresql() {
    on_each_backend(|with| {
        if with.backend != Backend::Postgres {
            return; // SQLite: a change in flight holds the file's one write lock
        }
        let (database, store, record) = (&with.database, &with.store, &with.record);
        let officer = an_officer(store);
        let kept = || {
            let mut db = store.db().unwrap();
            db.kept_first(true);
            db.account(officer).unwrap().unwrap();
            db.record_with_facts(record.id).unwrap();
            assert!(db.relies_on_unread_epochs());
            db
        };
        // Read on the database once, then kept first: both stored.
        let mut db = store.db().unwrap();
        db.account(officer).unwrap().unwrap();
        db.record_with_facts(record.id).unwrap();
        db.append_decisions(vec![kept_read_entry(with, officer)])
            .unwrap();
        kept()
            .append_decisions(vec![kept_read_entry(with, officer)])
            .unwrap();
        assert_eq!(kept_read_entries(database), 2);

        // A change to the facts, its transaction still open.
        let mut change = database.connect();
        diesel::sql_query("BEGIN").execute(&mut change).unwrap();
        diesel::sql_query(format!(
            "UPDATE officers SET deactivated_at = NULL WHERE id = '{officer}'"
        ))
        .execute(&mut change)
        .unwrap();
        let mut db = kept();
        let result = db.append_decisions(vec![kept_read_entry(with, officer)]);
        assert!(matches!(result, Err(StoreError::Stale)), "{result:?}");
        // Decided on the database instead, it is stored at once.
        store
            .audit()
            .append_decisions(vec![kept_read_entry(with, officer)])
            .unwrap();
        assert_eq!(kept_read_entries(database), 3);

        // Committed, the change is seen, and kept first works again.
        diesel::sql_query("COMMIT").execute(&mut change).unwrap();
        let mut db = store.db().unwrap();
        db.account(officer).unwrap().unwrap();
        kept()
            .append_decisions(vec![kept_read_entry(with, officer)])
            .unwrap();
        assert_eq!(kept_read_entries(database), 4);
    });
}
