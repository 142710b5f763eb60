//! Consents, assignments and records: the case data and what governs it.

use crate::crypto::Place;
use crate::schema::{
    assignments, clients, consent_withdrawals, consents, data_keys, officers, record_versions,
    records,
};
use crate::time::{from_micros, to_micros};
use crate::{Account, LoadedFacts};
use crate::{Permit, StoreError, StoreResult};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use ingang_policy::{
    AgencyCode, AssignmentId, AuditAction, ClientId, ConsentFact, ConsentId, EvidenceMethod,
    OfficerId, RecordId, RecordKind, Role,
};

// ---------- consents ----------

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentEvidence {
    pub method: EvidenceMethod,
    /// SHA-256 of the signed document, 64 lowercase hex digits.
    pub document_sha256: String,
}

#[derive(Clone)]
pub struct NewConsent {
    pub recipient_officers: Vec<OfficerId>,
    pub recipient_agencies: Vec<AgencyCode>,
    pub from_agencies: Vec<AgencyCode>,
    pub kinds: Vec<RecordKind>,
    pub purpose: String,
    pub signed_at: DateTime<Utc>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    pub evidence: ConsentEvidence,
}

#[derive(Clone)]
pub struct Consent {
    pub id: ConsentId,
    pub client_id: ClientId,
    pub terms: NewConsent,
    pub recorded_by: OfficerId,
    pub created_at: DateTime<Utc>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub withdrawn_by: Option<OfficerId>,
    pub withdrawal_reason: Option<String>,
}

impl std::fmt::Debug for Consent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consent")
            .field("id", &self.id)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

fn consent_place<'a>(field: &'a str, row: &'a str) -> Place<'a> {
    Place {
        table: "consents",
        field,
        row,
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// The consents of one client as decision facts.
pub(crate) fn consent_facts(
    conn: &mut crate::DbConnection,
    client: ClientId,
) -> StoreResult<Vec<ConsentFact>> {
    /// The terms of one consent that a decision needs, and its withdrawal.
    #[derive(Queryable)]
    struct ConsentFactRow {
        id: ConsentId,
        recipient_officers: String,
        recipient_agencies: String,
        from_agencies: String,
        kinds: String,
        signed_at: i64,
        valid_from: i64,
        valid_until: i64,
        withdrawn_at: Option<i64>,
    }
    let rows: Vec<ConsentFactRow> = consents::table
        .left_join(consent_withdrawals::table)
        .filter(consents::client_id.eq(client))
        .select((
            consents::id,
            consents::recipient_officers,
            consents::recipient_agencies,
            consents::from_agencies,
            consents::kinds,
            consents::signed_at,
            consents::valid_from,
            consents::valid_until,
            consent_withdrawals::withdrawn_at.nullable(),
        ))
        .load(&mut *conn)?;
    rows.into_iter()
        .map(|row| {
            Ok(ConsentFact {
                id: row.id,
                recipient_officers: from_json(&row.recipient_officers)?,
                recipient_agencies: from_json(&row.recipient_agencies)?,
                from_agencies: from_json(&row.from_agencies)?,
                kinds: from_json(&row.kinds)?,
                signed_at: from_micros(row.signed_at),
                valid_from: from_micros(row.valid_from),
                valid_until: from_micros(row.valid_until),
                withdrawn_at: row.withdrawn_at.map(from_micros),
            })
        })
        .collect()
}

/// A row of `consents`, as stored (lists as JSON, the purpose sealed).
#[derive(Queryable, Selectable)]
#[diesel(table_name = consents)]
struct ConsentRow {
    id: ConsentId,
    recipient_officers: String,
    recipient_agencies: String,
    from_agencies: String,
    kinds: String,
    purpose_ct: Vec<u8>,
    signed_at: i64,
    valid_from: i64,
    valid_until: i64,
    evidence_method: EvidenceMethod,
    evidence_sha256: String,
    recorded_by: OfficerId,
    created_at: i64,
}

/// A row of `consent_withdrawals` (the reason sealed).
#[derive(Queryable, Selectable)]
#[diesel(table_name = consent_withdrawals)]
struct WithdrawalRow {
    withdrawn_at: i64,
    withdrawn_by: OfficerId,
    reason_ct: Vec<u8>,
}

// ---------- assignments ----------

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub id: AssignmentId,
    pub client_id: ClientId,
    pub officer_id: OfficerId,
    pub officer_agency: AgencyCode,
    pub created_by: OfficerId,
    pub starts_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

// ---------- records ----------

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordMeta {
    pub id: RecordId,
    pub client_id: ClientId,
    pub kind: RecordKind,
    pub source_agency: AgencyCode,
    pub author_id: OfficerId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// One stored version of a record.
#[derive(Clone)]
pub struct RecordVersion {
    pub version: i32,
    pub author_id: OfficerId,
    pub created_at: DateTime<Utc>,
    pub body: serde_json::Value,
}

impl std::fmt::Debug for RecordVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordVersion")
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// A page of record metadata, newest first.
#[derive(Debug, Clone)]
pub struct RecordPage {
    pub records: Vec<RecordMeta>,
    /// Whether rows beyond the page exist.
    pub more: bool,
}

/// A row of `records`, as stored. Its fields are in the table's column
/// order, so `RETURNING records.*` reads back into it: diesel's
/// `as_returning()` is bound to one backend and the connection here serves
/// two.
#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = records, treat_none_as_default_value = false)]
struct RecordRow {
    id: RecordId,
    client_id: ClientId,
    kind: RecordKind,
    source_agency: AgencyCode,
    author_id: OfficerId,
    created_at: i64,
    updated_at: i64,
    version: i32,
}

/// A row of `record_versions`: one version's sealed body.
#[derive(Insertable)]
#[diesel(table_name = record_versions, treat_none_as_default_value = false)]
struct RecordVersionRow<'a> {
    record_id: RecordId,
    version: i32,
    author_id: OfficerId,
    created_at: i64,
    body_ct: &'a [u8],
}

/// One version's sealed body with its client's wrapped data key.
#[derive(Queryable)]
struct BodyWithKeyRow {
    record_id: RecordId,
    version: i32,
    body_ct: Vec<u8>,
    kek_id: String,
    wrapped: Vec<u8>,
}

impl From<RecordRow> for RecordMeta {
    fn from(row: RecordRow) -> Self {
        RecordMeta {
            id: row.id,
            client_id: row.client_id,
            kind: row.kind,
            source_agency: row.source_agency,
            author_id: row.author_id,
            created_at: from_micros(row.created_at),
            updated_at: from_micros(row.updated_at),
            version: row.version,
        }
    }
}

/// A record's sealed body and its client's wrapped key, kept in memory and
/// taken before the read's audit entry (`Db::kept_body`): nothing in it
/// opens without the read's permit.
pub struct KeptBody {
    client: ClientId,
    record: RecordId,
    version: i32,
    /// The policy epoch the key was kept under.
    epoch: i64,
    wrapped: crate::crypto::WrappedKey,
    sealed: std::sync::Arc<[u8]>,
}

impl std::fmt::Debug for KeptBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeptBody")
            .field("record", &self.record)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// Opens the sealed body of a record's version with its client's key.
fn open_body(
    key: &crate::crypto::DataKey,
    record: RecordId,
    version: i32,
    body: &[u8],
) -> StoreResult<serde_json::Value> {
    let row = body_row_id(record, version);
    let plain = key.open(body_place(&row), body)?;
    serde_json::from_slice(&plain).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Sealed bodies by record and version.
type SealedBodies = std::collections::HashMap<(RecordId, i32), std::sync::Arc<[u8]>>;

fn body_row_id(record: RecordId, version: i32) -> String {
    format!("{record}/{version}")
}

/// Where a version's body is sealed: `row` is its [`body_row_id`].
fn body_place(row: &str) -> Place<'_> {
    Place {
        table: "record_versions",
        field: "body",
        row,
    }
}

impl crate::Db<'_> {
    // ----- consents -----

    /// Records a consent for the client a `consent.manage` permit names.
    pub fn create_consent(
        &mut self,
        permit: &Permit,
        terms: &NewConsent,
        by: OfficerId,
    ) -> StoreResult<Consent> {
        let client = permit.client_for(AuditAction::ManageConsents)?;
        self.check_officers_exist(&terms.recipient_officers, "recipients.officers")?;
        let id = ConsentId::new_random();
        let id_text = id.to_string();
        let client_text = client.to_string();
        let conn = self.conn.get(self.store)?;
        let key = crate::accounts::data_key(self.store.keys(), conn, &client_text)?;
        let purpose_ct = key.seal_str(consent_place("purpose", &id_text), &terms.purpose)?;
        let now = Utc::now();
        diesel::insert_into(consents::table)
            .values((
                (
                    consents::id.eq(id),
                    consents::client_id.eq(client),
                    consents::recipient_officers.eq(to_json(&terms.recipient_officers)?),
                    consents::recipient_agencies.eq(to_json(&terms.recipient_agencies)?),
                    consents::from_agencies.eq(to_json(&terms.from_agencies)?),
                    consents::kinds.eq(to_json(&terms.kinds)?),
                    consents::purpose_ct.eq(&purpose_ct),
                ),
                (
                    consents::signed_at.eq(to_micros(terms.signed_at)),
                    consents::valid_from.eq(to_micros(terms.valid_from)),
                    consents::valid_until.eq(to_micros(terms.valid_until)),
                    consents::evidence_method.eq(terms.evidence.method),
                    consents::evidence_sha256.eq(&terms.evidence.document_sha256),
                    consents::recorded_by.eq(by),
                    consents::created_at.eq(to_micros(now)),
                ),
            ))
            .execute(&mut *conn)?;
        Ok(Consent {
            id,
            client_id: client,
            terms: terms.clone(),
            recorded_by: by,
            created_at: now,
            withdrawn_at: None,
            withdrawn_by: None,
            withdrawal_reason: None,
        })
    }

    /// The consents of the client a `consent.manage` permit names.
    pub fn consents(&mut self, permit: &Permit) -> StoreResult<Vec<Consent>> {
        let client = permit.client_for(AuditAction::ManageConsents)?;
        self.load_consents(client, None)
    }

    /// The purposes of the consents of the client a `client.access_log`
    /// permit names, for the client's extract. Empty once the client is
    /// erased: the purposes were sealed under the destroyed key.
    pub fn consent_purposes(&mut self, permit: &Permit) -> StoreResult<Vec<(ConsentId, String)>> {
        let client = permit.client_for(AuditAction::ReadAccessLog)?;
        match self.load_consents(client, None) {
            Ok(consents) => Ok(consents
                .into_iter()
                .map(|c| (c.id, c.terms.purpose))
                .collect()),
            Err(StoreError::KeyDestroyed) => Ok(Vec::new()),
            Err(other) => Err(other),
        }
    }

    fn consent(&mut self, id: ConsentId) -> StoreResult<Consent> {
        let client = self.consent_client(id)?;
        self.load_consents(client, Some(id))?
            .pop()
            .ok_or(StoreError::NotFound)
    }

    /// The client a consent belongs to, without decrypting anything.
    pub fn consent_client(&mut self, id: ConsentId) -> StoreResult<ClientId> {
        let conn = self.conn.get(self.store)?;
        Ok(consents::table
            .find(id)
            .select(consents::client_id)
            .first(&mut *conn)?)
    }

    fn load_consents(
        &mut self,
        client: ClientId,
        only: Option<ConsentId>,
    ) -> StoreResult<Vec<Consent>> {
        let conn = self.conn.get(self.store)?;
        let mut rows = consents::table
            .left_join(consent_withdrawals::table)
            .filter(consents::client_id.eq(client))
            .select((
                ConsentRow::as_select(),
                Option::<WithdrawalRow>::as_select(),
            ))
            .order((consents::created_at.asc(), consents::id.asc()))
            .load::<(ConsentRow, Option<WithdrawalRow>)>(&mut *conn)?;
        // A client has a handful of consents: pick the one asked for here
        // rather than build a second query shape.
        if let Some(id) = only {
            rows.retain(|(row, _)| row.id == id);
        }
        if rows.is_empty() {
            return Ok(vec![]);
        }
        let key = crate::accounts::data_key(self.store.keys(), conn, &client.to_string())?;
        rows.into_iter()
            .map(|(row, withdrawal)| {
                let id = row.id.to_string();
                let withdrawal_reason = withdrawal
                    .as_ref()
                    .map(|w| key.open_string(consent_place("withdrawal_reason", &id), &w.reason_ct))
                    .transpose()?;
                Ok(Consent {
                    id: row.id,
                    client_id: client,
                    terms: NewConsent {
                        recipient_officers: from_json(&row.recipient_officers)?,
                        recipient_agencies: from_json(&row.recipient_agencies)?,
                        from_agencies: from_json(&row.from_agencies)?,
                        kinds: from_json(&row.kinds)?,
                        purpose: key.open_string(consent_place("purpose", &id), &row.purpose_ct)?,
                        signed_at: from_micros(row.signed_at),
                        valid_from: from_micros(row.valid_from),
                        valid_until: from_micros(row.valid_until),
                        evidence: ConsentEvidence {
                            method: row.evidence_method,
                            document_sha256: row.evidence_sha256,
                        },
                    },
                    recorded_by: row.recorded_by,
                    created_at: from_micros(row.created_at),
                    withdrawn_at: withdrawal.as_ref().map(|w| from_micros(w.withdrawn_at)),
                    withdrawn_by: withdrawal.as_ref().map(|w| w.withdrawn_by),
                    withdrawal_reason,
                })
            })
            .collect()
    }

    /// Withdraws a consent, final and effective at once. `Conflict` if it
    /// was already withdrawn.
    pub fn withdraw_consent(
        &mut self,
        permit: &Permit,
        id: ConsentId,
        reason: &str,
        by: OfficerId,
    ) -> StoreResult<Consent> {
        let client = self.consent_client(id)?;
        if permit.client_for(AuditAction::ManageConsents)? != client {
            return Err(StoreError::PermitMismatch(AuditAction::ManageConsents));
        }
        let id_text = id.to_string();
        let conn = self.conn.get(self.store)?;
        let key = crate::accounts::data_key(self.store.keys(), conn, &client.to_string())?;
        let reason_ct = key.seal_str(consent_place("withdrawal_reason", &id_text), reason)?;
        let inserted = diesel::insert_into(consent_withdrawals::table)
            .values((
                consent_withdrawals::consent_id.eq(id),
                consent_withdrawals::withdrawn_at.eq(to_micros(Utc::now())),
                consent_withdrawals::withdrawn_by.eq(by),
                consent_withdrawals::reason_ct.eq(reason_ct),
            ))
            .execute(&mut *conn);
        match inserted {
            Ok(_) => {}
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => return Err(StoreError::Conflict("the consent is already withdrawn")),
            Err(e) => return Err(e.into()),
        }
        self.consent(id)
    }

    fn check_officers_exist(&mut self, ids: &[OfficerId], field: &'static str) -> StoreResult<()> {
        for id in ids {
            if self.account(*id)?.is_none() {
                return Err(StoreError::UnknownReference(field));
            }
        }
        Ok(())
    }

    // ----- assignments -----

    /// Assigns an active officer (an account with the officer role) to a client.
    /// Assigns `account` to the client an `assignment.manage` permit names.
    pub fn create_assignment(
        &mut self,
        permit: &Permit,
        account: &Account,
        by: OfficerId,
    ) -> StoreResult<Assignment> {
        let client = permit.client_for(AuditAction::ManageAssignment)?;
        let officer = account.id;
        if !account.active || !account.roles.contains(&Role::Officer) {
            return Err(StoreError::UnknownReference("officer_id"));
        }
        let id = AssignmentId::new_random();
        let now = Utc::now();
        let conn = self.conn.get(self.store)?;
        // The partial unique index `assignments_one_open` decides races: of
        // concurrent identical requests, through any number of processes,
        // exactly one insert succeeds.
        let inserted = diesel::insert_into(assignments::table)
            .values((
                assignments::id.eq(id),
                assignments::client_id.eq(client),
                assignments::officer_id.eq(officer),
                assignments::created_by.eq(by),
                assignments::starts_at.eq(to_micros(now)),
            ))
            .execute(&mut *conn);
        match inserted {
            Ok(_) => {}
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => {
                return Err(StoreError::Conflict(
                    "the officer is already assigned to this client",
                ))
            }
            Err(e) => return Err(e.into()),
        }
        Ok(Assignment {
            id,
            client_id: client,
            officer_id: officer,
            officer_agency: account.agency.clone(),
            created_by: by,
            starts_at: now,
            ended_at: None,
        })
    }

    pub fn assignment(&mut self, id: AssignmentId) -> StoreResult<Assignment> {
        /// An assignment and its officer's agency.
        #[derive(Queryable)]
        struct AssignmentRow {
            client_id: ClientId,
            officer_id: OfficerId,
            officer_agency: AgencyCode,
            created_by: OfficerId,
            starts_at: i64,
            ended_at: Option<i64>,
        }
        let conn = self.conn.get(self.store)?;
        let row: AssignmentRow = assignments::table
            .inner_join(officers::table)
            .filter(assignments::id.eq(id))
            .select((
                assignments::client_id,
                assignments::officer_id,
                officers::agency,
                assignments::created_by,
                assignments::starts_at,
                assignments::ended_at,
            ))
            .first(&mut *conn)?;
        Ok(Assignment {
            id,
            client_id: row.client_id,
            officer_id: row.officer_id,
            officer_agency: row.officer_agency,
            created_by: row.created_by,
            starts_at: from_micros(row.starts_at),
            ended_at: row.ended_at.map(from_micros),
        })
    }

    /// Ends an assignment at once. `Conflict` if it has already ended.
    pub fn end_assignment(
        &mut self,
        permit: &Permit,
        id: AssignmentId,
        by: OfficerId,
    ) -> StoreResult<Assignment> {
        if permit.client_for(AuditAction::ManageAssignment)? != self.assignment(id)?.client_id {
            return Err(StoreError::PermitMismatch(AuditAction::ManageAssignment));
        }
        let conn = self.conn.get(self.store)?;
        let changed = diesel::update(
            assignments::table
                .find(id)
                .filter(assignments::ended_at.is_null()),
        )
        .set((
            assignments::ended_at.eq(Some(to_micros(Utc::now()))),
            assignments::ended_by.eq(Some(by)),
        ))
        .execute(&mut *conn)?;
        if changed == 0 {
            self.assignment(id)?; // NotFound if missing
            return Err(StoreError::Conflict("the assignment has already ended"));
        }
        self.assignment(id)
    }

    // ----- records -----

    /// Writes a record for the client a `record.create` permit names.
    pub fn create_record(
        &mut self,
        permit: &Permit,
        kind: RecordKind,
        source: &AgencyCode,
        author: OfficerId,
        body: &serde_json::Value,
    ) -> StoreResult<RecordMeta> {
        let client = permit.client_for(AuditAction::CreateRecord)?;
        let id = RecordId::new_random();
        let now = Utc::now();
        let client_text = client.to_string();
        let conn = self.conn.get(self.store)?;
        let key = crate::accounts::data_key(self.store.keys(), conn, &client_text)?;
        let body_ct = key.seal(
            body_place(&body_row_id(id, 1)),
            &serde_json::to_vec(body).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        )?;
        let _turn = self.store.write_turn(self.depth);
        let stored = conn.transaction(|c| {
            // What the database stored is what the caller gets back.
            let stored = diesel::insert_into(records::table)
                .values(RecordRow {
                    id,
                    client_id: client,
                    kind,
                    source_agency: source.clone(),
                    author_id: author,
                    created_at: to_micros(now),
                    updated_at: to_micros(now),
                    version: 1,
                })
                .returning(records::all_columns)
                .get_result(c)?;
            diesel::insert_into(record_versions::table)
                .values(RecordVersionRow {
                    record_id: id,
                    version: 1,
                    author_id: author,
                    created_at: to_micros(now),
                    body_ct: &body_ct,
                })
                .execute(c)?;
            diesel::QueryResult::<RecordRow>::Ok(stored)
        })?;
        Ok(stored.into())
    }

    /// A record's metadata and the facts of a decision on its client, on one
    /// connection: from memory right after the account's lookup if both are
    /// kept under the epochs it went by (read by its statement, or, kept
    /// first, the newest this process knows: see `policy_epoch_for_request`
    /// and `Db::kept_first`); else
    /// the record and both epochs in one query (one round trip), then the
    /// client's erasure, assignments and consents unless the facts cache
    /// holds them.
    pub fn record_with_facts(&mut self, id: RecordId) -> StoreResult<(RecordMeta, LoadedFacts)> {
        use crate::schema::policy_epoch::dsl as p;
        use crate::schema::records_epoch::dsl as r;
        let in_transaction = self.in_transaction();
        // Right after the account's lookup in the same request (whose
        // statement read both epochs, or which took them kept first), with
        // nothing done on the connection since: the record and its facts
        // from memory if both are kept under them, and no statement at all.
        let untouched = self.conn.uses;
        let memo = self.epochs.take();
        if let Some((epochs, _)) = memo.filter(|(_, at)| *at == untouched && !in_transaction) {
            if let Some(meta) = self.store.records.meta(epochs.records, id) {
                if let Some(facts) = self.store.facts.facts(epochs.policy, meta.client_id) {
                    return Ok((meta, facts));
                }
            }
        }
        let conn = self.conn.get(self.store)?;
        // The epochs are read in the same statement as the record, so before
        // any facts loaded below: facts are never tagged newer than what
        // they saw, and the record is tagged with the records epoch it was
        // read with. Built in each arm: `as_select()` is typed by its backend.
        let policy_now = p::policy_epoch.find(1i16).select(p::epoch).single_value();
        let records_now = r::records_epoch.find(1i16).select(r::epoch).single_value();
        let (row, epoch, records_epoch): (RecordRow, Option<i64>, Option<i64>) =
            crate::db::on_backend!(&mut *conn, |c| records::table
                .filter(records::id.eq(id))
                .select((RecordRow::as_select(), policy_now, records_now))
                .first(c))?;
        // Inside a transaction the facts come from the database alone (see
        // `policy_epoch`).
        let epoch = epoch.filter(|_| !in_transaction);
        // Kept first, the account was taken under epochs this request did
        // not read: if these differ, it may be out of date.
        let read = epoch
            .zip(records_epoch.filter(|_| !in_transaction))
            .map(|(policy, records)| crate::facts_cache::Epochs { policy, records });
        crate::check_unread(self.store, self.unread, read)?;
        let meta = RecordMeta::from(row);
        if let Some(records_epoch) = records_epoch.filter(|_| !in_transaction) {
            self.store.records.keep(records_epoch, &meta);
        }
        if let Some(facts) = epoch.and_then(|e| self.store.facts.facts(e, meta.client_id)) {
            return Ok((meta, facts));
        }
        // Not cached: whether the client is erased is one of the facts
        // (cached facts carry it, and an erasure moves the epoch).
        let erased_at: Option<i64> = crate::db::on_backend!(&mut *conn, |c| clients::table
            .filter(clients::id.eq(meta.client_id))
            .select(clients::erased_at)
            .first(c))?;
        let facts = crate::clients::facts_on(conn, meta.client_id, erased_at.is_some())?;
        if let Some(epoch) = epoch {
            self.store.facts.keep_facts(epoch, &facts);
        }
        Ok((meta, facts))
    }

    pub fn record_meta(&mut self, id: RecordId) -> StoreResult<RecordMeta> {
        let conn = self.conn.get(self.store)?;
        let row: RecordRow = records::table
            .find(id)
            .select(RecordRow::as_select())
            .first(&mut *conn)?;
        Ok(row.into())
    }

    /// One page of a client's records, newest first, starting after `after`
    /// (the `(created_at, id)` of the last record of the previous page).
    pub fn record_page(
        &mut self,
        client: ClientId,
        after: Option<(DateTime<Utc>, RecordId)>,
        limit: i64,
    ) -> StoreResult<RecordPage> {
        let conn = self.conn.get(self.store)?;
        let newest_first = (records::created_at.desc(), records::id.desc());
        // The first page and the later ones are two statements, each cached
        // by its type on the backend's own connection.
        let mut rows: Vec<RecordRow> = match after {
            None => crate::db::on_backend!(&mut *conn, |c| records::table
                .filter(records::client_id.eq(client))
                .select(RecordRow::as_select())
                .order(newest_first)
                .limit(limit + 1)
                .load(c))?,
            Some((at, id)) => {
                let at = to_micros(at);
                crate::db::on_backend!(&mut *conn, |c| records::table
                    .filter(records::client_id.eq(client))
                    .filter(
                        records::created_at
                            .lt(at)
                            .or(records::created_at.eq(at).and(records::id.lt(id))),
                    )
                    .select(RecordRow::as_select())
                    .order(newest_first)
                    .limit(limit + 1)
                    .load(c))?
            }
        };
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        Ok(RecordPage {
            records: rows.into_iter().map(RecordMeta::from).collect(),
            more,
        })
    }

    /// Every version of the record a `record.read` permit names, oldest
    /// first: number, author, time and body.
    pub fn record_versions(
        &mut self,
        meta: &RecordMeta,
        permit: &Permit,
    ) -> StoreResult<Vec<RecordVersion>> {
        permit.check_record(AuditAction::ReadRecord, meta.client_id, meta.id)?;
        /// One stored version.
        #[derive(Queryable, Selectable)]
        #[diesel(table_name = record_versions)]
        struct VersionRow {
            version: i32,
            author_id: OfficerId,
            created_at: i64,
            body_ct: Vec<u8>,
        }
        let client_text = meta.client_id.to_string();
        let conn = self.conn.get(self.store)?;
        let rows: Vec<VersionRow> = record_versions::table
            .filter(record_versions::record_id.eq(meta.id))
            // Only the versions that were decided and audited: one written
            // since then waits for the next request.
            .filter(record_versions::version.le(meta.version))
            .select(VersionRow::as_select())
            .order(record_versions::version.asc())
            .load(&mut *conn)?;
        let key = crate::accounts::data_key(self.store.keys(), conn, &client_text)?;
        rows.into_iter()
            .map(|row| {
                let place_row = body_row_id(meta.id, row.version);
                let plain = key.open(body_place(&place_row), &row.body_ct)?;
                Ok(RecordVersion {
                    version: row.version,
                    author_id: row.author_id,
                    created_at: from_micros(row.created_at),
                    body: serde_json::from_slice(&plain)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                })
            })
            .collect()
    }

    /// Who is assigned to the client an `assignment.read` permit names,
    /// open and ended, oldest first.
    pub fn assignments_of_client(&mut self, permit: &Permit) -> StoreResult<Vec<Assignment>> {
        let client = permit.client_for(AuditAction::ReadAssignments)?;
        let conn = self.conn.get(self.store)?;
        let ids: Vec<AssignmentId> = assignments::table
            .filter(assignments::client_id.eq(client))
            .select(assignments::id)
            .order((assignments::starts_at.asc(), assignments::id.asc()))
            .load(&mut *conn)?;
        ids.into_iter().map(|id| self.assignment(id)).collect()
    }

    /// Every record of `client` of one of `kinds`, oldest first: metadata
    /// only (what a decision needs), for views built from many records.
    pub fn records_of_kinds(
        &mut self,
        client: ClientId,
        kinds: &[RecordKind],
    ) -> StoreResult<Vec<RecordMeta>> {
        let conn = self.conn.get(self.store)?;
        // All of the client's records, the kinds picked here: the scan of
        // the client's index is the same, and the statement, without an
        // `IN (…)` list, is cached by its type on the backend's own
        // connection.
        let rows: Vec<RecordRow> = crate::db::on_backend!(&mut *conn, |c| records::table
            .filter(records::client_id.eq(client))
            .select(RecordRow::as_select())
            .order((records::created_at.asc(), records::id.asc()))
            .load(c))?;
        Ok(rows
            .into_iter()
            .filter(|row| kinds.contains(&row.kind))
            .map(RecordMeta::from)
            .collect())
    }

    /// The client's records written or amended after `since`, oldest first.
    pub fn records_updated_since(
        &mut self,
        client: ClientId,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<RecordMeta>> {
        let conn = self.conn.get(self.store)?;
        let rows: Vec<RecordRow> = records::table
            .filter(records::client_id.eq(client))
            .filter(records::updated_at.gt(to_micros(since)))
            .select(RecordRow::as_select())
            .order((records::created_at.asc(), records::id.asc()))
            .load(&mut *conn)?;
        Ok(rows.into_iter().map(RecordMeta::from).collect())
    }

    /// The current bodies of records of ONE client, in the order given, each
    /// with its `record.read` permit.
    pub fn record_bodies(
        &mut self,
        records: &[(RecordMeta, Permit)],
    ) -> StoreResult<Vec<serde_json::Value>> {
        let Some((first, _)) = records.first() else {
            return Ok(vec![]);
        };
        let client = first.client_id;
        for (meta, permit) in records {
            if meta.client_id != client {
                return Err(StoreError::Corrupt("record of another client".into()));
            }
            permit.check_record(AuditAction::ReadRecord, client, meta.id)?;
        }
        let metas: Vec<&RecordMeta> = records.iter().map(|(meta, _)| meta).collect();
        let client_text = client.to_string();
        // The epoch as of the entries' commit: the client's
        // wrapped key is taken from the cache only if nothing (an erasure, a
        // rotation) changed it up to then, and a key loaded below is kept
        // under it (read before the key, so never tagged newer than what it
        // saw). Inside a transaction: the database alone.
        let epoch = match records.first().map(|(_, permit)| permit.stored_under) {
            Some(epoch)
                if !self.in_transaction()
                    && records.iter().all(|(_, p)| p.stored_under == epoch) =>
            {
                epoch
            }
            Some(_) | None => None,
        };
        let cached = epoch.and_then(|e| {
            let wrapped = self.store.facts.data_key(e, client)?;
            let sealed = metas
                .iter()
                .map(|m| Some(((m.id, m.version), self.store.bodies.get(m.id, m.version)?)))
                .collect::<Option<SealedBodies>>()?;
            Some((wrapped, sealed))
        });
        let (wrapped, mut sealed) = match cached {
            Some(found) => found,
            None => {
                let (wrapped, sealed) = self.load_bodies(client, &client_text, &metas)?;
                if let Some(epoch) = epoch {
                    self.store.facts.keep_data_key(epoch, client, &wrapped);
                    for ((id, version), body) in &sealed {
                        self.store.bodies.keep(*id, *version, body);
                    }
                }
                (wrapped, sealed)
            }
        };
        let key = self.store.keys().unwrap(&client_text, &wrapped)?;
        metas
            .iter()
            .map(|meta| {
                let body = sealed
                    .remove(&(meta.id, meta.version))
                    .ok_or_else(|| StoreError::Corrupt("record version without a body".into()))?;
                open_body(&key, meta.id, meta.version, &body)
            })
            .collect()
    }

    /// Kept only (`Db::kept_only`): the sealed body of `meta`'s record and
    /// its client's wrapped key as this process keeps them under the epochs
    /// the request was decided by without reading them (`Db::kept_first`),
    /// taken before the read's audit entry and opened only with its permit
    /// ([`Db::open_kept_body`]). [`StoreError::NotKept`] if either is not
    /// kept, or the request was not decided so.
    pub fn kept_body(&self, meta: &RecordMeta) -> StoreResult<KeptBody> {
        let epoch = self.unread.ok_or(StoreError::NotKept)?.policy;
        let wrapped = self
            .store
            .facts
            .data_key(epoch, meta.client_id)
            .ok_or(StoreError::NotKept)?;
        let sealed = self
            .store
            .bodies
            .get(meta.id, meta.version)
            .ok_or(StoreError::NotKept)?;
        Ok(KeptBody {
            client: meta.client_id,
            record: meta.id,
            version: meta.version,
            epoch,
            wrapped,
            sealed,
        })
    }

    /// Opens a body taken by [`Db::kept_body`] with the `record.read`
    /// permit of its record. The permit must have been stored under the
    /// epoch the key was kept under (it is, unless the entry's commit found
    /// the epochs moved, which gives no permit): the key is then the one a
    /// read after the commit would take ([`Db::record_bodies`]).
    pub fn open_kept_body(
        &self,
        kept: KeptBody,
        permit: &Permit,
    ) -> StoreResult<serde_json::Value> {
        permit.check_record(AuditAction::ReadRecord, kept.client, kept.record)?;
        if permit.stored_under != Some(kept.epoch) {
            return Err(StoreError::Stale);
        }
        let key = self
            .store
            .keys()
            .unwrap(&kept.client.to_string(), &kept.wrapped)?;
        open_body(&key, kept.record, kept.version, &kept.sealed)
    }

    /// The sealed bodies of `metas` (all of `client`) and the client's
    /// wrapped data key, from the database. SQLite: one record at a time
    /// by `=` on its own connection, one statement cached by its type for a
    /// single read and a list alike (an `IN (…)` list is prepared anew for
    /// every length). PostgreSQL: a list in one statement, as a round trip
    /// costs more there than a parse.
    fn load_bodies(
        &mut self,
        client: ClientId,
        client_text: &str,
        metas: &[&RecordMeta],
    ) -> StoreResult<(crate::crypto::WrappedKey, SealedBodies)> {
        let conn = self.conn.get(self.store)?;
        // The record's client is the permit's (checked by the caller); a
        // body is found by its record and version, and the key by that
        // client. A body of another client's record could not open with it.
        let query = record_versions::table
            .inner_join(data_keys::table.on(data_keys::subject_id.eq(client)))
            .select((
                record_versions::record_id,
                record_versions::version,
                record_versions::body_ct,
                data_keys::kek_id,
                data_keys::wrapped,
            ));
        let mut rows: Vec<BodyWithKeyRow> = Vec::with_capacity(metas.len());
        match (&mut *conn, metas) {
            (crate::DbConnection::Pg(c), [_, _, ..]) => {
                rows = query
                    .filter(record_versions::record_id.eq_any(metas.iter().map(|m| m.id)))
                    .filter(record_versions::version.eq_any(metas.iter().map(|m| m.version)))
                    .load(c)?;
            }
            (crate::DbConnection::Pg(_) | crate::DbConnection::Sqlite(_), _) => {
                for meta in metas {
                    let one = query
                        .filter(record_versions::record_id.eq(meta.id))
                        .filter(record_versions::version.eq(meta.version));
                    let found: Vec<BodyWithKeyRow> =
                        crate::db::on_backend!(&mut *conn, |c| one.load(c))?;
                    rows.extend(found);
                }
            }
        }
        let wrapped = rows.first().map(|row| crate::crypto::WrappedKey {
            kek_id: row.kek_id.clone(),
            wrapped: row.wrapped.clone(),
        });
        // The wanted (record, version) pairs; PostgreSQL's `IN` lists may
        // also match other pairs, never picked.
        let sealed: SealedBodies = rows
            .into_iter()
            .map(|row| ((row.record_id, row.version), row.body_ct.into()))
            .collect();
        let complete = metas
            .iter()
            .all(|m| sealed.contains_key(&(m.id, m.version)));
        let (Some(wrapped), true) = (wrapped, complete) else {
            // A body is missing: the client's key is gone (an erasure won
            // the race, perhaps between two of the statements above), or
            // the bodies are.
            crate::accounts::data_key(self.store.keys(), conn, client_text)?;
            return Err(StoreError::Corrupt("record bodies missing".into()));
        };
        Ok((wrapped, sealed))
    }

    /// Stores a new version if `meta` (the version the decision was made on)
    /// is one of `expected` (the versions the client's `If-Match` names); old
    /// versions are kept. `VersionMismatch` otherwise, also when another
    /// writer got there first.
    pub fn update_record(
        &mut self,
        permit: &Permit,
        meta: &RecordMeta,
        expected: &[i32],
        author: OfficerId,
        body: &serde_json::Value,
    ) -> StoreResult<RecordMeta> {
        permit.check_record(AuditAction::UpdateRecord, meta.client_id, meta.id)?;
        if !expected.contains(&meta.version) {
            return Err(StoreError::VersionMismatch {
                current: meta.version,
            });
        }
        let next = meta.version + 1;
        let now = Utc::now();
        let conn = self.conn.get(self.store)?;
        let key = crate::accounts::data_key(self.store.keys(), conn, &meta.client_id.to_string())?;
        let body_ct = key.seal(
            body_place(&body_row_id(meta.id, next)),
            &serde_json::to_vec(body).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        )?;
        let _turn = self.store.write_turn(self.depth);
        let updated = conn.transaction(|c| {
            // The guarded update comes first: it takes the write lock and
            // makes concurrent writers of the same version lose cleanly. It
            // reads the new row back in the same statement.
            let Some(updated) = diesel::update(
                records::table
                    .find(meta.id)
                    .filter(records::version.eq(meta.version)),
            )
            .set((
                records::version.eq(next),
                records::updated_at.eq(to_micros(now)),
            ))
            .returning(records::all_columns)
            .get_result(c)
            .optional()?
            else {
                return Ok(None);
            };
            diesel::insert_into(record_versions::table)
                .values(RecordVersionRow {
                    record_id: meta.id,
                    version: next,
                    author_id: author,
                    created_at: to_micros(now),
                    body_ct: &body_ct,
                })
                .execute(c)?;
            diesel::QueryResult::<Option<RecordRow>>::Ok(Some(updated))
        })?;
        match updated {
            Some(row) => Ok(row.into()),
            None => Err(StoreError::VersionMismatch {
                current: self.record_meta(meta.id)?.version,
            }),
        }
    }
}
