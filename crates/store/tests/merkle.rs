//! The Merkle log on real databases (SQLite and PostgreSQL): sequencing
//! gives dense leaf indexes once each, a second sequencer takes over when
//! the first stops, proofs verify with the `tlog_tiles` crate, and every
//! tampering with the stored entries — altered, deleted, reordered,
//! inserted, in many random trials — is found and its first bad entry named.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::wildcard_enum_match_arm
)]

mod common;

use chrono::Utc;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use ingang_policy::{AgencyCode, AuditAction, ClientId, OfficerId, Role, Verdict};
use ingang_store::merkle::{sequence_now, LogKeys, Sequencer, SequencerConfig, VerifyWith};
use ingang_store::verify::Finding;
use ingang_store::{DatabaseUrl, NewAuditEvent, Store};
use ingang_testdb::{Backend, TestDatabase};
use ingang_tlog::note::{KeyType, SigningKey};
use std::sync::Arc;
use std::time::Duration;

const ORIGIN: &str = "test.example/audit";

fn keys() -> Arc<LogKeys> {
    Arc::new(LogKeys::new(
        SigningKey::from_seed(ORIGIN, KeyType::Ed25519, [3; 32]).unwrap(),
        vec![],
    ))
}

fn open(db: &TestDatabase) -> Store {
    common::open_store(db, keys())
}

fn event(i: u32) -> NewAuditEvent {
    NewAuditEvent {
        at: Utc::now(),
        actor_id: OfficerId(uuid::Uuid::from_u128(u128::from(i % 7) + 1)),
        actor_agency: AgencyCode::parse("af").unwrap(),
        on_behalf_of: None,
        roles: vec![Role::Officer],
        action: AuditAction::ReadRecord,
        client_id: Some(ClientId(uuid::Uuid::from_u128(u128::from(i % 5) + 100))),
        record_id: None,
        decision: Verdict::Allow,
        reason: None,
        consent_id: None,
        request_id: format!("req-{i}"),
        source_addr: Some("10.0.0.1".into()),
    }
}

fn verify(store: &Store) -> Option<Finding> {
    verify_with(store, &keys())
}

/// The first finding of a verification with `keys`.
fn verify_with(store: &Store, keys: &LogKeys) -> Option<Finding> {
    store
        .db()
        .unwrap()
        .verify_log(VerifyWith {
            origin: ORIGIN,
            log_keys: keys.verifiers(),
            witnesses: &[],
            need: 0,
        })
        .unwrap()
        .finding
}

fn leaf_seqs(conn: &mut ingang_store::DbConnection) -> Vec<(i64, i64)> {
    use ingang_store::schema::audit_leaves::dsl as l;
    l::audit_leaves
        .select((l::leaf_index, l::seq))
        .order(l::leaf_index.asc())
        .load(conn)
        .unwrap()
}

fn node_count(conn: &mut ingang_store::DbConnection) -> i64 {
    use ingang_store::schema::audit_tree_nodes::dsl as n;
    n::audit_tree_nodes.count().get_result(conn).unwrap()
}

fn queued_seqs(conn: &mut ingang_store::DbConnection) -> Vec<i64> {
    use ingang_store::schema::audit_pending::dsl as q;
    q::audit_pending
        .select(q::seq)
        .order(q::seq.asc())
        .load(conn)
        .unwrap()
}

/// The store's inclusion proof of leaf `index` (entry `seq`) checks out
/// with `tlog_tiles`; gives the entry's canonical bytes.
fn check_inclusion(session: &mut ingang_store::Db<'_>, index: i64, seq: i64) -> Vec<u8> {
    let proof = session.inclusion_proof(seq, None).unwrap().unwrap();
    assert_eq!(proof.leaf_index, index as u64);
    let leaf = ingang_tlog::tree::leaf_hash(&proof.leaf);
    let hashes: Vec<_> = proof.hashes.iter().map(|h| tlog_tiles::Hash(h.0)).collect();
    tlog_tiles::check_record(
        &hashes,
        proof.checkpoint.size,
        tlog_tiles::Hash(proof.checkpoint.root.0),
        index as u64,
        tlog_tiles::Hash(leaf.0),
    )
    .unwrap();
    proof.leaf
}

fn sequencing_is_dense_and_once(backend: Backend) {
    let Some(db) = TestDatabase::migrated(backend) else {
        return;
    };
    let store = open(&db);
    // Two sequencers compete while entries arrive.
    let config = |name: &str| SequencerConfig {
        holder: name.into(),
        interval: Duration::from_millis(20),
        lease: Duration::from_millis(200),
        batch_max: 17,
    };
    let first = Sequencer::start(db.url.clone(), config("first"), keys()).unwrap();
    let second = Sequencer::start(db.url.clone(), config("second"), keys()).unwrap();
    for batch in 0..20 {
        let events = (0..10).map(|i| event(batch * 10 + i)).collect();
        store.audit().append(events).unwrap();
    }
    // The leader stops mid-run; the other takes over.
    first.stop();
    for batch in 20..40 {
        let events = (0..10).map(|i| event(batch * 10 + i)).collect();
        store.audit().append(events).unwrap();
    }
    assert!(ingang_store::merkle::wait_until_sequenced(&db.url, Duration::from_secs(20)).unwrap());
    std::thread::sleep(Duration::from_millis(100));
    drop(second);
    let mut conn = db.connect();
    let leaves = leaf_seqs(&mut conn);
    assert_eq!(leaves.len(), 400);
    for (i, (index, _)) in leaves.iter().enumerate() {
        assert_eq!(*index, i as i64, "leaf indexes are dense");
    }
    let mut seqs: Vec<i64> = leaves.iter().map(|(_, s)| *s).collect();
    seqs.sort_unstable();
    seqs.dedup();
    assert_eq!(seqs.len(), 400, "no entry sequenced twice");
    assert_eq!(verify(&store), None);
    let latest = store.db().unwrap().latest_checkpoint().unwrap().unwrap();
    assert_eq!(latest.size, 400);
}

#[test]
fn sequencing_is_dense_and_once_sqlite() {
    sequencing_is_dense_and_once(Backend::Sqlite);
}

#[test]
fn sequencing_is_dense_and_once_postgres() {
    sequencing_is_dense_and_once(Backend::Postgres);
}

/// A batch larger than the sequencer's multi-row inserts (64 rows on
/// SQLite): two full statements and the rest row by row, all in tree order.
fn a_large_batch_is_sequenced_whole(backend: Backend) {
    let Some(db) = TestDatabase::migrated(backend) else {
        return;
    };
    let store = open(&db);
    store.audit().append((0..150).map(event).collect()).unwrap();
    let keys = keys();
    let checkpoint = sequence_now(&db.url, &keys, "t", Duration::from_secs(5))
        .unwrap()
        .unwrap();
    assert_eq!(checkpoint.size, 150);
    let mut conn = db.connect();
    let leaves = leaf_seqs(&mut conn);
    let mut stored: Vec<i64> = {
        use ingang_store::schema::audit_events::dsl as a;
        a::audit_events.select(a::seq).load(&mut conn).unwrap()
    };
    stored.sort_unstable();
    assert_eq!(
        leaves,
        stored
            .iter()
            .enumerate()
            .map(|(i, seq)| (i as i64, *seq))
            .collect::<Vec<_>>(),
        "every entry a leaf, in order"
    );
    assert!(queued_seqs(&mut conn).is_empty());
    // Each entry stored whole and in its own row (8 to a statement).
    let request_ids: Vec<String> = {
        use ingang_store::schema::audit_events::dsl as a;
        a::audit_events
            .select(a::request_id)
            .order(a::seq.asc())
            .load(&mut conn)
            .unwrap()
    };
    let expected: Vec<String> = (0..150).map(|i| format!("req-{i}")).collect();
    assert_eq!(request_ids, expected);
    // Every complete subtree's hash stored (64 to a statement): 75 + 37 +
    // 18 + 9 + 4 + 2 + 1 of them.
    assert_eq!(node_count(&mut conn), 146);
    // Proofs across the statements' edges verify with other code.
    let mut session = store.db().unwrap();
    for (index, seq) in leaves {
        if ![0, 63, 64, 127, 128, 149].contains(&index) {
            continue;
        }
        check_inclusion(&mut session, index, seq);
    }
    drop(session);
    // A later batch starts from the stored nodes, not the ones in memory.
    store.audit().append(vec![event(150)]).unwrap();
    let next = sequence_now(&db.url, &keys, "t", Duration::from_secs(5))
        .unwrap()
        .unwrap();
    assert_eq!(next.size, 151);
    assert_eq!(verify_with(&store, &keys), None);
}

/// On SQLite a batch is taken off the queue by one range; a queue row below
/// the batch's last entry that is not one of its entries (possible only
/// around the database's rules) fails the batch, and nothing of it stays.
#[test]
fn a_batch_that_would_take_a_stranger_off_the_queue_leaves_nothing_sqlite() {
    let db = TestDatabase::migrated(Backend::Sqlite).unwrap();
    let store = open(&db);
    store.audit().append((0..3).map(event).collect()).unwrap();
    let mut conn = tamperer(&db, Backend::Sqlite);
    diesel::sql_query("INSERT INTO audit_pending (seq) VALUES (0)")
        .execute(&mut conn)
        .unwrap();
    let keys = keys();
    let error = sequence_now(&db.url, &keys, "t", Duration::from_secs(5)).unwrap_err();
    assert!(error.to_string().contains("queue"), "{error}");
    let mut conn = db.connect();
    assert!(leaf_seqs(&mut conn).is_empty());
    assert_eq!(node_count(&mut conn), 0);
    assert_eq!(queued_seqs(&mut conn), vec![0, 1, 2, 3]);
    let size: i64 = {
        use ingang_store::schema::audit_tree::dsl as t;
        t::audit_tree.select(t::size).first(&mut conn).unwrap()
    };
    assert_eq!(size, 0);
}

#[test]
fn a_large_batch_is_sequenced_whole_sqlite() {
    a_large_batch_is_sequenced_whole(Backend::Sqlite);
}

#[test]
fn a_large_batch_is_sequenced_whole_postgres() {
    a_large_batch_is_sequenced_whole(Backend::Postgres);
}

/// Proofs from the store verify with `tlog_tiles`, and checkpoints with
/// `signed_note`.
fn proofs_verify_with_other_code(backend: Backend) {
    let Some(db) = TestDatabase::migrated(backend) else {
        return;
    };
    let store = open(&db);
    let keys = keys();
    let mut sizes = Vec::new();
    for batch in 0..6u32 {
        let events = (0..=batch * 3).map(|i| event(batch * 100 + i)).collect();
        store.audit().append(events).unwrap();
        let c = sequence_now(&db.url, &keys, "t", Duration::from_secs(5))
            .unwrap()
            .unwrap();
        sizes.push(c.size);
    }
    let mut session = store.db().unwrap();
    let verifier = signed_note::StandardVerifier::new(&keys.verifier().to_string()).unwrap();
    let list = signed_note::VerifierList::new(vec![Box::new(verifier)]);
    for &size in &sizes {
        let c = session.checkpoint(size).unwrap().unwrap();
        let note = signed_note::Note::from_bytes(c.note.as_bytes()).unwrap();
        note.verify(&list).unwrap();
        let parsed = tlog_tiles::Checkpoint::from_bytes(note.text()).unwrap();
        assert_eq!(parsed.size(), size);
        for &old in sizes.iter().filter(|&&s| s <= size) {
            let proof = session.consistency_proof(old, size).unwrap().unwrap();
            let (first, second, hashes) = (proof.first, proof.second, proof.hashes);
            let hashes: Vec<_> = hashes.iter().map(|h| tlog_tiles::Hash(h.0)).collect();
            tlog_tiles::check_tree(
                &hashes,
                size,
                tlog_tiles::Hash(second.root.0),
                old,
                tlog_tiles::Hash(first.root.0),
            )
            .unwrap();
        }
    }
    let mut conn = db.connect();
    for (index, seq) in leaf_seqs(&mut conn) {
        let leaf = check_inclusion(&mut session, index, seq);
        let decoded = ingang_store::leaf::decode(&leaf).unwrap();
        assert_eq!(decoded.seq, seq);
    }
}

#[test]
fn proofs_verify_with_other_code_sqlite() {
    proofs_verify_with_other_code(Backend::Sqlite);
}

#[test]
fn proofs_verify_with_other_code_postgres() {
    proofs_verify_with_other_code(Backend::Postgres);
}

/// A connection that writes around every rule, as an operator with the
/// database's superuser could.
fn tamperer(db: &TestDatabase, backend: Backend) -> ingang_store::DbConnection {
    let mut conn = db.connect();
    match backend {
        Backend::Sqlite => conn
            .batch_execute(
                "PRAGMA foreign_keys = OFF;
                 DROP TRIGGER IF EXISTS audit_events_no_update;
                 DROP TRIGGER IF EXISTS audit_events_no_delete;
                 DROP TRIGGER IF EXISTS audit_leaves_no_update;
                 DROP TRIGGER IF EXISTS audit_leaves_no_delete;",
            )
            .unwrap(),
        Backend::Postgres => conn
            .batch_execute("SET session_replication_role = replica;")
            .unwrap(),
    }
    conn
}

/// A tiny deterministic generator: the trials are the same on every run.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

fn tampering_is_found(backend: Backend, trials: u32) {
    let Some(db) = TestDatabase::migrated(backend) else {
        return;
    };
    let store = open(&db);
    let keys = keys();
    // A log of 80 entries under several checkpoints.
    for batch in 0..8u32 {
        let events = (0..10).map(|i| event(batch * 10 + i)).collect();
        store.audit().append(events).unwrap();
        sequence_now(&db.url, &keys, "t", Duration::from_secs(5)).unwrap();
    }
    assert_eq!(verify(&store), None);
    let mut conn = tamperer(&db, backend);
    conn.batch_execute(
        "CREATE TABLE saved_events AS SELECT * FROM audit_events;
         CREATE TABLE saved_leaves AS SELECT * FROM audit_leaves;",
    )
    .unwrap();
    // PostgreSQL's seq is an identity column: writing it is an override.
    let overriding = match backend {
        Backend::Sqlite => "",
        Backend::Postgres => "OVERRIDING SYSTEM VALUE",
    };
    let restore = |conn: &mut ingang_store::DbConnection| {
        conn.batch_execute(&format!(
            "DELETE FROM audit_leaves; DELETE FROM audit_events;
             INSERT INTO audit_events {overriding} SELECT * FROM saved_events;
             INSERT INTO audit_leaves SELECT * FROM saved_leaves;
             DELETE FROM audit_pending;"
        ))
        .unwrap();
    };
    let leaves = leaf_seqs(&mut conn);
    let n = leaves.len() as u64;
    let mut rng = Lcg(0x1a6a_2026);
    let columns = [
        "request_id = 'forged'",
        "at = at + 1",
        "actor_agency = 'xx'",
        "source_addr = '10.6.6.6'",
        "client_id = '00000000-0000-4000-8000-000000000666'",
        "action = 'record.list'",
    ];
    for trial in 0..trials {
        let kind = trial % 5;
        let k = rng.below(n);
        let (_, seq_k) = leaves[k as usize];
        let expected = match kind {
            // Alter one field of one entry.
            0 => {
                let column = columns[rng.below(columns.len() as u64) as usize];
                conn.batch_execute(&format!(
                    "UPDATE audit_events SET {column} WHERE seq = {seq_k}"
                ))
                .unwrap();
                k
            }
            // Delete an entry, or an entry and its leaf (renumbering the rest
            // to close the gap, or not).
            1 => {
                conn.batch_execute(&format!("DELETE FROM audit_events WHERE seq = {seq_k}"))
                    .unwrap();
                match rng.below(3) {
                    0 => {}
                    1 => conn.batch_execute(&format!("DELETE FROM audit_leaves WHERE leaf_index = {k}")).unwrap(),
                    _ => conn
                        .batch_execute(&format!(
                            "DELETE FROM audit_leaves WHERE leaf_index = {k};
                             UPDATE audit_leaves SET leaf_index = leaf_index + 1000000 WHERE leaf_index > {k};
                             UPDATE audit_leaves SET leaf_index = leaf_index - 1000001 WHERE leaf_index > 1000000;"
                        ))
                        .unwrap(),
                }
                k
            }
            // Swap two entries' places.
            2 => {
                let j = (k + 1 + rng.below(n - 1)) % n;
                let (i, j) = (k.min(j), k.max(j));
                let (si, sj) = (leaves[i as usize].1, leaves[j as usize].1);
                conn.batch_execute(&format!(
                    "UPDATE audit_leaves SET seq = -1 WHERE leaf_index = {i};
                     UPDATE audit_leaves SET seq = {si} WHERE leaf_index = {j};
                     UPDATE audit_leaves SET seq = {sj} WHERE leaf_index = {i};"
                ))
                .unwrap();
                i
            }
            // Insert a forged entry at k, with a correct leaf hash for its
            // place, moving the rest one place on.
            3 => {
                let forged = event(9_999);
                let new_seq = 1_000_000 + i64::from(trial);
                conn.batch_execute(&format!(
                    "INSERT INTO audit_events (seq, at, actor_id, actor_agency, roles, action, client_id, decision, request_id, source_addr) {overriding}
                     VALUES ({new_seq}, {}, '{}', 'af', 'officer', 'record.read', '{}', 'allow', '{}', '10.0.0.1')",
                    forged.at.timestamp_micros(),
                    forged.actor_id,
                    forged.client_id.unwrap(),
                    forged.request_id,
                ))
                .unwrap();
                let mut stored = forged.clone();
                stored.at = ingang_store::from_micros(forged.at.timestamp_micros());
                let hash =
                    ingang_tlog::tree::leaf_hash(&ingang_store::leaf::encode(k, new_seq, &stored));
                conn.batch_execute(&format!(
                    "UPDATE audit_leaves SET leaf_index = leaf_index + 1000000 WHERE leaf_index >= {k};
                     UPDATE audit_leaves SET leaf_index = leaf_index - 999999 WHERE leaf_index >= 1000000;"
                ))
                .unwrap();
                diesel::insert_into(ingang_store::schema::audit_leaves::table)
                    .values((
                        ingang_store::schema::audit_leaves::leaf_index.eq(k as i64),
                        ingang_store::schema::audit_leaves::seq.eq(new_seq),
                        ingang_store::schema::audit_leaves::hash.eq(hash.0.to_vec()),
                        ingang_store::schema::audit_leaves::sequenced_at.eq(0i64),
                    ))
                    .execute(&mut conn)
                    .unwrap();
                k
            }
            // Cut the log's end off.
            _ => {
                conn.batch_execute(&format!(
                    "DELETE FROM audit_leaves WHERE leaf_index >= {k};
                     DELETE FROM audit_events WHERE seq IN (SELECT seq FROM saved_leaves WHERE leaf_index >= {k});"
                ))
                .unwrap();
                k
            }
        };
        let finding = verify(&store)
            .unwrap_or_else(|| panic!("trial {trial} (kind {kind}, leaf {k}) was not detected"));
        assert_eq!(
            finding.first_bad_leaf(),
            Some(expected),
            "trial {trial} (kind {kind}, leaf {k}): {finding}"
        );
        restore(&mut conn);
    }
    assert_eq!(verify(&store), None, "restored");
}

#[test]
fn tampering_is_found_sqlite() {
    tampering_is_found(Backend::Sqlite, 200);
}

#[test]
fn tampering_is_found_postgres() {
    tampering_is_found(Backend::Postgres, 200);
}

#[test]
fn an_entry_written_around_the_service_is_found() {
    let Some(db) = TestDatabase::migrated(Backend::Sqlite) else {
        return;
    };
    let store = open(&db);
    store.audit().append(vec![event(1), event(2)]).unwrap();
    sequence_now(&db.url, &keys(), "t", Duration::from_secs(5)).unwrap();
    let mut conn = tamperer(&db, Backend::Sqlite);
    // Stored, and taken off the queue the database put it on.
    conn.batch_execute("INSERT INTO audit_events (seq, at, actor_id, actor_agency, roles, action, decision, request_id) SELECT 99, at, actor_id, actor_agency, roles, action, decision, 'x' FROM audit_events WHERE seq = 1; DELETE FROM audit_pending;").unwrap();
    assert_eq!(verify(&store), Some(Finding::NotSequenced { seq: 99 }));
    let _ = DatabaseUrl::parse("unused");
}

/// A rotated key: checkpoints signed before still verify with the old
/// verifier key kept in `previous`; without it they do not.
#[test]
fn checkpoints_verify_across_a_key_rotation() {
    let Some(db) = TestDatabase::migrated(Backend::Sqlite) else {
        return;
    };
    let store = open(&db);
    let old = keys();
    store.audit().append(vec![event(1), event(2)]).unwrap();
    sequence_now(&db.url, &old, "t", Duration::from_secs(5)).unwrap();
    let new = Arc::new(LogKeys::new(
        SigningKey::from_seed(ORIGIN, KeyType::Ed25519, [8; 32]).unwrap(),
        vec![old.verifier()],
    ));
    store.audit().append(vec![event(3)]).unwrap();
    sequence_now(&db.url, &new, "t", Duration::from_secs(5)).unwrap();
    assert_eq!(verify_with(&store, &new), None);
    let forgetful = LogKeys::new(
        SigningKey::from_seed(ORIGIN, KeyType::Ed25519, [8; 32]).unwrap(),
        vec![],
    );
    assert!(matches!(
        verify_with(&store, &forgetful),
        Some(Finding::CheckpointSignature { size: 2, .. })
    ));
}

/// Verifying a live log, while entries arrive and a sequencer integrates
/// them, finds nothing wrong.
fn a_live_log_verifies(backend: Backend) {
    let Some(db) = TestDatabase::migrated(backend) else {
        return;
    };
    let store = open(&db);
    let sequencer = Sequencer::start(
        db.url.clone(),
        SequencerConfig {
            holder: "live".into(),
            interval: Duration::from_millis(10),
            lease: Duration::from_millis(500),
            batch_max: 7,
        },
        keys(),
    )
    .unwrap();
    let running = std::sync::atomic::AtomicBool::new(true);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            // A steady trickle the sequencer keeps up with, not a flood.
            let mut i = 0;
            while running.load(std::sync::atomic::Ordering::Relaxed) && i < 2_000 {
                store.audit().append(vec![event(i), event(i + 1)]).unwrap();
                i += 2;
                std::thread::sleep(Duration::from_millis(2));
            }
        });
        std::thread::sleep(Duration::from_millis(300));
        for _ in 0..5 {
            assert_eq!(verify(&store), None);
        }
        running.store(false, std::sync::atomic::Ordering::Relaxed);
    });
    drop(sequencer);
}

#[test]
fn a_live_log_verifies_sqlite() {
    a_live_log_verifies(Backend::Sqlite);
}

#[test]
fn a_live_log_verifies_postgres() {
    a_live_log_verifies(Backend::Postgres);
}

/// Entries still waiting for the sequencer are exported with the query's
/// filters, however many sequenced entries come after the first of them.
#[test]
fn pending_entries_are_exported_by_the_filter() {
    let Some(db) = TestDatabase::migrated(Backend::Sqlite) else {
        return;
    };
    let store = open(&db);
    // event(i) reads client 100 + i % 5.
    store.audit().append((0..20).map(event).collect()).unwrap();
    let filter = ingang_store::AuditFilter {
        client_id: Some(ClientId(uuid::Uuid::from_u128(102))),
        ..Default::default()
    };
    let mut db_handle = store.db().unwrap();
    let first = db_handle.pending_page(&filter, None, 2).unwrap();
    let rest = db_handle
        .pending_page(&filter, first.last().map(|e| e.seq), 10)
        .unwrap();
    let seqs: Vec<i64> = first.iter().chain(&rest).map(|e| e.seq).collect();
    assert_eq!(seqs.len(), 4, "{seqs:?}");
    assert!(first
        .iter()
        .chain(&rest)
        .all(|e| e.event.client_id == filter.client_id));
}

/// Every field of an entry comes back as it was appended, empty ones
/// included, in order: in commits of every size from 1 to 29 entries (on
/// SQLite, each a different mix of the fixed-size insert statements), and
/// one of more entries than one insert statement takes (PostgreSQL inserts
/// a commit's entries as one array per column, 200 to a statement).
fn every_field_is_stored_as_given(backend: Backend) {
    use ingang_policy::{ConsentId, DenyReason, RecordId};
    let Some(db) = TestDatabase::migrated(backend) else {
        return;
    };
    let store = open(&db);
    let at = chrono::DateTime::from_timestamp_micros(1_790_000_000_123_456).unwrap();
    let given: Vec<NewAuditEvent> = (0..685u32)
        .map(|i| {
            let mut entry = event(i);
            entry.at = at + chrono::Duration::microseconds(i64::from(i));
            if i % 3 == 0 {
                entry.decision = Verdict::Deny;
                entry.reason = Some(DenyReason::ConsentWithdrawn);
                entry.client_id = None;
                entry.source_addr = None;
            } else {
                entry.on_behalf_of = Some(OfficerId(uuid::Uuid::from_u128(u128::from(i))));
                entry.record_id = Some(RecordId(uuid::Uuid::from_u128(u128::from(i) + 9)));
                entry.consent_id = Some(ConsentId(uuid::Uuid::from_u128(u128::from(i) + 7)));
                // Stored in alphabetical order, so given so.
                entry.roles = vec![Role::Coordinator, Role::Officer];
            }
            entry
        })
        .collect();
    let (small, large) = given.split_at(435);
    let mut rest = small;
    for size in 1..=29 {
        let (now, later) = rest.split_at(size);
        store.audit().append(now.to_vec()).unwrap();
        rest = later;
    }
    assert!(rest.is_empty());
    store.audit().append(large.to_vec()).unwrap();
    let stored = store
        .db()
        .unwrap()
        .audit_events(&ingang_store::AuditFilter::default(), 1_000)
        .unwrap();
    assert_eq!(stored.len(), given.len(), "{backend:?}");
    for (stored, given) in stored.iter().zip(&given) {
        assert_eq!(&stored.event, given, "{backend:?}");
    }
}

#[test]
fn every_field_is_stored_as_given_sqlite() {
    every_field_is_stored_as_given(Backend::Sqlite);
}

#[test]
fn every_field_is_stored_as_given_postgres() {
    every_field_is_stored_as_given(Backend::Postgres);
}
