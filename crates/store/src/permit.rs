//! Permits: audit-before-data as a type.
//!
//! A [`Permit`] is made in one place only, [`crate::AuditLog::append_decisions`],
//! and only for an entry that records an allowed decision, after that entry
//! is durable. It names what was allowed: the action, the client and the
//! record. The store's methods that return case data (record bodies, a
//! client's identity, consent details) demand a permit for exactly that
//! action, client and record, so code that forgets to decide and audit does
//! not compile, and a permit for one client cannot open another's data.
//!
//! A permit cannot be built outside this crate (its fields are private and
//! it has no public constructor):
//!
//! ```compile_fail
//! let permit = ingang_store::Permit {
//!     action: ingang_policy::AuditAction::ReadRecord,
//!     client: None,
//!     record: None,
//!     consent: None,
//! };
//! ```
//!
//! and a record's body cannot be read without one; this compiles:
//!
//! ```no_run
//! fn body(db: &mut ingang_store::Db, meta: ingang_store::RecordMeta, permit: ingang_store::Permit) {
//!     let _ = db.record_bodies(&[(meta, permit)]);
//! }
//! ```
//!
//! and the same call with the record alone does not:
//!
//! ```compile_fail
//! fn body(db: &mut ingang_store::Db, meta: ingang_store::RecordMeta) {
//!     let _ = db.record_bodies(&[meta]);
//! }
//! ```
//!
//! nor does reading a client's identity by id:
//!
//! ```compile_fail
//! fn identity(db: &mut ingang_store::Db, client: ingang_policy::ClientId) {
//!     let _ = db.client_identity(client);
//! }
//! ```

use crate::{NewAuditEvent, StoreError, StoreResult};
use ingang_policy::{AuditAction, ClientId, ConsentId, RecordId, Verdict};

/// Proof that an allowed decision was audited durably. Not `Clone`: one
/// decision, one permit.
#[derive(Debug, PartialEq, Eq)]
pub struct Permit {
    action: AuditAction,
    client: Option<ClientId>,
    record: Option<RecordId>,
    consent: Option<ConsentId>,
    /// The policy epoch as of the entry's commit (set by
    /// `append_decisions`): what a read may rely on of what this process
    /// keeps in memory under an epoch.
    pub(crate) stored_under: Option<i64>,
}

impl Permit {
    /// The permit for a stored entry, if it records an allowed decision.
    pub(crate) fn for_stored(event: &NewAuditEvent) -> Option<Permit> {
        match event.decision {
            Verdict::Allow => {}
            Verdict::Deny => return None,
        }
        Some(Permit {
            action: event.action,
            client: event.client_id,
            record: event.record_id,
            consent: event.consent_id,
            stored_under: None,
        })
    }

    /// The audited action (`record.read`, `client.read`, …).
    pub fn action(&self) -> AuditAction {
        self.action
    }

    pub fn client(&self) -> Option<ClientId> {
        self.client
    }

    pub fn record(&self) -> Option<RecordId> {
        self.record
    }

    /// The consent the access relied on, for case data.
    pub fn consent(&self) -> Option<ConsentId> {
        self.consent
    }

    /// Checks that this permit is for `action` (one that names no client).
    pub(crate) fn check_action(&self, action: AuditAction) -> StoreResult<()> {
        if self.action == action {
            Ok(())
        } else {
            Err(StoreError::PermitMismatch(action))
        }
    }

    /// The client of a permit for `action`; `PermitMismatch` otherwise.
    pub(crate) fn client_for(&self, action: AuditAction) -> StoreResult<ClientId> {
        match self.client {
            Some(client) if self.action == action => Ok(client),
            Some(_) | None => Err(StoreError::PermitMismatch(action)),
        }
    }

    /// Checks that this permit is for `action` on `record` of `client`.
    pub(crate) fn check_record(
        &self,
        action: AuditAction,
        client: ClientId,
        record: RecordId,
    ) -> StoreResult<()> {
        if self.action == action && self.client == Some(client) && self.record == Some(record) {
            Ok(())
        } else {
            Err(StoreError::PermitMismatch(action))
        }
    }
}
