//! The audit log at scale (docs/benchmarks.md): generates a log of
//! `LOG_ENTRIES` entries (default 10 million) over a year on SQLite,
//! sequenced into the Merkle tree with a signed checkpoint every 100 000,
//! then measures the first page of a month's query by client and by
//! actor, a full verification, and an export's memory.
//!
//!   cargo bench -p ingang-store --bench log_scale
//!   LOG_ENTRIES=1000000 cargo bench -p ingang-store --bench log_scale
//!   LOG_DB=/var/tmp/log.sqlite3 …   # keep (and reuse) the generated file
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::wildcard_enum_match_arm
)]

use chrono::{Duration as Days, Utc};
use ingang_policy::{
    AgencyCode, AuditAction, ClientId, DenyReason, OfficerId, RecordId, Role, Verdict,
};
use ingang_store::crypto::{Keyring, SecretKey};
use ingang_store::merkle::{sequence_now, LogKeys, VerifyWith};
use ingang_store::{AuditFilter, DatabaseUrl, NewAuditEvent, Store, StoreConfig};
use ingang_tlog::note::{KeyType, SigningKey};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

const CLIENTS: u64 = 20_000;
const ACTORS: u64 = 2_000;

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap_or(0)
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap_or(0)
}

fn uuid(kind: u64, n: u64) -> uuid::Uuid {
    uuid::Uuid::from_u128((u128::from(kind) << 64) | u128::from(n))
}

fn main() {
    let n: u64 = std::env::var("LOG_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    let dir = tempfile::tempdir().unwrap();
    let path = std::env::var("LOG_DB")
        .unwrap_or_else(|_| dir.path().join("log.sqlite3").display().to_string());
    let fresh = !std::path::Path::new(&path).exists();
    let url = DatabaseUrl::Sqlite(path.clone());
    let keys = Arc::new(LogKeys::new(
        SigningKey::from_seed("bench.example/audit", KeyType::Ed25519, [5; 32]).unwrap(),
        vec![],
    ));
    let mut masters = BTreeMap::new();
    masters.insert("b".to_owned(), SecretKey::generate().unwrap());
    let store = Store::open(
        &StoreConfig {
            url: url.clone(),
            pool_size: 2,
            audit_batch_max: 10_000,
            pool_timeout: Duration::from_secs(30),
            log: Arc::clone(&keys),
            witnesses: vec![],
            sequencer: None,
        },
        Keyring::new("b", masters, &SecretKey::generate().unwrap()).unwrap(),
    )
    .unwrap();
    let start = Utc::now() - Days::days(365);
    let step = 365.0 * 86_400.0 * 1e6 / n as f64;
    if fresh {
        let began = Instant::now();
        let mut i = 0u64;
        let mut rng = 0x2026_u64;
        while i < n {
            let chunk: Vec<NewAuditEvent> = (i..(i + 10_000).min(n))
                .map(|k| {
                    rng = rng
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    let r = rng >> 16;
                    let denied = r.is_multiple_of(50);
                    NewAuditEvent {
                        at: start + Days::microseconds((k as f64 * step) as i64),
                        actor_id: OfficerId(uuid(1, r % ACTORS)),
                        actor_agency: AgencyCode::parse(
                            ["af", "fk", "soc", "psyk"][(r % 4) as usize],
                        )
                        .unwrap(),
                        on_behalf_of: None,
                        roles: vec![Role::Officer],
                        action: AuditAction::ReadRecord,
                        client_id: Some(ClientId(uuid(2, (r >> 12) % CLIENTS))),
                        record_id: Some(RecordId(uuid(3, r % 1_000_000))),
                        decision: if denied {
                            Verdict::Deny
                        } else {
                            Verdict::Allow
                        },
                        reason: denied.then_some(DenyReason::NoActiveConsent),
                        consent_id: None,
                        request_id: format!("{k:016x}"),
                        source_addr: Some("10.1.2.3".into()),
                    }
                })
                .collect();
            i += chunk.len() as u64;
            store.audit().append(chunk).unwrap();
            if i.is_multiple_of(100_000) || i == n {
                sequence_now(&url, &keys, "bench", Duration::from_secs(60)).unwrap();
            }
            if i.is_multiple_of(1_000_000) {
                eprintln!("{i} entries, {:.0} s", began.elapsed().as_secs_f64());
            }
        }
        println!(
            "generated {n} entries with {} checkpoints in {:.0} s ({:.0} MiB on disk)",
            store.db().unwrap().checkpoints().unwrap().len(),
            began.elapsed().as_secs_f64(),
            std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) as f64 / 1_048_576.0
        );
    }

    // The auditors' lookups brought up to the log, as the sequencer's thread
    // keeps them in a running service (a reused file is already indexed).
    let t = Instant::now();
    let mut indexer = ingang_store::lookups::connect_indexer(&url).unwrap();
    let mut indexed = 0;
    loop {
        let step =
            ingang_store::lookups::index(&mut indexer, ingang_store::lookups::INDEX_BATCH_MAX)
                .unwrap();
        indexed += step.added;
        if step.added < ingang_store::lookups::INDEX_BATCH_MAX {
            break;
        }
    }
    drop(indexer);
    println!(
        "indexed the lookups of {indexed} entries in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    // The first page (50) of a month's entries by one client and by one actor.
    let month_from = start + Days::days(200);
    let month_to = month_from + Days::days(30);
    for (label, by_client) in [("client", true), ("actor", false)] {
        let mut times = Vec::new();
        let mut found = 0;
        for k in 0..20u64 {
            let filter = AuditFilter {
                client_id: by_client.then(|| ClientId(uuid(2, k * 97 % CLIENTS))),
                actor_id: (!by_client).then(|| OfficerId(uuid(1, k * 31 % ACTORS))),
                from: Some(month_from),
                to: Some(month_to),
                ..AuditFilter::default()
            };
            let mut db = store.db().unwrap();
            let t = Instant::now();
            let page = db.audit_events(&filter, 50).unwrap();
            times.push(t.elapsed());
            found += page.len();
        }
        times.sort();
        println!(
            "first page of a month by {label}: median {:.1} ms, max {:.1} ms ({} entries over 20 queries)",
            times[10].as_secs_f64() * 1e3,
            times[19].as_secs_f64() * 1e3,
            found
        );
    }

    // Full verification.
    let t = Instant::now();
    let report = store
        .db()
        .unwrap()
        .verify_log(VerifyWith {
            origin: keys.origin(),
            log_keys: keys.verifiers(),
            witnesses: &[],
            need: 0,
        })
        .unwrap();
    assert_eq!(report.finding, None);
    println!(
        "full verification of {} entries and {} checkpoints: {:.1} s",
        report.entries,
        report.checkpoints,
        t.elapsed().as_secs_f64()
    );

    // An export's pages: memory stays flat.
    let before = rss_kib();
    let t = Instant::now();
    let mut after = None;
    let mut rows = 0u64;
    let mut bytes = 0u64;
    let mut samples = Vec::new();
    loop {
        let mut db = store.db().unwrap();
        let page = db
            .export_page(&AuditFilter::default(), after, 5_000)
            .unwrap();
        let Some(last) = page.last() else { break };
        after = Some(last.leaf_index);
        for e in &page {
            bytes += format!("{:?}", e.entry.event).len() as u64;
        }
        rows += page.len() as u64;
        if rows % 1_000_000 < 5_000 {
            samples.push(rss_kib());
        }
    }
    println!(
        "export of {rows} entries ({:.0} MiB as text) in {:.1} s; resident memory {} MiB before, {} MiB at most during (samples {:?} MiB), peak {} MiB",
        bytes as f64 / 1_048_576.0,
        t.elapsed().as_secs_f64(),
        before / 1024,
        samples.iter().max().copied().unwrap_or(before) / 1024,
        samples.iter().map(|s| s / 1024).collect::<Vec<_>>(),
        peak_rss_kib() / 1024
    );
}
