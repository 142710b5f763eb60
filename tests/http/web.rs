//! The web page as an HTTP client sees it (the journeys themselves run in a
//! real browser: crates/api/tests/browser.rs).

use ingang_tests::TestServer;

const BROWSER: [(&str, &str); 1] = [("accept", "text/html,application/xhtml+xml")];

#[test]
fn pages_are_swedish_html_without_inline_code_and_a_browser_gets_a_page_for_a_missing_path() {
    let Some(server) = TestServer::start(crate::BACKEND) else {
        return;
    };
    let r = server.request("GET", "/sign-in", None, None, &BROWSER);
    assert_eq!(r.status, 200);
    assert!(
        r.content_type.starts_with("text/html"),
        "{}",
        r.content_type
    );
    assert!(r.text.contains("<html lang=\"sv\">"), "Swedish first");
    assert!(
        r.text.contains("/sign-in/development"),
        "outside production"
    );
    // No inline script or style anywhere in the page.
    assert!(
        !r.text.contains("<script>") && !r.text.contains("style="),
        "{}",
        r.text
    );

    // A browser asking for a path that is no page gets the page's 404; an
    // API client gets the problem document, as before.
    let r = server.request("GET", "/no/such/page", None, None, &BROWSER);
    assert_eq!(r.status, 404);
    assert!(r.content_type.starts_with("text/html"));
    let r = server.request("GET", "/no/such/page", None, None, &[]);
    assert_eq!((r.status, r.problem().as_str()), (404, "not-found"));

    // A page path without a session goes to the sign-in.
    let r = server.request("GET", "/clients", None, None, &BROWSER);
    assert_eq!(r.status, 200, "the redirect is followed to the sign-in");
    assert!(r.text.contains("<h1>Logga in</h1>"), "{}", r.text);
}

#[test]
fn signing_in_and_out_are_audited_and_an_ended_session_opens_nothing() {
    let Some(world) = ingang_tests::World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    let eva: ingang_policy::OfficerId = world.af.id.parse().unwrap();
    let context = ingang_app::RequestContext {
        request_id: "web-test".into(),
        source_addr: Some("192.0.2.7".into()),
    };
    let count = |action: &str| {
        let r = s.get(
            &format!("/v1/audit/events?actor_id={}&action={action}", world.af.id),
            &world.auditor.token,
        );
        assert_eq!(r.status, 200, "{}", r.text);
        r.body["items"].as_array().unwrap().clone()
    };
    let mut session = s.state.app.session().unwrap();
    let signed = session
        .sign_in(eva, chrono::Duration::hours(1), &context)
        .unwrap();
    let caller = session
        .browser_caller(&signed.token, "page".into(), None)
        .unwrap();
    assert_eq!(caller.caller.actor.id, eva);
    drop(session);
    let started = count("session.start");
    assert_eq!(started.len(), 1);
    assert_eq!(started[0]["decision"], "allow");
    assert_eq!(started[0]["source_addr"], "192.0.2.7");

    let mut session = s.state.app.session().unwrap();
    session.sign_out(&signed.token, &context).unwrap();
    // Ending it again changes and audits nothing.
    session.sign_out(&signed.token, &context).unwrap();
    assert!(matches!(
        session.browser_caller(&signed.token, "page".into(), None),
        Err(ingang_app::AppError::Unauthenticated(_))
    ));
    drop(session);
    assert_eq!(count("session.end").len(), 1);

    // A session past its expiry opens nothing either.
    let mut session = s.state.app.session().unwrap();
    let brief = session
        .sign_in(eva, chrono::Duration::milliseconds(1), &context)
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(10));
    assert!(matches!(
        session.browser_caller(&brief.token, "page".into(), None),
        Err(ingang_app::AppError::Unauthenticated(
            "the session has expired"
        ))
    ));
}

/// A refusal that must look exactly like a missing client.
fn is_hidden(error: &ingang_app::AppError) -> bool {
    match error {
        ingang_app::AppError::NotFound => true,
        ingang_app::AppError::Denied(reason) => {
            reason.disclosure() == ingang_policy::Disclosure::Hidden
        }
        _ => false,
    }
}

#[test]
fn the_page_use_cases_give_a_denied_or_hidden_caller_nothing_and_audit_the_refusal() {
    use ingang_app::AppError;
    use ingang_policy::DenyReason;
    let Some(world) = ingang_tests::World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    let client: ingang_policy::ClientId = world.client.parse().unwrap();
    let missing = ingang_policy::ClientId::new_random();
    let draft = serde_json::json!({"goals": ["Arbete"], "overall_responsibility": "fk",
        "activities": [{"type": "work", "extent_percent": 50, "from": "2027-01-04", "to": "2027-01-08"}]});
    // Social services write a note after the visit Per compares with.
    let since = chrono::Utc::now();
    std::thread::sleep(std::time::Duration::from_millis(5));
    let r = s.post(
        &format!("/v1/clients/{client}/records"),
        &world.soc.token,
        serde_json::json!({"kind": "note", "body": {"text": "Samtal"}}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let denials = |who: &ingang_tests::Who| {
        let r = s.get(
            &format!("/v1/audit/events?actor_id={}&decision=deny", who.id),
            &world.auditor.token,
        );
        r.body["items"].as_array().unwrap().len()
    };
    let (per_before, ulla_before) = (denials(&world.psyk), denials(&world.unassigned));

    let mut session = s.state.app.session().unwrap();
    // Per is assigned but named in no consent: refused, with the reason.
    let per = s.caller(&world.psyk);
    assert!(matches!(
        session.client_file(&per, client),
        Err(AppError::Denied(DenyReason::NoActiveConsent))
    ));
    assert!(matches!(
        session.draft_plan_conflicts(&per, client, &draft),
        Err(AppError::Denied(DenyReason::NoActiveConsent))
    ));
    // His worklist names nobody and counts nothing he may not read.
    let list = session.worklist_since(&per, None, 10, Some(since)).unwrap();
    assert!(list
        .items
        .iter()
        .all(|i| i.name.is_none() && i.new_records == 0));

    // Ulla is not assigned: the client is hidden, exactly like a missing one.
    let ulla = s.caller(&world.unassigned);
    for result in [
        session.client_file(&ulla, client).map(|_| ()),
        session.client_file(&ulla, missing).map(|_| ()),
        session
            .draft_plan_conflicts(&ulla, client, &draft)
            .map(|_| ()),
        session
            .draft_plan_conflicts(&ulla, missing, &draft)
            .map(|_| ()),
    ] {
        assert!(result.as_ref().is_err_and(is_hidden), "{result:?}");
    }
    // An officer does not administer consents and assignments: to her the
    // client's administration is as hidden as a missing client's.
    let eva = s.caller(&world.af);
    let administration = session.client_administration(&eva, client).map(|_| ());
    assert!(
        administration.as_ref().is_err_and(is_hidden),
        "{administration:?}"
    );
    drop(session);
    // Every refusal above is in the log (the worklist refused nothing: it
    // simply showed nothing).
    assert_eq!(denials(&world.psyk), per_before + 2);
    assert_eq!(denials(&world.unassigned), ulla_before + 4);
}
