//! The decision point: the one place where access is decided and audited.
//!
//! Every use case that touches a client or case data asks here. The pure
//! policy decides; the audit entry, carrying the moment of the decision, is
//! stored durably; only then is a [`Permit`] handed out, bound to the
//! action, client and record the request named. The store's methods that
//! return case data demand that permit. If the audit store fails, the
//! request fails (503) and nothing is returned.

use crate::{AppError, AppResult, Caller, Session};
use chrono::{DateTime, Utc};
use ingang_policy::{Action, AuditAction, ClientId, Decision, Facts, RecordId, Request};
use ingang_store::{LoadedFacts, NewAuditEvent, Permit};

/// What a request is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// Nothing tied to a client (agencies, officers, the audit log, registration).
    Nothing,
    /// A client, by id (which may not exist).
    Client(ClientId),
    /// A record: its client when the record exists, `None` when it does not.
    Record {
        client: Option<ClientId>,
        record: RecordId,
    },
}

impl Resource {
    fn client(self) -> Option<ClientId> {
        match self {
            Resource::Nothing => None,
            Resource::Client(client) => Some(client),
            Resource::Record { client, .. } => client,
        }
    }

    fn record(self) -> Option<RecordId> {
        match self {
            Resource::Nothing | Resource::Client(_) => None,
            Resource::Record { record, .. } => Some(record),
        }
    }
}

/// One decision as it is made: what was asked, about what, when, and the
/// answer. Turned into its audit entry before anything else happens.
#[derive(Debug, Clone)]
pub(crate) struct Decided {
    pub action: AuditAction,
    pub resource: Resource,
    pub decision: Decision,
    pub at: DateTime<Utc>,
}

impl Decided {
    pub fn is_allowed(&self) -> bool {
        self.decision.is_allowed()
    }
}

impl Session<'_> {
    /// Runs `attempt` — authenticating and one read, as a single record's —
    /// "kept first" (see `ingang_store::Db::kept_first`): decided on what
    /// this process keeps in memory under the newest epochs it knows, with
    /// no statement before the audit entry when the account, the record
    /// and its facts are all kept. The audit writer stores the entry only
    /// if those epochs are still current at its commit, so the decision
    /// holds for the facts as they stand when the entry is durable. If they
    /// moved, nothing was stored or given out, and `attempt` runs again,
    /// deciding on the database as every other request does. `attempt`
    /// must change nothing before its audit append: it may run twice.
    pub fn kept_first<T>(&mut self, attempt: impl Fn(&mut Self) -> AppResult<T>) -> AppResult<T> {
        self.db.kept_first(true);
        let first = attempt(self);
        self.db.kept_first(false);
        if let Err(AppError::Stale) = first {
            self.count_decided_again();
            return attempt(self);
        }
        first
    }

    /// Counts a request decided kept first whose epochs moved
    /// (`ingang_audit_decided_again_total`).
    pub(crate) fn count_decided_again(&self) {
        self.app
            .store
            .audit()
            .stats()
            .decided_again
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// [`Session::authorize_decided`] for an allowed decision taken kept
    /// only (`Session::read_kept_record`), without blocking: the entry goes to
    /// the audit writer and is awaited; the permit comes once it is
    /// durable. [`AppError::Stale`] if the epochs the decision went by
    /// moved before that commit: nothing was stored.
    pub(crate) async fn authorize_kept(
        &mut self,
        caller: &Caller,
        decided: &Decided,
    ) -> AppResult<Permit> {
        if !decided.is_allowed() {
            return Err(AppError::Internal(
                "a refusal is not authorized kept only".into(),
            ));
        }
        let pending = self
            .db
            .append_decisions_later(vec![audit_event(caller, decided)]);
        let permit = pending.await?.pop().flatten();
        permit_or_denial(decided, permit)
    }

    /// Decides `action` on `resource` as of `at`. `facts` must be those of
    /// the resource's client (`None`: no such client, or none named); facts
    /// of another client are refused as a bug, never decided on.
    pub(crate) fn decide(
        &self,
        caller: &Caller,
        action: &Action,
        resource: Resource,
        facts: Option<&LoadedFacts>,
        at: DateTime<Utc>,
    ) -> AppResult<Decided> {
        if let Some(facts) = facts {
            if Some(facts.client.id) != resource.client() {
                return Err(AppError::Internal(
                    "decision facts belong to another client".into(),
                ));
            }
        }
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
        Ok(Decided {
            action: action.audit_action(),
            resource,
            decision: ingang_policy::decide(&request, &facts),
            at,
        })
    }

    /// Stores the audit entries of `decisions` in one commit and returns a
    /// permit for each allowed one, in order.
    pub(crate) fn audit(
        &mut self,
        caller: &Caller,
        decisions: &[Decided],
    ) -> AppResult<Vec<Option<Permit>>> {
        let events = decisions.iter().map(|d| audit_event(caller, d)).collect();
        // Decided kept first on epochs that moved: nothing stored, and
        // `AppError::Stale` makes `Session::kept_first` decide again.
        let permits = self.db.append_decisions(events)?;
        for decided in decisions {
            match decided.decision {
                Decision::Deny { reason } => (self.app.on_denial)(reason),
                Decision::Allow { .. } => {}
            }
        }
        Ok(permits)
    }

    /// Decides now, audits, and returns the permit or the denial.
    pub(crate) fn authorize(
        &mut self,
        caller: &Caller,
        action: Action,
        resource: Resource,
        facts: Option<&LoadedFacts>,
    ) -> AppResult<Permit> {
        let decided = self.decide(caller, &action, resource, facts, Utc::now())?;
        self.authorize_decided(caller, decided)
    }

    /// Audits one decision already made and returns its permit or denial.
    pub(crate) fn authorize_decided(
        &mut self,
        caller: &Caller,
        decided: Decided,
    ) -> AppResult<Permit> {
        let permit = self
            .audit(caller, std::slice::from_ref(&decided))?
            .pop()
            .flatten();
        permit_or_denial(&decided, permit)
    }

    /// The gate of a view built from many records (a list, the plan): loads
    /// the client's facts and decides `action` on the client now. When it
    /// allows, gives the facts, the decision (to be audited with the
    /// records') and its moment, which every record of the view is decided
    /// at; otherwise audits the denial and fails.
    pub(crate) fn open_gate(
        &mut self,
        caller: &Caller,
        action: Action,
        client: ClientId,
    ) -> AppResult<(LoadedFacts, Decided, DateTime<Utc>)> {
        let facts = self.db.load_facts(client)?;
        let at = Utc::now();
        let gate = self.decide(
            caller,
            &action,
            Resource::Client(client),
            facts.as_ref(),
            at,
        )?;
        let Some(facts) = facts.filter(|_| gate.is_allowed()) else {
            self.authorize_decided(caller, gate)?;
            return Err(AppError::NotFound);
        };
        Ok((facts, gate, at))
    }

    /// Loads the client's facts and authorizes `action` on it.
    pub(crate) fn authorize_on_client(
        &mut self,
        caller: &Caller,
        action: Action,
        client: ClientId,
    ) -> AppResult<(LoadedFacts, Permit)> {
        let facts = self.db.load_facts(client)?;
        let permit = self.authorize(caller, action, Resource::Client(client), facts.as_ref())?;
        // An allow is only possible when the client exists.
        let facts = facts.ok_or(AppError::NotFound)?;
        Ok((facts, permit))
    }

    /// Authorizes an action that involves no client (managing agencies and
    /// officers, registering a client, querying the audit log).
    pub(crate) fn authorize_without_client(
        &mut self,
        caller: &Caller,
        action: Action,
    ) -> AppResult<Permit> {
        self.authorize(caller, action, Resource::Nothing, None)
    }
}

/// Pairs each allowed item with its permit, in order (`permits` are those
/// `Session::audit` gave for the items' decisions, all allowed).
pub(crate) fn with_permits<T>(
    items: Vec<T>,
    permits: impl Iterator<Item = Option<Permit>>,
) -> AppResult<Vec<(T, Permit)>> {
    items
        .into_iter()
        .zip(permits)
        .map(|(item, permit)| {
            permit
                .map(|p| (item, p))
                .ok_or_else(|| AppError::Internal("allowed read without a permit".into()))
        })
        .collect()
}

/// What an audited decision gives: its permit, or its refusal.
fn permit_or_denial(decided: &Decided, permit: Option<Permit>) -> AppResult<Permit> {
    match (&decided.decision, permit) {
        (Decision::Allow { .. }, Some(permit)) => Ok(permit),
        (Decision::Deny { reason }, _) => Err(AppError::Denied(*reason)),
        (Decision::Allow { .. }, None) => Err(AppError::Internal(
            "allowed decision without a permit".into(),
        )),
    }
}

/// The audit entry of one decision: ids and codes only, and the moment the
/// decision was made.
fn audit_event(caller: &Caller, decided: &Decided) -> NewAuditEvent {
    let (reason, consent) = match &decided.decision {
        Decision::Allow { consent } => (None, *consent),
        Decision::Deny { reason } => (Some(*reason), None),
    };
    NewAuditEvent {
        at: decided.at,
        actor_id: caller.actor.id,
        actor_agency: caller.actor.agency.clone(),
        on_behalf_of: caller.on_behalf_of.as_ref().map(|o| o.id),
        roles: caller.actor.roles.clone(),
        action: decided.action,
        client_id: decided.resource.client(),
        record_id: decided.resource.record(),
        decision: decided.decision.verdict(),
        reason,
        consent_id: consent,
        request_id: caller.request_id.clone(),
        source_addr: caller.source_addr.clone(),
    }
}
