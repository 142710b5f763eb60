//! # ingang-store
//!
//! Everything that touches the database: the diesel schema and queries,
//! envelope encryption of personal fields, keys, and the audit log with
//! group commit. Returns plain values; knows nothing about HTTP.

pub mod audit;
pub mod crypto;
pub mod db;
pub mod leaf;
pub mod lookups;
pub mod merkle;
pub mod schema;
pub mod verify;

mod accounts;
mod cases;
mod clients;
mod facts_cache;
mod permit;
mod time;
mod web_sessions;

pub use accounts::{Account, Agency, NewOfficer, Officer};
pub use audit::{
    AuditEvent, AuditFilter, AuditLog, AuditStats, NewAuditEvent, PendingPermits, BATCH_BUCKETS,
};
pub use cases::{
    Assignment, Consent, ConsentEvidence, KeptBody, NewConsent, RecordMeta, RecordPage,
    RecordVersion,
};
pub use clients::{ClientIdentity, ClientSummary, Erasure, LoadedFacts};
pub use crypto::{CryptoError, KeySource, Keyring, SecretKey};
pub use db::{DatabaseUrl, DbConnection, DbPool};
pub use permit::Permit;
pub use time::{from_micros, to_micros};
pub use web_sessions::WebSession;

use std::sync::Arc;

/// The one error type of the store layer. The API maps it once.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken; the text is safe to show.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// A referenced row does not exist; names the request field.
    #[error("unknown {0}")]
    UnknownReference(&'static str),
    /// Optimistic concurrency: the stored version is not the expected one.
    #[error("version mismatch: stored version is {current}")]
    VersionMismatch { current: i32 },
    /// The database could not be reached (pool exhausted, file gone, busy).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The audit log could not store an entry: the request must fail closed.
    #[error("audit log unavailable: {0}")]
    AuditUnavailable(String),
    #[error("migration failed: {0}")]
    Migration(String),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error("database error: {0}")]
    Database(diesel::result::Error),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The subject's data key is gone: the client was erased (perhaps
    /// while this request ran), so nothing of theirs can be read or sealed.
    #[error("the subject's data key has been destroyed")]
    KeyDestroyed,
    /// A permit was presented for another action, client or record: a bug
    /// in the caller, refused rather than trusted.
    #[error("permit does not cover {0} of this resource")]
    PermitMismatch(ingang_policy::AuditAction),
    /// A request decided "kept first" (`Db::kept_first`) on what this
    /// process keeps in memory, and something it relied on changed before
    /// its entries could be stored: nothing was stored, and the request is
    /// to be decided again on the database.
    #[error("the policy or the records changed while the request was decided")]
    Stale,
    /// A request that may take only what this process keeps in memory
    /// (`Db::kept_only`) needed the database: nothing was stored, and the
    /// request is to be decided on a thread that may wait for it.
    #[error("the request needs the database")]
    NotKept,
}

impl From<diesel::result::Error> for StoreError {
    /// Told apart by diesel's error kind, which it derives from SQLSTATE
    /// (PostgreSQL) or the result code (SQLite), never by message text: a
    /// server whose `lc_messages` is Swedish must still give 503. A lost
    /// connection (PostgreSQL shutting down or crashing under a query, the
    /// socket gone) is an outage; everything else is a bug (500, cause
    /// logged). diesel 2.3 does not expose the SQLSTATE of other errors, so
    /// a statement timeout or a busy SQLite file is a 500, not guessed at.
    // diesel's error enums are non-exhaustive; unnamed variants are bugs.
    #[allow(clippy::wildcard_enum_match_arm)]
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match error {
            Error::NotFound => StoreError::NotFound,
            Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                info,
            ) => StoreError::Unavailable(info.message().to_owned()),
            Error::BrokenTransactionManager => {
                StoreError::Unavailable("the connection's transaction state is broken".into())
            }
            other => StoreError::Database(other),
        }
    }
}

impl From<diesel::ConnectionError> for StoreError {
    fn from(error: diesel::ConnectionError) -> Self {
        StoreError::Unavailable(error.to_string())
    }
}

impl From<diesel::r2d2::PoolError> for StoreError {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        StoreError::Unavailable(error.to_string())
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The store: a connection pool, the keys and the audit log. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: DbPool,
    keys: Arc<Keyring>,
    audit: AuditLog,
    log: Arc<merkle::LogKeys>,
    witnesses: Arc<Vec<ingang_tlog::note::VerifierKey>>,
    sequencer: Option<Arc<merkle::Sequencer>>,
    /// This process's write gate of the SQLite file (`db::write_gate`).
    write_gate: Option<db::Gate>,
    facts: Arc<facts_cache::FactsCache>,
    bodies: Arc<facts_cache::BodyCache>,
    records: Arc<facts_cache::RecordsCache>,
    /// The newest epochs read in this process (`Db::kept_first`).
    known: Arc<facts_cache::KnownEpochs>,
    backend: &'static str,
}

/// Connections of the pool: at most `max`, `open` now, of which `idle`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    pub max: u32,
    pub open: u32,
    pub idle: u32,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

/// Settings for opening a store.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    pub url: DatabaseUrl,
    pub pool_size: u32,
    /// Most audit entries written in one transaction (group commit).
    pub audit_batch_max: usize,
    /// How long a request waits for a pooled connection.
    pub pool_timeout: std::time::Duration,
    /// The Merkle log's keys, its witnesses' keys, and whether this process
    /// runs a sequencer (it takes part in the election; one leads).
    pub log: Arc<merkle::LogKeys>,
    pub witnesses: Vec<ingang_tlog::note::VerifierKey>,
    pub sequencer: Option<merkle::SequencerConfig>,
}

impl Store {
    /// Runs migrations, opens the pool and starts the audit writer.
    pub fn open(config: &StoreConfig, keys: Keyring) -> StoreResult<Self> {
        db::migrate(&config.url)?;
        let pool = db::pool(&config.url, config.pool_size, config.pool_timeout)?;
        let known = Arc::new(facts_cache::KnownEpochs::default());
        let audit = AuditLog::start(
            config.url.clone(),
            config.audit_batch_max,
            Arc::clone(&known),
        )?;
        let sequencer = match &config.sequencer {
            Some(settings) => Some(Arc::new(merkle::Sequencer::start(
                config.url.clone(),
                settings.clone(),
                Arc::clone(&config.log),
            )?)),
            None => None,
        };
        Ok(Self {
            pool,
            keys: Arc::new(keys),
            audit,
            log: Arc::clone(&config.log),
            witnesses: Arc::new(config.witnesses.clone()),
            sequencer,
            write_gate: db::write_gate(&config.url),
            facts: Arc::default(),
            bodies: Arc::default(),
            records: Arc::default(),
            known,
            backend: config.url.backend(),
        })
    }

    /// The Merkle log's keys.
    pub fn log_keys(&self) -> &merkle::LogKeys {
        &self.log
    }

    /// The configured witnesses' verifier keys.
    pub fn witness_keys(&self) -> &[ingang_tlog::note::VerifierKey] {
        &self.witnesses
    }

    /// This process's sequencer, if it runs one.
    pub fn sequencer(&self) -> Option<&merkle::Sequencer> {
        self.sequencer.as_deref()
    }

    pub fn audit(&self) -> &AuditLog {
        &self.audit
    }

    pub fn keys(&self) -> &Keyring {
        &self.keys
    }

    /// Pool usage for metrics.
    pub fn pool_status(&self) -> PoolStatus {
        let state = self.pool.state();
        PoolStatus {
            max: self.pool.max_size(),
            open: state.connections,
            idle: state.idle_connections,
        }
    }

    pub fn backend(&self) -> &'static str {
        self.backend
    }

    /// Readiness: a connection answers a trivial query.
    pub fn ping(&self) -> StoreResult<()> {
        use diesel::RunQueryDsl;
        let mut db = self.db()?;
        diesel::sql_query("SELECT 1").execute(db.conn.get(self)?)?;
        Ok(())
    }
}

/// The connection of one request (or one command): every query of the
/// request runs on it, and [`Db::tx`] makes several of them commit together
/// or not at all. Between transactions the connection goes back to the pool
/// while the request waits for something else ([`Db::release`]: the audit
/// log's commit, which keeps its own connection), so a few connections with
/// warm caches serve many requests.
pub struct Db<'s> {
    store: &'s Store,
    conn: Checkout,
    /// How many transactions are open on the connection.
    depth: u32,
    /// The epochs the account's lookup went by (read by its statement, or
    /// kept first the newest this process knows), and the connection's use
    /// count right after: for a record read that follows it in the same
    /// request with nothing else done on the connection in between (see
    /// `policy_epoch_for_request`, `Db::kept_account`).
    epochs: Option<(Epochs, u64)>,
    /// Whether the account's lookup may take the epochs this process read
    /// last instead of reading them (see [`Db::kept_first`]).
    kept_first: bool,
    /// The epochs this request decided under without reading them: its
    /// entries are stored only if they are still the epochs then.
    unread: Option<Epochs>,
    /// Whether this request has read the epochs itself: then nothing more
    /// of it is taken under epochs it did not read.
    read_epochs: bool,
}

use facts_cache::Epochs;

/// Whether epochs a statement of a request read still are the ones it
/// decided under without reading them (`unread`), if any; they are
/// remembered as the newest this process knows.
fn check_unread(store: &Store, unread: Option<Epochs>, read: Option<Epochs>) -> StoreResult<()> {
    if let Some(read) = read {
        store.known.advance(read);
    }
    match unread {
        Some(unread) if Some(unread) != read => Err(StoreError::Stale),
        Some(_) | None => Ok(()),
    }
}

/// The connection a [`Db`] holds, checked out from the pool on first use,
/// and how many times it was used (every statement and transaction goes
/// through [`Checkout::get`]).
#[derive(Default)]
struct Checkout {
    conn: Option<db::PooledConn>,
    uses: u64,
    /// No connection may be taken (`Db::kept_only`).
    refused: bool,
}

impl Checkout {
    fn get(&mut self, store: &Store) -> StoreResult<&mut DbConnection> {
        if self.refused {
            return Err(StoreError::NotKept);
        }
        let conn = match self.conn.take() {
            Some(conn) => conn,
            None => store.pool.get()?,
        };
        self.uses += 1;
        Ok(&mut **self.conn.insert(conn))
    }
}

impl std::fmt::Debug for Db<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").finish_non_exhaustive()
    }
}

impl Store {
    /// This process's turn to write the SQLite file, for a transaction that
    /// is not inside another one (`depth` 0) and never waits for the audit
    /// writer inside: `None` on PostgreSQL and when nested.
    pub(crate) fn write_turn(&self, depth: u32) -> Option<db::Turn<'_>> {
        if depth > 0 {
            return None;
        }
        db::enter(&self.write_gate)
    }

    /// The connection of one request (or one command).
    pub fn db(&self) -> StoreResult<Db<'_>> {
        Ok(Db {
            store: self,
            conn: Checkout::default(),
            depth: 0,
            epochs: None,
            kept_first: false,
            unread: None,
            read_epochs: false,
        })
    }
}

impl Db<'_> {
    /// Runs `work` in one transaction on this connection: it commits if
    /// `work` succeeds and rolls back if it fails. Nested calls become
    /// savepoints, so operations that use a transaction compose. On SQLite
    /// the outermost one holds this process's write gate (`db::write_gate`),
    /// so `work` does database work only: it must never append to the audit
    /// log, whose writer waits for that gate.
    pub fn tx<T>(&mut self, work: impl FnOnce(&mut Self) -> StoreResult<T>) -> StoreResult<T> {
        use diesel::connection::{Connection, TransactionManager};
        type Manager = <DbConnection as Connection>::TransactionManager;
        // The connection first, then the write gate, as everywhere: a
        // thread holding the gate never waits for the pool.
        self.conn.get(self.store)?;
        let _turn = self.store.write_turn(self.depth);
        match self.conn.get(self.store)? {
            // SQLite: the outermost transaction takes the write lock at
            // once (waiting its turn), so a transaction that reads before
            // it writes cannot fail when another connection (the audit
            // writer, the sequencer) commits in between.
            DbConnection::Sqlite(c) if self.depth == 0 => {
                diesel::connection::AnsiTransactionManager::begin_transaction_sql(
                    c,
                    "BEGIN IMMEDIATE",
                )?
            }
            conn @ (DbConnection::Sqlite(_) | DbConnection::Pg(_)) => {
                Manager::begin_transaction(conn)?
            }
        }
        self.depth += 1;
        let result = work(self);
        self.depth -= 1;
        let conn = self.conn.get(self.store)?;
        match result {
            Ok(value) => {
                Manager::commit_transaction(conn)?;
                Ok(value)
            }
            Err(error) => {
                // The work's error is the one to report; a failed rollback
                // leaves a broken connection the pool will drop.
                let _ = Manager::rollback_transaction(conn);
                Err(error)
            }
        }
    }

    /// The policy epoch as committed now (see `facts_cache`), under which
    /// facts may be taken from the cache and kept in it; `None` inside a
    /// transaction, which reads and decides on the database alone (its own
    /// uncommitted changes could still roll back).
    fn policy_epoch(&mut self) -> StoreResult<Option<i64>> {
        use crate::schema::policy_epoch::dsl as p;
        use diesel::prelude::*;
        if self.in_transaction() {
            return Ok(None);
        }
        let conn = self.conn.get(self.store)?;
        let query = p::policy_epoch.find(1i16).select(p::epoch);
        let epoch: i64 = db::on_backend!(conn, |c| query.first(c))?;
        Ok(Some(epoch))
    }

    /// The policy epoch as committed now, like `policy_epoch`, read in one
    /// statement with the records epoch; both are remembered for a
    /// [`Db::record_with_facts`] that follows with nothing else done on this
    /// connection in between (no statement, no transaction, no write, no
    /// release), which then needs no statement of its own when the record
    /// and its facts are kept: its decision is taken on the facts as of
    /// this read, a moment earlier.
    pub(crate) fn policy_epoch_for_request(&mut self) -> StoreResult<Option<i64>> {
        self.epochs = None;
        if self.in_transaction() {
            return Ok(None);
        }
        let conn = self.conn.get(self.store)?;
        let read = db::on_backend!(conn, |c| db::epochs_now!(c))?;
        self.read_epochs = true;
        check_unread(self.store, self.unread, read)?;
        self.epochs = read.map(|epochs| (epochs, self.conn.uses));
        // The policy epoch alone when the records epoch's row is missing.
        match read {
            Some(epochs) => Ok(Some(epochs.policy)),
            None => self.policy_epoch(),
        }
    }

    /// Lets this request decide "kept first": the account's lookup takes
    /// the epochs this process read last instead of reading them, and when
    /// the account, the record and its facts are all kept under those
    /// epochs the request makes no statement before its audit entry. The
    /// audit writer reads the epochs inside its transaction, once nothing
    /// that moves them can commit before it (SQLite's write lock,
    /// PostgreSQL's `db::EPOCH_LOCK`), and stores the request's entries
    /// only if they are still those: the decision was then taken on the
    /// facts as they stand when its entry becomes durable. If they moved,
    /// nothing is stored and the request's audit append fails with
    /// [`StoreError::Stale`]: it is to be decided again, not kept first.
    pub fn kept_first(&mut self, on: bool) {
        self.kept_first = on;
        if !self.kept_first {
            self.unread = None;
        }
    }

    /// Lets this request take only what this process keeps in memory, for
    /// work on a thread that must never wait (an HTTP worker): every
    /// statement, every connection from the pool and every blocking audit
    /// append of this connection ([`Db::append_decisions`]) fails with
    /// [`StoreError::NotKept`] instead, before anything is stored. Used
    /// with [`Db::kept_first`]; the audit entries go through
    /// [`Db::append_decisions_later`].
    pub fn kept_only(&mut self, on: bool) {
        self.conn.refused = on;
    }

    /// Kept first: the account as kept under the epochs this process read
    /// last, without a statement; `None` when not kept (the caller reads
    /// the epochs then).
    pub(crate) fn kept_account(&mut self, id: ingang_policy::OfficerId) -> Option<Account> {
        if !self.kept_first || self.read_epochs || self.in_transaction() {
            return None;
        }
        // A second account of the same request (the officer a system
        // account acts for) goes by the epochs the first one did.
        let known = match self.unread {
            Some(unread) => unread,
            None => self.store.known.get()?,
        };
        let account = self.store.facts.account(known.policy, id)?;
        self.unread = Some(known);
        self.epochs = Some((known, self.conn.uses));
        Some(account)
    }

    /// Whether this request took something kept under epochs it did not
    /// read (kept first).
    pub fn relies_on_unread_epochs(&self) -> bool {
        self.unread.is_some()
    }

    /// Kept first, before an answer that no audit entry will check (a
    /// refusal of the caller): reads the epochs, and gives
    /// [`StoreError::Stale`] if they moved since the request took what it
    /// kept. Nothing to do for a request that took nothing so.
    pub fn confirm_unread(&mut self) -> StoreResult<()> {
        if self.unread.is_none() {
            return Ok(());
        }
        if self.in_transaction() {
            // The epochs cannot be read as committed in here.
            return Err(StoreError::Stale);
        }
        self.policy_epoch_for_request().map(|_| ())
    }

    /// Stores the entries of decisions and gives a permit for each allowed
    /// one ([`AuditLog::append_decisions`]); the connection goes back to
    /// the pool while the entries are stored. A request decided kept first
    /// whose epochs moved gets [`StoreError::Stale`], and nothing is stored.
    pub fn append_decisions(
        &mut self,
        events: Vec<NewAuditEvent>,
    ) -> StoreResult<Vec<Option<Permit>>> {
        // The audit log commits on its own connection; while this request
        // waits for that commit, its connection serves others (unless a
        // transaction is open on it). Held through the wait, a pool smaller
        // than the number of waiting requests would starve the group commit
        // of company: smaller batches, more syncs, more CPU per read.
        self.release();
        if self.conn.refused {
            return Err(StoreError::NotKept);
        }
        if events.is_empty() && self.unread.is_some() {
            // Nothing to check the epochs by: an answer decided on them
            // (an empty list) is decided again on the database.
            return Err(StoreError::Stale);
        }
        self.store.audit.append_decisions_under(events, self.unread)
    }

    /// [`Db::append_decisions`] for a thread that must not block: the
    /// entries go to the audit writer now, and the permits come with the
    /// future once they are durable (the same answers: [`StoreError::Stale`]
    /// if the epochs a kept-first decision went by had moved).
    pub fn append_decisions_later(&mut self, events: Vec<NewAuditEvent>) -> audit::PendingPermits {
        self.release();
        if events.is_empty() && self.unread.is_some() {
            return audit::PendingPermits::failed(StoreError::Stale);
        }
        self.store.audit.submit_decisions(events, self.unread)
    }

    /// Whether a transaction is open on this connection: facts and keys
    /// then come from the database alone (see `policy_epoch`).
    fn in_transaction(&self) -> bool {
        self.depth > 0
    }

    /// Gives the connection back to the pool until the next query, unless
    /// a transaction is open on it: for waits that need no connection.
    pub fn release(&mut self) {
        self.epochs = None;
        if self.depth == 0 {
            self.conn.conn = None;
        }
    }

    /// The store this connection belongs to (keys, audit log).
    pub fn store(&self) -> &Store {
        self.store
    }
}
