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
}
