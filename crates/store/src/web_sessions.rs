//! Signed-in browser sessions: the hash of a random token, its account and
//! its lifetime. No personal data; the token itself is never stored.

use crate::schema::{account_subjects, web_sessions};
use crate::time::{from_micros, to_micros};
use crate::StoreResult;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use ingang_policy::OfficerId;

/// A session as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSession {
    pub account: OfficerId,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    /// When the account's previous session began, if it had one.
    pub previous_visit: Option<DateTime<Utc>>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = web_sessions)]
struct WebSessionRow {
    account_id: OfficerId,
    created_at: i64,
    expires_at: i64,
    ended_at: Option<i64>,
    previous_visit: Option<i64>,
}

#[derive(Insertable)]
#[diesel(table_name = web_sessions, treat_none_as_default_value = false)]
struct NewWebSessionRow<'a> {
    token_sha256: &'a [u8],
    account_id: OfficerId,
    created_at: i64,
    expires_at: i64,
    previous_visit: Option<i64>,
}

impl crate::Db<'_> {
    /// Stores a new session of `account` under the token's hash, noting when
    /// the account's previous session began; returns that moment. The
    /// account's expired sessions are removed on the way (the new one
    /// carries the last visit on).
    pub fn start_web_session(
        &mut self,
        token_sha256: &[u8; 32],
        account: OfficerId,
        created_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<Option<DateTime<Utc>>> {
        self.tx(|db| {
            let conn = db.conn.get(db.store)?;
            let previous: Option<i64> = web_sessions::table
                .filter(web_sessions::account_id.eq(account))
                .select(diesel::dsl::max(web_sessions::created_at))
                .first(&mut *conn)?;
            // A clock set back must not make the previous visit later than
            // this one (a database rule).
            let created = to_micros(created_at);
            let previous = previous.map(|p| p.min(created));
            diesel::delete(
                web_sessions::table
                    .filter(web_sessions::account_id.eq(account))
                    .filter(web_sessions::expires_at.lt(created)),
            )
            .execute(&mut *conn)?;
            diesel::insert_into(web_sessions::table)
                .values(NewWebSessionRow {
                    token_sha256,
                    account_id: account,
                    created_at: created,
                    expires_at: to_micros(expires_at),
                    previous_visit: previous,
                })
                .execute(&mut *conn)?;
            Ok(previous.map(from_micros))
        })
    }

    /// The session stored under a token's hash, if any (expired and ended
    /// ones included: the caller judges them).
    pub fn web_session(&mut self, token_sha256: &[u8; 32]) -> StoreResult<Option<WebSession>> {
        let conn = self.conn.get(self.store)?;
        let row: Option<WebSessionRow> = web_sessions::table
            .find(token_sha256.as_slice())
            .select(WebSessionRow::as_select())
            .first(&mut *conn)
            .optional()?;
        Ok(row.map(|row| WebSession {
            account: row.account_id,
            created_at: from_micros(row.created_at),
            expires_at: from_micros(row.expires_at),
            ended_at: row.ended_at.map(from_micros),
            previous_visit: row.previous_visit.map(from_micros),
        }))
    }

    /// Ends a session (sign-out). Ending one already ended changes nothing.
    pub fn end_web_session(
        &mut self,
        token_sha256: &[u8; 32],
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let Some(session) = self.web_session(token_sha256)? else {
            return Ok(());
        };
        // Never before it began, even if the clock was set back.
        let at = to_micros(at.max(session.created_at));
        let conn = self.conn.get(self.store)?;
        diesel::update(
            web_sessions::table
                .find(token_sha256.as_slice())
                .filter(web_sessions::ended_at.is_null()),
        )
        .set(web_sessions::ended_at.eq(at))
        .execute(&mut *conn)?;
        Ok(())
    }

    /// Links a sign-in subject (by its hash) to an account; linking it
    /// again moves it to the new account.
    pub fn link_subject(
        &mut self,
        subject_sha256: &[u8; 32],
        account: OfficerId,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.tx(|db| {
            let conn = db.conn.get(db.store)?;
            diesel::delete(account_subjects::table.find(subject_sha256.as_slice()))
                .execute(&mut *conn)?;
            diesel::insert_into(account_subjects::table)
                .values((
                    account_subjects::subject_sha256.eq(subject_sha256.as_slice()),
                    account_subjects::account_id.eq(account),
                    account_subjects::created_at.eq(to_micros(at)),
                ))
                .execute(&mut *conn)?;
            Ok(())
        })
    }

    /// The account a sign-in subject (by its hash) is linked to, if any.
    pub fn account_for_subject(
        &mut self,
        subject_sha256: &[u8; 32],
    ) -> StoreResult<Option<OfficerId>> {
        let conn = self.conn.get(self.store)?;
        Ok(account_subjects::table
            .find(subject_sha256.as_slice())
            .select(account_subjects::account_id)
            .first(&mut *conn)
            .optional()?)
    }
}
