//! The connection to PostgreSQL can be encrypted and its server verified
//! (`sslmode=verify-full`): libpq and its OpenSSL are compiled into the
//! binary, so this checks the build does TLS at all, against a throwaway
//! cluster with a certificate from a test CA. Skips loudly without
//! PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use diesel::prelude::*;
use ingang_store::{db, DatabaseUrl};
use ingang_testdb::{Backend, Cluster, TestDatabase};

#[derive(QueryableByName)]
struct Encrypted {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    ssl: bool,
}

#[test]
fn the_database_connection_is_encrypted_and_the_server_verified() {
    let Some(bin) = ingang_testdb::find_postgres() else {
        let _ = TestDatabase::create(Backend::Postgres); // says so loudly
        return;
    };
    let cluster = Cluster::start(&bin).unwrap();
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
