//! Black-box tests through HTTPS against a real server and a temporary
//! SQLite database per test. One file per resource, plus the scenario from
//! the source documents, the role × consent matrix, encryption at rest and
//! error handling.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod agencies;
mod assignments;
mod audit;
mod clients;
mod consents;
mod encryption;
mod errors;
mod health;
mod matrix;
mod officers;
mod records;
mod scenario;
