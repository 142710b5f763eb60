//! A client's life after registration: worklists, protected identity and
//! erasure.

use diesel::prelude::*;
use diesel::sql_types::{Binary, Text};
use ingang_store::crypto::{Place, WrappedKey};
use ingang_tests::{World, CLIENT_PN};
use serde_json::json;

fn names(r: &ingang_tests::Resp) -> Vec<(String, Option<String>)> {
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["id"].as_str().unwrap().to_owned(),
                i["name"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

#[test]
fn worklists_show_names_only_where_the_rule_and_protection_allow() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    let client = world.client.clone();
    // A second client, protected from the start, assigned to Eva with a
    // consent that names her.
    let r = s.post(
        "/v1/clients",
        &world.coordinator.token,
        json!({"personal_number": "19850372-2343", "name": "Lina Nilsson", "protected_identity": true}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let protected = r.id();
    let r = s.post(
        &format!("/v1/clients/{protected}/consents"),
        &world.coordinator.token,
        ingang_tests::consent_body(&[&world.af.id], &[], &[], &[]),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let r = s.post(
        &format!("/v1/clients/{protected}/assignments"),
        &world.coordinator.token,
        json!({"officer_id": world.af.id}),
    );
    assert_eq!(r.status, 201, "{}", r.text);

    // Eva sees both of her clients; the protected one without a name.
    let eva = s.get("/v1/clients", &world.af.token);
    assert_eq!(eva.status, 200, "{}", eva.text);
    assert_eq!(
        names(&eva),
        [
            (client.clone(), Some(ingang_tests::CLIENT_NAME.to_owned())),
            (protected.clone(), None)
        ]
    );
    assert!(!eva.text.contains("Lina"), "{}", eva.text);
    assert_eq!(eva.body["items"][1]["protected_identity"], true);
    assert!(eva.body["items"][0]["assigned_since"].is_string());
    // The single audited identity read still shows the protected name.
    let r = s.get(&format!("/v1/clients/{protected}"), &world.af.token);
    assert_eq!(
        (r.status, r.body["name"].as_str()),
        (200, Some("Lina Nilsson"))
    );

    // Per is assigned but not named in a consent: the client, no name.
    let per = s.get("/v1/clients", &world.psyk.token);
    assert_eq!(names(&per), [(client.clone(), None)]);
    // Ulla has no clients; an auditor has no worklist.
    assert_eq!(names(&s.get("/v1/clients", &world.unassigned.token)), []);
    let r = s.get("/v1/clients", &world.auditor.token);
    assert_eq!(
        (r.status, r.body["reason"].as_str()),
        (403, Some("role-not-permitted"))
    );

    // The coordinator sees every client, never a name, one page at a time.
    let first = s.get("/v1/clients?limit=1", &world.coordinator.token);
    assert_eq!(names(&first), [(client.clone(), None)]);
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    let second = s.get(
        &format!("/v1/clients?limit=1&cursor={cursor}"),
        &world.coordinator.token,
    );
    assert_eq!(names(&second), [(protected.clone(), None)]);
    assert!(second.body["next_cursor"].is_null());

    // Each name shown was audited as a read of that client's identity.
    let r = s.get(
        &format!(
            "/v1/audit/events?actor_id={}&action=client.read&client_id={client}",
            world.af.id
        ),
        &world.auditor.token,
    );
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1, "{}", r.text);

    // Lifting the protection shows the name again; only a coordinator may.
    let r = s.post(
        &format!("/v1/clients/{protected}/protected-identity"),
        &world.af.token,
        json!({"protected": false}),
    );
    assert_eq!(r.status, 404);
    let r = s.post(
        &format!("/v1/clients/{protected}/protected-identity"),
        &world.coordinator.token,
        json!({"protected": false}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["protected_identity"], false);
    let eva = s.get("/v1/clients", &world.af.token);
    assert_eq!(names(&eva)[1].1.as_deref(), Some("Lina Nilsson"));
}

#[derive(QueryableByName)]
struct Sealed {
    #[diesel(sql_type = Text)]
    place: String,
    #[diesel(sql_type = Text)]
    row_id: String,
    #[diesel(sql_type = Binary)]
    ct: Vec<u8>,
}

#[derive(QueryableByName)]
struct StoredKey {
    #[diesel(sql_type = Text)]
    subject_id: String,
    #[diesel(sql_type = Text)]
    kek_id: String,
    #[diesel(sql_type = Binary)]
    wrapped: Vec<u8>,
}

#[test]
fn erasure_shreds_the_client_and_frees_the_personal_number() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    let client = world.client.clone();
    let note = world.note(&world.af, "Samtal om hälsan");
    let path = format!("/v1/clients/{client}/erase");

    // Only a coordinator erases, with a reason.
    let r = s.post(&path, &world.af.token, json!({"reason": "x"}));
    assert_eq!(r.status, 404);
    let r = s.post(&path, &world.coordinator.token, json!({"reason": "  "}));
    assert_eq!((r.status, r.body["field"].as_str()), (400, Some("reason")));
    let r = s.post(
        &format!("/v1/clients/{}/erase", uuid::Uuid::new_v4()),
        &world.coordinator.token,
        json!({"reason": "x"}),
    );
    assert_eq!(r.status, 404);
    // Sealed under the client's key, before erasure.
    let mut db = s.raw_db();
    let sealed: Vec<Sealed> = diesel::sql_query(format!(
        "SELECT 'name' AS place, id AS row_id, name_ct AS ct FROM clients WHERE id = '{client}' \
         UNION ALL SELECT 'personal_number', id, pn_ct FROM clients WHERE id = '{client}' \
         UNION ALL SELECT 'body', record_id, body_ct FROM record_versions WHERE record_id = '{note}' \
         UNION ALL SELECT 'purpose', id, purpose_ct FROM consents WHERE client_id = '{client}'"
    ))
    .load(&mut db)
    .unwrap();
    assert_eq!(sealed.len(), 4);

    let r = s.post(
        &path,
        &world.coordinator.token,
        json!({"reason": "Klientens begäran"}),
    );
    assert_eq!(r.status, 204, "{}", r.text);

    // Every later read answers 410; so does erasing or protecting again.
    for (token, path) in [
        (&world.af.token, format!("/v1/records/{note}")),
        (&world.af.token, format!("/v1/clients/{client}")),
        (&world.af.token, format!("/v1/clients/{client}/records")),
        (&world.af.token, format!("/v1/clients/{client}/plan")),
        (
            &world.coordinator.token,
            format!("/v1/clients/{client}/consents"),
        ),
    ] {
        let r = s.get(&path, token);
        assert_eq!(r.status, 410, "{path}: {}", r.text);
    }
    let r = s.post(&path, &world.coordinator.token, json!({"reason": "again"}));
    assert_eq!(r.status, 410, "{}", r.text);
    let r = s.post(
        &format!("/v1/clients/{client}/protected-identity"),
        &world.coordinator.token,
        json!({"protected": true}),
    );
    assert_eq!(r.status, 410, "{}", r.text);

    // No key the service still holds opens anything sealed for the client:
    // its data key is gone, and no other subject's key fits.
    let keys: Vec<StoredKey> =
        diesel::sql_query("SELECT subject_id, kek_id, wrapped FROM data_keys")
            .load(&mut db)
            .unwrap();
    assert!(!keys.is_empty());
    assert!(keys.iter().all(|k| k.subject_id != client));
    let keyring = s.state.store.keys();
    for key in &keys {
        let data_key = keyring
            .unwrap(
                &key.subject_id,
                &WrappedKey {
                    kek_id: key.kek_id.clone(),
                    wrapped: key.wrapped.clone(),
                },
            )
            .unwrap();
        for item in &sealed {
            for (table, field, row) in [
                ("clients", item.place.as_str(), item.row_id.clone()),
                ("record_versions", "body", format!("{}/1", item.row_id)),
                ("consents", "purpose", item.row_id.clone()),
            ] {
                let place = Place {
                    table,
                    field,
                    row: &row,
                };
                assert!(data_key.open(place, &item.ct).is_err());
            }
        }
    }

    // The audit log keeps its entries; the person can be registered anew.
    let r = s.get(
        &format!("/v1/audit/events?client_id={client}&action=client.erase"),
        &world.auditor.token,
    );
    assert_eq!(r.body["items"].as_array().unwrap().len(), 3, "{}", r.text);
    let r = s.post(
        "/v1/clients",
        &world.coordinator.token,
        json!({"personal_number": CLIENT_PN, "name": ingang_tests::CLIENT_NAME}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    assert_ne!(r.id(), client);
}

#[test]
fn versions_assignments_and_officers_are_listed_to_those_who_may_see_them() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;

    // Every version of a record, each audited as a read.
    let created = s.post(
        &format!("/v1/clients/{}/records", world.client),
        &world.af.token,
        json!({"kind": "note", "body": {"text": "Första"}}),
    );
    let note = created.id();
    let r = s.put(
        &format!("/v1/records/{note}"),
        &world.af.token,
        json!({"body": {"text": "Andra"}}),
        created.etag.as_deref(),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let reads = |who: &str| {
        s.get(
            &format!("/v1/audit/events?actor_id={who}&action=record.read&limit=200"),
            &world.auditor.token,
        )
        .body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["record_id"] == json!(note))
            .count()
    };
    let before = reads(&world.soc.id);
    let r = s.get(&format!("/v1/records/{note}/versions"), &world.soc.token);
    assert_eq!(r.status, 200, "{}", r.text);
    let texts: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["body"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["Första", "Andra"]);
    assert_eq!(r.body["items"][1]["version"], 2);
    assert_eq!(reads(&world.soc.id), before + 2);
    let r = s.get(&format!("/v1/records/{note}/versions"), &world.psyk.token);
    assert_eq!(
        (r.status, r.body["reason"].as_str()),
        (403, Some("no-active-consent"))
    );
    for who in [&world.unassigned, &world.coordinator] {
        let r = s.get(&format!("/v1/records/{note}/versions"), &who.token);
        assert_eq!(r.status, 404, "{}", r.text);
    }

    // Who is assigned: for the coordinator only.
    let r = s.get(
        &format!("/v1/clients/{}/assignments", world.client),
        &world.coordinator.token,
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let officers: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["officer_id"].as_str().unwrap())
        .collect();
    assert_eq!(officers, [&world.af.id, &world.soc.id, &world.psyk.id]);
    let r = s.get(
        &format!("/v1/clients/{}/assignments", world.client),
        &world.af.token,
    );
    assert_eq!(r.status, 404);

    // Officers, by agency and page, for admins.
    let r = s.get("/v1/officers?agency=af&limit=2", &world.admin.token);
    assert_eq!(r.status, 200, "{}", r.text);
    let first: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(first, [&world.af.id, &world.unassigned.id]);
    let cursor = r.body["next_cursor"].as_str().unwrap();
    let r = s.get(
        &format!("/v1/officers?agency=af&limit=2&cursor={cursor}"),
        &world.admin.token,
    );
    assert_eq!(r.body["items"][0]["id"], json!(world.af_system.id));
    assert!(r.body["next_cursor"].is_null());
    let r = s.get("/v1/officers?agency=AF", &world.admin.token);
    assert_eq!((r.status, r.body["field"].as_str()), (400, Some("agency")));
    let r = s.get("/v1/officers", &world.af.token);
    assert_eq!(r.status, 403);
}

#[test]
fn a_request_that_races_an_erasure_answers_as_after_it() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    let note = world.note(&world.af, "Samtal");
    let name_in_worklist = || {
        let r = s.get("/v1/clients", &world.af.token);
        assert_eq!(r.status, 200, "{}", r.text);
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == world.client.as_str())
            .unwrap()["name"]
            .clone()
    };
    assert!(name_in_worklist().is_string());
    // Read once, so the service holds the body and the wrapped key in memory.
    let r = s.get(&format!("/v1/records/{note}"), &world.af.token);
    assert_eq!(r.status, 200, "{}", r.text);
    // The data key goes, as an erasure's transaction takes it, without the
    // service's knowing: the key it holds in memory is not used once the
    // row changed (the same between a read's decision and its entry is
    // tested in crates/store/tests/caches.rs).
    let mut db = s.raw_db();
    diesel::sql_query(format!(
        "DELETE FROM data_keys WHERE subject_id = '{}'",
        world.client
    ))
    .execute(&mut db)
    .unwrap();
    // A worklist that meets the client now shows it without a name, as an
    // erased client; the rest of the list still answers.
    assert_eq!(name_in_worklist(), serde_json::Value::Null);
    let r = s.get(&format!("/v1/records/{note}"), &world.af.token);
    assert_eq!(
        (r.status, r.problem().as_str()),
        (410, "client-erased"),
        "{}",
        r.text
    );
    let r = s.post(
        &format!("/v1/clients/{}/records", world.client),
        &world.af.token,
        json!({"kind": "note", "body": {"text": "x"}}),
    );
    assert_eq!(r.status, 410, "{}", r.text);
}

/// Retention checks each client again when its turn comes, under the
/// erasure's own lock: a consent recorded since the run listed the client
/// saves it, and one erased by hand meanwhile is skipped, not an error.
#[test]
fn retention_erases_only_clients_still_idle_at_their_turn() {
    let Some(server) = ingang_tests::TestServer::start(crate::BACKEND) else {
        return;
    };
    // The client has no consent yet: due for any cutoff after its registration.
    let world = World::build(server, false);
    let s = &world.server;
    let cutoff = chrono::Utc::now() + chrono::Duration::minutes(1);
    let coordinator = s.caller(&world.coordinator);
    let client: ingang_policy::ClientId = world.client.parse().unwrap();
    let due = s
        .state
        .app
        .session()
        .unwrap()
        .run_retention(&coordinator, cutoff, true)
        .unwrap();
    assert_eq!(due.erased, vec![client]);

    // The run's permit for the erasure, then a consent recorded before its write.
    let erase_permit = || {
        s.state
            .store
            .audit()
            .append_decisions(vec![ingang_tests::allowed_entry(
                ingang_policy::AuditAction::EraseClient,
                &world.client,
                None,
            )])
            .unwrap()
            .pop()
            .flatten()
            .unwrap()
    };
    let permit = erase_permit();
    let r = s.post(
        &format!("/v1/clients/{}/consents", world.client),
        &world.coordinator.token,
        ingang_tests::consent_body(&[&world.af.id], &[], &["af"], &[]),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let by: ingang_policy::OfficerId = world.coordinator.id.parse().unwrap();
    let mut db = s.state.store.db().unwrap();
    assert_eq!(
        db.erase_client(&permit, by, "retention period ended", Some(cutoff))
            .unwrap(),
        ingang_store::Erasure::InUseAgain
    );
    // Nothing was erased: the officer still reads the client.
    let r = s.get(&format!("/v1/clients/{}", world.client), &world.af.token);
    assert_eq!(r.status, 200, "{}", r.text);
    let r = s.get("/v1/clients", &world.af.token);
    assert!(r.text.contains(ingang_tests::CLIENT_NAME), "{}", r.text);

    // Erased by hand meanwhile: the run's erasure finds it gone.
    let permit = erase_permit();
    let r = s.post(
        &format!("/v1/clients/{}/erase", world.client),
        &world.coordinator.token,
        json!({"reason": "the client asked"}),
    );
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(
        db.erase_client(&permit, by, "retention period ended", Some(cutoff))
            .unwrap(),
        ingang_store::Erasure::AlreadyErased
    );
    // A whole run erases a client still idle at its turn, and only that one.
    let r = s.post(
        "/v1/clients",
        &world.coordinator.token,
        json!({"personal_number": "19121212-1212", "name": "Tolvan"}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let idle: ingang_policy::ClientId = r.id().parse().unwrap();
    let report = s
        .state
        .app
        .session()
        .unwrap()
        .run_retention(&coordinator, cutoff, false)
        .unwrap();
    assert_eq!((report.erased, report.skipped), (vec![idle], vec![]));
    let r = s.get(
        &format!("/v1/clients/{idle}/assignments"),
        &world.coordinator.token,
    );
    assert_eq!(r.status, 410, "{}", r.text);
}

/// Marking a client whose erasure won the race changes nothing and says so
/// (410), rather than answering as if the mark were stored.
#[test]
fn protecting_a_client_erased_meanwhile_answers_gone() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    let permit = s
        .state
        .store
        .audit()
        .append_decisions(vec![ingang_tests::allowed_entry(
            ingang_policy::AuditAction::ProtectIdentity,
            &world.client,
            None,
        )])
        .unwrap()
        .pop()
        .flatten()
        .unwrap();
    let r = s.post(
        &format!("/v1/clients/{}/erase", world.client),
        &world.coordinator.token,
        json!({"reason": "the client asked"}),
    );
    assert_eq!(r.status, 204, "{}", r.text);
    let mut db = s.state.store.db().unwrap();
    assert!(matches!(
        db.set_protected_identity(&permit, true),
        Err(ingang_store::StoreError::KeyDestroyed)
    ));
}

/// Bad input on the lifecycle's new fields gets a problem naming the field,
/// and changes nothing.
#[test]
fn the_new_fields_refuse_bad_input_by_name() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    let coordinator = &world.coordinator.token;
    let client = &world.client;
    for (path, body, field) in [
        (
            format!("/v1/clients/{client}/protected-identity"),
            json!({}),
            "protected",
        ),
        (
            format!("/v1/clients/{client}/protected-identity"),
            json!({"protected": "yes"}),
            "protected",
        ),
        (format!("/v1/clients/{client}/erase"), json!({}), "reason"),
        (
            format!("/v1/clients/{client}/erase"),
            json!({"reason": 7}),
            "reason",
        ),
        (
            "/v1/clients".to_owned(),
            json!({"personal_number": "19121212-1212", "name": "Tolvan", "protected_identity": "yes"}),
            "protected_identity",
        ),
    ] {
        let r = s.post(&path, coordinator, body);
        assert_eq!(
            (r.status, r.content_type.as_str(), r.body["field"].as_str()),
            (400, "application/problem+json", Some(field)),
            "{path}: {}",
            r.text
        );
    }
    for (path, field) in [
        ("/v1/clients?cursor=garbage", "cursor"),
        ("/v1/clients?limit=0", "limit"),
        ("/v1/clients?limit=201", "limit"),
        ("/v1/officers?limit=0", "limit"),
    ] {
        let token = if path.starts_with("/v1/officers") {
            &world.admin.token
        } else {
            &world.af.token
        };
        let r = s.get(path, token);
        assert_eq!(
            (r.status, r.body["field"].as_str()),
            (400, Some(field)),
            "{path}: {}",
            r.text
        );
    }
    // Nothing changed: not protected, not erased, Tolvan not registered.
    let r = s.get("/v1/clients", &world.af.token);
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1, "{}", r.text);
    assert_eq!(r.body["items"][0]["protected_identity"], false);
    let r = s.post(
        "/v1/clients/search",
        coordinator,
        json!({"personal_number": "19121212-1212"}),
    );
    assert_eq!(r.status, 404, "{}", r.text);
}

#[test]
fn the_worklist_counts_records_new_since_a_visit_that_the_officer_may_read_and_audits_the_count() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    let client = world.client.clone();
    // Psychiatry's own consent lets Per write.
    let r = s.post(
        &format!("/v1/clients/{client}/consents"),
        &world.coordinator.token,
        ingang_tests::consent_body(&[&world.psyk.id], &[], &[], &[]),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let since = chrono::Utc::now();
    std::thread::sleep(std::time::Duration::from_millis(5));
    // Social services write (inside Eva's consent); psychiatry writes
    // (outside it: Eva's consent covers records from af and soc only).
    for who in [&world.soc, &world.psyk] {
        let r = s.post(
            &format!("/v1/clients/{client}/records"),
            &who.token,
            json!({"kind": "note", "body": {"text": "Samtal"}}),
        );
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let listed = |s: &ingang_tests::TestServer| {
        let r = s.get(
            &format!(
                "/v1/audit/events?client_id={client}&actor_id={}&action=record.list",
                world.af.id
            ),
            &world.auditor.token,
        );
        assert_eq!(r.status, 200, "{}", r.text);
        r.body["items"].as_array().unwrap().len()
    };
    let before = listed(s);
    let eva = s.caller(&world.af);
    let mut session = s.state.app.session().unwrap();
    let list = session.worklist_since(&eva, None, 10, Some(since)).unwrap();
    let item = list
        .items
        .iter()
        .find(|i| i.client.id.to_string() == client)
        .unwrap();
    assert_eq!(
        item.new_records, 1,
        "soc's note counts; psychiatry's is not Eva's to know"
    );
    drop(session);
    assert_eq!(
        listed(s),
        before + 1,
        "the count shown is audited as a record.list"
    );

    // Without a visit to compare with, nothing is counted or audited.
    let mut session = s.state.app.session().unwrap();
    let list = session.worklist(&eva, None, 10).unwrap();
    assert!(list.items.iter().all(|i| i.new_records == 0));
    drop(session);
    assert_eq!(listed(s), before + 1);
}
