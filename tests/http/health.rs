use ingang_tests::{metric, TestServer, World};
use serde_json::json;

#[test]
fn liveness_readiness_and_unknown_routes() {
    let Some(server) = TestServer::start(crate::BACKEND) else {
        return;
    };
    let r = server.request("GET", "/healthz", None, None, &[]);
    assert_eq!((r.status, r.body["status"].as_str()), (200, Some("ok")));
    let r = server.request("GET", "/readyz", None, None, &[]);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["database"], "ok");
    let r = server.request("GET", "/no/such/route", None, None, &[]);
    assert_eq!((r.status, r.problem().as_str()), (404, "not-found"));
    assert!(r.content_type.starts_with("application/problem+json"));
}

#[test]
fn openapi_is_served_and_matches_the_committed_document() {
    let Some(server) = TestServer::start(crate::BACKEND) else {
        return;
    };
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../openapi/ingang.json"
    ))
    .expect("openapi/ingang.json is committed");
    let generated = ingang_api::openapi::document_json();
    assert!(
        committed == generated,
        "openapi/ingang.json is out of date; regenerate it with:\n  cargo run -q -p ingang-api -- openapi > openapi/ingang.json"
    );
    let served = server.request("GET", "/openapi.json", None, None, &[]);
    assert_eq!(served.status, 200);
    assert_eq!(served.text, generated);
    assert_eq!(
        served.body["openapi"]
            .as_str()
            .map(|v| v.starts_with("3.1")),
        Some(true)
    );
    for path in [
        "/v1/clients/{id}/records",
        "/v1/records/{id}",
        "/v1/audit/events",
        "/v1/consents/{id}/withdraw",
    ] {
        assert!(
            served.body["paths"][path].is_object(),
            "{path} missing from the document"
        );
    }
}

#[test]
fn authentication_is_required_and_checked() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    let path = format!("/v1/clients/{}/records", world.client);
    let r = s.request("GET", &path, None, None, &[]);
    assert_eq!((r.status, r.problem().as_str()), (401, "unauthenticated"));
    let r = s.get(&path, "not-a-token");
    assert_eq!(r.status, 401);

    // Expired.
    let roles = [ingang_policy::Role::Officer];
    let expired = s
        .state
        .tokens
        .mint(
            world.af.id.parse().unwrap(),
            &"af".parse().unwrap(),
            &roles,
            chrono::Duration::hours(-1),
        )
        .unwrap();
    let r = s.get(&path, &expired);
    assert_eq!(
        (r.status, r.body["detail"].as_str()),
        (401, Some("token expired"))
    );
    // A role the account does not hold.
    let mut greedy = world.af.clone();
    greedy.roles = vec!["officer".into(), "admin".into()];
    assert_eq!(s.get("/v1/agencies", &s.token(&greedy)).status, 401);
    // The wrong agency.
    let mut wrong = world.af.clone();
    wrong.agency = "soc".into();
    assert_eq!(s.get(&path, &s.token(&wrong)).status, 401);
    // An unknown subject.
    let mut ghost = world.af.clone();
    ghost.id = uuid::Uuid::new_v4().to_string();
    assert_eq!(s.get(&path, &s.token(&ghost)).status, 401);
    // A token signed by another key.
    let forged = ingang_api::auth::TokenKeys::empty();
    let mut other = forged;
    let dir = tempfile::tempdir().unwrap();
    other
        .enable_development_key(&dir.path().join("k.pk8"))
        .unwrap();
    let token = other
        .mint(
            world.af.id.parse().unwrap(),
            &"af".parse().unwrap(),
            &roles,
            chrono::Duration::hours(1),
        )
        .unwrap();
    assert_eq!(s.get(&path, &token).status, 401);
    // The real token still works.
    assert_eq!(s.get(&path, &world.af.token).status, 200);
    let _ = json!({});
}

#[test]
fn metrics_count_requests_by_route_audit_appends_denials_and_pool_use() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    let record = world.note(&world.af, "Hemlig anteckning");
    let denials = "ingang_policy_denials_total{reason=\"no-active-consent\"}";
    let before = s.request("GET", "/metrics", None, None, &[]).text;
    // Per is assigned but named by no consent: an audited denial.
    let r = s.get(&format!("/v1/records/{record}"), &world.psyk.token);
    assert_eq!(r.status, 403);
    assert_eq!(
        s.get(&format!("/v1/records/{record}"), &world.af.token)
            .status,
        200
    );

    let r = s.request("GET", "/metrics", None, None, &[]);
    assert_eq!(r.status, 200);
    assert!(
        r.content_type.starts_with("text/plain; version=0.0.4"),
        "{}",
        r.content_type
    );
    let text = r.text;
    // The registry is shared by the test servers of this process: compare.
    assert!(
        metric(&text, denials) >= metric(&before, denials) + 1.0,
        "{text}"
    );
    let reads =
        "ingang_http_requests_total{route=\"/v1/records/{id}\",method=\"GET\",status=\"200\"}";
    assert!(metric(&text, reads) >= 1.0, "{text}");
    assert!(
        metric(
            &text,
            "ingang_http_request_duration_seconds_count{route=\"/v1/records/{id}\",method=\"GET\"}"
        ) >= 2.0
    );
    // This server's own store: every decision above was appended.
    assert!(metric(&text, "ingang_audit_appends_total") >= 2.0, "{text}");
    assert_eq!(metric(&text, "ingang_audit_append_failures_total"), 0.0);
    assert!(metric(&text, "ingang_audit_batch_size_count") >= 1.0);
    assert_eq!(metric(&text, "ingang_db_pool_max_connections"), 8.0);
    assert!(text.contains("ingang_db_pool_connections{state=\"idle\"}"));
    // Labels carry route patterns and codes, never ids or personal data.
    for secret in [
        record.as_str(),
        world.client.as_str(),
        "Hemlig",
        ingang_tests::CLIENT_PN,
    ] {
        assert!(!text.contains(secret), "{secret} in /metrics");
    }
}
