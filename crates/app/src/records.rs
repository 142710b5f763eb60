//! Records: write, list, read and amend, every read decided per record and
//! audited before its body is loaded.

use crate::decision::{with_permits, Decided, Resource};
use crate::{AppError, AppResult, Caller, RecordMeta, Session};
use chrono::{DateTime, Utc};
use ingang_policy::bodies::{self, BodyError};
use ingang_policy::plan::Conflict;
use ingang_policy::{Action, ClientId, ConsentId, RecordId, RecordKind};
use ingang_store::{LoadedFacts, RecordVersion, StoreError};
use serde_json::Value;

/// A record with the body of its current version.
#[derive(Clone)]
pub struct Record {
    pub meta: RecordMeta,
    /// The consent this read relied on (none for the record's own writer).
    pub consent: Option<ConsentId>,
    pub body: Value,
}

impl std::fmt::Debug for Record {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Record")
            .field("meta", &self.meta)
            .finish_non_exhaustive()
    }
}

/// A record just written, and the conflicts its new version has with the
/// plans the writer may see (action plans only; empty for other kinds).
#[derive(Debug, Clone)]
pub struct Written {
    pub record: Record,
    pub conflicts: Vec<Conflict>,
}

/// Where a list of records goes on: the `(created_at, id)` of the last
/// record given.
pub type RecordPosition = (DateTime<Utc>, RecordId);

/// A page of the records the caller may see, newest first.
#[derive(Debug, Clone)]
pub struct RecordPage {
    pub items: Vec<Record>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<RecordPosition>,
}

impl From<BodyError> for AppError {
    fn from(error: BodyError) -> Self {
        AppError::Invalid {
            field: error.field,
            detail: error.detail,
        }
    }
}

impl Session<'_> {
    /// Writes a new record for `client` as the caller's (or the represented
    /// officer's) agency.
    pub fn create_record(
        &mut self,
        caller: &Caller,
        client: ClientId,
        kind: RecordKind,
        body: Value,
    ) -> AppResult<Written> {
        bodies::validate(kind, &body)?;
        let action = Action::WriteRecord {
            kind,
            existing_source: None,
        };
        let (_, permit) = self.authorize_on_client(caller, action, client)?;
        let subject = caller.subject();
        // The draft is checked under a stand-in id (the store gives the
        // record its own), then its conflicts are told the real one.
        let stand_in = RecordId::new_random();
        let conflicts =
            self.plan_conflicts(caller, client, stand_in, &subject.agency, kind, &body)?;
        let consent = permit.consent();
        let meta = self
            .db
            .create_record(&permit, kind, &subject.agency, subject.id, &body)?;
        let conflicts = conflicts
            .into_iter()
            .map(|c| c.renamed(stand_in, meta.id))
            .collect();
        Ok(Written {
            record: Record {
                meta,
                consent,
                body,
            },
            conflicts,
        })
    }

    /// The records of `client` the caller may see, newest first, after
    /// `after`. Records outside the caller's consent are left out without
    /// trace: a short page never hints at hidden ones.
    pub fn list_records(
        &mut self,
        caller: &Caller,
        client: ClientId,
        after: Option<RecordPosition>,
        limit: i64,
    ) -> AppResult<RecordPage> {
        // One moment for the whole list: the gate and every record.
        let (facts, gate, at) = self.open_gate(caller, Action::ListRecords, client)?;

        // Scan until one more visible record than the page holds is found.
        let mut visible: Vec<(RecordMeta, Decided)> = Vec::new();
        let mut after = after;
        loop {
            let batch = self.db.record_page(client, after, (limit + 1).max(50))?;
            after = batch.records.last().map(|m| (m.created_at, m.id));
            for meta in batch.records {
                let decided = self.decide_record_read(caller, client, &meta, &facts, at)?;
                if decided.is_allowed() {
                    visible.push((meta, decided));
                }
                if visible.len() as i64 > limit {
                    break;
                }
            }
            if visible.len() as i64 > limit || !batch.more {
                break;
            }
        }
        let next = if visible.len() as i64 > limit {
            visible.truncate(usize::try_from(limit).unwrap_or(0));
            visible.last().map(|(m, _)| (m.created_at, m.id))
        } else {
            None
        };

        let mut decisions = vec![gate];
        let mut metas = Vec::with_capacity(visible.len());
        for (meta, decided) in visible {
            metas.push(meta);
            decisions.push(decided);
        }
        let mut permits = self.audit(caller, &decisions)?.into_iter();
        permits.next(); // the gate's
        let readable = with_permits(metas, permits)?;
        let bodies = self.db.record_bodies(&readable)?;
        let items = readable
            .into_iter()
            .zip(bodies)
            .map(|((meta, permit), body)| Record {
                meta,
                consent: permit.consent(),
                body,
            })
            .collect();
        Ok(RecordPage { items, next })
    }

    /// Decides a read of `meta`, a record of `client` whose facts are
    /// `facts`, at `at` (one of many in a list or a plan).
    pub(crate) fn decide_record_read(
        &mut self,
        caller: &Caller,
        client: ClientId,
        meta: &RecordMeta,
        facts: &LoadedFacts,
        at: DateTime<Utc>,
    ) -> AppResult<Decided> {
        let resource = Resource::Record {
            client: Some(client),
            record: meta.id,
        };
        self.decide(caller, &read_action(meta), resource, Some(facts), at)
    }

    /// One record, decided and audited before its body is loaded.
    pub fn read_record(&mut self, caller: &Caller, id: RecordId) -> AppResult<Record> {
        let (meta, permit) = self.authorize_record(caller, id, read_probe(caller), read_action)?;
        let readable = [(meta, permit)];
        let body = self
            .db
            .record_bodies(&readable)?
            .pop()
            .ok_or(AppError::NotFound)?;
        let [(meta, permit)] = readable;
        Ok(Record {
            meta,
            consent: permit.consent(),
            body,
        })
    }

    /// [`Session::read_record`] on a thread that must never wait (an HTTP
    /// worker), when everything it needs is kept in memory: decided kept
    /// first (`Session::kept_first`) with no statement, its audit entry
    /// awaited rather than waited for, and the body, taken sealed before
    /// the entry, opened only with the entry's permit. `Ok(None)`, with
    /// nothing stored or given out, when something is not kept, when the
    /// answer would be a refusal, or when the epochs moved before the
    /// entry's commit: then `read_record` decides on a thread that may wait
    /// — kept first again after [`KeptAnswer::NotKept`], on the database
    /// alone after [`KeptAnswer::DecidedAgain`].
    pub async fn read_kept_record(
        &mut self,
        authenticate: impl FnOnce(&mut Self) -> AppResult<Caller>,
        id: RecordId,
    ) -> AppResult<KeptAnswer> {
        // Kept only to the end: anything that would wait on this thread
        // fails instead.
        self.db.kept_first(true);
        self.db.kept_only(true);
        let read = self.read_kept(authenticate, id).await;
        self.db.kept_only(false);
        self.db.kept_first(false);
        read
    }

    async fn read_kept(
        &mut self,
        authenticate: impl FnOnce(&mut Self) -> AppResult<Caller>,
        id: RecordId,
    ) -> AppResult<KeptAnswer> {
        let (caller, meta, decided, body) = match self.decide_kept_read(authenticate, id) {
            Ok(decided) => decided,
            // Nothing stored: decided where the database can be waited for.
            Err(AppError::NotKept) => return Ok(KeptAnswer::NotKept),
            Err(error) => return Err(error),
        };
        let permit = match self.authorize_kept(&caller, &decided).await {
            Ok(permit) => permit,
            Err(AppError::Stale) => {
                self.count_decided_again();
                return Ok(KeptAnswer::DecidedAgain);
            }
            Err(error) => return Err(after_entry(error)),
        };
        let body = self
            .db
            .open_kept_body(body, &permit)
            .map_err(|error| after_entry(error.into()))?;
        self.app
            .store
            .audit()
            .stats()
            .answered_kept_only
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(KeptAnswer::Answered(Record {
            meta,
            consent: permit.consent(),
            body,
        }))
    }

    /// The first half of [`Session::read_kept_record`]: the caller, the
    /// record, an allowing decision on it and its sealed body, all from
    /// memory; [`AppError::NotKept`] when something is not kept or the
    /// answer would be a refusal (decided where the epochs can be read).
    fn decide_kept_read(
        &mut self,
        authenticate: impl FnOnce(&mut Self) -> AppResult<Caller>,
        id: RecordId,
    ) -> AppResult<KeptRead> {
        let caller = authenticate(self)?;
        let (meta, decided) = self.decide_record(&caller, id, read_probe(&caller), read_action)?;
        if !decided.is_allowed() {
            return Err(AppError::NotKept);
        }
        let body = self.db.kept_body(&meta)?;
        Ok((caller, meta, decided, body))
    }

    /// Every version of a record, oldest first: each version shown is a
    /// read of the record, decided once and audited once per version.
    pub fn record_versions(
        &mut self,
        caller: &Caller,
        id: RecordId,
    ) -> AppResult<Vec<RecordVersion>> {
        let (meta, decided) = self.decide_record(caller, id, read_probe(caller), read_action)?;
        if !decided.is_allowed() {
            self.authorize_decided(caller, decided)?;
            return Err(AppError::NotFound);
        }
        let copies = usize::try_from(meta.version).unwrap_or(1).max(1);
        let permit = self
            .audit(caller, &vec![decided; copies])?
            .into_iter()
            .next()
            .flatten()
            .ok_or_else(|| AppError::Internal("allowed read without a permit".into()))?;
        Ok(self.db.record_versions(&meta, &permit)?)
    }

    /// A new version of a record, by the authoring agency, if the stored
    /// version is one of `expected` (the caller's `If-Match`). A `kind`, when
    /// given, must be the record's own. Old versions are kept.
    pub fn amend_record(
        &mut self,
        caller: &Caller,
        id: RecordId,
        expected: &[i32],
        kind: Option<RecordKind>,
        body: Value,
    ) -> AppResult<Written> {
        let probe = Action::WriteRecord {
            kind: RecordKind::Note,
            existing_source: Some(caller.actor.agency.clone()),
        };
        let (meta, permit) =
            self.authorize_record(caller, id, probe, |meta| Action::WriteRecord {
                kind: meta.kind,
                existing_source: Some(meta.source_agency.clone()),
            })?;
        // A body may repeat its record's kind, never change it; checked only
        // now, so a caller who may not write learns nothing of the kind.
        if kind.is_some_and(|kind| kind != meta.kind) {
            return Err(AppError::invalid(
                "kind",
                format!("this record is a {}; its kind cannot change", meta.kind),
            ));
        }
        bodies::validate(meta.kind, &body)?;
        let conflicts = self.plan_conflicts(
            caller,
            meta.client_id,
            meta.id,
            &meta.source_agency,
            meta.kind,
            &body,
        )?;
        let consent = permit.consent();
        let meta = self
            .db
            .update_record(&permit, &meta, expected, caller.subject().id, &body)?;
        Ok(Written {
            record: Record {
                meta,
                consent,
                body,
            },
            conflicts,
        })
    }

    /// The conflicts an action plan `body` about to be written as `record`
    /// by `agency` would have; nothing for other kinds.
    fn plan_conflicts(
        &mut self,
        caller: &Caller,
        client: ClientId,
        record: RecordId,
        agency: &ingang_policy::AgencyCode,
        kind: RecordKind,
        body: &Value,
    ) -> AppResult<Vec<Conflict>> {
        match kind {
            RecordKind::ActionPlan => {
                let draft = ingang_policy::plan::VisiblePlan {
                    record,
                    agency: agency.clone(),
                    written_on: Utc::now().date_naive(),
                    plan: bodies::action_plan(body)?,
                };
                self.conflicts_of_draft(caller, client, draft)
            }
            RecordKind::Assessment
            | RecordKind::FollowUp
            | RecordKind::MeetingNote
            | RecordKind::Closure
            | RecordKind::Note => Ok(vec![]),
        }
    }

    /// Loads record `id` and authorizes `action_on(record)` on it. A missing
    /// record is decided (and audited) with `probe` and answers `NotFound`,
    /// exactly as a hidden one.
    fn authorize_record(
        &mut self,
        caller: &Caller,
        id: RecordId,
        probe: Action,
        action_on: impl FnOnce(&RecordMeta) -> Action,
    ) -> AppResult<(RecordMeta, ingang_store::Permit)> {
        let (meta, decided) = self.decide_record(caller, id, probe, action_on)?;
        let permit = self.authorize_decided(caller, decided)?;
        Ok((meta, permit))
    }

    /// Loads record `id` and decides `action_on(record)` on it, not yet
    /// audited. A missing record is decided and audited with `probe` here
    /// and answers `NotFound`.
    fn decide_record(
        &mut self,
        caller: &Caller,
        id: RecordId,
        probe: Action,
        action_on: impl FnOnce(&RecordMeta) -> Action,
    ) -> AppResult<(RecordMeta, Decided)> {
        let (meta, facts): (RecordMeta, LoadedFacts) = match self.db.record_with_facts(id) {
            Ok(found) => found,
            Err(StoreError::NotFound) => {
                let resource = Resource::Record {
                    client: None,
                    record: id,
                };
                self.authorize(caller, probe, resource, None)?;
                return Err(AppError::NotFound);
            }
            Err(other) => return Err(other.into()),
        };
        let resource = Resource::Record {
            client: Some(meta.client_id),
            record: id,
        };
        let decided = self.decide(
            caller,
            &action_on(&meta),
            resource,
            Some(&facts),
            Utc::now(),
        )?;
        Ok((meta, decided))
    }
}

/// What [`Session::read_kept_record`] came to. Only `Answered` stored an
/// audit entry.
pub enum KeptAnswer {
    /// Decided, audited and opened from memory.
    Answered(Record),
    /// Something was not kept, or the answer would be a refusal: to be
    /// decided kept first where the database can be waited for.
    NotKept,
    /// The epochs moved before the entry's commit: what is kept is out of
    /// date, so the read is decided on the database alone (kept first
    /// again, it would only be found stale again while a change to the
    /// epochs holds their lock).
    DecidedAgain,
}

/// A read decided kept only, before its entry: the caller, the record, the
/// decision and the record's sealed body.
type KeptRead = (Caller, RecordMeta, Decided, ingang_store::KeptBody);

/// An error of a read kept only once its entry may be stored: never sent
/// round to be decided again, which would store a second entry.
fn after_entry(error: AppError) -> AppError {
    match error {
        AppError::NotKept => {
            AppError::Internal("a read kept only needed the database after its entry".into())
        }
        AppError::Stale => {
            AppError::Internal("a read kept only found its permit stale after its entry".into())
        }
        other @ (AppError::Unauthenticated(_)
        | AppError::Denied(_)
        | AppError::NotFound
        | AppError::Absent { .. }
        | AppError::Invalid { .. }
        | AppError::Conflict(_)
        | AppError::UnknownReference(_)
        | AppError::PreconditionFailed { .. }
        | AppError::Unavailable
        | AppError::AuditUnavailable
        | AppError::Internal(_)) => other,
    }
}

/// What a read of a record that does not exist is decided as: the caller's
/// own agency and a note, so the answer is exactly that for a hidden one.
fn read_probe(caller: &Caller) -> Action {
    Action::ReadRecord {
        source: caller.actor.agency.clone(),
        kind: RecordKind::Note,
    }
}

/// A read of `meta`'s record.
fn read_action(meta: &RecordMeta) -> Action {
    Action::ReadRecord {
        source: meta.source_agency.clone(),
        kind: meta.kind,
    }
}
