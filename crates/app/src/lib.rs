//! # ingang-app
//!
//! The use cases of ingång: one function per operation, taking the caller
//! and typed input and giving typed output. Every way in (the HTTP API
//! today; the web page and feeds later) calls these and nothing below them,
//! so none of them touches the store or decides access on its own.
//!
//! The decision point ([`decision`]) lives here: the pure policy decides,
//! the audit entry is stored durably, and only then does a use case get the
//! [`ingang_store::Permit`] that the store's data-returning methods demand.

mod caller;
mod decision;
mod error;

pub mod agencies;
pub mod assignments;
pub mod audit;
pub mod browser;
pub mod client_file;
pub mod clients;
pub mod consents;
pub mod officers;
pub mod plan;
pub mod records;
pub mod transparency;

pub use caller::{Caller, RequestContext, TokenIdentity};
pub use decision::Resource;
pub use error::{AppError, AppResult};

// What the use cases give back. Re-exported so the layers above name them
// through this crate and never depend on the store.
pub use ingang_store::leaf::{decode as decode_leaf, Leaf};
pub use ingang_store::merkle::{Cosignature, InclusionProof, SequencedEntry, StoredCheckpoint};
pub use ingang_store::verify::{Finding, Report as VerifyReport};
pub use ingang_store::{
    Agency, Assignment, AuditEvent, AuditFilter, AuditStats, ClientIdentity, Consent,
    ConsentEvidence, NewAuditEvent, NewConsent, NewOfficer, Officer, PoolStatus, RecordMeta,
    BATCH_BUCKETS,
};

use ingang_policy::DenyReason;
use ingang_store::Store;
use std::sync::Arc;

/// The application: the store behind the use cases, which run in a
/// [`Session`] (see [`App::session`]). Cheap to clone.
#[derive(Clone)]
pub struct App {
    store: Store,
    on_denial: Arc<dyn Fn(DenyReason) + Send + Sync>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl App {
    pub fn new(store: Store) -> Self {
        Self {
            store,
            on_denial: Arc::new(|_| {}),
        }
    }

    /// Calls `observe` for every audited denial (for metrics).
    pub fn on_denial(mut self, observe: impl Fn(DenyReason) + Send + Sync + 'static) -> Self {
        self.on_denial = Arc::new(observe);
        self
    }

    /// Readiness: (the database answers, the keys pass their self-test).
    pub fn readiness(&self) -> (bool, bool) {
        let database = self
            .store
            .ping()
            .map_err(|e| log::warn!("readiness: database: {e}"))
            .is_ok();
        let keys = self
            .store
            .keys()
            .self_test()
            .map_err(|e| log::error!("readiness: key self-test failed: {e}"))
            .is_ok();
        (database, keys)
    }

    /// Connection pool use, for metrics.
    pub fn pool_status(&self) -> PoolStatus {
        self.store.pool_status()
    }

    /// Audit writer counters, for metrics.
    pub fn audit_stats(&self) -> &AuditStats {
        self.store.audit().stats()
    }

    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        self.store.backend()
    }

    /// A session for one request: one database connection, on which the
    /// caller is authenticated and every use case of the request runs.
    pub fn session(&self) -> AppResult<Session<'_>> {
        Ok(Session {
            app: self,
            db: self.store.db()?,
        })
    }
}

/// One request's use cases over one database connection. Every operation
/// is a method here: caller and typed input in, typed output out.
pub struct Session<'a> {
    app: &'a App,
    db: ingang_store::Db<'a>,
}

impl std::fmt::Debug for Session<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").finish_non_exhaustive()
    }
}

/// Refuses blank or oversized free text, naming the field; returns it
/// trimmed. Blank and length are judged on the text as sent, exactly as the
/// contract's pattern and `maxLength` state them.
pub fn required_text(field: &str, value: &str, max_chars: usize) -> AppResult<String> {
    if ingang_policy::bodies::is_blank(value) {
        return Err(AppError::invalid(field, "must not be empty"));
    }
    if value.chars().count() > max_chars {
        return Err(AppError::invalid(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    Ok(value.trim().to_owned())
}
