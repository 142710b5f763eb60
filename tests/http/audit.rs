use ingang_tests::{TestServer, World};
use serde_json::{json, Value};

fn items(r: &ingang_tests::Resp) -> Vec<Value> {
    r.body["items"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("{}", r.text))
}

#[test]
fn every_read_is_audited_one_entry_per_record() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    let n1 = world.note(&world.af, "a");
    let n2 = world.note(&world.soc, "b");
    let r = s.get(
        &format!("/v1/clients/{}/records", world.client),
        &world.af.token,
    );
    assert_eq!(items(&r).len(), 2);
    let q = format!(
        "/v1/audit/events?client_id={}&actor_id={}&action=record.read",
        world.client, world.af.id
    );
    let events = items(&s.get(&q, &world.auditor.token));
    let mut read: Vec<&str> = events
        .iter()
        .map(|e| e["record_id"].as_str().unwrap())
        .collect();
    read.sort_unstable();
    let mut expected = [n1.as_str(), n2.as_str()];
    expected.sort_unstable();
    assert_eq!(read, expected);
    for e in &events {
        assert_eq!(
            (e["decision"].as_str(), e["consent_id"].as_str()),
            (Some("allow"), Some(world.consent.as_str()))
        );
        assert_eq!(e["actor_agency"], "af");
        assert!(e["request_id"].as_str().unwrap().len() >= 32);
    }
    // The auditor's own query is in the log too.
    let own = items(&s.get(
        &format!(
            "/v1/audit/events?actor_id={}&action=audit.query",
            world.auditor.id
        ),
        &world.auditor.token,
    ));
    assert!(!own.is_empty());
}

#[test]
fn filters_and_cursor_pagination() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    for _ in 0..3 {
        s.get(&format!("/v1/clients/{}", world.client), &world.psyk.token);
    }
    let base = format!(
        "/v1/audit/events?actor_id={}&decision=deny&agency=psyk",
        world.psyk.id
    );
    let all = items(&s.get(&base, &world.auditor.token));
    assert_eq!(all.len(), 3);
    assert!(all
        .iter()
        .all(|e| e["reason"] == "no-active-consent" && e["action"] == "client.read"));
    let page1 = s.get(&format!("{base}&limit=2"), &world.auditor.token);
    assert_eq!(items(&page1).len(), 2);
    let cursor = page1.body["next_cursor"].as_str().unwrap();
    let page2 = s.get(
        &format!("{base}&limit=2&cursor={cursor}"),
        &world.auditor.token,
    );
    assert_eq!(items(&page2).len(), 1);
    assert_eq!(items(&page2)[0]["seq"], all[2]["seq"]);
    // Time window: nothing in the future, everything since an hour ago.
    let soon = (chrono::Utc::now() + chrono::Duration::hours(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let past = (chrono::Utc::now() - chrono::Duration::hours(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert_eq!(
        items(&s.get(&format!("{base}&from={soon}"), &world.auditor.token)).len(),
        0
    );
    assert_eq!(
        items(&s.get(
            &format!("{base}&from={past}&to={soon}"),
            &world.auditor.token
        ))
        .len(),
        3
    );
    // Bad filters are named.
    for (query, field) in [
        ("decision=maybe", "decision"),
        ("limit=0", "limit"),
        ("agency=NOPE", "agency"),
        ("cursor=zzz", "cursor"),
        ("cursor=-1", "cursor"),
        ("action=record.delete", "action"),
        ("action=RECORD.READ", "action"),
        ("from=yesterday", "query"),
        ("to=2026-13-01T00:00:00Z", "query"),
    ] {
        let r = s.get(&format!("/v1/audit/events?{query}"), &world.auditor.token);
        assert_eq!(
            (r.status, r.body["field"].as_str()),
            (400, Some(field)),
            "{query}: {}",
            r.text
        );
    }
    let r = s.get("/v1/audit/events?client_id=nope", &world.auditor.token);
    assert_eq!(r.status, 400);
    // Only auditors query the log, by client and by officer too (the
    // queries that go through the lookups): a refusal names its reason
    // and carries no entry.
    for who in [&world.coordinator, &world.af, &world.admin] {
        for query in [
            String::new(),
            format!("?client_id={}", world.client),
            format!("?actor_id={}", world.af.id),
        ] {
            let r = s.get(&format!("/v1/audit/events{query}"), &who.token);
            assert_eq!(r.body["reason"], "role-not-permitted", "{query}");
            assert!(r.body.get("items").is_none(), "{}", r.text);
        }
    }
}

#[test]
fn the_clients_access_log_extract() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    world.note(&world.af, "x");
    s.get(
        &format!("/v1/clients/{}/records", world.client),
        &world.soc.token,
    );
    let path = format!("/v1/clients/{}/access-log", world.client);
    for who in [&world.coordinator, &world.auditor] {
        let r = s.get(&path, &who.token);
        assert_eq!(r.status, 200, "{}", r.text);
        let events = items(&r);
        assert!(events
            .iter()
            .all(|e| e["client_id"] == world.client.as_str()));
        assert!(events
            .iter()
            .any(|e| e["actor_id"] == world.soc.id.as_str() && e["action"] == "record.read"));
    }
    // Hidden: the same 404 as a client that does not exist, with no entry.
    for who in [&world.af, &world.admin] {
        let r = s.get(&path, &who.token);
        assert_eq!(r.status, 404);
        assert!(r.body.get("items").is_none(), "{}", r.text);
        assert!(!r.text.contains("record.read"), "{}", r.text);
    }
    assert_eq!(
        s.get(
            &format!("/v1/clients/{}/access-log", uuid::Uuid::new_v4()),
            &world.coordinator.token
        )
        .status,
        404
    );
}

#[test]
fn reads_fail_closed_when_the_audit_store_fails() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    let record = world.note(&world.af, "Hemlig anteckning om hälsa");
    s.break_audit_store();
    for path in [
        format!("/v1/records/{record}"),
        format!("/v1/clients/{}/records", world.client),
        format!("/v1/clients/{}", world.client),
    ] {
        let r = s.get(&path, &world.af.token);
        assert_eq!(
            (r.status, r.problem().as_str()),
            (503, "audit-unavailable"),
            "{path}"
        );
        assert!(
            !r.text.contains("Hemlig") && !r.text.contains("Ali"),
            "{}",
            r.text
        );
    }
    // Denials are not answered without their entry either.
    assert_eq!(
        s.get(&format!("/v1/records/{record}"), &world.psyk.token)
            .status,
        503
    );
    let r = s.post(
        &format!("/v1/clients/{}/records", world.client),
        &world.af.token,
        json!({"kind": "note", "body": {"text": "y"}}),
    );
    assert_eq!(r.status, 503);
    s.repair_audit_store();
    let r = s.get(&format!("/v1/records/{record}"), &world.af.token);
    assert_eq!(r.status, 200);
    // The refused write left nothing behind.
    assert_eq!(
        items(&s.get(
            &format!("/v1/clients/{}/records", world.client),
            &world.af.token
        ))
        .len(),
        1
    );
}

/// Concurrent reads share commits (group commit) yet each is audited
/// exactly once, with its own request id.
#[test]
fn concurrent_reads_are_each_audited_exactly_once() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    let record = world.note(&world.af, "concurrent");
    let path = format!("/v1/records/{record}");
    let (threads, reads) = (8, 15);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                for _ in 0..reads {
                    assert_eq!(s.get(&path, &world.af.token).status, 200);
                }
            });
        }
    });
    let q = format!(
        "/v1/audit/events?actor_id={}&action=record.read&limit=200",
        world.af.id
    );
    let events = items(&s.get(&q, &world.auditor.token));
    assert_eq!(events.len(), threads * reads);
    let mut request_ids: Vec<&str> = events
        .iter()
        .map(|e| e["request_id"].as_str().unwrap())
        .collect();
    request_ids.sort_unstable();
    request_ids.dedup();
    assert_eq!(request_ids.len(), threads * reads, "one entry per request");
    let stats = s.state.store.audit().stats();
    let entries = stats.entries.load(std::sync::atomic::Ordering::Relaxed);
    let batches = stats.batches.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        entries >= (threads * reads) as u64 && batches <= entries,
        "{entries} entries in {batches} commits"
    );
}

/// Behind a trusted load balancer the audit log records the client's
/// address from `X-Forwarded-For`; from anyone else the header is ignored.
#[test]
fn the_source_address_is_taken_from_trusted_proxies_only() {
    let read_from = |trusted: bool| -> Option<String> {
        let server = TestServer::start_with(crate::BACKEND, |c| {
            if trusted {
                // The test client connects from 127.0.0.1: here, the balancer.
                c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
            }
        })?;
        let world = World::on(server);
        let s = &world.server;
        let record = world.note(&world.af, "x");
        let r = s.request(
            "GET",
            &format!("/v1/records/{record}"),
            Some(&world.af.token),
            None,
            &[("X-Forwarded-For", "198.51.100.23, 203.0.113.7")],
        );
        assert_eq!(r.status, 200);
        let events = s.get("/v1/audit/events?action=record.read", &world.auditor.token);
        let items = items(&events);
        assert_eq!(items.len(), 1, "{}", events.text);
        Some(items[0]["source_addr"].as_str().unwrap().to_owned())
    };
    let Some(behind_proxy) = read_from(true) else {
        return;
    };
    assert_eq!(behind_proxy, "203.0.113.7");
    assert_eq!(read_from(false).unwrap(), "127.0.0.1");
}

/// The audited time is the time of the decision: a list's gate and each
/// record it returned were decided at one moment, and carry it.
#[test]
fn one_list_is_decided_and_audited_at_one_moment() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    for text in ["a", "b", "c"] {
        world.note(&world.af, text);
    }
    let r = s.get(
        &format!("/v1/clients/{}/records", world.client),
        &world.soc.token,
    );
    assert_eq!(r.body["items"].as_array().unwrap().len(), 3);
    let events = s.get(
        &format!("/v1/audit/events?actor_id={}&limit=200", world.soc.id),
        &world.auditor.token,
    );
    let events = events.body["items"].as_array().unwrap().clone();
    let list: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["action"] == "record.list" || e["action"] == "record.read")
        .collect();
    assert_eq!(list.len(), 4, "{events:?}");
    assert!(list
        .iter()
        .all(|e| e["request_id"] == list[0]["request_id"]));
    assert!(
        list.iter().all(|e| e["at"] == list[0]["at"]),
        "one moment per decision: {list:?}"
    );
}
