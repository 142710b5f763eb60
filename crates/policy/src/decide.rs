//! The decision point. Every read or write of case data, and every
//! administrative action, is decided here and nowhere else.

use crate::domain::closed_vocabulary;
use crate::{AgencyCode, AuditAction, ClientId, ConsentId, OfficerId, RecordKind, Role};
use chrono::{DateTime, Utc};
use std::fmt;
use std::str::FromStr;

/// An authenticated account as the decision sees it: the token's roles are
/// already narrowed to those the account really holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub id: OfficerId,
    pub agency: AgencyCode,
    pub roles: Vec<Role>,
    pub active: bool,
}

impl Actor {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// What the caller wants to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    // --- case data: the access rule (docs/design.md) ---
    /// Read the client's identity fields.
    ReadClient,
    /// List the client's records (each record returned is then decided as
    /// `ReadRecord`); needs what `ReadClient` needs.
    ListRecords,
    /// View the shared plan (each plan included is then decided as
    /// `ReadRecord`); needs what `ReadClient` needs.
    ViewPlan,
    /// Read one record written by `source` of kind `kind`.
    ReadRecord {
        source: AgencyCode,
        kind: RecordKind,
    },
    /// Write a new record, or a new version of one written by `existing_source`.
    WriteRecord {
        kind: RecordKind,
        existing_source: Option<AgencyCode>,
    },
    /// Look a client up by personal number.
    SearchClient,

    // --- operations on a client that are not case data ---
    /// Record, list or withdraw consents.
    ManageConsents,
    /// See who is assigned to the client.
    ReadAssignments,
    /// Mark or unmark the client's identity as protected.
    ProtectIdentity,
    /// Erase the client (crypto-shredding).
    EraseClient,
    /// Create or end an assignment of an officer of `officer_agency`.
    ManageAssignment {
        officer_agency: AgencyCode,
    },
    /// Read the client's access-log extract.
    ReadAccessLog,

    // --- operations not tied to a client ---
    /// The worklist: an officer's own clients, or every client for a
    /// coordinator (each name shown is then decided as `ReadClient`).
    ListClients,
    RegisterClient,
    ManageAgencies,
    ManageOfficers,
    QueryAudit,
    /// Export the log (JSON lines or CSV).
    ExportAudit,
    /// Read a checkpoint, the log's key, or an inclusion or consistency proof.
    ProveAudit,
    /// Verify the whole log.
    VerifyAudit,
}

impl Action {
    /// What the audit log calls this action.
    pub fn audit_action(&self) -> AuditAction {
        match self {
            Action::ReadClient => AuditAction::ReadClient,
            Action::ListRecords => AuditAction::ListRecords,
            Action::ViewPlan => AuditAction::ViewPlan,
            Action::ReadRecord { .. } => AuditAction::ReadRecord,
            Action::WriteRecord {
                existing_source: None,
                ..
            } => AuditAction::CreateRecord,
            Action::WriteRecord {
                existing_source: Some(_),
                ..
            } => AuditAction::UpdateRecord,
            Action::SearchClient => AuditAction::SearchClient,
            Action::ManageConsents => AuditAction::ManageConsents,
            Action::ManageAssignment { .. } => AuditAction::ManageAssignment,
            Action::ReadAssignments => AuditAction::ReadAssignments,
            Action::ProtectIdentity => AuditAction::ProtectIdentity,
            Action::EraseClient => AuditAction::EraseClient,
            Action::ListClients => AuditAction::ListClients,
            Action::ReadAccessLog => AuditAction::ReadAccessLog,
            Action::RegisterClient => AuditAction::RegisterClient,
            Action::ManageAgencies => AuditAction::ManageAgencies,
            Action::ManageOfficers => AuditAction::ManageOfficers,
            Action::QueryAudit => AuditAction::QueryAudit,
            Action::ExportAudit => AuditAction::ExportAudit,
            Action::ProveAudit => AuditAction::ProveAudit,
            Action::VerifyAudit => AuditAction::VerifyAudit,
        }
    }

    fn is_client_scoped(&self) -> bool {
        !matches!(
            self,
            Action::RegisterClient
                | Action::ListClients
                | Action::ManageAgencies
                | Action::ManageOfficers
                | Action::QueryAudit
                | Action::ExportAudit
                | Action::ProveAudit
                | Action::VerifyAudit
        )
    }
}

/// One decision request.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// The authenticated account (an officer, or a system account).
    pub caller: &'a Actor,
    /// The officer a system account acts for (the access rule's first condition), as stored.
    pub on_behalf_of: Option<&'a Actor>,
    pub action: Action,
    pub at: DateTime<Utc>,
}

/// Whether the client exists and is erased.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientFacts {
    pub id: ClientId,
    pub erased: bool,
}

/// One assignment of an officer to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignmentFact {
    pub officer: OfficerId,
    pub officer_agency: AgencyCode,
    pub from: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
}

impl AssignmentFact {
    pub fn active_at(&self, at: DateTime<Utc>) -> bool {
        self.from <= at && self.until.is_none_or(|until| at < until)
    }
}

/// One consent of the client, as signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentFact {
    pub id: ConsentId,
    pub recipient_officers: Vec<OfficerId>,
    pub recipient_agencies: Vec<AgencyCode>,
    /// Empty means every agency.
    pub from_agencies: Vec<AgencyCode>,
    /// Empty means every kind.
    pub kinds: Vec<RecordKind>,
    pub signed_at: DateTime<Utc>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    pub withdrawn_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum ConsentState {
    // Ordered by how useful the state is as a denial reason (later wins).
    NotYetValid,
    Expired,
    Withdrawn,
    Active,
}

impl ConsentFact {
    fn names(&self, officer: &Actor) -> bool {
        self.recipient_officers.contains(&officer.id)
            || self.recipient_agencies.contains(&officer.agency)
    }

    fn state_at(&self, at: DateTime<Utc>) -> ConsentState {
        if self.withdrawn_at.is_some_and(|w| w <= at) {
            ConsentState::Withdrawn
        } else if at < self.signed_at || at < self.valid_from {
            ConsentState::NotYetValid
        } else if at >= self.valid_until {
            ConsentState::Expired
        } else {
            ConsentState::Active
        }
    }

    fn covers(&self, source: &AgencyCode, kind: Option<RecordKind>) -> bool {
        let source_ok = self.from_agencies.is_empty() || self.from_agencies.contains(source);
        let kind_ok = match kind {
            None => true,
            Some(kind) => self.kinds.is_empty() || self.kinds.contains(&kind),
        };
        source_ok && kind_ok
    }
}

/// Everything the decision needs to know about the client.
#[derive(Debug, Clone, Default)]
pub struct Facts<'a> {
    /// `None`: no client with that id exists (or none was named).
    pub client: Option<ClientFacts>,
    pub assignments: &'a [AssignmentFact],
    pub consents: &'a [ConsentFact],
}

/// How much a denial may tell the caller (existence hiding, docs/design.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disclosure {
    /// Answer exactly as for an id that does not exist (404).
    Hidden,
    /// The caller already knows the client: 403 with the reason.
    Forbidden,
    /// The client was erased (410).
    Gone,
}

closed_vocabulary! {
    /// Why access was refused, as a stable machine-readable reason.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    #[serde(rename_all = "kebab-case")]
    pub enum DenyReason ("deny reason") {
        /// No such client, or the caller has no relation to it (shown as 404).
        NotFound = "not-found",
        /// The caller is not assigned to the client (shown as 404).
        NoAssignment = "no-assignment",
        ClientErased = "client-erased",
        RoleNotPermitted = "role-not-permitted",
        OfficerInactive = "officer-inactive",
        NoActiveConsent = "no-active-consent",
        ConsentWithdrawn = "consent-withdrawn",
        ConsentExpired = "consent-expired",
        OutsideConsentScope = "outside-consent-scope",
        /// A new version of a record may only come from the author's agency.
        NotAuthoringAgency = "not-authoring-agency",
    }
}

impl DenyReason {
    pub fn disclosure(self) -> Disclosure {
        match self {
            DenyReason::NotFound | DenyReason::NoAssignment => Disclosure::Hidden,
            DenyReason::ClientErased => Disclosure::Gone,
            DenyReason::RoleNotPermitted
            | DenyReason::OfficerInactive
            | DenyReason::NoActiveConsent
            | DenyReason::ConsentWithdrawn
            | DenyReason::ConsentExpired
            | DenyReason::OutsideConsentScope
            | DenyReason::NotAuthoringAgency => Disclosure::Forbidden,
        }
    }
}

/// The outcome, with what it relied on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow {
        /// The consent the access relied on, for case data.
        consent: Option<ConsentId>,
    },
    Deny {
        reason: DenyReason,
    },
}

impl Decision {
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow { .. })
    }

    /// What the audit entry records of it.
    pub fn verdict(&self) -> crate::Verdict {
        match self {
            Decision::Allow { .. } => crate::Verdict::Allow,
            Decision::Deny { .. } => crate::Verdict::Deny,
        }
    }

    fn deny(reason: DenyReason) -> Self {
        Decision::Deny { reason }
    }
}

/// Decides one request. Pure and total: same inputs, same answer.
pub fn decide(request: &Request<'_>, facts: &Facts<'_>) -> Decision {
    match decide_inner(request, facts) {
        Ok(consent) => Decision::Allow { consent },
        Err(reason) => Decision::deny(reason),
    }
}

type Outcome = Result<Option<ConsentId>, DenyReason>;

fn decide_inner(request: &Request<'_>, facts: &Facts<'_>) -> Outcome {
    let Request {
        caller,
        on_behalf_of,
        action,
        at,
    } = request;
    let at = *at;

    // Rule 1, part one: a system account may act for an officer only of its
    // own agency; nobody else may act for anyone. This does not depend on any
    // client, so saying so reveals nothing.
    let subject = match on_behalf_of {
        None => *caller,
        Some(officer) => {
            if !caller.has(Role::System) || officer.agency != caller.agency {
                return Err(DenyReason::RoleNotPermitted);
            }
            *officer
        }
    };

    if !action.is_client_scoped() {
        let required = match action {
            Action::RegisterClient => caller.has(Role::Coordinator) || caller.has(Role::System),
            Action::ListClients => caller.has(Role::Coordinator) || caller.has(Role::Officer),
            Action::ManageAgencies | Action::ManageOfficers => caller.has(Role::Admin),
            Action::QueryAudit | Action::ExportAudit | Action::ProveAudit | Action::VerifyAudit => {
                caller.has(Role::Auditor)
            }
            Action::ReadClient
            | Action::ListRecords
            | Action::ViewPlan
            | Action::ReadRecord { .. }
            | Action::WriteRecord { .. }
            | Action::SearchClient
            | Action::ManageConsents
            | Action::ReadAssignments
            | Action::ProtectIdentity
            | Action::EraseClient
            | Action::ManageAssignment { .. }
            | Action::ReadAccessLog => false,
        };
        return if on_behalf_of.is_none() && caller.active && required {
            Ok(None)
        } else {
            Err(DenyReason::RoleNotPermitted)
        };
    }

    let Some(client) = facts.client else {
        return Err(DenyReason::NotFound);
    };
    let assigned = |officer: &Actor| {
        facts
            .assignments
            .iter()
            .any(|a| a.officer == officer.id && a.active_at(at))
    };

    match action {
        Action::ManageConsents
        | Action::ReadAssignments
        | Action::ProtectIdentity
        | Action::EraseClient
        | Action::ReadAccessLog
        | Action::ManageAssignment { .. } => {
            let permitted = on_behalf_of.is_none()
                && caller.active
                && match action {
                    Action::ManageConsents
                    | Action::ReadAssignments
                    | Action::ProtectIdentity
                    | Action::EraseClient => caller.has(Role::Coordinator),
                    Action::ReadAccessLog => {
                        caller.has(Role::Coordinator) || caller.has(Role::Auditor)
                    }
                    Action::ManageAssignment { officer_agency } => {
                        caller.has(Role::Coordinator)
                            || (caller.has(Role::System) && *officer_agency == caller.agency)
                    }
                    Action::ReadClient
                    | Action::ListRecords
                    | Action::ViewPlan
                    | Action::ReadRecord { .. }
                    | Action::WriteRecord { .. }
                    | Action::SearchClient
                    | Action::RegisterClient
                    | Action::ListClients
                    | Action::ManageAgencies
                    | Action::ManageOfficers
                    | Action::QueryAudit
                    | Action::ExportAudit
                    | Action::ProveAudit
                    | Action::VerifyAudit => false,
                };
            if !permitted {
                // Without the role the caller has no business knowing the client exists.
                return Err(DenyReason::NotFound);
            }
            if client.erased && !matches!(action, Action::ReadAccessLog) {
                // Only a coordinator knows every client; to an agency's
                // system account an erased client looks like one that
                // never existed, as any client it has no officer with does.
                return Err(if caller.has(Role::Coordinator) {
                    DenyReason::ClientErased
                } else {
                    DenyReason::NotFound
                });
            }
            Ok(None)
        }
        Action::SearchClient => {
            let found = if on_behalf_of.is_some() {
                subject.has(Role::Officer) && assigned(subject)
            } else if caller.has(Role::Coordinator) {
                true
            } else if caller.has(Role::System) {
                facts
                    .assignments
                    .iter()
                    .any(|a| a.officer_agency == caller.agency && a.active_at(at))
            } else {
                caller.has(Role::Officer) && assigned(caller)
            };
            if !found || !caller.active || !subject.active {
                return Err(DenyReason::NotFound);
            }
            if client.erased {
                return Err(DenyReason::ClientErased);
            }
            Ok(None)
        }
        Action::ReadClient
        | Action::ListRecords
        | Action::ViewPlan
        | Action::ReadRecord { .. }
        | Action::WriteRecord { .. } => {
            decide_case_data(subject, action, client, facts, assigned(subject), at)
        }
        Action::RegisterClient
        | Action::ListClients
        | Action::ManageAgencies
        | Action::ManageOfficers
        | Action::QueryAudit
        | Action::ExportAudit
        | Action::ProveAudit
        | Action::VerifyAudit => Err(DenyReason::RoleNotPermitted),
    }
}

/// The access rule's four conditions (docs/design.md), for the officer `officer` (the caller, or the
/// officer a system account acts for).
fn decide_case_data(
    officer: &Actor,
    action: &Action,
    client: ClientFacts,
    facts: &Facts<'_>,
    assigned: bool,
    at: DateTime<Utc>,
) -> Outcome {
    // Rule 2 first: without an assignment the caller must not learn that the
    // client exists, so every later reason would leak.
    if !assigned {
        return Err(DenyReason::NoAssignment);
    }
    // Rule 4.
    if client.erased {
        return Err(DenyReason::ClientErased);
    }
    // Rule 1.
    if !officer.has(Role::Officer) {
        return Err(DenyReason::RoleNotPermitted);
    }
    if !officer.active {
        return Err(DenyReason::OfficerInactive);
    }
    // Rule 3: which source and kind the consent must cover.
    let (source, kind) = match action {
        Action::ReadClient | Action::ListRecords | Action::ViewPlan => (None, None),
        Action::ReadRecord { source, kind } => (Some(source), Some(*kind)),
        Action::WriteRecord {
            kind,
            existing_source,
        } => {
            if existing_source
                .as_ref()
                .is_some_and(|s| *s != officer.agency)
            {
                return Err(DenyReason::NotAuthoringAgency);
            }
            (Some(&officer.agency), Some(*kind))
        }
        Action::SearchClient
        | Action::ManageConsents
        | Action::ReadAssignments
        | Action::ProtectIdentity
        | Action::EraseClient
        | Action::ManageAssignment { .. }
        | Action::ReadAccessLog
        | Action::RegisterClient
        | Action::ListClients
        | Action::ManageAgencies
        | Action::ManageOfficers
        | Action::QueryAudit
        | Action::ExportAudit
        | Action::ProveAudit
        | Action::VerifyAudit => return Err(DenyReason::RoleNotPermitted),
    };

    let mut best_state = None;
    let mut relied_on: Option<&ConsentFact> = None;
    for consent in facts.consents.iter().filter(|c| c.names(officer)) {
        let state = consent.state_at(at);
        best_state = best_state.max(Some(state));
        let in_scope = source.is_none_or(|s| consent.covers(s, kind));
        if state == ConsentState::Active && in_scope {
            // Rely on the most recently signed consent that allows it.
            if relied_on.is_none_or(|r| consent.signed_at > r.signed_at) {
                relied_on = Some(consent);
            }
        }
    }
    if let Some(consent) = relied_on {
        return Ok(Some(consent.id));
    }
    Err(match best_state {
        Some(ConsentState::Active) => DenyReason::OutsideConsentScope,
        Some(ConsentState::Withdrawn) => DenyReason::ConsentWithdrawn,
        Some(ConsentState::Expired) => DenyReason::ConsentExpired,
        Some(ConsentState::NotYetValid) | None => DenyReason::NoActiveConsent,
    })
}

#[cfg(test)]
mod tests;
