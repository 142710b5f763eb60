use ingang_tests::{consent_body, metric, World};
use serde_json::json;

#[test]
fn write_read_and_version_records() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    let plan = json!({"kind": "action_plan", "body": {"goals": ["Arbete"], "overall_responsibility": "af",
        "activities": [{"type": "internship", "extent_percent": 100, "from": "2026-02-01", "to": "2026-04-30"}]}});
    let r = s.post(
        &format!("/v1/clients/{}/records", world.client),
        &world.af.token,
        plan,
    );
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        (
            r.etag.as_deref(),
            r.body["source_agency"].as_str(),
            r.body["version"].as_i64()
        ),
        (Some("\"1\""), Some("af"), Some(1))
    );
    let record = r.id();
    let path = format!("/v1/records/{record}");

    // Both named officers read it (the consent covers af and soc as sources).
    for who in [&world.af, &world.soc] {
        let r = s.get(&path, &who.token);
        assert_eq!(
            (r.status, r.etag.as_deref()),
            (200, Some("\"1\"")),
            "{}",
            r.text
        );
        assert_eq!(
            r.cache_control.as_deref(),
            Some("no-store"),
            "case data must not be cached"
        );
        assert_eq!(r.body["body"]["activities"][0]["type"], "internship");
    }
    // New versions need If-Match and come only from the authoring agency.
    let v2 = json!({"body": {"goals": ["Arbete", "Körkort"], "overall_responsibility": "af", "activities": []}});
    let r = s.put(&path, &world.af.token, v2.clone(), None);
    assert_eq!((r.status, r.problem().as_str()), (428, "if-match-required"));
    let r = s.put(&path, &world.af.token, v2.clone(), Some("\"7\""));
    assert_eq!((r.status, r.problem().as_str()), (412, "version-mismatch"));
    let r = s.put(&path, &world.soc.token, v2.clone(), Some("\"1\""));
    assert_eq!(
        (r.status, r.body["reason"].as_str()),
        (403, Some("not-authoring-agency"))
    );
    let r = s.put(
        &path,
        &world.af.token,
        json!({"body": {"goals": []}}),
        Some("\"1\""),
    );
    assert_eq!(r.status, 400, "{}", r.text);
    let r = s.put(&path, &world.af.token, v2.clone(), Some("\"1\""));
    assert_eq!(
        (r.status, r.etag.as_deref(), r.body["version"].as_i64()),
        (200, Some("\"2\""), Some(2)),
        "{}",
        r.text
    );
    let r = s.put(&path, &world.af.token, v2, Some("\"1\""));
    assert_eq!(r.status, 412, "a second writer of version 1 loses");
    let r = s.get(&path, &world.soc.token);
    assert_eq!(r.body["body"]["goals"], json!(["Arbete", "Körkort"]));
    // Lists show the current version too.
    let r = s.get(
        &format!("/v1/clients/{}/records", world.client),
        &world.soc.token,
    );
    assert_eq!(r.body["items"][0]["version"], 2);
    assert_eq!(
        r.body["items"][0]["body"]["goals"],
        json!(["Arbete", "Körkort"])
    );
    // If-Match as RFC 9110 reads it: a malformed header is named, never
    // guessed at; a well-formed tag that does not match is 412 (weak tags
    // never match); `*` does not say which version was read (428).
    let amend = json!({"body": {"goals": ["x"], "overall_responsibility": "af", "activities": []}});
    for (if_match, status, problem) in [
        ("2", 400, "validation-failed"),
        ("\"2", 400, "validation-failed"),
        ("\"two\"", 412, "version-mismatch"),
        ("\"stale\"", 412, "version-mismatch"),
        ("W/\"2\"", 412, "version-mismatch"),
        ("\"1\", W/\"2\"", 412, "version-mismatch"),
        ("*", 428, "if-match-required"),
    ] {
        let r = s.put(&path, &world.af.token, amend.clone(), Some(if_match));
        assert_eq!(
            (r.status, r.problem().as_str()),
            (status, problem),
            "{if_match}: {}",
            r.text
        );
        if status == 400 {
            assert_eq!(r.body["field"], "If-Match", "{if_match}");
        }
    }
    // A list matches when any strong tag names the stored version.
    let r = s.put(&path, &world.af.token, amend.clone(), Some("\"1\", \"2\""));
    assert_eq!(
        (r.status, r.etag.as_deref()),
        (200, Some("\"3\"")),
        "{}",
        r.text
    );
    // A body may repeat the record's own kind, never name another.
    let with_kind = |kind: &str| json!({"kind": kind, "body": {"goals": ["y"], "overall_responsibility": "af", "activities": []}});
    let r = s.put(
        &path,
        &world.af.token,
        with_kind("action_plan"),
        Some("\"3\""),
    );
    assert_eq!(
        (r.status, r.etag.as_deref()),
        (200, Some("\"4\"")),
        "{}",
        r.text
    );
    for other in ["note", "colour"] {
        let r = s.put(&path, &world.af.token, with_kind(other), Some("\"4\""));
        assert_eq!(
            (r.status, r.body["field"].as_str()),
            (400, Some("kind")),
            "{other}: {}",
            r.text
        );
    }
    // A caller who may not write learns neither the kind nor the version:
    // the denial comes first, and a hidden caller gets the missing id's 404.
    let missing = s.put(
        &format!("/v1/records/{}", uuid::Uuid::new_v4()),
        &world.unassigned.token,
        with_kind("note"),
        Some("\"stale\""),
    );
    for (who, status, reason) in [
        (&world.soc, 403, Some("not-authoring-agency")),
        (&world.unassigned, 404, None),
    ] {
        let r = s.put(&path, &who.token, with_kind("note"), Some("\"stale\""));
        assert_eq!(
            (r.status, r.body["reason"].as_str()),
            (status, reason),
            "{}",
            r.text
        );
        assert!(!r.text.contains("action_plan") && !r.text.contains("version"));
        if status == 404 {
            assert_eq!(r.text, missing.text);
        }
    }

    // Old versions are kept.
    use diesel::prelude::*;
    let mut db = s.raw_db();
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let count: Count = diesel::sql_query(format!(
        "SELECT COUNT(*) AS n FROM record_versions WHERE record_id = '{record}'"
    ))
    .get_result(&mut db)
    .unwrap();
    assert_eq!(count.n, 4);
}

#[test]
fn denied_callers_get_nothing() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    // Read first by the officer the consent names, twice: the record, its
    // body and the client's wrapped key are then all kept in memory, and
    // the callers below are decided on what is kept — and still get nothing.
    let path = world.kept_note(&world.af, "Praktikplats hos ICA från februari");
    // Each caller twice: the second time their account is kept too, so the
    // read is decided kept first, with no statement before its entry.
    for _ in 0..2 {
        let r = s.get(&path, &world.psyk.token);
        assert_eq!(
            (r.status, r.body["reason"].as_str()),
            (403, Some("no-active-consent"))
        );
        assert!(!r.text.contains("Praktikplats"));
    }
    let missing = s.get(
        &format!("/v1/records/{}", uuid::Uuid::new_v4()),
        &world.unassigned.token,
    );
    for who in [
        &world.unassigned,
        &world.coordinator,
        &world.auditor,
        &world.admin,
        &world.af_system,
    ] {
        for _ in 0..2 {
            let r = s.get(&path, &who.token);
            assert_eq!((r.status, &r.text), (404, &missing.text), "{:?}", who.roles);
        }
    }
    // Every refusal is audited, each once: 2 + 5 × 2.
    let refused = s.get(
        &format!(
            "/v1/audit/events?client_id={}&action=record.read&decision=deny",
            world.client
        ),
        &world.auditor.token,
    );
    assert_eq!(refused.status, 200, "{}", refused.text);
    assert_eq!(refused.body["items"].as_array().unwrap().len(), 12);
    // Psychiatry is assigned but not named: it may not write either.
    let r = s.post(
        &format!("/v1/clients/{}/records", world.client),
        &world.psyk.token,
        json!({"kind": "note", "body": {"text": "x"}}),
    );
    assert_eq!(
        (r.status, r.body["reason"].as_str()),
        (403, Some("no-active-consent"))
    );
}

#[test]
fn a_kept_record_is_answered_on_the_http_worker_and_audited_each_time() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    let record = world.note(&world.af, "Praktikplats hos ICA från februari");
    let path = format!("/v1/records/{record}");
    let kept_only = || {
        let text = s.request("GET", "/metrics", None, None, &[]).text;
        metric(&text, "ingang_reads_answered_kept_only_total")
    };
    let before = kept_only();
    // The first read loads what it needs on the worker pool and keeps it;
    // the next ones are decided, audited and answered from memory.
    let first = s.get(&path, &world.af.token);
    assert_eq!(first.status, 200, "{}", first.text);
    for _ in 0..3 {
        let r = s.get(&path, &world.af.token);
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body, first.body);
        assert_eq!(r.etag, first.etag);
    }
    assert_eq!(kept_only() - before, 3.0);
    // Each read audited once, the kept ones as the first.
    let reads = format!(
        "client_id={}&actor_id={}&action=record.read",
        world.client, world.af.id
    );
    let entries = audit_entries(&world, &reads);
    assert_eq!(entries.len(), 4);
    for entry in &entries {
        assert_eq!(entry["decision"], "allow");
        assert_eq!(entry["record_id"], json!(record));
        assert_eq!(entry["consent_id"], entries[0]["consent_id"]);
    }
    // A caller refused is never answered from memory: decided where the
    // epochs can be read, and audited, each time once.
    for _ in 0..2 {
        let r = s.get(&path, &world.psyk.token);
        assert_eq!(r.status, 403, "{}", r.text);
    }
    assert_eq!(kept_only() - before, 3.0);
    let refused = format!(
        "actor_id={}&action=record.read&decision=deny",
        world.psyk.id
    );
    assert_eq!(audit_entries(&world, &refused).len(), 2);
    // A caller the record is hidden from gets exactly a missing id's 404,
    // never from memory, and is audited each time.
    let missing = s.get(
        &format!("/v1/records/{}", uuid::Uuid::new_v4()),
        &world.unassigned.token,
    );
    assert_eq!(missing.status, 404, "{}", missing.text);
    for _ in 0..2 {
        let r = s.get(&path, &world.unassigned.token);
        assert_eq!((r.status, &r.text), (404, &missing.text));
    }
    assert_eq!(kept_only() - before, 3.0);
    let hidden = format!(
        "actor_id={}&action=record.read&decision=deny",
        world.unassigned.id
    );
    let hidden = audit_entries(&world, &hidden);
    let of_the_note = hidden.iter().filter(|e| e["record_id"] == json!(record));
    assert_eq!(of_the_note.count(), 2, "{hidden:?}");
}

#[test]
fn a_kept_read_whose_epochs_moved_is_answered_from_the_database_and_audited_once() {
    use diesel::prelude::*;
    use ingang_store::schema::officers;
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    let path = world.kept_note(&world.af, "Praktikplats hos ICA från februari");
    let counters = || {
        let text = s.request("GET", "/metrics", None, None, &[]).text;
        (
            metric(&text, "ingang_reads_answered_kept_only_total"),
            metric(&text, "ingang_audit_decided_again_total"),
        )
    };
    let (kept, again) = counters();
    // A tool changes an account around the process: the policy epoch
    // moves, and nothing in this process has read it.
    diesel::update(officers::table.filter(officers::id.eq(&world.psyk.id)))
        .set(officers::deactivated_at.eq(None::<i64>))
        .execute(&mut s.raw_db())
        .unwrap();
    // Decided on the worker under the old epochs, found stale at the
    // commit, nothing stored; decided again on the worker pool, answered.
    let r = s.get(&path, &world.af.token);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(counters(), (kept, again + 1.0));
    // Kept again under the new epochs: the next read stays on the worker.
    assert_eq!(s.get(&path, &world.af.token).status, 200);
    assert_eq!(counters(), (kept + 1.0, again + 1.0));
    let reads = format!(
        "client_id={}&actor_id={}&action=record.read",
        world.client, world.af.id
    );
    assert_eq!(audit_entries(&world, &reads).len(), 4);
}

/// The audit log's entries that `query` (of `/v1/audit/events`) finds, as
/// the auditor reads them.
fn audit_entries(world: &World, query: &str) -> Vec<serde_json::Value> {
    let r = world
        .server
        .get(&format!("/v1/audit/events?{query}"), &world.auditor.token);
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["items"].as_array().unwrap().clone()
}

#[test]
fn lists_show_only_what_the_consent_covers_newest_first() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    let n1 = world.note(&world.af, "first");
    let n2 = world.note(&world.soc, "second");
    let n3 = world.note(&world.af, "third");
    let path = format!("/v1/clients/{}/records", world.client);
    let r = s.get(&path, &world.af.token);
    let ids: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [n3.as_str(), n2.as_str(), n1.as_str()]);
    assert!(r.body["next_cursor"].is_null());
    // Each item carries its own record's body (read one record at a time on
    // SQLite, in one statement on PostgreSQL).
    let texts: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["body"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["third", "second", "first"]);

    // Pagination with a cursor.
    let page1 = s.get(&format!("{path}?limit=2"), &world.af.token);
    assert_eq!(page1.body["items"].as_array().unwrap().len(), 2);
    let cursor = page1.body["next_cursor"].as_str().unwrap();
    let page2 = s.get(&format!("{path}?limit=2&cursor={cursor}"), &world.af.token);
    let ids: Vec<&str> = page2.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [n1.as_str()]);
    assert!(page2.body["next_cursor"].is_null());
    assert_eq!(
        s.get(&format!("{path}?cursor=garbage"), &world.af.token)
            .body["field"],
        "cursor"
    );
    // Only the cursors the contract's pattern describes: the position's
    // id in the lower-case form the service writes, digits before it.
    let upper = cursor.to_uppercase();
    for bad in ["1_", "_1", upper.as_str(), "12345678901234567890_x"] {
        let r = s.get(&format!("{path}?cursor={bad}"), &world.af.token);
        assert_eq!(
            (r.status, r.body["field"].as_str()),
            (400, Some("cursor")),
            "{bad}: {}",
            r.text
        );
    }

    // Försäkringskassan's officer: consent for af notes only.
    let r = s.post(
        &format!("/v1/clients/{}/assignments", world.client),
        &world.coordinator.token,
        json!({"officer_id": world.fk.id}),
    );
    assert_eq!(r.status, 201);
    let r = s.post(
        &format!("/v1/clients/{}/consents", world.client),
        &world.coordinator.token,
        consent_body(&[&world.fk.id], &[], &["af"], &["note"]),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let plan = s.post(&path, &world.af.token, json!({"kind": "action_plan", "body": {"goals": ["g"], "overall_responsibility": "af", "activities": []}}));
    let r = s.get(&path, &world.fk.token);
    let ids: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [n3.as_str(), n1.as_str()],
        "only af notes; no count of the hidden ones"
    );
    assert_eq!(r.text.matches("\"id\"").count(), 2);
    let r = s.get(&format!("/v1/records/{}", plan.id()), &world.fk.token);
    assert_eq!(
        (r.status, r.body["reason"].as_str()),
        (403, Some("outside-consent-scope"))
    );
    let r = s.get(&format!("/v1/records/{n2}"), &world.fk.token);
    assert_eq!(
        (r.status, r.body["reason"].as_str()),
        (403, Some("outside-consent-scope"))
    );
    // A page of one visible record still finds the next visible one.
    let r = s.get(&format!("{path}?limit=1"), &world.fk.token);
    assert_eq!(r.body["items"][0]["id"], n3.as_str());
    let cursor = r.body["next_cursor"].as_str().unwrap();
    let r = s.get(&format!("{path}?limit=1&cursor={cursor}"), &world.fk.token);
    assert_eq!(r.body["items"][0]["id"], n1.as_str());
}

#[test]
fn system_accounts_act_for_their_own_officers() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    let path = format!("/v1/clients/{}/records", world.client);
    let body = json!({"kind": "note", "body": {"text": "från AF:s system"}});
    let obo = |officer: &str| vec![("Ingang-On-Behalf-Of", officer.to_owned())];
    let send = |officer: Option<&str>| {
        let headers = officer.map(obo).unwrap_or_default();
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        s.request(
            "POST",
            &path,
            Some(&world.af_system.token),
            Some(&body),
            &headers,
        )
    };
    let r = send(Some(&world.af.id));
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        (
            r.body["author_id"].as_str(),
            r.body["source_agency"].as_str()
        ),
        (Some(world.af.id.as_str()), Some("af"))
    );
    let r = send(Some(&world.soc.id));
    assert_eq!(
        (r.status, r.body["reason"].as_str()),
        (403, Some("role-not-permitted")),
        "another agency's officer"
    );
    let r = send(None);
    assert_eq!(r.status, 404, "a system account is not an officer");
    let r = send(Some("not-a-uuid"));
    assert_eq!(r.status, 400);
    // An officer cannot act for another officer.
    let r = s.request(
        "GET",
        &path,
        Some(&world.unassigned.token),
        None,
        &[("Ingang-On-Behalf-Of", &world.af.id)],
    );
    assert_eq!(
        (r.status, r.body["reason"].as_str()),
        (403, Some("role-not-permitted"))
    );
}

#[test]
fn record_input_is_validated_and_nothing_is_half_written() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    let path = format!("/v1/clients/{}/records", world.client);
    for (body, field) in [
        (json!({"kind": "diary", "body": {"text": "x"}}), "kind"),
        (json!({"kind": "note", "body": {"text": ""}}), "body.text"),
        (json!({"kind": "note", "body": {"txt": "x"}}), "body"),
        (json!({"kind": "note", "body": "x"}), "body"),
        (json!({"kind": "note"}), "body"),
        (
            json!({"kind": "action_plan", "body": {"goals": ["g"], "overall_responsibility": "af",
            "activities": [{"type": "sick_leave", "extent_percent": 0, "from": "2026-01-01", "to": "2026-01-02"}]}}),
            "body.activities[0].extent_percent",
        ),
        (
            json!({"kind": "action_plan", "body": {"goals": ["g"], "overall_responsibility": "af",
            "activities": [{"type": "sailing", "extent_percent": 10, "from": "2026-01-01", "to": "2026-01-02"}]}}),
            "body.activities[0].type",
        ),
    ] {
        let r = s.post(&path, &world.af.token, body.clone());
        assert_eq!(
            (r.status, r.body["field"].as_str()),
            (400, Some(field)),
            "{body}: {}",
            r.text
        );
    }
    let r = s.get(&path, &world.af.token);
    assert_eq!(r.body["items"].as_array().unwrap().len(), 0);
}
