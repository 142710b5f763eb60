use ingang_tests::{TestServer, World};
use serde_json::json;

#[test]
fn oversized_bodies_are_refused_with_413() {
    let Some(server) = TestServer::start_with(crate::BACKEND, |c| c.max_body_bytes = 4096) else {
        return;
    };
    let world = World::on(server);
    let s = &world.server;
    let text = "x".repeat(10_000);
    let r = s.post(
        &format!("/v1/clients/{}/records", world.client),
        &world.af.token,
        json!({"kind": "note", "body": {"text": text}}),
    );
    assert_eq!(
        (r.status, r.problem().as_str()),
        (413, "payload-too-large"),
        "{}",
        r.text
    );
    assert!(r.content_type.starts_with("application/problem+json"));
}

#[test]
fn malformed_requests_get_clear_problems() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    let token = &world.coordinator.token;
    for path in [
        "/v1/clients/123",
        "/v1/records/abc",
        "/v1/clients/zz/records",
        "/v1/officers/1",
    ] {
        let r = s.get(path, token);
        assert_eq!(
            (r.status, r.problem().as_str()),
            (400, "malformed-id"),
            "{path}"
        );
    }
    let r = s.post_raw("/v1/clients", token, "application/json", b"{not json");
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.content_type.starts_with("application/problem+json"));
    let r = s.post_raw("/v1/clients", token, "text/plain", b"hello");
    assert_eq!(
        (r.status, r.problem().as_str()),
        (415, "unsupported-media-type")
    );
    let r = s.post(
        "/v1/clients",
        token,
        json!({"personal_number": "19121212-1212", "name": "T", "shoe_size": 44}),
    );
    assert_eq!(
        (r.status, r.body["field"].as_str()),
        (400, Some("shoe_size")),
        "{}",
        r.text
    );
    // A wrong type in a field never echoes the value.
    let r = s.post(
        "/v1/clients",
        token,
        json!({"personal_number": ["19121212-1212"], "name": "T"}),
    );
    assert_eq!(r.status, 400);
    assert!(!r.text.contains("19121212"), "{}", r.text);
    let r = s.post(
        &format!("/v1/clients/{}/assignments", world.client),
        token,
        json!({"officer_id": "19121212-1212"}),
    );
    assert_eq!(r.status, 400);
    assert!(!r.text.contains("19121212"), "{}", r.text);
    let r = s.get(
        &format!("/v1/clients/{}/records?limit=abc", world.client),
        &world.af.token,
    );
    assert_eq!(r.status, 400);
    let r = s.get(
        &format!("/v1/clients/{}/records?limit=500", world.client),
        &world.af.token,
    );
    assert_eq!((r.status, r.body["field"].as_str()), (400, Some("limit")));
    // Every one of these is problem+json with a stable type.
    assert!(r.body["type"]
        .as_str()
        .unwrap()
        .starts_with("urn:ingang:problem:"));
}

/// A path that exists answers a method it lacks with 405 and `Allow`
/// (before authentication: the path pattern is public, the resource is not
/// looked at); an unknown path stays 404.
#[test]
fn methods_a_path_lacks_answer_405_with_allow() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    let record = world.note(&world.af, "Praktik");
    for (method, path, allow) in [
        ("DELETE", format!("/v1/records/{record}"), "GET, PUT"),
        ("PATCH", "/v1/agencies".to_owned(), "GET, POST"),
        (
            "PUT",
            format!("/v1/clients/{}/records", world.client),
            "GET, POST",
        ),
        (
            "GET",
            format!("/v1/consents/{}/withdraw", world.consent),
            "POST",
        ),
        ("DELETE", "/v1/records/not-a-uuid".to_owned(), "GET, PUT"),
    ] {
        for token in [Some(world.af.token.as_str()), None] {
            let r = s.request(method, &path, token, None, &[]);
            assert_eq!(
                (r.status, r.problem().as_str(), r.allow.as_deref()),
                (405, "method-not-allowed", Some(allow)),
                "{method} {path}: {}",
                r.text
            );
            assert!(!r.text.contains(&record) && !r.text.contains(&world.client));
        }
    }
    let r = s.request(
        "DELETE",
        "/v1/nothing-here",
        Some(&world.af.token),
        None,
        &[],
    );
    assert_eq!((r.status, r.allow), (404, None));
}
