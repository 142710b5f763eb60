//! Clients: registration, lookup through the blind index, identity, and the
//! facts the access decision needs.

use crate::cases::consent_facts;
use crate::crypto::Place;
use crate::schema::{assignments, clients, data_keys, officers};
use crate::time::{from_micros, to_micros};
use crate::{Permit, StoreError, StoreResult};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use ingang_policy::{
    AgencyCode, AssignmentFact, AuditAction, ClientFacts, ClientId, ConsentFact, OfficerId,
    PersonalNumber,
};

/// A client's identity fields, decrypted.
#[derive(Clone)]
pub struct ClientIdentity {
    pub id: ClientId,
    /// Normalised 12-digit form.
    pub personal_number: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// Protected (skyddad identitet) as of this read: a list must not
    /// show the name even if it was not protected when the list began.
    pub protected_identity: bool,
}

impl std::fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientIdentity")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

fn place<'a>(field: &'a str, row: &'a str) -> Place<'a> {
    Place {
        table: "clients",
        field,
        row,
    }
}

/// A client as a worklist shows it: no personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSummary {
    pub id: ClientId,
    pub protected_identity: bool,
    pub created_at: DateTime<Utc>,
    pub erased: bool,
    /// For an officer's worklist: since when the officer is assigned.
    pub assigned_since: Option<DateTime<Utc>>,
}

/// The columns of `clients` a worklist reads.
#[derive(Queryable, Selectable)]
#[diesel(table_name = clients)]
struct SummaryRow {
    id: ClientId,
    protected_identity: bool,
    created_at: i64,
    erased_at: Option<i64>,
}

impl SummaryRow {
    fn summary(self, assigned_since: Option<i64>) -> ClientSummary {
        ClientSummary {
            id: self.id,
            protected_identity: self.protected_identity,
            created_at: from_micros(self.created_at),
            erased: self.erased_at.is_some(),
            assigned_since: assigned_since.map(from_micros),
        }
    }
}

/// Everything [`ingang_policy::decide`] needs about one client.
#[derive(Debug, Clone)]
pub struct LoadedFacts {
    pub client: ClientFacts,
    pub assignments: Vec<AssignmentFact>,
    pub consents: Vec<ConsentFact>,
}

impl crate::Db<'_> {
    /// Registers a client; `Conflict` if the personal number is already registered.
    /// Registers a client under a `client.register` permit.
    pub fn register_client(
        &mut self,
        permit: &Permit,
        number: &PersonalNumber,
        name: &str,
        protected: bool,
        by: OfficerId,
    ) -> StoreResult<ClientId> {
        permit.check_action(AuditAction::RegisterClient)?;
        let id = ClientId::new_random();
        let id_text = id.to_string();
        let (key, wrapped) = self.store.keys().new_data_key(&id_text)?;
        let pn_ct = key.seal_str(place("personal_number", &id_text), number.normalised())?;
        let name_ct = key.seal_str(place("name", &id_text), name)?;
        let index = self.store.keys().blind_index(number);
        let now = to_micros(Utc::now());
        let conn = self.conn.get(self.store)?;
        let _turn = self.store.write_turn(self.depth);
        let result = conn.transaction(|c| {
            diesel::insert_into(clients::table)
                .values((
                    clients::id.eq(id),
                    clients::pn_index.eq(&index),
                    clients::pn_ct.eq(&pn_ct),
                    clients::name_ct.eq(&name_ct),
                    clients::registered_by.eq(by),
                    clients::created_at.eq(now),
                    clients::protected_identity.eq(protected),
                ))
                .execute(c)?;
            diesel::insert_into(data_keys::table)
                .values((
                    data_keys::subject_id.eq(&id_text),
                    data_keys::kek_id.eq(&wrapped.kek_id),
                    data_keys::wrapped.eq(&wrapped.wrapped),
                    data_keys::created_at.eq(now),
                ))
                .execute(c)?;
            diesel::QueryResult::Ok(())
        });
        match result {
            Ok(()) => Ok(id),
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => Err(StoreError::Conflict(
                "a client with this personal number is already registered",
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// The client with this personal number, through the blind index.
    pub fn find_client(&mut self, number: &PersonalNumber) -> StoreResult<Option<ClientId>> {
        let index = self.store.keys().blind_index(number);
        let conn = self.conn.get(self.store)?;
        Ok(clients::table
            .filter(clients::pn_index.eq(index))
            .select(clients::id)
            .first(&mut *conn)
            .optional()?)
    }

    /// The identity of the client a `client.read` permit names.
    pub fn client_identity(&mut self, permit: &Permit) -> StoreResult<ClientIdentity> {
        let id = permit.client_for(AuditAction::ReadClient)?;
        let id_text = id.to_string();
        let conn = self.conn.get(self.store)?;
        /// The sealed identity fields of one client.
        #[derive(Queryable, Selectable)]
        #[diesel(table_name = clients)]
        struct IdentityRow {
            pn_ct: Vec<u8>,
            name_ct: Vec<u8>,
            created_at: i64,
            protected_identity: bool,
        }
        let row: IdentityRow = clients::table
            .find(id)
            .select(IdentityRow::as_select())
            .first(&mut *conn)?;
        let key = crate::accounts::data_key(self.store.keys(), conn, &id_text)?;
        Ok(ClientIdentity {
            id,
            personal_number: key.open_string(place("personal_number", &id_text), &row.pn_ct)?,
            name: key.open_string(place("name", &id_text), &row.name_ct)?,
            created_at: from_micros(row.created_at),
            protected_identity: row.protected_identity,
        })
    }

    /// Marks or unmarks the identity of the client a `client.protect`
    /// permit names as protected.
    pub fn set_protected_identity(&mut self, permit: &Permit, protected: bool) -> StoreResult<()> {
        let id = permit.client_for(AuditAction::ProtectIdentity)?;
        let conn = self.conn.get(self.store)?;
        let changed = diesel::update(clients::table.find(id).filter(clients::erased_at.is_null()))
            .set(clients::protected_identity.eq(protected))
            .execute(&mut *conn)?;
        if changed == 0 {
            // Erased since the decision: answered as after the erasure.
            return Err(StoreError::KeyDestroyed);
        }
        Ok(())
    }

    /// Erases the client a `client.erase` permit names, in one transaction:
    /// its data key is destroyed (every ciphertext sealed under it, identity,
    /// record bodies, consent purposes, becomes noise), its blind-index entry
    /// is replaced by random bytes (the person can be registered anew), and
    /// who erased it and why (sealed under the eraser's own key) are kept.
    /// Audit entries keep their ids.
    ///
    /// With `idle_before` (retention), the client is erased only if it is
    /// still idle since then, checked after the client's row is locked by
    /// the erasure's own update: a consent recorded meanwhile (its insert
    /// holds a lock on that row until it commits) is seen, and saves the
    /// client.
    pub fn erase_client(
        &mut self,
        permit: &Permit,
        by: OfficerId,
        reason: &str,
        idle_before: Option<DateTime<Utc>>,
    ) -> StoreResult<Erasure> {
        let id = permit.client_for(AuditAction::EraseClient)?;
        let id_text = id.to_string();
        let by_text = by.to_string();
        let conn = self.conn.get(self.store)?;
        let eraser_key = crate::accounts::data_key(self.store.keys(), conn, &by_text)?;
        let reason_ct = eraser_key.seal_str(place("erasure_reason", &id_text), reason)?;
        let tombstone = crate::crypto::random_bytes::<32>()?;
        let now = to_micros(Utc::now());
        let _turn = self.store.write_turn(self.depth);
        let outcome = conn.transaction(|c| {
            let changed =
                diesel::update(clients::table.find(id).filter(clients::erased_at.is_null()))
                    .set((
                        clients::erased_at.eq(Some(now)),
                        clients::erased_by.eq(Some(by)),
                        clients::erasure_reason_ct.eq(Some(&reason_ct)),
                        clients::pn_index.eq(&tombstone[..]),
                    ))
                    .execute(c)?;
            if changed == 0 {
                return Ok(Erasure::AlreadyErased);
            }
            if let Some(cutoff) = idle_before {
                if !consents_in_force(c, Some(id), cutoff)?.is_empty() {
                    // Undo the update: the client is in use again.
                    return Err(diesel::result::Error::RollbackTransaction);
                }
            }
            diesel::delete(data_keys::table.find(&id_text)).execute(c)?;
            Ok(Erasure::Erased)
        });
        match outcome {
            Ok(Erasure::Erased) => {
                // This process forgets the client's wrapped key at once;
                // the others at their next request (the epoch moved).
                self.store.facts.forget_data_key(id);
                Ok(Erasure::Erased)
            }
            Ok(erasure) => Ok(erasure),
            Err(diesel::result::Error::RollbackTransaction) => Ok(Erasure::InUseAgain),
            Err(other) => Err(other.into()),
        }
    }

    /// The clients retention would erase as of `cutoff`, oldest first.
    pub fn clients_idle_since(&mut self, cutoff: DateTime<Utc>) -> StoreResult<Vec<ClientId>> {
        let conn = self.conn.get(self.store)?;
        Ok(idle_clients(&mut *conn, cutoff)?)
    }
    /// Every client, oldest first, after `after` (a coordinator's
    /// worklist).
    pub fn client_summaries(
        &mut self,
        after: Option<(DateTime<Utc>, ClientId)>,
        limit: i64,
    ) -> StoreResult<Vec<ClientSummary>> {
        let conn = self.conn.get(self.store)?;
        let mut query = clients::table.select(SummaryRow::as_select()).into_boxed();
        if let Some((at, id)) = after {
            let at = to_micros(at);
            query = query.filter(
                clients::created_at
                    .gt(at)
                    .or(clients::created_at.eq(at).and(clients::id.gt(id))),
            );
        }
        let rows: Vec<SummaryRow> = query
            .order((clients::created_at.asc(), clients::id.asc()))
            .limit(limit)
            .load(&mut *conn)?;
        Ok(rows.into_iter().map(|row| row.summary(None)).collect())
    }

    /// The clients `officer` is assigned to now, by assignment start.
    pub fn clients_of_officer(
        &mut self,
        officer: OfficerId,
        after: Option<(DateTime<Utc>, ClientId)>,
        limit: i64,
    ) -> StoreResult<Vec<ClientSummary>> {
        let conn = self.conn.get(self.store)?;
        let mut query = clients::table
            .inner_join(assignments::table)
            .filter(assignments::officer_id.eq(officer))
            .filter(assignments::ended_at.is_null())
            .select((SummaryRow::as_select(), assignments::starts_at))
            .into_boxed();
        if let Some((at, id)) = after {
            let at = to_micros(at);
            query = query.filter(
                assignments::starts_at
                    .gt(at)
                    .or(assignments::starts_at.eq(at).and(clients::id.gt(id))),
            );
        }
        let rows: Vec<(SummaryRow, i64)> = query
            .order((assignments::starts_at.asc(), clients::id.asc()))
            .limit(limit)
            .load(&mut *conn)?;
        Ok(rows
            .into_iter()
            .map(|(row, since)| row.summary(Some(since)))
            .collect())
    }

    /// Loads the client's existence, assignments and consents: the facts of
    /// one decision. `None` when no such client exists.
    pub fn load_facts(&mut self, id: ClientId) -> StoreResult<Option<LoadedFacts>> {
        let epoch = self.policy_epoch()?;
        if let Some(facts) = epoch.and_then(|e| self.store.facts.facts(e, id)) {
            return Ok(Some(facts));
        }
        let conn = self.conn.get(self.store)?;
        let Some(erased_at) = clients::table
            .find(id)
            .select(clients::erased_at)
            .first::<Option<i64>>(&mut *conn)
            .optional()?
        else {
            return Ok(None);
        };
        let facts = facts_on(conn, id, erased_at.is_some())?;
        if let Some(epoch) = epoch {
            self.store.facts.keep_facts(epoch, &facts);
        }
        Ok(Some(facts))
    }
}

/// Assignments and consents of a client known to exist (two queries).
pub(crate) fn facts_on(
    conn: &mut crate::DbConnection,
    id: ClientId,
    erased: bool,
) -> StoreResult<LoadedFacts> {
    /// One assignment as a decision sees it.
    #[derive(Queryable)]
    struct AssignmentFactRow {
        officer_id: OfficerId,
        officer_agency: AgencyCode,
        starts_at: i64,
        ended_at: Option<i64>,
    }
    let assignment_rows: Vec<AssignmentFactRow> = assignments::table
        .inner_join(officers::table)
        .filter(assignments::client_id.eq(id))
        .select((
            assignments::officer_id,
            officers::agency,
            assignments::starts_at,
            assignments::ended_at,
        ))
        .load(&mut *conn)?;
    let assignments = assignment_rows
        .into_iter()
        .map(|row| AssignmentFact {
            officer: row.officer_id,
            officer_agency: row.officer_agency,
            from: from_micros(row.starts_at),
            until: row.ended_at.map(from_micros),
        })
        .collect();
    let consents = consent_facts(conn, id)?;
    Ok(LoadedFacts {
        client: ClientFacts { id, erased },
        assignments,
        consents,
    })
}

/// What an erasure did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Erasure {
    Erased,
    /// Someone else erased the client first.
    AlreadyErased,
    /// Retention only: the client is no longer idle (a consent recorded
    /// since the run began); nothing changed.
    InUseAgain,
}

/// Clients whose latest sign of life — registration, or the end of any of
/// their consents (its expiry or withdrawal) — is before `cutoff`, and who
/// are not erased: what retention erases, oldest first.
fn idle_clients(
    conn: &mut crate::DbConnection,
    cutoff: DateTime<Utc>,
) -> QueryResult<Vec<ClientId>> {
    let old: Vec<ClientId> = clients::table
        .filter(clients::erased_at.is_null())
        .filter(clients::created_at.lt(to_micros(cutoff)))
        .select(clients::id)
        .order((clients::created_at.asc(), clients::id.asc()))
        .load(conn)?;
    let in_use = consents_in_force(conn, None, cutoff)?;
    Ok(old.into_iter().filter(|c| !in_use.contains(c)).collect())
}

/// The clients (all, or just `only`) with a consent still in force at
/// `cutoff`: not expired before it and not withdrawn before it.
fn consents_in_force(
    conn: &mut crate::DbConnection,
    only: Option<ClientId>,
    cutoff: DateTime<Utc>,
) -> QueryResult<std::collections::HashSet<ClientId>> {
    use crate::schema::{consent_withdrawals, consents};
    let cutoff = to_micros(cutoff);
    let mut query = consents::table
        .left_join(consent_withdrawals::table)
        .filter(consents::valid_until.ge(cutoff))
        .filter(
            consent_withdrawals::withdrawn_at
                .nullable()
                .is_null()
                .or(consent_withdrawals::withdrawn_at.nullable().ge(cutoff)),
        )
        .select(consents::client_id)
        .distinct()
        .into_boxed();
    if let Some(id) = only {
        query = query.filter(consents::client_id.eq(id));
    }
    Ok(query.load::<ClientId>(conn)?.into_iter().collect())
}
