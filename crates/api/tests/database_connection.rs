//! The connection to PostgreSQL as production makes it:
//!
//! * encrypted, with the server verified (`sslmode=verify-full`): libpq and
//!   its OpenSSL are compiled into the binary, so this checks the build does
//!   TLS at all, against a throwaway cluster with a certificate from a test CA;
//! * authenticated with a password read from a file
//!   (`INGANG_DATABASE_PASSWORD_FILE`), never from the command line, and
//!   never echoed when it is wrong.
//!
//! Skips loudly without PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::wildcard_enum_match_arm
)]

mod support;

use diesel::prelude::*;
use ingang_store::{db, DatabaseUrl};

#[derive(QueryableByName)]
struct Encrypted {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    ssl: bool,
}

#[test]
fn the_database_connection_is_encrypted_and_the_server_verified() {
    let Some(cluster) = ingang_testdb::own_cluster_or_skip() else {
        return;
    };
    let certs = tempfile::tempdir().unwrap();
    ingang_api::tls::ensure_dev_certificates(certs.path()).unwrap();
    let files = ingang_api::tls::DevCertificates::in_dir(certs.path());
    cluster
        .enable_tls(&files.server_cert, &files.server_key)
        .unwrap();
    let url = |root: &std::path::Path, mode: &str| {
        DatabaseUrl::parse(&format!(
            "postgres://postgres@localhost:{}/postgres?sslmode={mode}&sslrootcert={}",
            cluster.port(),
            root.display()
        ))
    };

    let mut conn = db::connect(&url(&files.ca_cert, "verify-full")).unwrap();
    let encrypted: Encrypted =
        diesel::sql_query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .get_result(&mut conn)
            .unwrap();
    assert!(encrypted.ssl, "the session is encrypted");

    // A server whose certificate another CA signed is refused.
    let other = tempfile::tempdir().unwrap();
    ingang_api::tls::ensure_dev_certificates(other.path()).unwrap();
    let other_ca = ingang_api::tls::DevCertificates::in_dir(other.path()).ca_cert;
    let refused = db::connect(&url(&other_ca, "verify-full"));
    let error = refused
        .err()
        .expect("an unverified server is refused")
        .to_string();
    // Both test CAs share a name, so OpenSSL reports the forged signature.
    assert!(
        error.contains("SSL") || error.contains("certificate"),
        "{error}"
    );
}

#[test]
fn the_database_password_comes_from_a_file_and_is_never_echoed() {
    let Some(cluster) = ingang_testdb::own_cluster_or_skip() else {
        return;
    };
    let mut admin = db::connect(&DatabaseUrl::parse(&cluster.admin_url())).unwrap();
    diesel::sql_query("CREATE ROLE ingang LOGIN PASSWORD 'app-Secret-42'")
        .execute(&mut admin)
        .unwrap();
    diesel::sql_query("CREATE DATABASE ingang OWNER ingang")
        .execute(&mut admin)
        .unwrap();
    cluster.require_passwords().unwrap();

    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("serve.log");
    let serve = |password: &str| {
        let file = dir.path().join("db-password");
        std::fs::write(&file, format!("{password}\n")).unwrap();
        let port = support::free_port();
        let child = support::ingang()
            .arg("serve")
            .env(
                "INGANG_DATABASE_URL",
                format!("postgres://ingang@127.0.0.1:{}/ingang", cluster.port()),
            )
            .env("INGANG_DATABASE_PASSWORD_FILE", &file)
            .env("INGANG_DATA_DIR", dir.path().join("data"))
            .env("INGANG_TLS", "off")
            .env("INGANG_LISTEN", format!("127.0.0.1:{port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        support::ServeProcess {
            base: format!("http://127.0.0.1:{port}"),
            child,
            log: log.clone(),
        }
    };

    // The right password: the service starts and is ready.
    let mut good = serve("app-Secret-42");
    assert!(
        good.wait_ready(std::time::Duration::from_secs(60)),
        "{}",
        good.log_text()
    );
    assert!(good.terminate(std::time::Duration::from_secs(30)));

    // A wrong one: it refuses to start, says why, and echoes neither.
    let mut bad = serve("wrong-Secret-7");
    let status = bad.child.wait().unwrap();
    let text = bad.log_text();
    assert!(!status.success());
    assert!(text.contains("password authentication failed"), "{text}");
    assert!(
        !text.contains("wrong-Secret-7") && !text.contains("app-Secret-42"),
        "{text}"
    );
}
