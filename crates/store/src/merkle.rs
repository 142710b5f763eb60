//! The Merkle log over the audit entries (docs/audit-log.md).
//!
//! The request path only appends an entry; a trigger adds its queue row
//! (`audit_pending`) in the same statement: no lock beyond its own rows. The
//! [`Sequencer`] — one at a time across every process, elected through a
//! lease row (`audit_sequencer`) that any SQL database with transactions
//! can hold — takes queued entries in order, gives each a dense leaf index,
//! stores its leaf hash and every perfect subtree it completes, moves the
//! tree's size and root forward with a compare-and-set (the fence that makes
//! a deposed holder's late commit fail), and signs a checkpoint.

use crate::audit::{from_row, StoredRow};
use crate::db::{self, DatabaseUrl, DbConnection};
use crate::schema::{
    audit_checkpoints, audit_cosignatures, audit_events, audit_leaves, audit_pending,
    audit_sequencer, audit_tree, audit_tree_nodes,
};
use crate::time::{from_micros, to_micros};
use crate::{leaf, lookups, AuditEvent, StoreError, StoreResult};
use chrono::{DateTime, Utc};
use crossbeam_channel::{Receiver, Sender};
use diesel::prelude::*;
use diesel::r2d2::R2D2Connection;
use ingang_tlog::checkpoint::Checkpoint;
use ingang_tlog::note::{Note, NoteError, SigningKey, VerifierKey};
use ingang_tlog::tree::{self, Frontier, Hash, NodeId, Range};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The log's identity and keys: the origin (also the key's name), the key
/// that signs checkpoints now, and the verifier keys of earlier keys so
/// checkpoints signed before a rotation still verify.
pub struct LogKeys {
    origin: String,
    signer: SigningKey,
    verifiers: Vec<VerifierKey>,
}

impl std::fmt::Debug for LogKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogKeys")
            .field("origin", &self.origin)
            .field("signer", &self.signer)
            .finish_non_exhaustive()
    }
}

impl LogKeys {
    /// The key's name must be the origin (C2SP tlog-checkpoint advises it).
    pub fn new(signer: SigningKey, previous: Vec<VerifierKey>) -> Self {
        let mut verifiers = vec![signer.verifier()];
        verifiers.extend(previous);
        LogKeys {
            origin: signer.name().to_owned(),
            signer,
            verifiers,
        }
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The current key, in signed-note verifier form.
    pub fn verifier(&self) -> VerifierKey {
        self.signer.verifier()
    }

    /// Every key a checkpoint of this log may be signed with.
    pub fn verifiers(&self) -> &[VerifierKey] {
        &self.verifiers
    }

    /// A signed note of the checkpoint.
    pub fn sign(&self, size: u64, root: Hash) -> String {
        let checkpoint = Checkpoint {
            origin: self.origin.clone(),
            size,
            root,
        };
        let text = checkpoint.to_text();
        let signature = self.signer.sign(&text);
        let mut out = text;
        out.push('\n');
        out.push_str(&signature.line());
        out.push('\n');
        out
    }
}

/// A witness's cosignature of a checkpoint, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cosignature {
    /// The witness's key name.
    pub witness: String,
    /// The signature line (`— name base64`).
    pub line: String,
    pub received_at: DateTime<Utc>,
}

/// A signed checkpoint as stored, with the cosignatures received so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheckpoint {
    pub size: u64,
    pub root: Hash,
    /// The signed note with the log's signature only.
    pub note: String,
    pub signed_at: DateTime<Utc>,
    pub cosignatures: Vec<Cosignature>,
}

impl StoredCheckpoint {
    /// The note with the log's signature and every cosignature.
    pub fn cosigned_note(&self) -> String {
        let mut out = self.note.clone();
        for c in &self.cosignatures {
            out.push_str(&c.line);
            out.push('\n');
        }
        out
    }
}

#[derive(Queryable)]
struct CheckpointRow {
    tree_size: i64,
    root: Vec<u8>,
    note: String,
    signed_at: i64,
}

fn hash_of(bytes: &[u8], what: &str) -> StoreResult<Hash> {
    Hash::from_slice(bytes).ok_or_else(|| StoreError::Corrupt(format!("{what} is not 32 bytes")))
}

fn size_of(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

fn as_i64(value: u64) -> StoreResult<i64> {
    i64::try_from(value).map_err(|_| StoreError::Corrupt("a tree size beyond 2^63".into()))
}

/// The tree as the sequencer last left it.
fn tree_state(conn: &mut DbConnection) -> StoreResult<(u64, Hash)> {
    let (size, root): (i64, Vec<u8>) = audit_tree::table
        .find(1i16)
        .select((audit_tree::size, audit_tree::root))
        .first(conn)?;
    Ok((size_of(size), hash_of(&root, "the tree's root")?))
}

/// Hashes of stored perfect subtrees; level 0 from the leaves.
fn load_nodes(conn: &mut DbConnection, ids: &[NodeId]) -> StoreResult<HashMap<NodeId, Hash>> {
    let mut found = HashMap::with_capacity(ids.len());
    let leaves: Vec<i64> = ids
        .iter()
        .filter(|n| n.level == 0)
        .filter_map(|n| i64::try_from(n.index).ok())
        .collect();
    for chunk in leaves.chunks(500) {
        let rows: Vec<(i64, Vec<u8>)> = audit_leaves::table
            .filter(audit_leaves::leaf_index.eq_any(chunk))
            .select((audit_leaves::leaf_index, audit_leaves::hash))
            .load(conn)?;
        for (index, hash) in rows {
            found.insert(
                NodeId {
                    level: 0,
                    index: size_of(index),
                },
                hash_of(&hash, "a leaf hash")?,
            );
        }
    }
    for id in ids.iter().filter(|n| n.level > 0) {
        let hash: Option<Vec<u8>> = audit_tree_nodes::table
            .find((i16::from(id.level), as_i64(id.index)?))
            .select(audit_tree_nodes::hash)
            .first(conn)
            .optional()?;
        if let Some(hash) = hash {
            found.insert(*id, hash_of(&hash, "a tree node")?);
        }
    }
    Ok(found)
}

fn resolve(conn: &mut DbConnection, ranges: &[Range]) -> StoreResult<Vec<Hash>> {
    let nodes = load_nodes(conn, &tree::nodes_needed(ranges))?;
    tree::resolve(ranges, &nodes).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// An insert that may already have been made (the same cosignature or
/// refusal filed twice): the row is there either way.
fn stored_once(inserted: diesel::QueryResult<usize>) -> StoreResult<()> {
    match inserted {
        Ok(_)
        | Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Ok(()),
        Err(other) => Err(other.into()),
    }
}

/// Takes or renews the lease. True when `holder` holds it until `now + lease`.
fn take_lease(conn: &mut DbConnection, holder: &str, now: i64, lease: i64) -> StoreResult<bool> {
    use audit_sequencer::dsl as s;
    let taken = diesel::update(s::audit_sequencer)
        .filter(s::id.eq(1i16))
        .filter(s::holder.eq(holder).or(s::expires_at.le(now)))
        .set((s::holder.eq(holder), s::expires_at.eq(now + lease)))
        .execute(conn)?;
    Ok(taken == 1)
}

/// Gives the lease up (a clean shutdown), so another process need not wait.
fn release_lease(conn: &mut DbConnection, holder: &str) -> StoreResult<()> {
    use audit_sequencer::dsl as s;
    diesel::update(s::audit_sequencer)
        .filter(s::id.eq(1i16))
        .filter(s::holder.eq(holder))
        .set(s::expires_at.eq(0i64))
        .execute(conn)?;
    Ok(())
}

#[derive(Insertable)]
#[diesel(table_name = audit_leaves, treat_none_as_default_value = false)]
struct LeafRow {
    leaf_index: i64,
    seq: i64,
    hash: Vec<u8>,
    sequenced_at: i64,
}

#[derive(Insertable)]
#[diesel(table_name = audit_tree_nodes, treat_none_as_default_value = false)]
struct NodeRow {
    level: i16,
    idx: i64,
    hash: Vec<u8>,
}

/// Rows per multi-row insert on SQLite. A fixed count keeps the statement
/// the same type, so it is prepared once and found in the cache; the rest
/// of a batch goes in a few smaller fixed-size statements
/// (`db::insert_on_sqlite`).
const SQLITE_ROWS_PER_INSERT: usize = 64;

/// Stores a batch's leaves and nodes and takes its entries off the queue.
/// SQLite has no round trip to save, but a statement per row costs its
/// own bindings, program run and statement journal: fixed-size multi-row
/// statements (prepared once) carry most of a batch. PostgreSQL: a
/// statement (a round trip) per thousand rows.
fn store_integrated(
    conn: &mut DbConnection,
    leaves: &[LeafRow],
    nodes: &[NodeRow],
    seqs: &[i64],
) -> StoreResult<()> {
    match conn {
        DbConnection::Sqlite(c) => {
            db::insert_on_sqlite!(c, audit_leaves::table, leaves, SQLITE_ROWS_PER_INSERT);
            db::insert_on_sqlite!(c, audit_tree_nodes::table, nodes, SQLITE_ROWS_PER_INSERT);
            // The batch is the oldest queued entries when they were read. A
            // new entry's seq is above every stored one (rowids only grow,
            // and entries are never deleted), so none can have been queued
            // below the batch's last since: one range takes the batch off
            // the queue. Anything else rolls the batch back.
            let last = seqs.iter().copied().max().unwrap_or(0);
            let taken = diesel::delete(audit_pending::table.filter(audit_pending::seq.le(last)))
                .execute(c)?;
            if taken != seqs.len() {
                return Err(StoreError::Corrupt(format!(
                    "the queue held {taken} entries up to the batch's last, not its {}",
                    seqs.len()
                )));
            }
        }
        DbConnection::Pg(c) => {
            for chunk in leaves.chunks(1000) {
                diesel::insert_into(audit_leaves::table)
                    .values(chunk)
                    .execute(c)?;
            }
            for chunk in nodes.chunks(1000) {
                diesel::insert_into(audit_tree_nodes::table)
                    .values(chunk)
                    .execute(c)?;
            }
            for chunk in seqs.chunks(1000) {
                diesel::delete(audit_pending::table.filter(audit_pending::seq.eq_any(chunk)))
                    .execute(c)?;
            }
        }
    }
    Ok(())
}

/// What one integration did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Integration {
    /// Another process holds the lease.
    NotLeader,
    /// `added` entries integrated; the tree now has `size` leaves.
    Integrated { added: usize, size: u64 },
}

/// Whether another holder's lease is still running (read only: the write
/// transaction takes or renews the lease itself).
fn led_by_another(conn: &mut DbConnection, holder: &str, now: i64) -> StoreResult<bool> {
    use audit_sequencer::dsl as s;
    let lease: Option<(String, i64)> = s::audit_sequencer
        .find(1i16)
        .select((s::holder, s::expires_at))
        .first(conn)
        .optional()?;
    Ok(lease.is_some_and(|(other, expires_at)| other != holder && expires_at > now))
}

/// One step of the sequencer: the oldest queued entries (at most
/// `batch_max`) become leaves. The entries are read and hashed first,
/// outside the write gate (`gate`, SQLite's; `None` on PostgreSQL and in
/// a command), then one short transaction under the gate takes or renews
/// the lease, stores the leaves and nodes, takes the entries off the queue
/// and moves the tree only if it is still the size they were hashed onto:
/// anything else rolls the step back. The audit writer waits for the gate
/// only while the rows are written, never while they are read and hashed.
fn integrate(
    conn: &mut DbConnection,
    gate: &Option<db::Gate>,
    holder: &str,
    lease: Duration,
    batch_max: usize,
    frontier: &mut Option<Frontier>,
) -> StoreResult<Integration> {
    let lease = i64::try_from(lease.as_micros()).unwrap_or(i64::MAX / 2);
    let now = to_micros(Utc::now());
    if led_by_another(conn, holder, now)? {
        *frontier = None;
        return Ok(Integration::NotLeader);
    }
    let (size, root) = tree_state(conn)?;
    // On the backend's own connection: a batch is thousands of rows, and
    // the multi-backend connection converts each value of each one.
    let oldest = audit_pending::table
        .inner_join(audit_events::table)
        .select(audit_events::all_columns)
        .order(audit_pending::seq.asc())
        .limit(i64::try_from(batch_max).unwrap_or(1000));
    let rows: Vec<StoredRow> = db::on_backend!(conn, |c| oldest.load(c))?;
    let mut edge = match frontier.take() {
        Some(f) if f.size() == size => f,
        Some(_) | None => load_frontier(conn, size)?,
    };
    if edge.root() != root {
        return Err(StoreError::Corrupt(
            "the stored tree's right edge does not give its root".into(),
        ));
    }
    let mut leaves = Vec::with_capacity(rows.len());
    let mut nodes = Vec::with_capacity(rows.len());
    let mut seqs = Vec::with_capacity(rows.len());
    for row in rows {
        let event = from_row(row)?;
        let index = edge.size();
        let bytes = leaf::encode(index, event.seq, &event.event);
        for (id, hash) in edge.append(tree::leaf_hash(&bytes)) {
            if id.level == 0 {
                leaves.push(LeafRow {
                    leaf_index: as_i64(id.index)?,
                    seq: event.seq,
                    hash: hash.0.to_vec(),
                    sequenced_at: now,
                });
            } else {
                nodes.push(NodeRow {
                    level: i16::from(id.level),
                    idx: as_i64(id.index)?,
                    hash: hash.0.to_vec(),
                });
            }
        }
        seqs.push(event.seq);
    }
    let new_size = edge.size();
    let turn = db::enter(gate);
    let outcome = conn.transaction::<_, Step, _>(|c| {
        if !take_lease(c, holder, to_micros(Utc::now()), lease)? {
            return Err(Step::NotLeader);
        }
        if seqs.is_empty() {
            return Ok(());
        }
        // The fence first: if someone else moved the tree, this holder was
        // deposed (or raced), and nothing of this batch may stay.
        let moved = diesel::update(audit_tree::table.find(1i16))
            .filter(audit_tree::size.eq(as_i64(size)?))
            .set((
                audit_tree::size.eq(as_i64(new_size)?),
                audit_tree::root.eq(edge.root().0.to_vec()),
            ))
            .execute(c)?;
        if moved != 1 {
            return Err(Step::NotLeader);
        }
        store_integrated(c, &leaves, &nodes, &seqs)?;
        Ok(())
    });
    // Whoever waits for the gate goes first: the next batch can wait.
    db::leave_fairly(turn);
    match outcome {
        Ok(()) => {
            *frontier = Some(edge);
            Ok(Integration::Integrated {
                added: seqs.len(),
                size: new_size,
            })
        }
        Err(Step::NotLeader) => {
            *frontier = None;
            Ok(Integration::NotLeader)
        }
        Err(Step::Store(error)) => {
            *frontier = None;
            Err(error)
        }
    }
}

/// How an integration's transaction ends early: rolled back either way.
enum Step {
    /// Another holder has the lease, or moved the tree under this one.
    NotLeader,
    Store(StoreError),
}

impl From<StoreError> for Step {
    fn from(error: StoreError) -> Self {
        Step::Store(error)
    }
}

impl From<diesel::result::Error> for Step {
    fn from(error: diesel::result::Error) -> Self {
        Step::Store(error.into())
    }
}

fn load_frontier(conn: &mut DbConnection, size: u64) -> StoreResult<Frontier> {
    let ids = tree::frontier_ids(size);
    let nodes = load_nodes(conn, &ids)?;
    let hashes = ids
        .iter()
        .map(|id| {
            nodes.get(id).copied().ok_or_else(|| {
                StoreError::Corrupt("a node of the tree's right edge is missing".into())
            })
        })
        .collect::<StoreResult<Vec<Hash>>>()?;
    Frontier::from_hashes(size, &hashes)
        .ok_or_else(|| StoreError::Corrupt("the tree's right edge is malformed".into()))
}

fn latest_row(conn: &mut DbConnection) -> StoreResult<Option<CheckpointRow>> {
    Ok(audit_checkpoints::table
        .order(audit_checkpoints::tree_size.desc())
        .first::<CheckpointRow>(conn)
        .optional()?)
}

/// Signs a checkpoint of the tree as it stands, unless the newest one
/// already covers it. Any process may: the tree only grows, and Ed25519
/// is deterministic, so two processes signing the same tree store the
/// same note.
pub fn issue_checkpoint(
    conn: &mut DbConnection,
    keys: &LogKeys,
) -> StoreResult<Option<StoredCheckpoint>> {
    let (size, root) = tree_state(conn)?;
    if let Some(latest) = latest_row(conn)? {
        if size_of(latest.tree_size) >= size {
            return Ok(None);
        }
    }
    let note = keys.sign(size, root);
    let signed_at = Utc::now();
    let inserted = diesel::insert_into(audit_checkpoints::table)
        .values((
            audit_checkpoints::tree_size.eq(as_i64(size)?),
            audit_checkpoints::root.eq(root.0.to_vec()),
            audit_checkpoints::note.eq(&note),
            audit_checkpoints::signed_at.eq(to_micros(signed_at)),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(Some(StoredCheckpoint {
            size,
            root,
            note,
            signed_at,
            cosignatures: Vec::new(),
        })),
        // Another process signed the same tree first.
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

/// Settings of the sequencer.
#[derive(Debug, Clone)]
pub struct SequencerConfig {
    /// This process's name in the lease row (host, process id and a random part).
    pub holder: String,
    /// How often the sequencer integrates and signs.
    pub interval: Duration,
    /// How long a lease lasts without renewal; another process takes over
    /// after it runs out.
    pub lease: Duration,
    /// Most entries integrated in one transaction.
    pub batch_max: usize,
}

/// Counters for operations, exported on `/metrics`.
#[derive(Debug, Default)]
pub struct SequencerStats {
    pub leader: AtomicBool,
    pub integrated: AtomicU64,
    pub checkpoints: AtomicU64,
    pub failures: AtomicU64,
    pub tree_size: AtomicU64,
    /// Leaves the auditors' lookups cover (`crate::lookups`).
    pub indexed: AtomicU64,
    /// Lookup indexing steps that failed (retried at the next interval).
    pub index_failures: AtomicU64,
}

/// The sequencer thread of this process. Stopping it (or dropping it)
/// gives the lease up.
pub struct Sequencer {
    stop: Sender<()>,
    wake: Sender<()>,
    stats: Arc<SequencerStats>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Sequencer {
    /// Starts the thread.
    pub fn start(
        url: DatabaseUrl,
        config: SequencerConfig,
        keys: Arc<LogKeys>,
    ) -> StoreResult<Self> {
        let (stop, stopped) = crossbeam_channel::bounded::<()>(1);
        let (wake, woken) = crossbeam_channel::bounded::<()>(1);
        let stats = Arc::new(SequencerStats::default());
        let thread_stats = Arc::clone(&stats);
        let thread = std::thread::Builder::new()
            .name("audit-sequencer".into())
            .spawn(move || {
                let mut worker = Worker {
                    gate: db::write_gate(&url),
                    url,
                    conn: None,
                    config,
                    keys,
                    frontier: None,
                    stats: thread_stats,
                    indexer: None,
                    indexed_at: None,
                };
                worker.run(&stopped, &woken);
            })
            .map_err(|e| StoreError::AuditUnavailable(e.to_string()))?;
        Ok(Sequencer {
            stop,
            wake,
            stats,
            thread: Some(thread),
        })
    }

    pub fn stats(&self) -> &SequencerStats {
        &self.stats
    }

    /// Asks for a step now rather than at the next interval.
    pub fn wake(&self) {
        let _ = self.wake.try_send(());
    }

    /// Stops the thread and gives the lease up.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let _ = self.stop.try_send(());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Sequencer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

struct Worker {
    url: DatabaseUrl,
    /// Taken around each write transaction (`db::write_gate`).
    gate: Option<db::Gate>,
    conn: Option<DbConnection>,
    config: SequencerConfig,
    keys: Arc<LogKeys>,
    frontier: Option<Frontier>,
    stats: Arc<SequencerStats>,
    /// The lookup indexer's own connection (`lookups::connect_indexer`).
    indexer: Option<DbConnection>,
    /// When the lookups were last brought up to the tree.
    indexed_at: Option<Instant>,
}

impl Worker {
    fn run(&mut self, stopped: &Receiver<()>, woken: &Receiver<()>) {
        let mut next = Instant::now();
        loop {
            if let Err(error) = self.step() {
                self.stats.failures.fetch_add(1, Ordering::Relaxed);
                self.stats.leader.store(false, Ordering::Relaxed);
                log::error!("audit sequencer step failed: {error}");
                if self.conn.as_mut().is_some_and(R2D2Connection::is_broken) {
                    self.conn = None;
                }
            }
            next += self.config.interval;
            let now = Instant::now();
            if next < now {
                next = now;
            }
            crossbeam_channel::select! {
                recv(stopped) -> _ => break,
                recv(woken) -> _ => {}
                default(next - now) => {}
            }
        }
        if let Some(conn) = self.conn.as_mut() {
            if let Err(error) = release_lease(conn, &self.config.holder) {
                log::warn!("could not give the sequencer lease up: {error}");
            }
        }
    }

    fn step(&mut self) -> StoreResult<()> {
        let conn = match &mut self.conn {
            Some(conn) => conn,
            None => self.conn.insert(db::connect_appender(&self.url)?),
        };
        // Drain the queue in batches (each renews the lease), for at most
        // about an interval: under a load the sequencer cannot keep up
        // with, it still signs and indexes, and goes on at once.
        let began = Instant::now();
        loop {
            let integrated = integrate(
                conn,
                &self.gate,
                &self.config.holder,
                self.config.lease,
                self.config.batch_max,
                &mut self.frontier,
            )?;
            match integrated {
                Integration::NotLeader => {
                    self.stats.leader.store(false, Ordering::Relaxed);
                    return Ok(());
                }
                Integration::Integrated { added, size } => {
                    self.stats.leader.store(true, Ordering::Relaxed);
                    self.stats
                        .integrated
                        .fetch_add(added as u64, Ordering::Relaxed);
                    self.stats.tree_size.store(size, Ordering::Relaxed);
                    if added < self.config.batch_max || began.elapsed() >= self.config.interval {
                        break;
                    }
                }
            }
        }
        let turn = db::enter(&self.gate);
        let signed = issue_checkpoint(conn, &self.keys)?;
        drop(turn);
        if signed.is_some() {
            self.stats.checkpoints.fetch_add(1, Ordering::Relaxed);
        }
        self.index_lookups();
        Ok(())
    }

    /// Brings the auditors' lookups up to the tree, at most about once per
    /// `lookups::INDEX_INTERVAL` unless `lookups::INDEX_BATCH_MIN` leaves
    /// wait: the larger the batch, the fewer pages per entry it writes. It
    /// holds no write gate (on SQLite the lookups are a file of their own).
    /// A failure is logged and counted, not passed on: queries find the
    /// entries the lookups do not cover yet without them.
    fn index_lookups(&mut self) {
        let size = self.stats.tree_size.load(Ordering::Relaxed);
        let waiting = size.saturating_sub(self.stats.indexed.load(Ordering::Relaxed));
        let due = self
            .indexed_at
            .is_none_or(|at| at.elapsed() >= lookups::INDEX_INTERVAL);
        if !due && waiting < lookups::INDEX_BATCH_MIN {
            return;
        }
        let indexed = (|| {
            let conn = match &mut self.indexer {
                Some(conn) => conn,
                None => self.indexer.insert(lookups::connect_indexer(&self.url)?),
            };
            // One transaction a step, so a long backlog (after an upgrade)
            // never keeps the sequencer from its own work for long.
            let step = lookups::index(conn, lookups::INDEX_BATCH_MAX)?;
            self.stats.indexed.store(step.through, Ordering::Relaxed);
            Ok::<_, StoreError>(step.added)
        })();
        // A full batch means more waits: the next step indexes again.
        let caught_up = !matches!(indexed, Ok(added) if added == lookups::INDEX_BATCH_MAX);
        if caught_up {
            self.indexed_at = Some(Instant::now());
        }
        if let Err(error) = indexed {
            self.stats.index_failures.fetch_add(1, Ordering::Relaxed);
            log::error!("audit lookup indexing failed: {error}");
            if self.indexer.as_mut().is_some_and(R2D2Connection::is_broken) {
                self.indexer = None;
            }
        }
    }
}

/// Waits until the queue is empty (tests and the command line).
pub fn wait_until_sequenced(url: &DatabaseUrl, timeout: Duration) -> StoreResult<bool> {
    let mut conn = db::connect(url)?;
    let deadline = Instant::now() + timeout;
    loop {
        let pending: i64 = audit_pending::table.count().get_result(&mut conn)?;
        if pending == 0 {
            return Ok(true);
        }
        if Instant::now() > deadline {
            return Ok(false);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Integrates every queued entry and signs a checkpoint now, in this
/// process (`ingang audit checkpoint`, and the benchmarks' loader). Waits
/// for the lease if another process holds it.
pub fn sequence_now(
    url: &DatabaseUrl,
    keys: &LogKeys,
    holder: &str,
    timeout: Duration,
) -> StoreResult<Option<StoredCheckpoint>> {
    let mut conn = db::connect_appender(url)?;
    let mut frontier = None;
    let deadline = Instant::now() + timeout;
    loop {
        match integrate(
            &mut conn,
            &None,
            holder,
            Duration::from_secs(5),
            10_000,
            &mut frontier,
        )? {
            Integration::NotLeader => {
                if Instant::now() > deadline {
                    return Err(StoreError::AuditUnavailable(
                        "another process holds the sequencer lease".into(),
                    ));
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            Integration::Integrated { added, .. } => {
                if added < 10_000 {
                    break;
                }
            }
        }
    }
    let checkpoint = issue_checkpoint(&mut conn, keys)?;
    release_lease(&mut conn, holder)?;
    Ok(checkpoint)
}

/// Entries matching `filter` still waiting for the sequencer, by seq.
pub(crate) fn pending_rows(
    conn: &mut DbConnection,
    filter: &crate::AuditFilter,
    after_seq: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<StoredRow>> {
    // The queue as a set of seqs the entries are looked up by: joined
    // instead, SQLite may walk every entry to find a client's few.
    let queued = audit_pending::table.select(audit_pending::seq);
    let mut query = audit_events::table
        .filter(audit_events::seq.eq_any(queued))
        .order(audit_events::seq.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after_seq {
        query = query.filter(audit_events::seq.gt(after));
    }
    let query = crate::audit::narrowed_by!(query, filter);
    Ok(query.load(conn)?)
}

/// An entry with its place in the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequencedEntry {
    pub leaf_index: u64,
    pub entry: AuditEvent,
}

/// An inclusion proof, with what a verifier needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InclusionProof {
    pub leaf_index: u64,
    pub leaf: Vec<u8>,
    pub hashes: Vec<Hash>,
    pub checkpoint: StoredCheckpoint,
}

/// A consistency proof with the two checkpoints it joins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsistencyHashes {
    /// The smaller checkpoint (size 0: the empty tree, unsigned).
    pub first: StoredCheckpoint,
    pub second: StoredCheckpoint,
    pub hashes: Vec<Hash>,
}

/// Why a proof cannot be given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProofRefusal {
    /// No entry has this sequence number.
    UnknownEntry,
    /// The entry is stored but not yet in the tree (within a second).
    NotYetSequenced,
    /// No checkpoint of this size was signed; names the request field.
    UnknownCheckpoint { field: &'static str },
    /// The entry is not in the tree of that size.
    EntryBeyondCheckpoint { leaf_index: u64 },
    /// `from` is larger than `to`.
    SizesOutOfOrder,
}

impl crate::Db<'_> {
    fn raw(&mut self) -> StoreResult<&mut DbConnection> {
        self.conn.get(self.store)
    }

    /// The newest signed checkpoint with its cosignatures.
    pub fn latest_checkpoint(&mut self) -> StoreResult<Option<StoredCheckpoint>> {
        let conn = self.raw()?;
        match latest_row(conn)? {
            Some(row) => Ok(Some(with_cosignatures(conn, row)?)),
            None => Ok(None),
        }
    }

    /// The checkpoint of exactly `size` leaves, if one was signed.
    pub fn checkpoint(&mut self, size: u64) -> StoreResult<Option<StoredCheckpoint>> {
        let conn = self.raw()?;
        let row = audit_checkpoints::table
            .find(as_i64(size)?)
            .first::<CheckpointRow>(conn)
            .optional()?;
        match row {
            Some(row) => Ok(Some(with_cosignatures(conn, row)?)),
            None => Ok(None),
        }
    }

    /// Every checkpoint, smallest first (verification).
    pub fn checkpoints(&mut self) -> StoreResult<Vec<StoredCheckpoint>> {
        let conn = self.raw()?;
        let rows: Vec<CheckpointRow> = audit_checkpoints::table
            .order(audit_checkpoints::tree_size.asc())
            .load(conn)?;
        let cosigned: Vec<(i64, String, String, i64)> = audit_cosignatures::table
            .select((
                audit_cosignatures::tree_size,
                audit_cosignatures::witness,
                audit_cosignatures::signature,
                audit_cosignatures::received_at,
            ))
            .load(conn)?;
        let mut by_size: HashMap<i64, Vec<Cosignature>> = HashMap::new();
        for (size, witness, line, at) in cosigned {
            by_size.entry(size).or_default().push(Cosignature {
                witness,
                line,
                received_at: from_micros(at),
            });
        }
        rows.into_iter()
            .map(|row| {
                let cosignatures = by_size.remove(&row.tree_size).unwrap_or_default();
                Ok(StoredCheckpoint {
                    size: size_of(row.tree_size),
                    root: hash_of(&row.root, "a checkpoint's root")?,
                    note: row.note,
                    signed_at: from_micros(row.signed_at),
                    cosignatures,
                })
            })
            .collect()
    }

    /// Stores a witness's cosignature of the checkpoint of `size` leaves.
    pub fn add_cosignature(&mut self, size: u64, witness: &str, line: &str) -> StoreResult<()> {
        let conn = self.raw()?;
        let inserted = diesel::insert_into(audit_cosignatures::table)
            .values((
                audit_cosignatures::tree_size.eq(as_i64(size)?),
                audit_cosignatures::witness.eq(witness),
                audit_cosignatures::signature.eq(line),
                audit_cosignatures::received_at.eq(to_micros(Utc::now())),
            ))
            .execute(conn);
        stored_once(inserted)
    }

    /// Stores a witness's refusal of the checkpoint of `size` leaves.
    pub fn add_witness_refusal(
        &mut self,
        size: u64,
        witness: &str,
        status: u16,
        detail: &str,
    ) -> StoreResult<()> {
        use crate::schema::audit_witness_refusals as r;
        let conn = self.raw()?;
        let inserted = diesel::insert_into(r::table)
            .values((
                r::witness.eq(witness),
                r::tree_size.eq(as_i64(size)?),
                r::status.eq(i32::from(status)),
                r::detail.eq(detail),
                r::refused_at.eq(to_micros(Utc::now())),
            ))
            .execute(conn);
        stored_once(inserted)
    }

    /// Witnesses' refusals of checkpoints larger than `size`: the newest
    /// twenty, largest first.
    pub fn witness_refusals_after(&mut self, size: u64) -> StoreResult<Vec<(u64, WitnessRefusal)>> {
        use crate::schema::audit_witness_refusals as r;
        let conn = self.raw()?;
        let rows: Vec<(i64, String, i32, String)> = r::table
            .filter(r::tree_size.gt(as_i64(size)?))
            .select((r::tree_size, r::witness, r::status, r::detail))
            .order((r::tree_size.desc(), r::witness.asc()))
            .limit(20)
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(|(size, witness, status, detail)| {
                (
                    size_of(size),
                    WitnessRefusal {
                        witness,
                        status: u16::try_from(status).unwrap_or(0),
                        detail,
                    },
                )
            })
            .collect())
    }

    /// The largest checkpoint `witness` has cosigned, if any.
    pub fn witnessed_size(&mut self, witness: &str) -> StoreResult<Option<u64>> {
        let conn = self.raw()?;
        let size: Option<i64> = audit_cosignatures::table
            .filter(audit_cosignatures::witness.eq(witness))
            .select(diesel::dsl::max(audit_cosignatures::tree_size))
            .first(conn)?;
        Ok(size.map(size_of))
    }

    /// The inclusion proof of entry `seq` in the checkpoint of `tree_size`
    /// leaves (the newest checkpoint when `None`).
    pub fn inclusion_proof(
        &mut self,
        seq: i64,
        tree_size: Option<u64>,
    ) -> StoreResult<Result<InclusionProof, ProofRefusal>> {
        let conn = self.raw()?;
        let exists: Option<i64> = audit_events::table
            .find(seq)
            .select(audit_events::seq)
            .first(conn)
            .optional()?;
        if exists.is_none() {
            return Ok(Err(ProofRefusal::UnknownEntry));
        }
        let placed: Option<(i64, Vec<u8>)> = audit_leaves::table
            .filter(audit_leaves::seq.eq(seq))
            .select((audit_leaves::leaf_index, audit_leaves::hash))
            .first(conn)
            .optional()?;
        let Some((index, _)) = placed else {
            return Ok(Err(ProofRefusal::NotYetSequenced));
        };
        let index = size_of(index);
        let checkpoint = match tree_size {
            Some(size) => self.checkpoint(size)?,
            None => self.latest_checkpoint()?,
        };
        let Some(checkpoint) = checkpoint else {
            return Ok(Err(ProofRefusal::UnknownCheckpoint { field: "tree_size" }));
        };
        if index >= checkpoint.size {
            return Ok(Err(ProofRefusal::EntryBeyondCheckpoint {
                leaf_index: index,
            }));
        }
        let conn = self.raw()?;
        let row: StoredRow = audit_events::table.find(seq).first(conn)?;
        let entry = from_row(row)?;
        let leaf = leaf::encode(index, entry.seq, &entry.event);
        let ranges = tree::inclusion_ranges(index, checkpoint.size)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let hashes = resolve(conn, &ranges)?;
        Ok(Ok(InclusionProof {
            leaf_index: index,
            leaf,
            hashes,
            checkpoint,
        }))
    }

    /// The consistency proof between the checkpoints of `from` and `to`
    /// leaves (`from` may be 0).
    pub fn consistency_proof(
        &mut self,
        from: u64,
        to: u64,
    ) -> StoreResult<Result<ConsistencyHashes, ProofRefusal>> {
        if from > to {
            return Ok(Err(ProofRefusal::SizesOutOfOrder));
        }
        let first = if from == 0 {
            Some(StoredCheckpoint {
                size: 0,
                root: tree::empty_root(),
                note: String::new(),
                signed_at: DateTime::<Utc>::MIN_UTC,
                cosignatures: Vec::new(),
            })
        } else {
            self.checkpoint(from)?
        };
        let Some(first) = first else {
            return Ok(Err(ProofRefusal::UnknownCheckpoint { field: "from" }));
        };
        let Some(second) = self.checkpoint(to)? else {
            return Ok(Err(ProofRefusal::UnknownCheckpoint { field: "to" }));
        };
        let hashes = self.consistency_hashes(from, to)?;
        Ok(Ok(ConsistencyHashes {
            first,
            second,
            hashes,
        }))
    }

    /// The hashes of the consistency proof between any two sizes of the
    /// tree (the witnesses' requests).
    pub fn consistency_hashes(&mut self, from: u64, to: u64) -> StoreResult<Vec<Hash>> {
        let ranges =
            tree::consistency_ranges(from, to).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        resolve(self.raw()?, &ranges)
    }

    /// Sequenced entries from leaf `after` on (exclusive), in leaf order, at
    /// most `limit`; each with its stored leaf hash, or without its entry if
    /// the entry row is gone (verification names that).
    pub fn leaves_page(&mut self, after: Option<u64>, limit: i64) -> StoreResult<Vec<LeafRecord>> {
        let conn = self.raw()?;
        let mut query = audit_leaves::table
            .left_join(audit_events::table)
            .select((
                audit_leaves::leaf_index,
                audit_leaves::seq,
                audit_leaves::hash,
                audit_events::all_columns.nullable(),
            ))
            .order(audit_leaves::leaf_index.asc())
            .limit(limit)
            .into_boxed();
        if let Some(after) = after {
            query = query.filter(audit_leaves::leaf_index.gt(as_i64(after)?));
        }
        let rows: Vec<(i64, i64, Vec<u8>, Option<StoredRow>)> = query.load(conn)?;
        rows.into_iter()
            .map(|(index, seq, hash, row)| {
                Ok(LeafRecord {
                    leaf_index: index,
                    seq,
                    stored_hash: Hash::from_slice(&hash),
                    entry: row.map(from_row).transpose().ok().flatten(),
                })
            })
            .collect()
    }

    /// Entries neither in the tree nor queued for it: something wrote to
    /// the log around the service. At most `limit` sequence numbers.
    pub fn unsequenced_entries(&mut self, limit: i64) -> StoreResult<Vec<i64>> {
        let conn = self.raw()?;
        let in_tree = audit_leaves::table
            .filter(audit_leaves::seq.eq(audit_events::seq))
            .select(audit_leaves::seq);
        let queued = audit_pending::table
            .filter(audit_pending::seq.eq(audit_events::seq))
            .select(audit_pending::seq);
        Ok(audit_events::table
            .filter(diesel::dsl::not(diesel::dsl::exists(in_tree)))
            .filter(diesel::dsl::not(diesel::dsl::exists(queued)))
            .select(audit_events::seq)
            .order(audit_events::seq.asc())
            .limit(limit)
            .load(conn)?)
    }

    /// How many entries wait for the sequencer.
    pub fn pending_entries(&mut self) -> StoreResult<i64> {
        let conn = self.raw()?;
        Ok(audit_pending::table.count().get_result(conn)?)
    }

    /// The tree as the sequencer left it.
    pub fn tree_state(&mut self) -> StoreResult<(u64, Hash)> {
        tree_state(self.raw()?)
    }
}

/// A witness's refusal of a checkpoint, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessRefusal {
    pub witness: String,
    pub status: u16,
    pub detail: String,
}

/// One row of [`crate::Db::leaves_page`].
#[derive(Debug, Clone)]
pub struct LeafRecord {
    pub leaf_index: i64,
    pub seq: i64,
    /// None when the stored hash is not 32 bytes.
    pub stored_hash: Option<Hash>,
    /// None when the entry row is gone or unreadable.
    pub entry: Option<AuditEvent>,
}

fn with_cosignatures(conn: &mut DbConnection, row: CheckpointRow) -> StoreResult<StoredCheckpoint> {
    let rows: Vec<(String, String, i64)> = audit_cosignatures::table
        .filter(audit_cosignatures::tree_size.eq(row.tree_size))
        .select((
            audit_cosignatures::witness,
            audit_cosignatures::signature,
            audit_cosignatures::received_at,
        ))
        .order(audit_cosignatures::witness.asc())
        .load(conn)?;
    Ok(StoredCheckpoint {
        size: size_of(row.tree_size),
        root: hash_of(&row.root, "a checkpoint's root")?,
        note: row.note,
        signed_at: from_micros(row.signed_at),
        cosignatures: rows
            .into_iter()
            .map(|(witness, line, at)| Cosignature {
                witness,
                line,
                received_at: from_micros(at),
            })
            .collect(),
    })
}

/// Parses a stored or received checkpoint note and checks it against the
/// log's keys: the checkpoint it signs.
pub fn open_checkpoint(note: &str, keys: &[VerifierKey]) -> Result<Checkpoint, NoteError> {
    let parsed = Note::parse(note.as_bytes())?;
    parsed.verify(keys)?;
    Checkpoint::parse(parsed.text())
}

/// What the walk over the stored log needs besides the database.
#[derive(Debug, Clone, Copy)]
pub struct VerifyWith<'a> {
    pub origin: &'a str,
    pub log_keys: &'a [VerifierKey],
    pub witnesses: &'a [VerifierKey],
    /// Cosignatures the newest checkpoint must carry.
    pub need: usize,
}

impl crate::Db<'_> {
    /// Verifies the whole stored log (docs/audit-log.md): every checkpoint's
    /// signature, every entry against its leaf hash and place, the tree's
    /// roots against the checkpoints, no entry around the tree, and the
    /// witnesses' cosignatures. Reads in pages; memory stays flat.
    pub fn verify_log(&mut self, with: VerifyWith<'_>) -> StoreResult<crate::verify::Report> {
        let checkpoints = self.checkpoints()?;
        let mut walk = crate::verify::Walk::new(with.origin, with.log_keys, &checkpoints);
        // The tree as it stands now: a live log grows while it is walked,
        // and the walk checks the leaves up to this size (the checkpoints
        // read before it are no larger).
        let stored = self.tree_state()?;
        self.release();
        // One thread reads the pages (a connection of its own) while this
        // one re-encodes and hashes: the two cores each do half the work.
        let store = self.store;
        let (pages, received) = crossbeam_channel::bounded::<StoreResult<Vec<LeafRecord>>>(2);
        std::thread::scope(|scope| -> StoreResult<()> {
            scope.spawn(move || {
                let mut db = match store.db() {
                    Ok(db) => db,
                    Err(error) => {
                        let _ = pages.send(Err(error));
                        return;
                    }
                };
                let mut after = None;
                loop {
                    let page = db.leaves_page(after, 20_000);
                    db.release();
                    let last = match &page {
                        Ok(page) => page.last().map(|r| size_of(r.leaf_index)),
                        Err(_) => None,
                    };
                    let failed = page.is_err();
                    // Stop when the walk stopped taking pages.
                    if pages.send(page).is_err() || failed {
                        return;
                    }
                    match last {
                        Some(last) if last + 1 < stored.0 => after = Some(last),
                        Some(_) | None => return,
                    }
                }
            });
            let outcome = (|| {
                'pages: for page in &received {
                    for record in page? {
                        if size_of(record.leaf_index) >= stored.0 || walk.done() {
                            break 'pages;
                        }
                        walk.push(crate::verify::LeafInput {
                            leaf_index: size_of(record.leaf_index),
                            seq: record.seq,
                            entry: record.entry,
                            // A stored hash of the wrong length never matches.
                            stored_hash: Some(record.stored_hash.unwrap_or(Hash([0; 32]))),
                        });
                    }
                }
                Ok(())
            })();
            // Unblock the reader if the walk ended early.
            drop(received);
            outcome
        })?;
        walk.settle();
        let mut extra = None;
        if !walk.done() {
            if walk.tree() != stored {
                extra = Some(crate::verify::Finding::TreeStateMismatch { size: stored.0 });
            } else if let Some(seq) = self.unsequenced_entries(1)?.first() {
                extra = Some(crate::verify::Finding::NotSequenced { seq: *seq });
            }
        }
        let refusals = self.witness_refusals_after(0)?;
        let mut report = walk.finish(with.witnesses, with.need, |after| {
            refusals
                .iter()
                .filter(|(size, _)| *size > after)
                .map(|(size, r)| {
                    format!(
                        "witness {} refused the checkpoint of {size} entries ({}): {}",
                        r.witness, r.status, r.detail
                    )
                })
                .collect()
        });
        if let Some(finding) = extra {
            // A finding in the walk comes first; these follow it.
            if report.finding.is_none()
                || matches!(
                    report.finding,
                    Some(crate::verify::Finding::TooFewCosignatures { .. })
                )
            {
                report.finding = Some(finding);
            }
        }
        Ok(report)
    }

    /// Sequenced entries matching `filter`, in leaf order, after leaf
    /// `after`: a page of an export.
    pub fn export_page(
        &mut self,
        filter: &crate::AuditFilter,
        after: Option<u64>,
        limit: i64,
    ) -> StoreResult<Vec<SequencedEntry>> {
        let conn = self.raw()?;
        let mut query = audit_leaves::table
            .inner_join(audit_events::table)
            .select((audit_leaves::leaf_index, audit_events::all_columns))
            .order(audit_leaves::leaf_index.asc())
            .limit(limit)
            .into_boxed();
        if let Some(after) = after {
            query = query.filter(audit_leaves::leaf_index.gt(as_i64(after)?));
        }
        let query = crate::audit::narrowed_by!(query, filter);
        let rows: Vec<(i64, StoredRow)> = query.load(conn)?;
        rows.into_iter()
            .map(|(index, row)| {
                Ok(SequencedEntry {
                    leaf_index: size_of(index),
                    entry: from_row(row)?,
                })
            })
            .collect()
    }

    /// Entries matching `filter` still waiting for the sequencer, by seq.
    pub fn pending_page(
        &mut self,
        filter: &crate::AuditFilter,
        after_seq: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<AuditEvent>> {
        let rows = pending_rows(self.raw()?, filter, after_seq, limit)?;
        rows.into_iter().map(from_row).collect()
    }
}
