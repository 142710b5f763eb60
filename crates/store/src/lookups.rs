//! The auditors' lookups: which entries name a client, and which entries
//! each officer made.
//!
//! They are not indexes on `audit_events`. An index there is written by
//! every audit commit, one random page of it per entry, and on SQLite that
//! page goes to the WAL, is fsynced with the commit and is written again by
//! the checkpoint: the two indexes were a third of an audited read's CPU.
//! Instead the sequencer's thread fills two lookup tables from the entries
//! it has made leaves, in batches of about a second (`index`), where a
//! client's page is written once for all of that second's entries.
//!
//! The lookups are derived, not evidence: they hold (client or officer,
//! seq) pairs, and a watermark, `audit_lookups_state`, of how many leaves
//! they cover and the hash of the last one. Lost, stale, or from another
//! log (a database restored without them), they are found out against the
//! leaves and rebuilt. Their transactions therefore need not be durable:
//! on SQLite they live in a file of their own beside the database
//! (`<database>-lookups`, `synchronous = NORMAL`), whose write lock is not
//! the one the audit writer takes; on PostgreSQL they are tables of the
//! database, written with `synchronous_commit = off`.
//!
//! Every pooled and command SQLite connection attaches the file read-only
//! as `lookups` (so its `BEGIN IMMEDIATE` never takes that file's write
//! lock), and finds the tables by their plain names; only the indexer's
//! connection attaches it for writing, and the audit log's own connections
//! not at all. A file that cannot be attached is replaced by an empty
//! stand-in in memory: queries then read every leaf. A query
//! (`Db::audit_events`) reads the watermark, the lookups below it, the
//! leaves from it on and the queue in one read-only snapshot, and trusts
//! the watermark only if it names a leaf of this log with the recorded
//! hash.

use crate::db::{DatabaseUrl, DbConnection};
use crate::schema::audit_lookups_state as state;
use crate::schema::{audit_actor_seqs, audit_client_seqs, audit_events, audit_leaves};
use crate::{StoreError, StoreResult};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

/// The layout of the SQLite lookups file; a file of another layout (or of
/// none: created but never finished) is emptied and laid out again.
const SQLITE_LAYOUT_VERSION: i32 = 1;

/// The tables of the SQLite lookups file, as the PostgreSQL migration
/// `2026-11-30-000009_audit_lookups` makes them (the migrations test holds
/// both to one shape).
const SQLITE_LAYOUT: &str = "
DROP TABLE IF EXISTS {s}.audit_client_seqs;
DROP TABLE IF EXISTS {s}.audit_actor_seqs;
DROP TABLE IF EXISTS {s}.audit_lookups_state;
CREATE TABLE {s}.audit_client_seqs (
    client_id TEXT NOT NULL,
    seq       BIGINT NOT NULL,
    PRIMARY KEY (client_id, seq)
) WITHOUT ROWID;
CREATE TABLE {s}.audit_actor_seqs (
    actor_id TEXT NOT NULL,
    seq      BIGINT NOT NULL,
    PRIMARY KEY (actor_id, seq)
) WITHOUT ROWID;
CREATE TABLE {s}.audit_lookups_state (
    id             SMALLINT PRIMARY KEY NOT NULL,
    indexed_leaves BIGINT NOT NULL,
    last_leaf_hash BLOB
);
CREATE TRIGGER {s}.check_audit_lookups_state_shape_on_insert BEFORE INSERT ON audit_lookups_state
WHEN NOT (NEW.id = 1 AND NEW.indexed_leaves >= 0
    AND (NEW.indexed_leaves = 0) = (NEW.last_leaf_hash IS NULL)
    AND (NEW.last_leaf_hash IS NULL OR length(NEW.last_leaf_hash) = 32))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: audit_lookups_state_shape'); END;
CREATE TRIGGER {s}.check_audit_lookups_state_shape_on_update BEFORE UPDATE ON audit_lookups_state
WHEN NOT (NEW.id = 1 AND NEW.indexed_leaves >= 0
    AND (NEW.indexed_leaves = 0) = (NEW.last_leaf_hash IS NULL)
    AND (NEW.last_leaf_hash IS NULL OR length(NEW.last_leaf_hash) = 32))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: audit_lookups_state_shape'); END;
INSERT INTO {s}.audit_lookups_state (id, indexed_leaves, last_leaf_hash) VALUES (1, 0, NULL);
";

/// The layout in the schema `schema` of a connection.
fn layout_in(schema: &str) -> String {
    SQLITE_LAYOUT.replace("{s}", schema)
}

/// Most leaves indexed in one transaction.
pub const INDEX_BATCH_MAX: u64 = 20_000;
/// How often the sequencer's thread indexes what it has sequenced...
pub const INDEX_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);
/// ...or sooner, once this many leaves wait.
pub const INDEX_BATCH_MIN: u64 = 16_384;

/// What one indexing transaction did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Indexed {
    /// Leaves it indexed.
    pub added: u64,
    /// Leaves the lookups now cover, from the first.
    pub through: u64,
}

/// The lookups file of the SQLite database at `path`.
pub fn sqlite_file(path: &str) -> String {
    format!("{path}-lookups")
}

/// An SQLite URI naming the file at `path`, read-only or not. In its path
/// `%`, `?` and `#` are escaped; an absolute path follows an empty
/// authority (`file:///var/…`, `file:////var/…` for `//var/…`), since a
/// URI that starts `file://` names a host.
fn sqlite_uri(path: &str, read_only: bool) -> String {
    let mut uri = String::from(if path.starts_with('/') {
        "file://"
    } else {
        "file:"
    });
    for c in path.chars() {
        match c {
            '%' => uri.push_str("%25"),
            '?' => uri.push_str("%3F"),
            '#' => uri.push_str("%23"),
            other => uri.push(other),
        }
    }
    if read_only {
        uri.push_str("?mode=ro");
    }
    uri
}

/// Creates the lookups file of the database at `path`, or lays it out
/// again if its layout is not this build's. Idempotent; several processes
/// may race here (the layout is checked and written under the file's write
/// lock).
fn ensure_sqlite_file(path: &str) -> StoreResult<()> {
    let mut file = SqliteConnection::establish(&sqlite_file(path))?;
    file.batch_execute("PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL;")?;
    file.batch_execute("BEGIN IMMEDIATE;")?;
    let laid_out = (|| -> StoreResult<()> {
        if user_version(&mut file, "main")? != SQLITE_LAYOUT_VERSION {
            file.batch_execute(&layout_in("main"))?;
            file.batch_execute(&format!("PRAGMA user_version = {SQLITE_LAYOUT_VERSION};"))?;
        }
        Ok(())
    })();
    match laid_out {
        Ok(()) => file.batch_execute("COMMIT;")?,
        Err(error) => {
            let _ = file.batch_execute("ROLLBACK;");
            return Err(error);
        }
    }
    Ok(())
}

#[derive(QueryableByName)]
struct UserVersion {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    user_version: i32,
}

/// The layout version of `schema` (`main`, or the attached `lookups`).
fn user_version(conn: &mut SqliteConnection, schema: &str) -> StoreResult<i32> {
    let row: UserVersion =
        diesel::sql_query(format!("PRAGMA {schema}.user_version")).get_result(conn)?;
    Ok(row.user_version)
}

/// Attaches the lookups file as `lookups`, laying it out first if it is
/// not (yet) this build's layout.
fn attach(conn: &mut SqliteConnection, path: &str, read_only: bool) -> StoreResult<()> {
    let attach_file = |conn: &mut SqliteConnection| {
        diesel::sql_query("ATTACH DATABASE ? AS lookups")
            .bind::<diesel::sql_types::Text, _>(sqlite_uri(&sqlite_file(path), read_only))
            .execute(conn)
    };
    attach_file(conn)?;
    if user_version(conn, "lookups")? != SQLITE_LAYOUT_VERSION {
        conn.batch_execute("DETACH DATABASE lookups;")?;
        ensure_sqlite_file(path)?;
        attach_file(conn)?;
    }
    Ok(())
}

/// Attaches the lookups file of the database at `path` to `conn`,
/// read-only, creating it first if need be. Every pooled and command
/// connection to a SQLite database does this (`db::connect`). If the file
/// cannot be made or attached (a read-only directory, a damaged file), an
/// empty stand-in in memory is attached instead and the failure logged:
/// the lookups are derived, so a query then reads every leaf — slow, but
/// complete — and nothing else depends on them.
pub(crate) fn attach_read_only(conn: &mut SqliteConnection, path: &str) -> StoreResult<()> {
    let attached = (|| {
        if !std::path::Path::new(&sqlite_file(path)).exists() {
            ensure_sqlite_file(path)?;
        }
        attach(conn, path, true)
    })();
    if let Err(error) = attached {
        log::error!(
            "the audit lookups file could not be attached ({error}): queries by client or officer \
             read every leaf until it can be; delete the lookups files with every process stopped"
        );
        let _ = conn.batch_execute("DETACH DATABASE lookups;");
        conn.batch_execute("ATTACH DATABASE ':memory:' AS lookups;")?;
        conn.batch_execute(&layout_in("lookups"))?;
    }
    Ok(())
}

/// The indexer's own connection: on SQLite the database with its lookups
/// file attached for writing, whose commits need not reach the disk (the
/// lookups are rebuilt if they are lost); on PostgreSQL a connection like
/// any other (each transaction turns `synchronous_commit` off itself).
pub fn connect_indexer(url: &DatabaseUrl) -> StoreResult<DbConnection> {
    match url {
        DatabaseUrl::Sqlite(path) => {
            let mut conn = SqliteConnection::establish(path)?;
            conn.batch_execute(crate::db::SQLITE_SETTINGS)?;
            attach(&mut conn, path, false)?;
            conn.batch_execute("PRAGMA lookups.synchronous = NORMAL; PRAGMA temp_store = MEMORY;")?;
            Ok(DbConnection::Sqlite(conn))
        }
        DatabaseUrl::Postgres(_) => crate::db::connect(url),
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = state)]
struct StateRow {
    indexed_leaves: i64,
    last_leaf_hash: Option<Vec<u8>>,
}

/// The lookups' state row, if there is one and its watermark names a leaf
/// of this log with the recorded hash; `None` for lookups of another log
/// (a database restored without them) or no state row.
fn matching_state(conn: &mut DbConnection) -> StoreResult<Option<StateRow>> {
    let row: Option<StateRow> = state::table
        .find(1i16)
        .select(StateRow::as_select())
        .first(conn)
        .optional()?;
    match row {
        Some(row) if matches_log(conn, &row)? => Ok(Some(row)),
        Some(_) | None => Ok(None),
    }
}

/// How many leaves, from the first, a query may find through the lookups:
/// their watermark if it matches the log (`matching_state`), else 0, and
/// the query reads every leaf rather than trust them.
pub(crate) fn usable_watermark(conn: &mut DbConnection) -> StoreResult<i64> {
    Ok(matching_state(conn)?.map_or(0, |row| row.indexed_leaves))
}

/// Whether the lookups' watermark names a leaf of this log: the leaf is
/// there and has the recorded hash.
fn matches_log(conn: &mut DbConnection, row: &StateRow) -> StoreResult<bool> {
    let Some(last) = row.indexed_leaves.checked_sub(1).filter(|l| *l >= 0) else {
        return Ok(true);
    };
    let hash: Option<Vec<u8>> = audit_leaves::table
        .find(last)
        .select(audit_leaves::hash)
        .first(conn)
        .optional()?;
    Ok(hash.is_some() && hash == row.last_leaf_hash)
}

/// Indexes up to `max` leaves past the watermark in one transaction.
/// Lookups that do not match the log are emptied first and rebuilt from
/// the first leaf. Only the lease holder's sequencer thread calls this (and
/// tests); a second indexer racing it fails — on a primary key, the moved
/// watermark or SQLite's busy snapshot — and its transaction changes
/// nothing.
pub fn index(conn: &mut DbConnection, max: u64) -> StoreResult<Indexed> {
    let max = i64::try_from(max).unwrap_or(i64::MAX);
    conn.transaction::<_, StoreError, _>(|c| {
        if let DbConnection::Pg(pg) = c {
            pg.batch_execute("SET LOCAL synchronous_commit = off;")?;
        }
        let row = match matching_state(c)? {
            Some(row) => row,
            None => {
                log::warn!("the audit lookups do not match the log: rebuilding them");
                diesel::delete(audit_client_seqs::table).execute(c)?;
                diesel::delete(audit_actor_seqs::table).execute(c)?;
                diesel::delete(state::table).execute(c)?;
                diesel::insert_into(state::table)
                    .values((
                        state::id.eq(1i16),
                        state::indexed_leaves.eq(0i64),
                        state::last_leaf_hash.eq(None::<Vec<u8>>),
                    ))
                    .execute(c)?;
                StateRow {
                    indexed_leaves: 0,
                    last_leaf_hash: None,
                }
            }
        };
        let from = row.indexed_leaves;
        let last: Option<(i64, Vec<u8>)> = audit_leaves::table
            .filter(audit_leaves::leaf_index.ge(from))
            .filter(audit_leaves::leaf_index.lt(from.saturating_add(max)))
            .order(audit_leaves::leaf_index.desc())
            .select((audit_leaves::leaf_index, audit_leaves::hash))
            .first(c)
            .optional()?;
        let Some((last, last_hash)) = last else {
            return Ok(Indexed {
                added: 0,
                through: u64::try_from(from).unwrap_or(0),
            });
        };
        let batch = audit_leaves::table
            .inner_join(audit_events::table)
            .filter(audit_leaves::leaf_index.ge(from))
            .filter(audit_leaves::leaf_index.le(last));
        // In key order, so consecutive rows land on the same pages.
        diesel::insert_into(audit_client_seqs::table)
            .values(
                batch
                    .filter(audit_events::client_id.is_not_null())
                    .select((audit_events::client_id.assume_not_null(), audit_events::seq))
                    .order((audit_events::client_id, audit_events::seq)),
            )
            .into_columns((audit_client_seqs::client_id, audit_client_seqs::seq))
            .execute(c)?;
        diesel::insert_into(audit_actor_seqs::table)
            .values(
                batch
                    .select((audit_events::actor_id, audit_events::seq))
                    .order((audit_events::actor_id, audit_events::seq)),
            )
            .into_columns((audit_actor_seqs::actor_id, audit_actor_seqs::seq))
            .execute(c)?;
        let moved = diesel::update(state::table.find(1i16))
            .filter(state::indexed_leaves.eq(from))
            .set((
                state::indexed_leaves.eq(last + 1),
                state::last_leaf_hash.eq(Some(last_hash)),
            ))
            .execute(c)?;
        if moved != 1 {
            return Err(StoreError::Unavailable(
                "another indexer moved the audit lookups".into(),
            ));
        }
        Ok(Indexed {
            added: u64::try_from(last + 1 - from).unwrap_or(0),
            through: u64::try_from(last + 1).unwrap_or(0),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_name_the_file_whatever_its_path() {
        assert_eq!(
            sqlite_uri("/var/lib/x.db-lookups", true),
            "file:///var/lib/x.db-lookups?mode=ro"
        );
        // `file://var/…` would name a host.
        assert_eq!(
            sqlite_uri("//var/lib/x.db-lookups", false),
            "file:////var/lib/x.db-lookups"
        );
        assert_eq!(sqlite_uri("data/a?b#c%d", false), "file:data/a%3Fb%23c%25d");
    }
}
