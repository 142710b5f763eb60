//! Black-box tests through HTTPS against a real server and a fresh database
//! per test. One file per resource, plus the scenario from the source
//! documents, the role × consent matrix, encryption at rest and error
//! handling. This binary runs them on SQLite; `http_postgres` runs the very
//! same files on PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::wildcard_enum_match_arm
)]

/// The database every test of this binary runs on.
pub const BACKEND: ingang_tests::Backend = ingang_tests::Backend::Sqlite;

mod agencies;
mod assignments;
mod audit;
mod clients;
mod consents;
mod encryption;
mod errors;
mod health;
mod lifecycle;
mod matrix;
mod officers;
mod permits;
mod plan;
mod records;
mod scenario;
mod transparency;
mod web;
