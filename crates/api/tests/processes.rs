//! Several API processes on one PostgreSQL database (deploy/README.md): two
//! `ingang serve` processes take concurrent writes and reads; nothing is
//! lost or duplicated, every case-data decision is audited exactly once,
//! and a consent withdrawn through one process is refused by the other on
//! the very next request. Skips loudly without PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::wildcard_enum_match_arm
)]

mod support;

use ingang_testdb::{Backend, TestDatabase};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use support::{client_with_consent, set_up, ServeProcess};

/// A record written under load: (id, text, request id).
type Created = (String, String, String);

/// Runs `request` through each process at the same moment (one thread
/// each) and returns the statuses in process order.
fn at_once_through_each<F>(processes: [&ServeProcess; 2], request: F) -> Vec<u16>
where
    F: Fn(usize, &ServeProcess) -> u16 + Sync,
{
    std::thread::scope(|scope| {
        let handles: Vec<_> = processes
            .iter()
            .enumerate()
            .map(|(p, process)| {
                let request = &request;
                scope.spawn(move || request(p, process))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn sorted(statuses: &[u16]) -> Vec<u16> {
    let mut statuses = statuses.to_vec();
    statuses.sort_unstable();
    statuses
}

/// Every audit entry, paged through both processes in turn.
fn all_audit_events(processes: [&ServeProcess; 2], auditor: &str) -> Vec<Value> {
    let mut events = vec![];
    let mut cursor: Option<String> = None;
    for turn in 0.. {
        let path = match &cursor {
            Some(c) => format!("/v1/audit/events?limit=200&cursor={c}"),
            None => "/v1/audit/events?limit=200".to_owned(),
        };
        let r = processes[turn % 2].call("GET", &path, auditor, None);
        assert_eq!(r.status, 200, "{:?}", r.body);
        events.extend(r.body["items"].as_array().unwrap().iter().cloned());
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    events
}

#[test]
fn two_processes_on_one_postgresql_lose_nothing_and_audit_everything_once() {
    let Some(database) = TestDatabase::create(Backend::Postgres) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let site = support::Site::new(dir.path(), &database.url_string());
    let admin_id = support::bootstrap(&site);
    let a = site.serve("a");
    let b = site.serve("b");
    let people = set_up(&site, &a, &b, &admin_id);
    let (client, consent) = client_with_consent(&b, &people, "19900101-1239");
    let processes = [&a, &b];

    // Concurrent writes through both processes, reads beside them.
    const WRITERS: usize = 4;
    const NOTES_EACH: usize = 15;
    let first = a.call(
        "POST",
        &format!("/v1/clients/{client}/records"),
        &people.eva,
        Some(&json!({"kind": "note", "body": {"text": "first"}})),
    );
    assert_eq!(first.status, 201);
    let first_id = first.id();
    let (created, reads): (Vec<Vec<Created>>, Vec<Vec<String>>) = std::thread::scope(|scope| {
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (client, eva) = (&client, &people.eva);
                scope.spawn(move || {
                    let agent = support::agent();
                    (0..NOTES_EACH)
                        .map(|n| {
                            let text = format!("note {w}-{n}");
                            let r = processes[(w + n) % 2]
                                .try_call(
                                    &agent,
                                    "POST",
                                    &format!("/v1/clients/{client}/records"),
                                    eva,
                                    Some(&json!({"kind": "note", "body": {"text": text}})),
                                    &[],
                                )
                                .unwrap();
                            assert_eq!(r.status, 201, "{:?}", r.body);
                            (r.id(), text, r.request_id)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let readers: Vec<_> = (0..2)
            .map(|k| {
                let (first_id, eva) = (&first_id, &people.eva);
                scope.spawn(move || {
                    let agent = support::agent();
                    (0..20)
                        .map(|n| {
                            let r = processes[(k + n) % 2]
                                .try_call(
                                    &agent,
                                    "GET",
                                    &format!("/v1/records/{first_id}"),
                                    eva,
                                    None,
                                    &[],
                                )
                                .unwrap();
                            assert_eq!(r.status, 200, "{:?}", r.body);
                            assert_eq!(r.body["body"]["text"], "first");
                            r.request_id
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        (
            writers.into_iter().map(|h| h.join().unwrap()).collect(),
            readers.into_iter().map(|h| h.join().unwrap()).collect(),
        )
    });
    let created: Vec<Created> = created.into_iter().flatten().collect();
    let read_ids: Vec<String> = reads.into_iter().flatten().collect();

    // No write lost, none duplicated: the list (paged through both
    // processes) holds exactly the created records with their bodies.
    let mut listed: BTreeMap<String, String> = BTreeMap::new();
    let mut cursor: Option<String> = None;
    for turn in 0.. {
        let path = match &cursor {
            Some(c) => format!("/v1/clients/{client}/records?limit=17&cursor={c}"),
            None => format!("/v1/clients/{client}/records?limit=17"),
        };
        let r = processes[turn % 2].call("GET", &path, &people.eva, None);
        assert_eq!(r.status, 200, "{:?}", r.body);
        for item in r.body["items"].as_array().unwrap() {
            let previous = listed.insert(
                item["id"].as_str().unwrap().to_owned(),
                item["body"]["text"].as_str().unwrap().to_owned(),
            );
            assert!(previous.is_none(), "listed twice: {item}");
        }
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(listed.len(), WRITERS * NOTES_EACH + 1);
    for (id, text, _) in &created {
        assert_eq!(listed.get(id), Some(text), "record {id}");
    }

    // Competing updates of one version through the two processes: exactly
    // one wins each round, the other gets 412; no update is lost.
    let mut etag = a
        .call("GET", &format!("/v1/records/{first_id}"), &people.eva, None)
        .etag
        .unwrap();
    for round in 0..5 {
        let answers = at_once_through_each(processes, |p, process| {
            process
                .try_call(
                    &support::agent(),
                    "PUT",
                    &format!("/v1/records/{first_id}"),
                    &people.eva,
                    Some(&json!({"body": {"text": format!("round {round} via {p}")}})),
                    &[("If-Match", &etag)],
                )
                .unwrap()
                .status
        });
        assert_eq!(sorted(&answers), [200, 412], "round {round}: {answers:?}");
        etag = b
            .call("GET", &format!("/v1/records/{first_id}"), &people.eva, None)
            .etag
            .unwrap();
        assert_eq!(etag, format!("\"{}\"", round + 2));
    }

    // Every case-data decision audited exactly once, in one strictly increasing order.
    let events = all_audit_events(processes, &people.auditor);
    let mut per_request: BTreeMap<&str, usize> = BTreeMap::new();
    let mut seqs = BTreeSet::new();
    let mut last = 0;
    for event in &events {
        *per_request
            .entry(event["request_id"].as_str().unwrap())
            .or_default() += 1;
        let seq = event["seq"].as_i64().unwrap();
        assert!(seq > last, "audit pages are in sequence order");
        last = seq;
        assert!(seqs.insert(seq));
    }
    for (_, _, request_id) in &created {
        assert_eq!(
            per_request.get(request_id.as_str()),
            Some(&1),
            "create {request_id}"
        );
    }
    for request_id in &read_ids {
        assert_eq!(
            per_request.get(request_id.as_str()),
            Some(&1),
            "read {request_id}"
        );
    }
    assert_eq!(
        events
            .iter()
            .filter(|e| e["action"] == "record.create" && e["decision"] == "allow")
            .count(),
        WRITERS * NOTES_EACH + 1
    );

    // The same person registered through both processes at once: one
    // client, the other answer is 409 (the blind index is unique).
    let answers = at_once_through_each(processes, |_, process| {
        process
            .try_call(
                &support::agent(),
                "POST",
                "/v1/clients",
                &people.coordinator,
                Some(&json!({"personal_number": "19121212-1212", "name": "Tolvan Tolvansson"})),
                &[],
            )
            .unwrap()
            .status
    });
    assert_eq!(sorted(&answers), [201, 409], "{answers:?}");

    // The same assignment through both processes at once, three rounds:
    // the partial unique index lets exactly one open assignment through.
    for pn in ["19800101-1231", "19800102-1230", "19800103-1239"] {
        let r = a.call(
            "POST",
            "/v1/clients",
            &people.coordinator,
            Some(&json!({"personal_number": pn, "name": "Ali Svensson"})),
        );
        assert_eq!(r.status, 201, "{:?}", r.body);
        let path = format!("/v1/clients/{}/assignments", r.id());
        let answers = at_once_through_each(processes, |_, process| {
            process
                .try_call(
                    &support::agent(),
                    "POST",
                    &path,
                    &people.coordinator,
                    Some(&json!({"officer_id": people.eva_id})),
                    &[],
                )
                .unwrap()
                .status
        });
        assert_eq!(sorted(&answers), [201, 409], "{answers:?}");
    }

    // A withdrawal through one process is refused by the other at once,
    // in both directions.
    let (client2, consent2) = client_with_consent(&a, &people, "19850372-2343");
    let r = b.call(
        "POST",
        &format!("/v1/clients/{client2}/records"),
        &people.eva,
        Some(&json!({"kind": "note", "body": {"text": "x"}})),
    );
    assert_eq!(r.status, 201);
    let record2 = r.id();
    for (withdraw_via, read_via, consent, record) in
        [(&a, &b, &consent, &first_id), (&b, &a, &consent2, &record2)]
    {
        assert_eq!(
            read_via
                .call("GET", &format!("/v1/records/{record}"), &people.eva, None)
                .status,
            200
        );
        let r = withdraw_via.call(
            "POST",
            &format!("/v1/consents/{consent}/withdraw"),
            &people.coordinator,
            Some(&json!({"reason": "Återkallat"})),
        );
        assert_eq!(r.status, 200, "{:?}", r.body);
        let r = read_via.call("GET", &format!("/v1/records/{record}"), &people.eva, None);
        assert_eq!(
            (r.status, r.body["reason"].as_str()),
            (403, Some("consent-withdrawn")),
            "{:?}",
            r.body
        );
    }
    let _ = people.admin;
}

#[test]
fn processes_starting_at_once_on_an_empty_database_migrate_once() {
    let Some(database) = TestDatabase::create(Backend::Postgres) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let site = support::Site::new(dir.path(), &database.url_string());
    site.run(&["keys", "init"]);
    // Both run the migrations at start; the advisory lock makes one wait.
    let (a, b) = std::thread::scope(|scope| {
        let a = scope.spawn(|| site.serve("a"));
        let b = scope.spawn(|| site.serve("b"));
        (a.join().unwrap(), b.join().unwrap())
    });
    let admin_id = support::bootstrap(&site);
    let people = set_up(&site, &a, &b, &admin_id);
    let (client, _) = client_with_consent(&b, &people, "19900101-1239");
    let r = a.call(
        "POST",
        &format!("/v1/clients/{client}/records"),
        &people.eva,
        Some(&json!({"kind": "note", "body": {"text": "x"}})),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let applied: Count = diesel::sql_query("SELECT COUNT(*) AS n FROM __diesel_schema_migrations")
        .get_result(&mut database.connect())
        .unwrap();
    let migrations = std::fs::read_dir(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../migrations/postgres"
    ))
    .unwrap()
    .count();
    assert_eq!(applied.n, migrations as i64, "each migration recorded once");
    // `ingang migrate` (a Kubernetes Job before a rollout) finds nothing to do.
    assert_eq!(site.run(&["migrate"]), "migrations applied");
}
