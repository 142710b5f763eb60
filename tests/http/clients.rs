use ingang_tests::{World, CLIENT_NAME, CLIENT_PN};
use serde_json::json;

#[test]
fn registration_and_duplicates() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    // The same person in another form of the number is the same person.
    let r = s.post(
        "/v1/clients",
        &world.coordinator.token,
        json!({"personal_number": "199001011239", "name": "Ali S"}),
    );
    assert_eq!((r.status, r.problem().as_str()), (409, "conflict"));
    // A samordningsnummer (day + 60).
    let r = s.post(
        "/v1/clients",
        &world.coordinator.token,
        json!({"personal_number": "19850372-2343", "name": "Lina Nilsson"}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    // A system account may register too (202, see below); an officer may not.
    let r = s.post(
        "/v1/clients",
        &world.af.token,
        json!({"personal_number": "20000229-1235", "name": "X"}),
    );
    assert_eq!(
        (r.status, r.body["reason"].as_str()),
        (403, Some("role-not-permitted"))
    );
}

/// Registration is no existence oracle: a system account gets the same
/// status and body whether or not the person was registered before, and
/// learns the id only once one of its agency's officers is assigned.
#[test]
fn system_registration_reveals_nothing_until_its_officer_is_assigned() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    let register = |pn: &str, name: &str| {
        s.post(
            "/v1/clients",
            &world.af_system.token,
            json!({"personal_number": pn, "name": name}),
        )
    };
    let first = register("19121212-1212", "Tolvan Tolvansson");
    assert_eq!(
        (first.status, &first.body),
        (202, &json!({})),
        "{}",
        first.text
    );
    let again = register("191212121212", "Someone Else");
    assert_eq!((again.status, &again.text), (first.status, &first.text));
    // The coordinator is told, and the client is the same one (and its name
    // was not overwritten by the second registration).
    let r = s.post(
        "/v1/clients",
        &world.coordinator.token,
        json!({"personal_number": "19121212-1212", "name": "X"}),
    );
    assert_eq!((r.status, r.problem().as_str()), (409, "conflict"));
    let found = s.post(
        "/v1/clients/search",
        &world.coordinator.token,
        json!({"personal_number": "19121212-1212"}),
    );
    let client = found.id();
    let r = s.post(
        &format!("/v1/clients/{client}/assignments"),
        &world.coordinator.token,
        json!({"officer_id": world.af.id}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    // Now its agency's officer is assigned: the id is no secret to it.
    let r = register("19121212-1212", "Tolvan");
    assert_eq!(
        (r.status, &r.body),
        (202, &json!({"id": client})),
        "{}",
        r.text
    );
    // A client someone else registered, with an af officer assigned, alike.
    let r = register(CLIENT_PN, CLIENT_NAME);
    assert_eq!((r.status, &r.body), (202, &json!({"id": world.client})));
    let r = s.post(
        &format!("/v1/clients/{client}/consents"),
        &world.coordinator.token,
        ingang_tests::consent_body(&[&world.af.id], &[], &[], &[]),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let r = s.get(&format!("/v1/clients/{client}"), &world.af.token);
    assert_eq!(r.body["name"], "Tolvan Tolvansson", "{}", r.text);
}

#[test]
fn personal_numbers_are_validated_without_echo() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    for (pn, needle) in [
        ("1990-01-01", "form"),
        ("19901301-1235", "date"),
        ("19900101-1238", "check digit"),
        ("19850392-2341", "date"),
    ] {
        let r = world.server.post(
            "/v1/clients",
            &world.coordinator.token,
            json!({"personal_number": pn, "name": "N"}),
        );
        assert_eq!(
            (r.status, r.body["field"].as_str()),
            (400, Some("personal_number")),
            "{pn}: {}",
            r.text
        );
        assert!(
            r.body["detail"].as_str().unwrap().contains(needle),
            "{pn}: {}",
            r.text
        );
        let digits: String = pn.chars().filter(char::is_ascii_digit).collect();
        assert!(
            !r.text.contains(&digits[..8]),
            "the number was echoed: {}",
            r.text
        );
    }
}

#[test]
fn search_reveals_a_client_only_to_those_who_may_see_it() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    let search =
        |token: &str, pn: &str| s.post("/v1/clients/search", token, json!({"personal_number": pn}));
    for who in [&world.coordinator, &world.af, &world.psyk, &world.af_system] {
        let r = search(&who.token, "900101-1239");
        assert_eq!(
            (r.status, r.body["id"].as_str()),
            (200, Some(world.client.as_str())),
            "{:?}: {}",
            who.roles,
            r.text
        );
    }
    let unknown = search(&world.coordinator.token, "19121212-1212");
    assert_eq!(unknown.status, 404);
    for who in [&world.unassigned, &world.fk, &world.auditor, &world.admin] {
        let r = search(&who.token, CLIENT_PN);
        assert_eq!(r.status, 404, "{:?}", who.roles);
        assert_eq!(
            r.text, unknown.text,
            "a hidden client must look exactly like a missing one"
        );
    }
}

#[test]
fn identity_reads_follow_the_access_rule() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    let path = format!("/v1/clients/{}", world.client);
    let r = s.get(&path, &world.af.token);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (r.body["personal_number"].as_str(), r.body["name"].as_str()),
        (Some(CLIENT_PN), Some(CLIENT_NAME))
    );
    let r = s.get(&path, &world.psyk.token);
    assert_eq!(
        (r.status, r.body["reason"].as_str()),
        (403, Some("no-active-consent"))
    );
    let missing = s.get(
        &format!("/v1/clients/{}", uuid::Uuid::new_v4()),
        &world.unassigned.token,
    );
    assert_eq!(missing.status, 404);
    for who in [
        &world.unassigned,
        &world.coordinator,
        &world.auditor,
        &world.admin,
    ] {
        let r = s.get(&path, &who.token);
        assert_eq!((r.status, &r.text), (404, &missing.text), "{:?}", who.roles);
    }
}
