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
    action_name, AgencyCode, AssignmentFact, ClientFacts, ClientId, ConsentFact, OfficerId,
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
        by: OfficerId,
    ) -> StoreResult<ClientId> {
        permit.check_action(action_name::REGISTER_CLIENT)?;
        let id = ClientId::new_random();
        let id_text = id.to_string();
        let (key, wrapped) = self.store.keys().new_data_key(&id_text)?;
        let pn_ct = key.seal_str(place("personal_number", &id_text), number.normalised())?;
        let name_ct = key.seal_str(place("name", &id_text), name)?;
        let index = self.store.keys().blind_index(number);
        let now = to_micros(Utc::now());
        let conn = self.conn.get(self.store)?;
        let result = conn.transaction(|c| {
            diesel::insert_into(clients::table)
                .values((
                    clients::id.eq(id),
                    clients::pn_index.eq(&index),
                    clients::pn_ct.eq(&pn_ct),
                    clients::name_ct.eq(&name_ct),
                    clients::registered_by.eq(by),
                    clients::created_at.eq(now),
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
        let id = permit.client_for(action_name::READ_CLIENT)?;
        let id_text = id.to_string();
        let conn = self.conn.get(self.store)?;
        /// The sealed identity fields of one client.
        #[derive(Queryable, Selectable)]
        #[diesel(table_name = clients)]
        struct IdentityRow {
            pn_ct: Vec<u8>,
            name_ct: Vec<u8>,
            created_at: i64,
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
        })
    }

    /// Loads the client's existence, assignments and consents: the facts of
    /// one decision. `None` when no such client exists.
    pub fn load_facts(&mut self, id: ClientId) -> StoreResult<Option<LoadedFacts>> {
        let conn = self.conn.get(self.store)?;
        let Some(erased_at) = clients::table
            .find(id)
            .select(clients::erased_at)
            .first::<Option<i64>>(&mut *conn)
            .optional()?
        else {
            return Ok(None);
        };
        facts_on(conn, id, erased_at.is_some()).map(Some)
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
