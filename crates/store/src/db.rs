//! Connections, the pool and embedded migrations.
//!
//! `DbConnection` is a diesel `MultiConnection`: queries are written once
//! against it. SQLite is the embedded default; PostgreSQL joins as a second
//! variant with its own migrations folder.

use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::time::Duration;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Sqlite(SqliteConnection),
}

pub type DbPool = Pool<ConnectionManager<DbConnection>>;
pub type PooledConn = PooledConnection<ConnectionManager<DbConnection>>;

/// Where the data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite database file.
    Sqlite(String),
}

impl DatabaseUrl {
    fn as_str(&self) -> &str {
        match self {
            DatabaseUrl::Sqlite(path) => path,
        }
    }
}

/// Per-connection settings. WAL lets readers run beside the one writer;
/// `synchronous = FULL` makes every commit durable (the audit log relies on
/// it); the busy timeout makes writers queue instead of failing.
#[derive(Debug, Clone, Copy)]
struct ConnectionSettings;

const SQLITE_SETTINGS: &str = "PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; \
                               PRAGMA synchronous = FULL;";

impl CustomizeConnection<DbConnection, diesel::r2d2::Error> for ConnectionSettings {
    fn on_acquire(&self, conn: &mut DbConnection) -> Result<(), diesel::r2d2::Error> {
        apply_settings(conn).map_err(diesel::r2d2::Error::QueryError)
    }
}

fn apply_settings(conn: &mut DbConnection) -> diesel::QueryResult<()> {
    match conn {
        DbConnection::Sqlite(c) => c.batch_execute(SQLITE_SETTINGS),
    }
}

/// Opens one connection with the service's settings (the audit writer and
/// the CLI use their own connection, outside the pool).
pub fn connect(url: &DatabaseUrl) -> Result<DbConnection, crate::StoreError> {
    let mut conn = DbConnection::establish(url.as_str())?;
    apply_settings(&mut conn)?;
    Ok(conn)
}

/// Runs pending migrations; returns how many ran.
pub fn migrate(url: &DatabaseUrl) -> Result<usize, crate::StoreError> {
    let mut conn = connect(url)?;
    let applied = match &mut conn {
        DbConnection::Sqlite(c) => {
            // WAL is a property of the database file: set it once here.
            c.batch_execute("PRAGMA journal_mode = WAL;")?;
            c.run_pending_migrations(SQLITE_MIGRATIONS)
                .map_err(|e| crate::StoreError::Migration(e.to_string()))?
                .len()
        }
    };
    Ok(applied)
}

pub fn pool(url: &DatabaseUrl, max_size: u32) -> Result<DbPool, crate::StoreError> {
    let manager = ConnectionManager::<DbConnection>::new(url.as_str());
    Pool::builder()
        .max_size(max_size)
        .connection_timeout(Duration::from_secs(5))
        // A checkout would otherwise cost a `SELECT 1`; diesel marks a
        // connection broken when a query on it fails, and r2d2 drops it.
        .test_on_check_out(false)
        .connection_customizer(Box::new(ConnectionSettings))
        .build(manager)
        .map_err(|e| crate::StoreError::Unavailable(e.to_string()))
}
