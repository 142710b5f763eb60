//! Clients: registration, search by personal number, identity.

use crate::decision::{Decided, Resource};
use crate::{AppError, AppResult, Caller, ClientIdentity, Session};
use chrono::{DateTime, Utc};
use ingang_policy::{Action, ClientId, PersonalNumber, Role};
use ingang_store::{ClientSummary, Erasure, StoreError};

/// One line of a worklist: the client, and the name where the access rule
/// lets the caller read the identity and the identity is not protected.
#[derive(Clone)]
pub struct WorklistItem {
    pub client: ClientSummary,
    pub name: Option<String>,
    /// With [`Session::worklist_since`]: how many records the officer may
    /// read were written or amended since then.
    pub new_records: usize,
}

ingang_policy::redacted_debug!(WorklistItem);

/// Where a worklist goes on: the ordering time and id of the last line.
pub type WorklistPosition = (DateTime<Utc>, ClientId);

/// A page of a worklist.
#[derive(Debug, Clone)]
pub struct Worklist {
    pub items: Vec<WorklistItem>,
    pub next: Option<WorklistPosition>,
}

/// The outcome of a registration, as the caller may learn it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registration {
    /// A coordinator registered a new client.
    Created(ClientId),
    /// A system account's registration: the same whether or not the person
    /// was registered before; the id only once one of its agency's officers
    /// is assigned to the client (exactly when a search would find it).
    Accepted(Option<ClientId>),
}

/// What a retention run erased (or, in a dry run, would erase), and the
/// due clients it skipped because they were erased or used again meanwhile.
#[derive(Debug, Clone, Default)]
pub struct Retention {
    pub erased: Vec<ClientId>,
    pub skipped: Vec<ClientId>,
}

impl Session<'_> {
    /// Registers a client. Only a coordinator (operator staff, who must
    /// know) is told that the person is already registered (`Conflict`).
    pub fn register_client(
        &mut self,
        caller: &Caller,
        number: &PersonalNumber,
        name: &str,
        protected: bool,
    ) -> AppResult<Registration> {
        // Checked here, so every way in refuses a blank name alike.
        let name = crate::required_text("name", name, 200)?;
        let name = name.as_str();
        let permit = self.authorize_without_client(caller, Action::RegisterClient)?;
        if caller.actor.has(Role::Coordinator) {
            let id = self
                .db
                .register_client(&permit, number, name, protected, caller.actor.id)?;
            return Ok(Registration::Created(id));
        }
        // The new client is stored exactly as for a coordinator; an existing
        // one is left as it is (its name and protection are not changed).
        let id = match self
            .db
            .register_client(&permit, number, name, protected, caller.actor.id)
        {
            Ok(id) => id,
            Err(StoreError::Conflict(_)) => {
                self.db.find_client(number)?.ok_or(AppError::NotFound)?
            }
            Err(other) => return Err(other.into()),
        };
        // Whether the id may be told is the search decision, audited as one.
        let facts = self.db.load_facts(id)?;
        match self.authorize(
            caller,
            Action::SearchClient,
            Resource::Client(id),
            facts.as_ref(),
        ) {
            Ok(_) => Ok(Registration::Accepted(Some(id))),
            Err(AppError::Denied(_)) => Ok(Registration::Accepted(None)),
            Err(other) => Err(other),
        }
    }

    /// Finds a client by personal number: `NotFound` unless the caller may
    /// see that client (coordinators any, officers their own, systems their
    /// agency's officers' clients).
    pub fn search_client(
        &mut self,
        caller: &Caller,
        number: &PersonalNumber,
    ) -> AppResult<ClientId> {
        let found = self.db.find_client(number)?;
        let facts = found
            .map(|id| self.db.load_facts(id))
            .transpose()?
            .flatten();
        let resource = found.map_or(Resource::Nothing, Resource::Client);
        self.authorize(caller, Action::SearchClient, resource, facts.as_ref())?;
        found.ok_or(AppError::NotFound)
    }

    /// The client's identity fields, under the access rule (audited).
    pub fn client_identity(
        &mut self,
        caller: &Caller,
        client: ClientId,
    ) -> AppResult<ClientIdentity> {
        let (_, permit) = self.authorize_on_client(caller, Action::ReadClient, client)?;
        Ok(self.db.client_identity(&permit)?)
    }
}

impl Session<'_> {
    /// Marks or unmarks the client's identity as protected (coordinator).
    pub fn set_protected_identity(
        &mut self,
        caller: &Caller,
        client: ClientId,
        protected: bool,
    ) -> AppResult<()> {
        let (_, permit) = self.authorize_on_client(caller, Action::ProtectIdentity, client)?;
        Ok(self.db.set_protected_identity(&permit, protected)?)
    }

    /// Erases the client (coordinator): the data key is destroyed, every
    /// later read answers `Erased`, and the person can be registered anew.
    pub fn erase_client(
        &mut self,
        caller: &Caller,
        client: ClientId,
        reason: &str,
    ) -> AppResult<()> {
        let reason = crate::required_text("reason", reason, 1000)?;
        match self.erase(caller, client, &reason, None)? {
            Erasure::Erased => Ok(()),
            // Erased by someone else between the decision and the write.
            Erasure::AlreadyErased | Erasure::InUseAgain => {
                Err(AppError::Denied(ingang_policy::DenyReason::ClientErased))
            }
        }
    }

    /// Retention: the clients whose every consent ended (and who were
    /// registered) before `cutoff`. Unless `dry_run`, each is erased,
    /// audited as the caller's erasure, if it is still idle at that moment;
    /// one erased or used again meanwhile is skipped, and the run goes on.
    pub fn run_retention(
        &mut self,
        caller: &Caller,
        cutoff: DateTime<Utc>,
        dry_run: bool,
    ) -> AppResult<Retention> {
        let due = self.db.clients_idle_since(cutoff)?;
        if dry_run {
            return Ok(Retention {
                erased: due,
                skipped: vec![],
            });
        }
        let mut report = Retention::default();
        for client in due {
            let outcome = match self.erase(caller, client, "retention period ended", Some(cutoff)) {
                Ok(outcome) => outcome,
                // Erased by hand since the list was made: the rule says so.
                Err(AppError::Denied(ingang_policy::DenyReason::ClientErased)) => {
                    Erasure::AlreadyErased
                }
                Err(other) => return Err(other),
            };
            match outcome {
                Erasure::Erased => report.erased.push(client),
                Erasure::AlreadyErased | Erasure::InUseAgain => report.skipped.push(client),
            }
        }
        Ok(report)
    }

    /// Decides and audits an erasure of `client`, then erases it (only if
    /// still idle since `idle_before`, when given).
    fn erase(
        &mut self,
        caller: &Caller,
        client: ClientId,
        reason: &str,
        idle_before: Option<DateTime<Utc>>,
    ) -> AppResult<Erasure> {
        let (_, permit) = self.authorize_on_client(caller, Action::EraseClient, client)?;
        Ok(self
            .db
            .erase_client(&permit, caller.actor.id, reason, idle_before)?)
    }

    /// The caller's worklist: an officer's own assigned clients (by when
    /// the assignment began), or every client for a coordinator (by
    /// registration). A name is shown only where the access rule lets the
    /// caller read the client's identity and the identity is not protected;
    /// each name shown is audited as a `client.read`.
    pub fn worklist(
        &mut self,
        caller: &Caller,
        after: Option<WorklistPosition>,
        limit: i64,
    ) -> AppResult<Worklist> {
        self.worklist_since(caller, after, limit, None)
    }

    /// The worklist, and for an officer, per client the number of records
    /// they may read that were written or amended since `news_since` (their
    /// previous visit). Each count shown is audited as a `record.list` of
    /// that client, in the same commit as the names, before anything is
    /// returned.
    pub fn worklist_since(
        &mut self,
        caller: &Caller,
        after: Option<WorklistPosition>,
        limit: i64,
        news_since: Option<DateTime<Utc>>,
    ) -> AppResult<Worklist> {
        let at = Utc::now();
        let gate = self.decide(caller, &Action::ListClients, Resource::Nothing, None, at)?;
        if !gate.is_allowed() {
            self.authorize_decided(caller, gate)?;
            return Err(AppError::NotFound);
        }
        let officer = caller.actor.has(Role::Officer);
        let mut clients = if officer {
            self.db
                .clients_of_officer(caller.actor.id, after, limit + 1)?
        } else {
            self.db.client_summaries(after, limit + 1)?
        };
        let next = if clients.len() as i64 > limit {
            clients.truncate(usize::try_from(limit).unwrap_or(0));
            clients
                .last()
                .map(|c| (c.assigned_since.unwrap_or(c.created_at), c.id))
        } else {
            None
        };
        // Names: decided per client like any identity read. Only an officer
        // can pass that rule, so the facts are loaded only for officers'
        // lists; a coordinator's list shows ids, never names.
        let mut named: Vec<(usize, Decided)> = Vec::new();
        // Counts of new records, each with its `record.list` decision.
        let mut news: Vec<(usize, usize, Decided)> = Vec::new();
        if officer {
            for (i, client) in clients.iter().enumerate() {
                if client.erased {
                    continue;
                }
                let facts = self.db.load_facts(client.id)?;
                // A protected identity's name is never listed; its news
                // count is (it names nobody).
                if !client.protected_identity {
                    let decided = self.decide(
                        caller,
                        &Action::ReadClient,
                        Resource::Client(client.id),
                        facts.as_ref(),
                        at,
                    )?;
                    if decided.is_allowed() {
                        named.push((i, decided));
                    }
                }
                let (Some(since), Some(facts)) = (news_since, facts.as_ref()) else {
                    continue;
                };
                let listed = self.decide(
                    caller,
                    &Action::ListRecords,
                    Resource::Client(client.id),
                    Some(facts),
                    at,
                )?;
                if !listed.is_allowed() {
                    continue;
                }
                let mut count = 0;
                for meta in self.db.records_updated_since(client.id, since)? {
                    if self
                        .decide_record_read(caller, client.id, &meta, facts, at)?
                        .is_allowed()
                    {
                        count += 1;
                    }
                }
                if count > 0 {
                    news.push((i, count, listed));
                }
            }
        }
        let decisions: Vec<Decided> = std::iter::once(gate)
            .chain(named.iter().map(|(_, d)| d.clone()))
            .chain(news.iter().map(|(_, _, d)| d.clone()))
            .collect();
        let mut permits = self.audit(caller, &decisions)?.into_iter().skip(1);
        let mut names: Vec<Option<String>> = vec![None; clients.len()];
        for (i, _) in named {
            let permit = permits
                .next()
                .flatten()
                .ok_or_else(|| AppError::Internal("allowed read without a permit".into()))?;
            names[i] = match self.db.client_identity(&permit) {
                // Protected since the list was read: no name either.
                Ok(identity) if identity.protected_identity => None,
                Ok(identity) => Some(identity.name),
                // Erased since the list was read: no name, as for any
                // erased client, and the rest of the list still answers.
                Err(StoreError::KeyDestroyed) => None,
                Err(other) => return Err(other.into()),
            };
        }
        // The counts' decisions were stored with the names' (above).
        let mut counts = vec![0; clients.len()];
        for (i, count, _) in news {
            counts[i] = count;
        }
        let items = clients
            .into_iter()
            .zip(names)
            .zip(counts)
            .map(|((client, name), new_records)| WorklistItem {
                client,
                name,
                new_records,
            })
            .collect();
        Ok(Worklist { items, next })
    }
}
