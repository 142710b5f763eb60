//! # ingang-api
//!
//! The HTTP face of ingång: actix-web handlers (thin: parse, call one use
//! case of `ingang-app`, map the result), authentication, configuration,
//! TLS, the OpenAPI document and the `ingang` binary.

pub mod auth;
pub mod body;
pub mod cli;
pub mod config;
pub mod demo;
pub mod error;
pub mod logging;
pub mod methods;
pub mod metrics;
pub mod openapi;
#[allow(unused_imports)]
pub(crate) use ingang_policy::redacted_debug;
pub mod routes;
pub mod schemas;
pub mod server;
pub mod state;
pub mod tls;
pub mod transparency;
pub mod witness;

use ingang_policy::{AgencyCode, OfficerId, Role};
use ingang_store::{NewOfficer, Store};

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error("an admin account already exists; bootstrap works only on an empty installation")]
    AdminExists,
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] ingang_store::StoreError),
}

/// Creates the first admin account (and its agency, if new). Refuses once
/// any admin exists. Returns the admin's id.
pub fn bootstrap(
    store: &Store,
    agency: &str,
    agency_name: &str,
    admin_name: &str,
) -> Result<OfficerId, BootstrapError> {
    let agency =
        AgencyCode::parse(agency).map_err(|e| BootstrapError::Invalid(format!("--agency: {e}")))?;
    if agency_name.trim().is_empty() || admin_name.trim().is_empty() {
        return Err(BootstrapError::Invalid(
            "--agency-name and --admin-name must not be empty".into(),
        ));
    }
    let mut db = store.db()?;
    if db.admin_exists()? {
        return Err(BootstrapError::AdminExists);
    }
    if !db.agency_exists(&agency)? {
        db.create_agency(&agency, agency_name.trim())?;
    }
    let admin = db.create_officer(&NewOfficer {
        name: admin_name.trim().to_owned(),
        agency,
        roles: vec![Role::Admin],
    })?;
    Ok(admin.account.id)
}
