//! The one decision point of the HTTP layer. Every handler that touches a
//! client or case data calls [`authorize`] (or, for lists, [`decide`] then
//! [`record_audit`]): the policy decides, the audit entry is stored durably,
//! and only then may the handler load or return data. If the audit store
//! fails, the request fails with 503 and returns nothing.

use crate::auth::Caller;
use crate::error::ApiError;
use chrono::{DateTime, Utc};
use ingang_policy::{Action, ClientId, ConsentId, Decision, Facts, RecordId, Request};
use ingang_store::{LoadedFacts, NewAuditEvent, Store};

/// A decision and the moment it was made: the audit entry records that
/// moment, never a later one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decided {
    pub decision: Decision,
    pub at: DateTime<Utc>,
}

impl Decided {
    pub fn is_allowed(&self) -> bool {
        self.decision.is_allowed()
    }
}

/// Decides `action` for `caller` over `facts` (None: no such client, or no
/// client involved) at this moment. Pure but for the clock: no audit yet.
pub fn decide(caller: &Caller, action: &Action, facts: Option<&LoadedFacts>) -> Decided {
    decide_at(caller, action, facts, Utc::now())
}

/// Decides as of `at`, so that every decision of one request (a list's gate
/// and each record) shares the request's moment.
pub fn decide_at(
    caller: &Caller,
    action: &Action,
    facts: Option<&LoadedFacts>,
    at: DateTime<Utc>,
) -> Decided {
    let request = Request {
        caller: &caller.actor,
        on_behalf_of: caller.on_behalf_of.as_ref(),
        action: action.clone(),
        at,
    };
    let facts = match facts {
        Some(f) => Facts {
            client: Some(f.client),
            assignments: &f.assignments,
            consents: &f.consents,
        },
        None => Facts::default(),
    };
    Decided {
        decision: ingang_policy::decide(&request, &facts),
        at,
    }
}

/// The audit entry of one decision. Ids only.
pub fn audit_event(
    caller: &Caller,
    action: &str,
    client: Option<ClientId>,
    record: Option<RecordId>,
    decided: &Decided,
) -> NewAuditEvent {
    let (verdict, reason, consent) = match &decided.decision {
        Decision::Allow { consent } => ("allow", None, *consent),
        Decision::Deny { reason } => ("deny", Some(reason.code().to_owned()), None),
    };
    let mut roles: Vec<&str> = caller.actor.roles.iter().map(|r| r.as_str()).collect();
    roles.sort_unstable();
    NewAuditEvent {
        at: decided.at,
        actor_id: caller.actor.id.to_string(),
        actor_agency: caller.actor.agency.to_string(),
        on_behalf_of: caller.on_behalf_of.as_ref().map(|o| o.id.to_string()),
        roles: roles.join(","),
        action: action.to_owned(),
        client_id: client.map(|c| c.to_string()),
        record_id: record.map(|r| r.to_string()),
        decision: verdict.to_owned(),
        reason,
        consent_id: consent.map(|c| c.to_string()),
        request_id: caller.request_id.clone(),
        source_addr: caller.source_addr.clone(),
    }
}

/// Stores audit entries durably; 503 if that fails.
pub fn record_audit(store: &Store, events: Vec<NewAuditEvent>) -> Result<(), ApiError> {
    let denials: Vec<String> = events.iter().filter_map(|e| e.reason.clone()).collect();
    store.audit().append(events).map_err(ApiError::from)?;
    for reason in &denials {
        crate::metrics::observe_denial(reason);
    }
    Ok(())
}

/// Decides, audits, and maps a denial to its error. Blocking.
pub fn authorize(
    store: &Store,
    caller: &Caller,
    action: Action,
    client: Option<ClientId>,
    record: Option<RecordId>,
    facts: Option<&LoadedFacts>,
) -> Result<Option<ConsentId>, ApiError> {
    let decided = decide(caller, &action, facts);
    record_audit(
        store,
        vec![audit_event(caller, action.name(), client, record, &decided)],
    )?;
    match decided.decision {
        Decision::Allow { consent } => Ok(consent),
        Decision::Deny { reason } => Err(ApiError::Denied(reason)),
    }
}

/// Authorizes an action that involves no client or record (managing
/// agencies and officers, registering a client, querying the audit log).
/// Blocking.
pub fn authorize_without_client(
    store: &Store,
    caller: &Caller,
    action: Action,
) -> Result<(), ApiError> {
    authorize(store, caller, action, None, None, None).map(|_| ())
}

/// Loads the client's facts and authorizes `action` on it. Blocking.
pub fn authorize_on_client(
    store: &Store,
    caller: &Caller,
    action: Action,
    client: ClientId,
    record: Option<RecordId>,
) -> Result<(LoadedFacts, Option<ConsentId>), ApiError> {
    let facts = store.load_facts(client)?;
    let consent = authorize(store, caller, action, Some(client), record, facts.as_ref())?;
    // An allow is only possible when the client exists.
    let facts = facts.ok_or(ApiError::NotFound)?;
    Ok((facts, consent))
}
