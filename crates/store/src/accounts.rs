//! Agencies, named officers and system accounts.

use crate::crypto::Place;
use crate::schema::{agencies, data_keys, officers};
use crate::time::{from_micros, to_micros};
use crate::{StoreError, StoreResult};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use ingang_policy::{AgencyCode, OfficerId, Role};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agency {
    pub code: AgencyCode,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// What authentication needs of an account: no personal data, no decryption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: OfficerId,
    pub agency: AgencyCode,
    pub roles: Vec<Role>,
    pub active: bool,
}

/// An officer with the name decrypted.
#[derive(Clone, PartialEq, Eq)]
pub struct Officer {
    pub account: Account,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub deactivated_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for Officer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Officer")
            .field("account", &self.account)
            .field("name", &"<redacted>")
            .finish_non_exhaustive()
    }
}

pub struct NewOfficer {
    pub name: String,
    pub agency: AgencyCode,
    pub roles: Vec<Role>,
}

/// A set of roles in one `TEXT` column: their names, comma-separated, in
/// alphabetical order (one canonical text per set).
pub(crate) fn roles_to_text(roles: &[Role]) -> String {
    let mut names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    names.join(",")
}

pub(crate) fn roles_from_text(text: &str) -> StoreResult<Vec<Role>> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().map_err(StoreError::Corrupt))
        .collect()
}

fn officer_name_place(row: &str) -> Place<'_> {
    Place {
        table: "officers",
        field: "name",
        row,
    }
}

/// A row of `officers` (the name sealed under the officer's own key).
#[derive(Queryable, Selectable)]
#[diesel(table_name = officers)]
struct OfficerRow {
    id: OfficerId,
    agency: AgencyCode,
    name_ct: Vec<u8>,
    roles: String,
    active: bool,
    created_at: i64,
    deactivated_at: Option<i64>,
}

/// A subject's data key, wrapped by the master key `kek_id`.
#[derive(Queryable, Selectable)]
#[diesel(table_name = data_keys)]
struct DataKeyRow {
    subject_id: String,
    kek_id: String,
    wrapped: Vec<u8>,
}

/// What authentication needs of an account.
#[derive(Queryable, Selectable)]
#[diesel(table_name = officers)]
struct AccountRow {
    agency: AgencyCode,
    roles: String,
    active: bool,
}

impl crate::Db<'_> {
    pub fn create_agency(&mut self, code: &AgencyCode, name: &str) -> StoreResult<Agency> {
        let now = Utc::now();
        let conn = self.conn.get(self.store)?;
        let inserted = diesel::insert_into(agencies::table)
            .values((
                agencies::code.eq(code),
                agencies::name.eq(name),
                agencies::created_at.eq(to_micros(now)),
            ))
            .execute(&mut *conn);
        match inserted {
            Ok(_) => Ok(Agency {
                code: code.clone(),
                name: name.to_owned(),
                created_at: now,
            }),
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => Err(StoreError::Conflict(
                "an agency with this code already exists",
            )),
            Err(e) => Err(e.into()),
        }
    }

    pub fn list_agencies(&mut self) -> StoreResult<Vec<Agency>> {
        let conn = self.conn.get(self.store)?;
        /// A row of `agencies`.
        #[derive(Queryable, Selectable)]
        #[diesel(table_name = agencies)]
        struct AgencyRow {
            code: AgencyCode,
            name: String,
            created_at: i64,
        }
        let rows: Vec<AgencyRow> = agencies::table
            .select(AgencyRow::as_select())
            .order(agencies::code.asc())
            .load(&mut *conn)?;
        rows.into_iter()
            .map(|row| {
                Ok(Agency {
                    code: row.code,
                    name: row.name,
                    created_at: from_micros(row.created_at),
                })
            })
            .collect()
    }

    pub fn agency_exists(&mut self, code: &AgencyCode) -> StoreResult<bool> {
        let conn = self.conn.get(self.store)?;
        let count: i64 = agencies::table
            .filter(agencies::code.eq(code))
            .count()
            .get_result(&mut *conn)?;
        Ok(count > 0)
    }

    /// Creates an officer or system account, with its own data key for the name.
    pub fn create_officer(&mut self, new: &NewOfficer) -> StoreResult<Officer> {
        if !self.agency_exists(&new.agency)? {
            return Err(StoreError::UnknownReference("agency"));
        }
        let id = OfficerId::new_random();
        let id_text = id.to_string();
        let (key, wrapped) = self.store.keys().new_data_key(&id_text)?;
        let name_ct = key.seal_str(officer_name_place(&id_text), &new.name)?;
        let now = Utc::now();
        let conn = self.conn.get(self.store)?;
        let _turn = self.store.write_turn(self.depth);
        conn.transaction(|c| {
            diesel::insert_into(data_keys::table)
                .values((
                    data_keys::subject_id.eq(&id_text),
                    data_keys::kek_id.eq(&wrapped.kek_id),
                    data_keys::wrapped.eq(&wrapped.wrapped),
                    data_keys::created_at.eq(to_micros(now)),
                ))
                .execute(c)?;
            diesel::insert_into(officers::table)
                .values((
                    officers::id.eq(id),
                    officers::agency.eq(&new.agency),
                    officers::name_ct.eq(&name_ct),
                    officers::roles.eq(roles_to_text(&new.roles)),
                    officers::active.eq(true),
                    officers::created_at.eq(to_micros(now)),
                ))
                .execute(c)?;
            diesel::QueryResult::Ok(())
        })?;
        Ok(Officer {
            account: Account {
                id,
                agency: new.agency.clone(),
                roles: new.roles.clone(),
                active: true,
            },
            name: new.name.clone(),
            created_at: now,
            deactivated_at: None,
        })
    }

    /// The account behind a token's `sub`, if any. The authentication hot
    /// path: from the facts cache while the policy epoch is unchanged (kept
    /// first, see `Db::kept_first`: under the epochs read last).
    pub fn account(&mut self, id: OfficerId) -> StoreResult<Option<Account>> {
        if let Some(account) = self.kept_account(id) {
            return Ok(Some(account));
        }
        let epoch = self.policy_epoch_for_request()?;
        if let Some(account) = epoch.and_then(|e| self.store.facts.account(e, id)) {
            return Ok(Some(account));
        }
        let account = self.load_account(id)?;
        if let (Some(epoch), Some(account)) = (epoch, &account) {
            self.store.facts.keep_account(epoch, account);
        }
        Ok(account)
    }

    fn load_account(&mut self, id: OfficerId) -> StoreResult<Option<Account>> {
        let conn = self.conn.get(self.store)?;
        let row: Option<AccountRow> = officers::table
            .find(id)
            .select(AccountRow::as_select())
            .first(&mut *conn)
            .optional()?;
        row.map(|row| {
            Ok(Account {
                id,
                agency: row.agency,
                roles: roles_from_text(&row.roles)?,
                active: row.active,
            })
        })
        .transpose()
    }

    pub fn officer(&mut self, id: OfficerId) -> StoreResult<Officer> {
        let conn = self.conn.get(self.store)?;
        let row: OfficerRow = officers::table
            .find(id)
            .select(OfficerRow::as_select())
            .first(&mut *conn)?;
        let subject = row.id.to_string();
        let key = crate::accounts::data_key(self.store.keys(), conn, &subject)?;
        let name = key.open_string(officer_name_place(&subject), &row.name_ct)?;
        Ok(Officer {
            account: Account {
                id: row.id,
                agency: row.agency,
                roles: roles_from_text(&row.roles)?,
                active: row.active,
            },
            name,
            created_at: from_micros(row.created_at),
            deactivated_at: row.deactivated_at.map(from_micros),
        })
    }

    /// Officers and system accounts, optionally of one agency, oldest
    /// first, after `after` (the `(created_at, id)` of the last one given).
    pub fn list_officers(
        &mut self,
        agency: Option<&AgencyCode>,
        after: Option<(DateTime<Utc>, OfficerId)>,
        limit: i64,
    ) -> StoreResult<Vec<Officer>> {
        let conn = self.conn.get(self.store)?;
        let mut query = officers::table.select(officers::id).into_boxed();
        if let Some(agency) = agency {
            query = query.filter(officers::agency.eq(agency.clone()));
        }
        if let Some((at, id)) = after {
            let at = to_micros(at);
            query = query.filter(
                officers::created_at
                    .gt(at)
                    .or(officers::created_at.eq(at).and(officers::id.gt(id))),
            );
        }
        let ids: Vec<OfficerId> = query
            .order((officers::created_at.asc(), officers::id.asc()))
            .limit(limit)
            .load(&mut *conn)?;
        ids.into_iter().map(|id| self.officer(id)).collect()
    }

    /// Deactivates an officer at once; tokens already issued stop working.
    pub fn deactivate_officer(&mut self, id: OfficerId) -> StoreResult<Officer> {
        let conn = self.conn.get(self.store)?;
        // Already inactive changes nothing (idempotent); a missing id is
        // `NotFound` from the read below.
        diesel::update(officers::table.find(id).filter(officers::active.eq(true)))
            .set((
                officers::active.eq(false),
                officers::deactivated_at.eq(Some(to_micros(Utc::now()))),
            ))
            .execute(&mut *conn)?;
        self.officer(id)
    }

    /// True once any admin account exists, active or not (bootstrap refuses then).
    pub fn admin_exists(&mut self) -> StoreResult<bool> {
        let conn = self.conn.get(self.store)?;
        let roles: Vec<String> = officers::table.select(officers::roles).load(&mut *conn)?;
        Ok(roles
            .iter()
            .any(|r| r.split(',').any(|role| role == Role::Admin.as_str())))
    }

    /// Re-wraps every data key under the keyring's current master key.
    /// Returns how many keys were re-wrapped. No data is re-encrypted.
    pub fn rewrap_data_keys(&mut self) -> StoreResult<usize> {
        let current = self.store.keys().current_master_id().to_owned();
        let conn = self.conn.get(self.store)?;
        let stale: Vec<DataKeyRow> = data_keys::table
            .filter(data_keys::kek_id.ne(&current))
            .select(DataKeyRow::as_select())
            .load(&mut *conn)?;
        let mut count = 0;
        for DataKeyRow {
            subject_id: subject,
            kek_id,
            wrapped,
        } in stale
        {
            let fresh = self.store.keys().rewrap(
                &subject,
                &crate::crypto::WrappedKey {
                    kek_id: kek_id.clone(),
                    wrapped,
                },
            )?;
            count += diesel::update(
                data_keys::table
                    .find(&subject)
                    .filter(data_keys::kek_id.eq(&kek_id)),
            )
            .set((
                data_keys::kek_id.eq(&fresh.kek_id),
                data_keys::wrapped.eq(&fresh.wrapped),
            ))
            .execute(&mut *conn)?;
        }
        Ok(count)
    }
}

/// A subject's data key, unwrapped by the master key that wraps it.
pub(crate) fn data_key(
    keys: &crate::Keyring,
    conn: &mut crate::DbConnection,
    subject: &str,
) -> StoreResult<crate::crypto::DataKey> {
    let row: DataKeyRow = data_keys::table
        .find(subject)
        .select(DataKeyRow::as_select())
        .first(&mut *conn)
        .optional()?
        .ok_or(StoreError::KeyDestroyed)?;
    Ok(keys.unwrap(
        subject,
        &crate::crypto::WrappedKey {
            kek_id: row.kek_id,
            wrapped: row.wrapped,
        },
    )?)
}
