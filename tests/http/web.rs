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
