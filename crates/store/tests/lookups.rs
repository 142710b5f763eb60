//! The auditors' lookups by client and by officer on real databases
//! (SQLite and PostgreSQL): a query finds every matching entry exactly once
//! and in order, whether it is still queued, sequenced but not indexed, or
//! indexed, page by page and while the indexer moves on between pages;
//! lookups that do not match the log are rebuilt; on SQLite no connection
//! but the indexer's can write them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::wildcard_enum_match_arm
)]

mod common;

use chrono::Utc;
use diesel::prelude::*;
use ingang_policy::{AgencyCode, AuditAction, ClientId, OfficerId, Role, Verdict};
use ingang_store::lookups;
use ingang_store::merkle::{sequence_now, LogKeys};
use ingang_store::{AuditFilter, NewAuditEvent, Store};
use ingang_testdb::{Backend, TestDatabase};
use ingang_tlog::note::{KeyType, SigningKey};
use std::sync::Arc;
use std::time::Duration;

fn keys() -> Arc<LogKeys> {
    Arc::new(LogKeys::new(
        SigningKey::from_seed("test.example/audit", KeyType::Ed25519, [3; 32]).unwrap(),
        vec![],
    ))
}

/// Entry `i` is by officer `1 + i % 3` and names client `100 + i % 4`, or
/// no client when `i % 7 == 6`.
fn event(i: u32) -> NewAuditEvent {
    NewAuditEvent {
        at: Utc::now(),
        actor_id: officer(i % 3),
        actor_agency: AgencyCode::parse("af").unwrap(),
        on_behalf_of: None,
        roles: vec![Role::Officer],
        action: if i % 7 == 6 {
            AuditAction::ListClients
        } else {
            AuditAction::ReadRecord
        },
        client_id: (i % 7 != 6).then(|| client(i % 4)),
        record_id: None,
        decision: Verdict::Allow,
        reason: None,
        consent_id: None,
        request_id: format!("req-{i}"),
        source_addr: None,
    }
}

fn officer(n: u32) -> OfficerId {
    OfficerId(uuid::Uuid::from_u128(u128::from(n) + 1))
}

fn client(n: u32) -> ClientId {
    ClientId(uuid::Uuid::from_u128(u128::from(n) + 100))
}

fn sequence(db: &TestDatabase) {
    sequence_now(&db.url, &keys(), "test", Duration::from_secs(10)).unwrap();
}

/// The filters a query goes through the lookups with, each with the
/// entries (by seq, in order) it must find: worked out from every entry.
fn expectations(store: &Store) -> Vec<(AuditFilter, Vec<i64>)> {
    let all = store
        .db()
        .unwrap()
        .audit_events(&AuditFilter::default(), 10_000)
        .unwrap();
    let mut cases = Vec::new();
    for n in 0..4 {
        let filter = AuditFilter {
            client_id: Some(client(n)),
            ..Default::default()
        };
        let seqs = all
            .iter()
            .filter(|e| e.event.client_id == filter.client_id)
            .map(|e| e.seq)
            .collect();
        cases.push((filter, seqs));
    }
    for n in 0..3 {
        let filter = AuditFilter {
            actor_id: Some(officer(n)),
            ..Default::default()
        };
        let seqs = all
            .iter()
            .filter(|e| Some(e.event.actor_id) == filter.actor_id)
            .map(|e| e.seq)
            .collect();
        cases.push((filter, seqs));
    }
    // Narrowed further, on the entry itself: an officer's reads of a client.
    let filter = AuditFilter {
        client_id: Some(client(1)),
        actor_id: Some(officer(2)),
        ..Default::default()
    };
    let seqs = all
        .iter()
        .filter(|e| e.event.client_id == filter.client_id)
        .filter(|e| Some(e.event.actor_id) == filter.actor_id)
        .map(|e| e.seq)
        .collect();
    cases.push((filter, seqs));
    cases
}

/// The seqs a query with `filter` finds, in one page of up to 1 000.
fn found(store: &Store, filter: &AuditFilter) -> Vec<i64> {
    store
        .db()
        .unwrap()
        .audit_events(filter, 1_000)
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect()
}

/// Every case's entries, in pages of `page`, with `between` run before
/// each page after the first.
fn paged(store: &Store, filter: &AuditFilter, page: i64, mut between: impl FnMut()) -> Vec<i64> {
    let mut found = Vec::new();
    let mut filter = filter.clone();
    loop {
        let events = store.db().unwrap().audit_events(&filter, page).unwrap();
        found.extend(events.iter().map(|e| e.seq));
        match events.last() {
            Some(last) if events.len() as i64 == page => filter.after_seq = Some(last.seq),
            Some(_) | None => return found,
        }
        between();
    }
}

/// A migrated database of `backend` (if at hand) with a store on it, the
/// indexer's connection, and entries `0..n` appended and sequenced.
fn sequenced(
    backend: Backend,
    n: u32,
) -> Option<(TestDatabase, Store, ingang_store::DbConnection)> {
    let db = TestDatabase::migrated(backend)?;
    let store = common::open_store(&db, keys());
    let indexer = lookups::connect_indexer(&db.url).unwrap();
    store.audit().append((0..n).map(event).collect()).unwrap();
    sequence(&db);
    Some((db, store, indexer))
}

fn found_once_in_order_wherever_they_are(backend: Backend) {
    // Indexed, then sequenced only, then still queued.
    let Some((db, store, mut indexer)) = sequenced(backend, 30) else {
        return;
    };
    let step = lookups::index(&mut indexer, 1_000).unwrap();
    assert_eq!(
        step,
        lookups::Indexed {
            added: 30,
            through: 30
        }
    );
    store.audit().append((30..60).map(event).collect()).unwrap();
    sequence(&db);
    store.audit().append((60..90).map(event).collect()).unwrap();

    let cases = expectations(&store);
    assert_eq!(cases[0].1.len(), 20, "{:?}", cases[0]);
    for (filter, expected) in &cases {
        let seqs = found(&store, filter);
        assert_eq!(&seqs, expected, "{backend:?} {filter:?}");
        for page in [1, 2, 7] {
            assert_eq!(
                &paged(&store, filter, page, || {}),
                expected,
                "{filter:?} by {page}"
            );
        }
    }

    // Between the pages of one query, the queue is sequenced and the
    // lookups move on, a few leaves at a time.
    for (filter, expected) in &cases {
        let found = paged(&store, filter, 3, || {
            if lookups::index(&mut indexer, 4).unwrap().added == 0 {
                sequence(&db);
            }
        });
        assert_eq!(&found, expected, "{backend:?} {filter:?} while indexing");
    }
    sequence(&db);
    while lookups::index(&mut indexer, 1_000).unwrap().added > 0 {}
    for (filter, expected) in &cases {
        let seqs = found(&store, filter);
        assert_eq!(&seqs, expected, "{backend:?} {filter:?} all indexed");
    }
    // Each entry is in the lookups once: by officer always, by client if
    // it names one.
    let mut conn = db.connect();
    let by_officer: i64 = ingang_store::schema::audit_actor_seqs::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    let by_client: i64 = ingang_store::schema::audit_client_seqs::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(by_officer, 90);
    assert_eq!(by_client, 90 - 12, "entries 6, 13, 20, … name no client");
}

#[test]
fn found_once_in_order_wherever_they_are_sqlite() {
    found_once_in_order_wherever_they_are(Backend::Sqlite);
}

#[test]
fn found_once_in_order_wherever_they_are_postgres() {
    found_once_in_order_wherever_they_are(Backend::Postgres);
}

fn lookups_of_another_log_are_rebuilt(backend: Backend) {
    let Some((_db, store, mut indexer)) = sequenced(backend, 20) else {
        return;
    };
    lookups::index(&mut indexer, 1_000).unwrap();
    let cases = expectations(&store);

    // As if the database were restored from a copy older than its
    // lookups: they claim leaves the log does not have, or other leaves,
    // and hold none of this log's entries.
    use ingang_store::schema::audit_lookups_state::dsl as s;
    for (leaves, hash) in [(25i64, [7u8; 32]), (20, [7; 32]), (5, [7; 32])] {
        diesel::update(s::audit_lookups_state)
            .set((
                s::indexed_leaves.eq(leaves),
                s::last_leaf_hash.eq(hash.to_vec()),
            ))
            .execute(&mut indexer)
            .unwrap();
        diesel::delete(ingang_store::schema::audit_client_seqs::table)
            .execute(&mut indexer)
            .unwrap();
        diesel::delete(ingang_store::schema::audit_actor_seqs::table)
            .execute(&mut indexer)
            .unwrap();
        // Before the indexer sees it, a query does not trust it.
        for (filter, expected) in &cases {
            let seqs = found(&store, filter);
            assert_eq!(&seqs, expected, "{backend:?} {filter:?} before rebuilding");
        }
        let step = lookups::index(&mut indexer, 1_000).unwrap();
        assert_eq!(
            step,
            lookups::Indexed {
                added: 20,
                through: 20
            },
            "{backend:?} {leaves}"
        );
        for (filter, expected) in &cases {
            let seqs = found(&store, filter);
            assert_eq!(&seqs, expected, "{backend:?} {filter:?} after rebuilding");
        }
    }
    // The watermark keeps its shape.
    let refused = diesel::update(s::audit_lookups_state)
        .set((
            s::indexed_leaves.eq(3i64),
            s::last_leaf_hash.eq(None::<Vec<u8>>),
        ))
        .execute(&mut indexer)
        .expect_err("a watermark past leaf 0 without its hash");
    assert!(
        refused.to_string().contains("audit_lookups_state_shape"),
        "{refused}"
    );
}

#[test]
fn lookups_of_another_log_are_rebuilt_sqlite() {
    lookups_of_another_log_are_rebuilt(Backend::Sqlite);
}

#[test]
fn lookups_of_another_log_are_rebuilt_postgres() {
    lookups_of_another_log_are_rebuilt(Backend::Postgres);
}

/// On SQLite the lookups are a file beside the database, made by the first
/// connection; every connection but the indexer's has it read-only, so no write transaction of theirs
/// ever waits for the indexer; a file that is gone comes back empty and is
/// filled again.
#[test]
fn the_sqlite_lookups_file_is_read_only_but_to_the_indexer() {
    let db = TestDatabase::migrated(Backend::Sqlite).unwrap();
    let ingang_store::DatabaseUrl::Sqlite(path) = &db.url else {
        unreachable!("a SQLite test database")
    };
    let mut conn = db.connect();
    assert!(std::path::Path::new(&lookups::sqlite_file(path)).exists());
    let refused = diesel::delete(ingang_store::schema::audit_actor_seqs::table)
        .execute(&mut conn)
        .expect_err("a pooled connection writing the lookups");
    assert!(refused.to_string().contains("readonly"), "{refused}");

    let store = common::open_store(&db, keys());
    store.audit().append((0..10).map(event).collect()).unwrap();
    sequence(&db);
    let mut indexer = lookups::connect_indexer(&db.url).unwrap();
    lookups::index(&mut indexer, 1_000).unwrap();
    drop((indexer, conn, store));

    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", lookups::sqlite_file(path)));
    }
    let store = common::open_store(&db, keys());
    let mut indexer = lookups::connect_indexer(&db.url).unwrap();
    let step = lookups::index(&mut indexer, 1_000).unwrap();
    assert_eq!(
        step,
        lookups::Indexed {
            added: 10,
            through: 10
        }
    );
    for (filter, expected) in expectations(&store) {
        let seqs = found(&store, &filter);
        assert_eq!(seqs, expected, "{filter:?}");
    }
}

/// A database path that starts with `//` (as `sqlite:////var/…` gives)
/// names its lookups file by a URI with an empty authority; a lookups
/// file that cannot be attached (here a directory in its place) leaves
/// every connection working, and queries complete, through every leaf.
#[test]
fn odd_paths_and_a_lookups_file_that_cannot_be_attached() {
    let db = TestDatabase::migrated(Backend::Sqlite).unwrap();
    let ingang_store::DatabaseUrl::Sqlite(path) = &db.url else {
        unreachable!("a SQLite test database")
    };
    let doubled = ingang_store::DatabaseUrl::Sqlite(format!("/{path}"));
    let mut conn = ingang_store::db::connect(&doubled).unwrap();
    let state: i64 = ingang_store::schema::audit_lookups_state::table
        .select(ingang_store::schema::audit_lookups_state::indexed_leaves)
        .first(&mut conn)
        .unwrap();
    assert_eq!(state, 0);
    assert!(std::path::Path::new(&lookups::sqlite_file(path)).exists());
    drop(conn);

    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", lookups::sqlite_file(path)));
    }
    std::fs::create_dir(lookups::sqlite_file(path)).unwrap();
    let store = common::open_store(&db, keys());
    store.audit().append((0..12).map(event).collect()).unwrap();
    sequence(&db);
    store.audit().append((12..20).map(event).collect()).unwrap();
    for (filter, expected) in expectations(&store) {
        assert!(!expected.is_empty());
        let seqs = found(&store, &filter);
        assert_eq!(seqs, expected, "{filter:?}");
    }
    std::fs::remove_dir(lookups::sqlite_file(path)).unwrap();
}
