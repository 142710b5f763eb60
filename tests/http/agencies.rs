use ingang_tests::TestServer;
use serde_json::json;

#[test]
fn admin_registers_and_lists_agencies() {
    let Some(server) = TestServer::start(crate::BACKEND) else {
        return;
    };
    let admin = server.admin();
    let r = server.post(
        "/v1/agencies",
        &admin.token,
        json!({"code": "af", "name": "Arbetsförmedlingen Hässleholm"}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["code"], "af");
    let r = server.post(
        "/v1/agencies",
        &admin.token,
        json!({"code": "af", "name": "Again"}),
    );
    assert_eq!((r.status, r.problem().as_str()), (409, "conflict"));
    let r = server.get("/v1/agencies", &admin.token);
    assert_eq!(r.status, 200);
    let codes: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["af", "alm"]);
}

#[test]
fn agency_input_is_validated() {
    let Some(server) = TestServer::start(crate::BACKEND) else {
        return;
    };
    let admin = server.admin();
    for (body, field) in [
        (json!({"code": "AF!", "name": "x"}), "code"),
        (json!({"code": "af", "name": "  "}), "name"),
        (json!({"code": "af", "name": "x", "extra": 1}), "extra"),
        (json!({"name": "x"}), "code"),
    ] {
        let r = server.post("/v1/agencies", &admin.token, body.clone());
        assert_eq!(
            (r.status, r.body["field"].as_str()),
            (400, Some(field)),
            "{body}: {}",
            r.text
        );
        assert_eq!(r.problem(), "validation-failed");
    }
}

#[test]
fn only_admins_manage_agencies() {
    let Some(world) = ingang_tests::World::new(crate::BACKEND) else {
        return;
    };
    for who in [&world.coordinator, &world.af, &world.auditor] {
        let r = world.server.post(
            "/v1/agencies",
            &who.token,
            json!({"code": "xx", "name": "x"}),
        );
        assert_eq!(
            (r.status, r.body["reason"].as_str()),
            (403, Some("role-not-permitted"))
        );
    }
}
