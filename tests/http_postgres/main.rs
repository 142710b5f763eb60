//! The whole HTTP suite of `tests/http/` again, on PostgreSQL: a fresh
//! database per test on `INGANG_TEST_DATABASE_URL`, or on a throwaway
//! cluster started from the local installation. Without PostgreSQL every
//! test returns early after one loud note on stderr (and fails instead when
//! `INGANG_REQUIRE_POSTGRES=1`, as in CI).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::wildcard_enum_match_arm
)]

/// The database every test of this binary runs on.
pub const BACKEND: ingang_tests::Backend = ingang_tests::Backend::Postgres;

#[path = "../http/agencies.rs"]
mod agencies;
#[path = "../http/assignments.rs"]
mod assignments;
#[path = "../http/audit.rs"]
mod audit;
#[path = "../http/clients.rs"]
mod clients;
#[path = "../http/consents.rs"]
mod consents;
#[path = "../http/encryption.rs"]
mod encryption;
#[path = "../http/errors.rs"]
mod errors;
#[path = "../http/health.rs"]
mod health;
#[path = "../http/lifecycle.rs"]
mod lifecycle;
#[path = "../http/matrix.rs"]
mod matrix;
#[path = "../http/officers.rs"]
mod officers;
#[path = "../http/permits.rs"]
mod permits;
#[path = "../http/plan.rs"]
mod plan;
#[path = "../http/records.rs"]
mod records;
#[path = "../http/scenario.rs"]
mod scenario;
#[path = "../http/transparency.rs"]
mod transparency;
