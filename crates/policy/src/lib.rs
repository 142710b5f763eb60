//! # ingang-policy
//!
//! The access rule (docs/design.md) as a pure function: [`decide`] takes a
//! [`Request`] and the [`Facts`] the store loaded, and returns a [`Decision`]
//! with its reason. No IO, no clock, no database: the caller passes the time.
//!
//! Deny by default: every path through [`decide`] that does not positively
//! establish each condition of the rule ends in [`Decision::Deny`].
//!
//! The crate also holds the small pure domain types every layer shares
//! (ids, roles, record kinds, personal numbers).

pub mod bodies;
mod decide;
mod domain;
mod ids;
mod json_errors;
mod personal_number;
pub mod plan;
mod redact;
#[cfg(feature = "diesel")]
mod sql;

pub use decide::{
    decide, Action, Actor, AssignmentFact, ClientFacts, ConsentFact, Decision, DenyReason,
    Disclosure, Facts, Request,
};
pub use domain::{AuditAction, EvidenceMethod, RecordKind, Role, Verdict};
pub use ids::{
    AgencyCode, AssignmentId, ClientId, ConsentId, InvalidAgencyCode, OfficerId, RecordId,
};
pub use json_errors::sanitize_json_error;
pub use personal_number::{PersonalNumber, PersonalNumberError, PERSONAL_NUMBER_PATTERN};
