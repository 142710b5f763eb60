//! The database going away and coming back, and shutting down under load.
//!
//! * PostgreSQL stops under a running `ingang serve`: every request answers
//!   503 (never data without its audit entry, never a 500), `/readyz` says
//!   the database is unavailable, and once the database is back the service
//!   recovers by itself — pool and audit writer reconnect — with no restart.
//! * SIGTERM under load: in-flight requests finish, every answered read has
//!   its audit entry stored, and the process exits cleanly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::wildcard_enum_match_arm
)]

mod support;

use ingang_testdb::{Backend, TestDatabase};
use serde_json::json;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use support::{bootstrap, client_with_consent, set_up, Site};

/// One `ingang serve` on `database_url` with the cast, a consented client
/// and one note ("Hemlig anteckning"); returns the path that reads it.
fn one_process_with_a_record(
    root: &std::path::Path,
    database_url: &str,
) -> (Site, support::ServeProcess, support::People, String, String) {
    let mut site = Site::new(root, database_url);
    // Give up on an unreachable database after 1 s instead of 5.
    site.env.push(("INGANG_DB_TIMEOUT_SECS".into(), "1".into()));
    let admin_id = bootstrap(&site);
    let a = site.serve("a");
    let people = set_up(&site, &a, &a, &admin_id);
    let (client, _) = client_with_consent(&a, &people, "19900101-1239");
    let r = a.call(
        "POST",
        &format!("/v1/clients/{client}/records"),
        &people.eva,
        Some(&json!({"kind": "note", "body": {"text": "Hemlig anteckning"}})),
    );
    assert_eq!(r.status, 201);
    let read = format!("/v1/records/{}", r.id());
    (site, a, people, client, read)
}

/// Sets the cluster's `lc_messages` to Swedish if the operating system has
/// the locale, and says whether the server now answers in Swedish.
fn swedish_messages(admin_url: &str) -> bool {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    let mut admin = diesel::PgConnection::establish(admin_url).unwrap();
    let set = admin
        .batch_execute("ALTER SYSTEM SET lc_messages = 'sv_SE.UTF-8'")
        .and_then(|()| admin.batch_execute("SELECT pg_reload_conf()"));
    if let Err(e) = set {
        eprintln!("note: PostgreSQL keeps English messages ({e})");
        return false;
    }
    // A new session picks the setting up; its errors are then in Swedish.
    std::thread::sleep(Duration::from_millis(200));
    let mut fresh = diesel::PgConnection::establish(admin_url).unwrap();
    match fresh.batch_execute("SELECT 1 / 0") {
        Err(diesel::result::Error::DatabaseError(_, info)) => {
            let message = info.message().to_owned();
            !message.contains("division by zero")
        }
        Err(_) | Ok(()) => false,
    }
}

#[test]
fn a_database_outage_answers_503_and_the_service_recovers_by_itself() {
    let Some(cluster) = ingang_testdb::own_cluster_or_skip() else {
        return;
    };
    let database = cluster.server().create_database();
    // The server speaks Swedish where the locale exists (CI generates it):
    // outages must be told apart by error kind, never by English text.
    let swedish = swedish_messages(&cluster.admin_url());
    let dir = tempfile::tempdir().unwrap();
    let (_site, a, people, client, read) =
        one_process_with_a_record(dir.path(), &database.url_string());
    assert_eq!(a.call("GET", &read, &people.eva, None).status, 200);
    if std::env::var_os("INGANG_REQUIRE_POSTGRES").is_some() {
        assert!(swedish, "CI must run this with lc_messages in Swedish");
    }

    cluster.stop().unwrap();
    let agent = support::agent();
    let during = [
        ("GET", read.clone(), None),
        ("GET", format!("/v1/clients/{client}/records"), None),
        ("GET", format!("/v1/clients/{client}"), None),
        (
            "POST",
            format!("/v1/clients/{client}/records"),
            Some(json!({"kind": "note", "body": {"text": "under the outage"}})),
        ),
        ("GET", read.clone(), None),
    ];
    for (method, path, body) in &during {
        let r = a
            .try_call(&agent, method, path, &people.eva, body.as_ref(), &[])
            .unwrap();
        assert_eq!(r.status, 503, "{method} {path}: {:?}", r.body);
        let problem = r.body["type"].as_str().unwrap();
        assert!(
            problem.ends_with("service-unavailable") || problem.ends_with("audit-unavailable"),
            "{problem}"
        );
        assert!(!r.body.to_string().contains("Hemlig"));
    }
    let ready = a.try_call(&agent, "GET", "/readyz", "", None, &[]).unwrap();
    assert_eq!(
        (ready.status, ready.body["database"].as_str()),
        (503, Some("unavailable"))
    );
    assert_eq!(
        a.try_call(&agent, "GET", "/healthz", "", None, &[])
            .unwrap()
            .status,
        200,
        "the process itself stays alive"
    );

    cluster.resume().unwrap();
    assert!(cluster.wait_ready(Duration::from_secs(30)));
    // Recovery needs no restart: within a few requests reads succeed again.
    let until = Instant::now() + Duration::from_secs(30);
    let recovered = loop {
        let r = a
            .try_call(&agent, "GET", &read, &people.eva, None, &[])
            .unwrap();
        if r.status == 200 {
            break r;
        }
        assert_eq!(r.status, 503, "{:?}", r.body);
        assert!(Instant::now() < until, "did not recover: {}", a.log_text());
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(recovered.body["body"]["text"], "Hemlig anteckning");
    for _ in 0..20 {
        assert_eq!(
            a.try_call(&agent, "GET", &read, &people.eva, None, &[])
                .unwrap()
                .status,
            200
        );
    }
    assert_eq!(a.call("GET", "/readyz", "", None).status, 200);
    // The write refused during the outage left nothing; the read after it
    // has its audit entry.
    let list = a.call(
        "GET",
        &format!("/v1/clients/{client}/records"),
        &people.eva,
        None,
    );
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    let audit = a.call(
        "GET",
        &format!("/v1/audit/events?client_id={client}&limit=200"),
        &people.auditor,
        None,
    );
    assert!(audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["request_id"] == recovered.request_id.as_str()));
}

#[test]
fn sigterm_lets_in_flight_requests_finish_with_their_audit_entries() {
    let database = TestDatabase::create(Backend::Sqlite).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (site, mut a, people, _, read) =
        one_process_with_a_record(dir.path(), &database.url_string());

    let served: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                let (a, read, eva) = (&a, &read, &people.eva);
                scope.spawn(move || {
                    let agent = support::agent();
                    let mut ids = vec![];
                    // Until the server stops answering.
                    while let Ok(r) = a.try_call(&agent, "GET", read, eva, None, &[]) {
                        assert_eq!(r.status, 200, "{:?}", r.body);
                        ids.push(r.request_id);
                    }
                    ids
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(700));
        let pid = a.child.id().to_string();
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        workers
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert!(
        a.terminate(Duration::from_secs(30)),
        "clean exit: {}",
        a.log_text()
    );
    assert!(served.len() > 10, "the load ran: {}", served.len());
    assert!(
        a.log_text().contains("stopped; audit log"),
        "{}",
        a.log_text()
    );

    // Every answered read is in the audit log.
    let b = site.serve("b");
    let mut logged = BTreeSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/audit/events?action=record.read&limit=200&cursor={c}"),
            None => "/v1/audit/events?action=record.read&limit=200".to_owned(),
        };
        let r = b.call("GET", &path, &people.auditor, None);
        for e in r.body["items"].as_array().unwrap() {
            logged.insert(e["request_id"].as_str().unwrap().to_owned());
        }
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    for id in &served {
        assert!(
            logged.contains(id),
            "read {id} answered without its audit entry"
        );
    }
}
