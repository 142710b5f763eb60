//! Connections, the pool and embedded migrations.
//!
//! `DbConnection` is a diesel `MultiConnection`: queries are written once
//! against it and run on SQLite (the embedded default) or PostgreSQL. Only
//! connection settings, migrations and the audit append lock differ.

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{ManageConnection, Pool, PooledConnection, R2D2Connection};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, RunQueryDsl};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Sqlite(SqliteConnection),
    Pg(PgConnection),
}

/// Ids are written through the connection enum as its inner backend writes
/// them (the policy crate maps them for SQLite and PostgreSQL; reading, and
/// agency codes and record kinds, need nothing here).
macro_rules! ids_through_multi_backend {
    ($($id:ty),+) => {$(
        impl diesel::serialize::ToSql<diesel::sql_types::Text, MultiBackend> for $id {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, MultiBackend>,
            ) -> diesel::serialize::Result {
                out.set_value((diesel::sql_types::Text, self));
                Ok(diesel::serialize::IsNull::No)
            }
        }
    )+};
}

ids_through_multi_backend!(
    ingang_policy::ClientId,
    ingang_policy::OfficerId,
    ingang_policy::ConsentId,
    ingang_policy::RecordId,
    ingang_policy::AssignmentId
);

/// The write gate of a SQLite file in this process (`None` on PostgreSQL).
///
/// SQLite has one write lock per database file, and a writer that finds it
/// taken sleeps in SQLite's busy handler by backoff — 1, 2, 5, 10 ms and
/// more — however soon the holder commits; under load the audit writer and
/// the sequencer met that way several times a second, and every read
/// waiting on the group commit waited with them. The threads that write
/// the audit log (the group commit, the sequencer) take this gate around
/// each write transaction, and so do the store's own write transactions
/// (`Store::write_turn`), so they queue on a mutex and go on the moment the
/// other one commits. Whoever holds the gate never waits for the audit
/// writer: the store's transactions do database work only, and a nested
/// one does not take the gate again. The gate is taken after a pooled
/// connection, never before, so its holder never waits for the pool.
pub fn write_gate(url: &DatabaseUrl) -> Option<Gate> {
    static GATES: OnceLock<Mutex<HashMap<String, Gate>>> = OnceLock::new();
    match url {
        DatabaseUrl::Postgres(_) => None,
        DatabaseUrl::Sqlite(path) => {
            let mut gates = GATES
                .get_or_init(Mutex::default)
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            Some(Arc::clone(gates.entry(path.clone()).or_default()))
        }
    }
}

/// A SQLite file's write gate (`write_gate`). `parking_lot`'s mutex, for
/// its fair hand-over (`leave_fairly`): the standard one lets the thread
/// that lets it go take it straight back, so a sequencer draining its queue
/// batch after batch kept the audit writer, and every read waiting on it,
/// out for all of them (tens of milliseconds at the 99th percentile).
pub type Gate = Arc<parking_lot::Mutex<()>>;
/// A turn at a write gate: the gate is held until it is dropped.
pub type Turn<'a> = parking_lot::MutexGuard<'a, ()>;

/// Holds `gate` (if any) until dropped.
pub fn enter(gate: &Option<Gate>) -> Option<Turn<'_>> {
    gate.as_ref().map(|gate| gate.lock())
}

/// Lets `turn` go to whoever waits for the gate, if anyone does, before
/// this thread can take it again (a thread that writes batch after batch
/// takes turns with the others).
pub fn leave_fairly(turn: Option<Turn<'_>>) {
    if let Some(turn) = turn {
        parking_lot::MutexGuard::unlock_fair(turn);
    }
}

/// Runs `$body` with `$c` bound to the connection's own backend. Diesel's
/// multi-backend connection writes out the SQL text of every statement to
/// find it in its statement cache (a fifth of an audited read's
/// instructions, `bench/instructions.sh`); on the backend's own connection a
/// statement whose type says it all — not boxed, no `IN` list — is found by
/// its type. For the statements of the hot read path.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Sqlite($c) => $body,
            $crate::db::DbConnection::Pg($c) => $body,
        }
    };
}
pub(crate) use on_backend;

/// Both epochs as a connection of either backend sees them, in one
/// statement (`None` if the records epoch's row is missing). A macro: the
/// same query on each backend's own connection (`on_backend!`).
macro_rules! epochs_now {
    ($conn:expr) => {{
        use diesel::prelude::*;
        use $crate::schema::{policy_epoch::dsl as p, records_epoch::dsl as r};
        let records = r::records_epoch.find(1i16).select(r::epoch).single_value();
        p::policy_epoch
            .find(1i16)
            .select((p::epoch, records))
            .first::<(i64, Option<i64>)>($conn)
            .map(|(policy, records)| {
                records.map(|records| $crate::facts_cache::Epochs { policy, records })
            })
    }};
}
pub(crate) use epochs_now;

/// Inserts `rows` into `table` on SQLite: as many multi-row statements of
/// `$per` rows as fit, then what is left in statements of 32, 16, 8, 4, 2
/// and 1 rows (at most one of each). A fixed count keeps a statement one
/// type, so each is prepared once and found in the cache; and a batch of
/// any size takes a few statements, where one statement per leftover row
/// cost each its own bindings, program run and statement journal.
macro_rules! insert_on_sqlite {
    ($conn:expr, $table:expr, $rows:expr, $per:expr) => {{
        let (chunks, rest) = $rows.as_chunks::<$per>();
        for chunk in chunks {
            diesel::insert_into($table).values(chunk).execute($conn)?;
        }
        $crate::db::insert_on_sqlite!(@rest $conn, $table, rest, 32, 16, 8, 4, 2, 1);
    }};
    (@rest $conn:expr, $table:expr, $rows:expr, $($size:literal),+) => {{
        let rows = $rows;
        $(
            let (chunks, rows) = rows.as_chunks::<$size>();
            for chunk in chunks {
                diesel::insert_into($table).values(chunk).execute($conn)?;
            }
        )+
        debug_assert!(rows.is_empty());
    }};
}
pub(crate) use insert_on_sqlite;

pub type DbPool = Pool<Manager>;
pub type PooledConn = PooledConnection<Manager>;

/// Where the data lives. `Debug` hides the PostgreSQL URL: it may carry a
/// password.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite database file.
    Sqlite(String),
    /// A `postgres://` or `postgresql://` URL (libpq syntax).
    Postgres(String),
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => f.debug_tuple("Sqlite").field(path).finish(),
            DatabaseUrl::Postgres(_) => f.write_str("Postgres(<redacted>)"),
        }
    }
}

impl DatabaseUrl {
    /// `postgres://…` or `postgresql://…` is PostgreSQL; `sqlite://path` or
    /// anything else is the path of a SQLite file.
    pub fn parse(text: &str) -> Self {
        let text = text.trim();
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            DatabaseUrl::Postgres(text.to_owned())
        } else {
            let path = text.strip_prefix("sqlite://").unwrap_or(text);
            DatabaseUrl::Sqlite(path.to_owned())
        }
    }

    pub fn backend(&self) -> &'static str {
        match self {
            DatabaseUrl::Sqlite(_) => "sqlite",
            DatabaseUrl::Postgres(_) => "postgres",
        }
    }

    /// The URL with any password replaced, safe for logs.
    pub fn display_safe(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(path) => format!("sqlite://{path}"),
            DatabaseUrl::Postgres(url) => redact_password(url),
        }
    }
}

/// A libpq URL cut where a password can sit: `scheme://[user[:password]@]host…`
/// and the rest (path and query, where `?password=` may sit too).
struct UrlParts<'a> {
    scheme: &'a str,
    user: Option<&'a str>,
    password: Option<&'a str>,
    host: &'a str,
    tail: &'a str,
}

impl<'a> UrlParts<'a> {
    fn of(url: &'a str) -> Option<Self> {
        let (scheme, rest) = url.split_once("://")?;
        let (authority, tail) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
        let (user_info, host) = match authority.rsplit_once('@') {
            Some((user_info, host)) => (Some(user_info), host),
            None => (None, authority),
        };
        let (user, password) = match user_info.map(|u| u.split_once(':')) {
            Some(Some((user, password))) => (Some(user), Some(password)),
            Some(None) => (user_info, None),
            None => (None, None),
        };
        Some(UrlParts {
            scheme,
            user,
            password,
            host,
            tail,
        })
    }

    fn query_has_password(&self) -> bool {
        self.tail.contains("password=")
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
fn redact_password(url: &str) -> String {
    let Some(parts) = UrlParts::of(url) else {
        return "<unparsable url>".into();
    };
    let user_info = match (parts.user, parts.password) {
        (Some(user), Some(_)) => format!("{user}:***@"),
        (Some(user), None) => format!("{user}@"),
        (None, _) => String::new(),
    };
    let tail = match parts.tail.split_once('?') {
        Some((path, _)) if parts.query_has_password() => format!("{path}?***"),
        _ => parts.tail.to_owned(),
    };
    format!("{}://{user_info}{}{tail}", parts.scheme, parts.host)
}

/// Whether a `postgres://user:password@…` URL (or one with `?password=`)
/// carries a password.
pub fn url_has_password(url: &str) -> bool {
    UrlParts::of(url).is_some_and(|p| p.password.is_some() || p.query_has_password())
}

/// Adds `password` to a libpq URL as a percent-encoded query parameter.
pub fn url_with_password(url: &str, password: &str) -> String {
    let encoded: String = password
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}password={encoded}")
}

/// SQLite: WAL lets readers run beside the one writer (set in `migrate`);
/// `synchronous = FULL` makes every commit durable (the audit log relies on
/// it); the busy timeout makes writers queue instead of failing.
pub(crate) const SQLITE_SETTINGS: &str = "PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; \
                               PRAGMA synchronous = FULL;";

/// PostgreSQL: commits are durable by default (`synchronous_commit = on`);
/// a stuck statement or an abandoned transaction must not hold locks for
/// ever.
const POSTGRES_SETTINGS: &str = "SET statement_timeout = '30s'; \
                                 SET idle_in_transaction_session_timeout = '60s'; \
                                 SET synchronous_commit = on;";

/// Advisory lock keys (any fixed numbers, unique within this schema).
pub(crate) const MIGRATION_LOCK: i64 = 0x696e_6761_6e67_0001;
/// Held shared by the audit writer from its read of the epochs to its
/// commit, and taken exclusively by every statement that writes an epoch's
/// row (triggers on the epoch tables, migration `2026-11-30-000008`): the
/// epochs the writer checks kept-first reads against hold until its commit.
pub(crate) const EPOCH_LOCK: i64 = 0x696e_6761_6e67_0002;

/// Opens one connection of the backend the URL names, with the service's
/// settings (the audit writer and the CLI use their own, outside the pool).
/// The backend is chosen from the URL, never by trying one after another.
/// On SQLite the auditors' lookups file is attached read-only
/// (`lookups::attach_read_only`; an empty stand-in if it cannot be).
pub fn connect(url: &DatabaseUrl) -> Result<DbConnection, crate::StoreError> {
    let mut conn = connect_without_lookups(url)?;
    if let (DbConnection::Sqlite(c), DatabaseUrl::Sqlite(path)) = (&mut conn, url) {
        crate::lookups::attach_read_only(c, path)?;
    }
    Ok(conn)
}

/// A connection with the service's settings and nothing attached: the
/// audit log's appenders never read the lookups, and a derived file must
/// not stand between a request and its audit entry.
fn connect_without_lookups(url: &DatabaseUrl) -> Result<DbConnection, crate::StoreError> {
    let conn = match url {
        DatabaseUrl::Sqlite(path) => {
            let mut conn = SqliteConnection::establish(path)?;
            conn.batch_execute(SQLITE_SETTINGS)?;
            DbConnection::Sqlite(conn)
        }
        DatabaseUrl::Postgres(url) => {
            let mut conn = PgConnection::establish(url)?;
            conn.batch_execute(POSTGRES_SETTINGS)?;
            DbConnection::Pg(conn)
        }
    };
    Ok(conn)
}

/// A connection for the audit log's appenders (the group commit and the
/// sequencer), which insert many rows a statement and read by key only.
/// On SQLite their temporary storage stays in memory: a statement's journal
/// (the pages it changed, kept to undo it alone) over 64 KiB — a multi-row
/// insert of audit entries touches a page of each index per row — would
/// otherwise be written out to a temporary file, which cost the audit
/// writer more write calls than its WAL frames. (Sorts and temporary tables
/// of the connection stay in memory too; these connections make none of
/// any size.)
pub fn connect_appender(url: &DatabaseUrl) -> Result<DbConnection, crate::StoreError> {
    let mut conn = connect_without_lookups(url)?;
    if let DbConnection::Sqlite(c) = &mut conn {
        c.batch_execute("PRAGMA temp_store = MEMORY;")?;
    }
    Ok(conn)
}

/// Runs pending migrations; returns how many ran. Several processes may
/// start at once on PostgreSQL: an advisory lock lets one migrate while the
/// others wait and then find nothing left to do.
pub fn migrate(url: &DatabaseUrl) -> Result<usize, crate::StoreError> {
    let mut conn = connect(url)?;
    let applied = match &mut conn {
        DbConnection::Sqlite(c) => {
            // WAL is a property of the database file: set it once here.
            c.batch_execute("PRAGMA main.journal_mode = WAL;")?;
            c.run_pending_migrations(SQLITE_MIGRATIONS)
                .map_err(|e| crate::StoreError::Migration(e.to_string()))?
                .len()
        }
        DbConnection::Pg(c) => {
            diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})")).execute(c)?;
            let result = c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|done| done.len())
                .map_err(|e| crate::StoreError::Migration(e.to_string()));
            diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})")).execute(c)?;
            result?
        }
    };
    Ok(applied)
}

/// The r2d2 manager: connects with [`connect`] and drops a connection that
/// diesel found broken (PostgreSQL restarted, socket closed), so the pool
/// heals by itself once the database is back.
#[derive(Debug)]
pub struct Manager {
    url: DatabaseUrl,
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = crate::StoreError;

    fn connect(&self) -> Result<DbConnection, crate::StoreError> {
        connect(&self.url)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), crate::StoreError> {
        conn.ping().map_err(crate::StoreError::from)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

/// `timeout`: how long a request waits for a connection before it answers
/// 503 (all in use, or the database unreachable).
pub fn pool(
    url: &DatabaseUrl,
    max_size: u32,
    timeout: Duration,
) -> Result<DbPool, crate::StoreError> {
    Ok(Pool::builder()
        .max_size(max_size)
        // Connections are made when first needed: a service that starts
        // while the database is briefly away still starts (readyz says so).
        .min_idle(Some(0))
        .connection_timeout(timeout)
        // A checkout would otherwise cost a round trip; a connection whose
        // query failed at the transport level is marked broken by diesel and
        // dropped on return (`has_broken`).
        .test_on_check_out(false)
        .build_unchecked(Manager { url: url.clone() }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_epochs_lock_in_the_migration_is_the_writers() {
        let migration = include_str!(
            "../../../migrations/postgres/2026-11-30-000008_epoch_changes_wait_for_audit_commits/up.sql"
        );
        let takes = format!("PERFORM pg_advisory_xact_lock({EPOCH_LOCK});");
        assert_eq!(migration.matches(takes.as_str()).count(), 1);
        assert_ne!(EPOCH_LOCK, MIGRATION_LOCK);
    }

    #[test]
    fn one_write_gate_per_sqlite_file_and_none_for_postgres() {
        let a = DatabaseUrl::parse("/tmp/gate-a.sqlite3");
        let first = write_gate(&a).unwrap();
        let again = write_gate(&DatabaseUrl::parse("sqlite:///tmp/gate-a.sqlite3")).unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        let other = write_gate(&DatabaseUrl::parse("/tmp/gate-b.sqlite3")).unwrap();
        assert!(!Arc::ptr_eq(&first, &other));
        assert!(write_gate(&DatabaseUrl::parse("postgres://u@h/db")).is_none());
        // Held by one writer, the gate keeps the other out until it is let go.
        let gate = Some(Arc::clone(&first));
        let turn = enter(&gate);
        assert!(again.try_lock().is_none());
        drop(turn);
        assert!(again.try_lock().is_some());
        // Let go fairly, it is free again too.
        let turn = enter(&gate);
        leave_fairly(turn);
        assert!(again.try_lock().is_some());
    }

    #[test]
    fn urls_choose_the_backend() {
        assert_eq!(
            DatabaseUrl::parse("postgres://u@h/db").backend(),
            "postgres"
        );
        assert_eq!(
            DatabaseUrl::parse("postgresql://u@h/db").backend(),
            "postgres"
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/ingang/db.sqlite3"),
            DatabaseUrl::Sqlite("/var/lib/ingang/db.sqlite3".into())
        );
        assert_eq!(
            DatabaseUrl::parse("data/ingang.sqlite3"),
            DatabaseUrl::Sqlite("data/ingang.sqlite3".into())
        );
    }

    #[test]
    fn passwords_never_reach_debug_or_logs() {
        let url = DatabaseUrl::parse(
            "postgres://ingang:s3cret@db.example:5432/ingang?sslmode=verify-full",
        );
        assert!(!format!("{url:?}").contains("s3cret"));
        assert_eq!(
            url.display_safe(),
            "postgres://ingang:***@db.example:5432/ingang?sslmode=verify-full"
        );
        let url = DatabaseUrl::parse("postgres://db.example/ingang?user=a&password=s3cret");
        assert!(!url.display_safe().contains("s3cret"));
    }

    #[test]
    fn passwords_are_found_where_libpq_takes_them() {
        assert!(url_has_password("postgres://u:p@h/db"));
        assert!(url_has_password("postgres://h/db?user=u&password=p"));
        assert!(!url_has_password("postgres://u@h:5432/db"));
        assert!(!url_has_password("data/ingang.sqlite3"));
    }

    #[test]
    fn a_password_file_is_added_percent_encoded() {
        assert_eq!(
            url_with_password("postgres://ingang@db/ingang", "p@ss w/rd"),
            "postgres://ingang@db/ingang?password=p%40ss%20w%2Frd"
        );
        assert_eq!(
            url_with_password("postgres://ingang@db/ingang?sslmode=verify-full", "x"),
            "postgres://ingang@db/ingang?sslmode=verify-full&password=x"
        );
    }
}
