use ingang_tests::World;
use serde_json::json;

#[test]
fn assignments_start_and_end() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    let path = format!("/v1/clients/{}/assignments", world.client);
    let r = s.post(
        &path,
        &world.coordinator.token,
        json!({"officer_id": world.af.id}),
    );
    assert_eq!(
        (r.status, r.problem().as_str()),
        (409, "conflict"),
        "already assigned"
    );
    let r = s.post(
        &path,
        &world.coordinator.token,
        json!({"officer_id": world.unassigned.id}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let assignment = r.id();
    // Ulla is assigned but not named in the consent: she now knows the client (403).
    let read = format!("/v1/clients/{}/records", world.client);
    assert_eq!(
        s.get(&read, &world.unassigned.token).body["reason"],
        "no-active-consent"
    );
    let end = format!("/v1/assignments/{assignment}/end");
    // Nobody but a coordinator (or the officer's own agency's system) ends it;
    // a refused caller learns nothing and the assignment stays in force.
    for who in [&world.af, &world.unassigned, &world.auditor, &world.admin] {
        let r = s.post(&end, &who.token, json!({}));
        assert_eq!(
            (r.status, r.problem().as_str()),
            (404, "not-found"),
            "{:?}",
            who.roles
        );
        assert!(r.body["ended_at"].is_null() && !r.text.contains(&world.client));
    }
    assert_eq!(
        s.get(&read, &world.unassigned.token).body["reason"],
        "no-active-consent",
        "still assigned"
    );
    let r = s.post(&end, &world.coordinator.token, json!({}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.body["ended_at"].is_string());
    assert_eq!(s.get(&read, &world.unassigned.token).status, 404);
    assert_eq!(
        s.post(&end, &world.coordinator.token, json!({})).status,
        409
    );
    assert_eq!(
        s.post(
            &format!("/v1/assignments/{}/end", uuid::Uuid::new_v4()),
            &world.coordinator.token,
            json!({})
        )
        .status,
        404
    );
}

#[test]
fn who_may_assign() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    let path = format!("/v1/clients/{}/assignments", world.client);
    // A system account assigns its own agency's officers only.
    let r = s.post(
        &path,
        &world.af_system.token,
        json!({"officer_id": world.unassigned.id}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let r = s.post(
        &path,
        &world.af_system.token,
        json!({"officer_id": world.fk.id}),
    );
    assert_eq!(r.status, 404, "{}", r.text);
    // Officers and admins cannot assign.
    for who in [&world.af, &world.admin] {
        assert_eq!(
            s.post(&path, &who.token, json!({"officer_id": world.fk.id}))
                .status,
            404
        );
    }
    // Only active accounts with the officer role can be assigned; naming
    // any other account, or none, is an unknown reference (409).
    let r = s.post(
        &path,
        &world.coordinator.token,
        json!({"officer_id": world.auditor.id}),
    );
    assert_eq!(
        (r.status, r.problem().as_str(), r.body["field"].as_str()),
        (409, "unknown-reference", Some("officer_id"))
    );
    let r = s.post(
        &path,
        &world.coordinator.token,
        json!({"officer_id": uuid::Uuid::new_v4()}),
    );
    assert_eq!(
        (r.status, r.problem().as_str(), r.body["field"].as_str()),
        (409, "unknown-reference", Some("officer_id"))
    );
    let r = s.post(
        &path,
        &world.coordinator.token,
        json!({"officer_id": "nope"}),
    );
    assert_eq!(r.status, 400);
}

/// Six identical requests at once: the database's partial unique index lets
/// exactly one open assignment through, the rest are told it exists.
#[test]
fn concurrent_identical_assignments_open_one() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    let path = format!("/v1/clients/{}/assignments", world.client);
    let body = json!({"officer_id": world.unassigned.id});
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..6)
            .map(|_| scope.spawn(|| s.post(&path, &world.coordinator.token, body.clone())))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap().status)
            .collect()
    });
    let mut sorted = statuses.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, [201, 409, 409, 409, 409, 409], "{statuses:?}");

    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let open: Count = diesel::sql_query(format!(
        "SELECT COUNT(*) AS n FROM assignments WHERE officer_id = '{}' AND ended_at IS NULL",
        world.unassigned.id
    ))
    .get_result(&mut s.raw_db())
    .unwrap();
    assert_eq!(open.n, 1);
}
