//! The web page in production mode: the development sign-in is not there.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::wildcard_enum_match_arm
)]

use ingang_api::config::{Config, Environment, TlsMode};
use ingang_api::server;

#[test]
fn the_development_sign_in_does_not_exist_in_production() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let keys_dir = data_dir.join("keys");
    // The keys exist, as `ingang keys init` leaves them.
    ingang_store::Keyring::open_dir(&keys_dir, true).unwrap();
    let origin = "ingang.test/audit";
    ingang_api::witness::keygen(
        origin,
        ingang_tlog::note::KeyType::Ed25519,
        &keys_dir.join("audit-log.key"),
    )
    .unwrap();
    let config = Config {
        audit_log: ingang_api::config::AuditLogConfig {
            origin: origin.into(),
            ..Default::default()
        },
        environment: Environment::Production,
        listen: "127.0.0.1:0".into(),
        // Plain HTTP behind a load balancer: production refuses the
        // development certificate, and this test needs no other.
        tls: TlsMode::LoadBalancer,
        keys_dir,
        data_dir,
        workers: 1,
        ..Config::default()
    };
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let state = server::open_state(config).expect("open state");
            assert!(state.web.production);
            let running = server::start(state).expect("start");
            ready_tx.send(running.addrs[0]).unwrap();
            let _ = running.wait().await;
        });
    });
    let addr = ready_rx
        .recv_timeout(std::time::Duration::from_secs(30))
        .unwrap();
    let base = format!("http://{addr}");
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let page = agent
        .get(&format!("{base}/sign-in"))
        .set("accept", "text/html")
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    assert!(!page.contains("/sign-in/development"), "{page}");
    assert!(page.contains("Ingen inloggning är konfigurerad."), "{page}");
    let posted = agent
        .post(&format!("{base}/sign-in/development"))
        .set("accept", "text/html")
        .send_form(&[
            ("csrf", "x"),
            ("account", "00000000-0000-4000-8000-000000000000"),
        ]);
    match posted {
        Err(ureq::Error::Status(status, _)) => assert_eq!(status, 404),
        other => panic!("expected 404, got {other:?}"),
    }
}
