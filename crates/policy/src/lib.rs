//! # ingang-policy
//!
//! The access rule of DESIGN §3 as a pure function: [`decide`] takes a
//! [`Request`] and the [`Facts`] the store loaded, and returns a [`Decision`]
//! with its reason. No IO, no clock, no database: the caller passes the time.
//!
//! Deny by default: every path through [`decide`] that does not positively
//! establish each condition of the rule ends in [`Decision::Deny`].
//!
//! The crate also holds the small pure domain types every layer shares
//! (ids, roles, record kinds, personal numbers).

mod decide;
mod domain;
mod ids;
mod personal_number;

pub use decide::{
    decide, Action, Actor, AssignmentFact, ClientFacts, ConsentFact, Decision, DenyReason,
    Disclosure, Facts, Request,
};
pub use domain::{RecordKind, Role};
pub use ids::{
    AgencyCode, AssignmentId, ClientId, ConsentId, InvalidAgencyCode, OfficerId, RecordId,
};
pub use personal_number::{PersonalNumber, PersonalNumberError};
