//! The append-only audit log (docs/security.md) and its group commit.
//!
//! Every request thread that needs an entry stored hands it to one writer
//! thread and waits. The writer takes everything queued at that moment and
//! stores it in ONE transaction, so a burst of N concurrent reads costs one
//! durable commit (one fsync), not N, and each reader still returns only
//! after its own entry is durable. If the commit fails, every waiter gets
//! the error and its request fails closed.

use crate::db::{self, DatabaseUrl, DbConnection};
use crate::facts_cache::{Epochs, KnownEpochs};
use crate::schema::audit_events;
use crate::time::{from_micros, to_micros};
use crate::{Permit, StoreError, StoreResult};
use chrono::{DateTime, Utc};
use crossbeam_channel::{unbounded, Receiver, Sender};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::R2D2Connection;
use ingang_policy::{
    AgencyCode, AuditAction, ClientId, ConsentId, DenyReason, OfficerId, RecordId, Role, Verdict,
};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

/// One entry to append. Ids and codes only: never personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEvent {
    pub at: DateTime<Utc>,
    pub actor_id: OfficerId,
    pub actor_agency: AgencyCode,
    pub on_behalf_of: Option<OfficerId>,
    /// The caller's roles, stored as their names in alphabetical order.
    pub roles: Vec<Role>,
    pub action: AuditAction,
    pub client_id: Option<ClientId>,
    pub record_id: Option<RecordId>,
    pub decision: Verdict,
    /// Why, for a denial (a database rule: exactly when denied).
    pub reason: Option<DenyReason>,
    pub consent_id: Option<ConsentId>,
    pub request_id: String,
    pub source_addr: Option<String>,
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub seq: i64,
    pub event: NewAuditEvent,
}

/// Owned, not borrowed: a multi-row statement's type must be `'static` for
/// diesel's statement cache to know it by type.
impl From<NewAuditEvent> for AuditRow {
    fn from(e: NewAuditEvent) -> Self {
        AuditRow {
            at: to_micros(e.at),
            actor_id: e.actor_id,
            roles: crate::accounts::roles_to_text(&e.roles),
            actor_agency: e.actor_agency,
            on_behalf_of: e.on_behalf_of,
            action: e.action,
            client_id: e.client_id,
            record_id: e.record_id,
            decision: e.decision,
            reason: e.reason,
            consent_id: e.consent_id,
            request_id: e.request_id,
            source_addr: e.source_addr,
        }
    }
}

pub(crate) fn from_row(row: StoredRow) -> StoreResult<AuditEvent> {
    Ok(AuditEvent {
        seq: row.seq,
        event: NewAuditEvent {
            at: from_micros(row.at),
            actor_id: row.actor_id,
            actor_agency: row.actor_agency,
            on_behalf_of: row.on_behalf_of,
            roles: crate::accounts::roles_from_text(&row.roles)?,
            action: row.action,
            client_id: row.client_id,
            record_id: row.record_id,
            decision: row.decision,
            reason: row.reason,
            consent_id: row.consent_id,
            request_id: row.request_id,
            source_addr: row.source_addr,
        },
    })
}

struct Job {
    events: Vec<NewAuditEvent>,
    /// The epochs the job's decisions were taken under without reading
    /// them (`Db::kept_first`): stored only if still current at the commit.
    under: Option<Epochs>,
    reply: Reply,
}

/// What became of one job whose batch committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Durable; with the policy epoch as committed then (`None` if it
    /// could not be read).
    Stored { epoch: Option<i64> },
    /// Not stored: the epochs it was decided under had moved.
    Stale,
}

/// The writer's answer to one job.
type Answered = Result<Outcome, String>;

/// The writer's answer to one job, waited for by the request that sent it:
/// a thread sleeps on a condition variable at once (a channel's receiver
/// spins and yields first, which on two cores took the CPU from the very
/// threads it was waiting for: `sched_yield` was 4 % of the server's CPU),
/// and an async task is woken by its waker.
#[derive(Default)]
struct Answer {
    slot: Mutex<Slot>,
    given: Condvar,
}

#[derive(Default)]
struct Slot {
    result: Option<Answered>,
    /// The task to wake when the answer comes (`PendingPermits`).
    waker: Option<Waker>,
}

impl Answer {
    fn wait(&self) -> Answered {
        let mut slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(result) = slot.result.take() {
                return result;
            }
            slot = self
                .given
                .wait(slot)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    fn poll(&self, cx: &mut Context<'_>) -> Poll<Answered> {
        let mut slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        match slot.result.take() {
            Some(result) => Poll::Ready(result),
            None => {
                match &mut slot.waker {
                    Some(waker) if waker.will_wake(cx.waker()) => {}
                    other => *other = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
        }
    }
}

/// The writer's side of an [`Answer`]. Dropped unanswered — the writer
/// thread died with the job — it answers that the writer stopped, so no
/// request waits for ever.
struct Reply(Option<Arc<Answer>>);

impl Reply {
    fn send(mut self, result: Answered) {
        if let Some(answer) = self.0.take() {
            give(&answer, result);
        }
    }
}

impl Drop for Reply {
    fn drop(&mut self) {
        if let Some(answer) = self.0.take() {
            give(&answer, Err("audit writer stopped".into()));
        }
    }
}

fn give(answer: &Answer, result: Answered) {
    let waker = {
        let mut slot = answer.slot.lock().unwrap_or_else(PoisonError::into_inner);
        slot.result = Some(result);
        slot.waker.take()
    };
    answer.given.notify_one();
    if let Some(waker) = waker {
        waker.wake();
    }
}

/// The permits of decisions handed to the audit writer
/// ([`crate::Db::append_decisions_later`]): ready once their entries are
/// durable, or with the error that stored none of them. The permits exist
/// before, but only this future gives them out, and only then.
pub struct PendingPermits {
    state: Pending,
    permits: Vec<Option<Permit>>,
}

enum Pending {
    /// Handed to the writer: its answer is awaited.
    Sent(Arc<Answer>),
    /// Known without the writer: nothing to store, or not sent.
    Known(StoreResult<()>),
    /// Given out already.
    Given,
}

impl PendingPermits {
    pub(crate) fn failed(error: StoreError) -> Self {
        Self {
            state: Pending::Known(Err(error)),
            permits: vec![],
        }
    }
}

impl Future for PendingPermits {
    type Output = StoreResult<Vec<Option<Permit>>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let stored_under = match std::mem::replace(&mut self.state, Pending::Given) {
            Pending::Sent(answer) => match answer.poll(cx) {
                Poll::Ready(answered) => stored_epoch(answered),
                Poll::Pending => {
                    self.state = Pending::Sent(answer);
                    return Poll::Pending;
                }
            },
            Pending::Known(known) => known.map(|()| None),
            Pending::Given => Err(StoreError::AuditUnavailable(
                "audit answer polled again".into(),
            )),
        };
        let permits = std::mem::take(&mut self.permits);
        Poll::Ready(stored_under.map(|epoch| under_epoch(permits, epoch)))
    }
}

/// The permits of a job's decisions whose entries were stored when the
/// policy epoch was `epoch`: each carries it.
fn under_epoch(mut permits: Vec<Option<Permit>>, epoch: Option<i64>) -> Vec<Option<Permit>> {
    for permit in permits.iter_mut().flatten() {
        permit.stored_under = epoch;
    }
    permits
}

fn stored_epoch(answered: Answered) -> StoreResult<Option<i64>> {
    match answered.map_err(StoreError::AuditUnavailable)? {
        Outcome::Stored { epoch } => Ok(epoch),
        Outcome::Stale => Err(StoreError::Stale),
    }
}

/// Most entries per insert statement on PostgreSQL (`AuditColumns`): one
/// statement for a group commit's batch as it comes under load.
const INSERT_CHUNK: usize = 200;

/// Entries per multi-row insert on SQLite: about a group commit's batch
/// under load.
const SQLITE_ROWS_PER_INSERT: usize = 8;

/// Upper bounds of the batch-size histogram buckets (entries per commit).
pub const BATCH_BUCKETS: [u64; 8] = [1, 2, 4, 8, 16, 32, 64, 128];

/// Counters for operations, exported on `/metrics`.
#[derive(Debug, Default)]
pub struct AuditStats {
    /// Entries stored.
    pub entries: AtomicU64,
    /// Commits (batches) stored.
    pub batches: AtomicU64,
    /// Commits that failed (their requests failed closed).
    pub failures: AtomicU64,
    /// Requests decided kept first whose epochs had moved (at the commit,
    /// or found by a statement of their own before it): nothing of their
    /// first decision stored, decided again on the database. Counted by
    /// the application (`Session::kept_first`).
    pub decided_again: AtomicU64,
    /// Single-record reads decided, audited and answered from what the
    /// process keeps, on the HTTP worker itself (`Db::kept_only`). Counted
    /// by the application.
    pub answered_kept_only: AtomicU64,
    /// Batches per size bucket (not cumulative; the last slot is "more").
    pub batch_sizes: [AtomicU64; BATCH_BUCKETS.len() + 1],
}

impl AuditStats {
    fn record_batch(&self, size: usize) {
        let slot = BATCH_BUCKETS
            .iter()
            .position(|&upper| size as u64 <= upper)
            .unwrap_or(BATCH_BUCKETS.len());
        self.batch_sizes[slot].fetch_add(1, Ordering::Relaxed);
    }
}

/// Handle to the audit writer. Cheap to clone.
#[derive(Clone)]
pub struct AuditLog {
    jobs: Sender<Job>,
    stats: Arc<AuditStats>,
}

impl AuditLog {
    /// Starts the writer thread. It keeps its own connection to `url`
    /// (outside the pool) and makes a new one whenever the old one broke, so
    /// appends recover by themselves once the database is back.
    /// `known` is moved forward to the epochs each commit read.
    pub(crate) fn start(
        url: DatabaseUrl,
        batch_max: usize,
        known: Arc<KnownEpochs>,
    ) -> StoreResult<Self> {
        let first = db::connect_appender(&url)?;
        let (jobs, queue) = unbounded::<Job>();
        let stats = Arc::new(AuditStats::default());
        let writer_stats = Arc::clone(&stats);
        std::thread::Builder::new()
            .name("audit-writer".into())
            .spawn(move || {
                let mut writer = Writer {
                    gate: db::write_gate(&url),
                    url,
                    conn: Some(first),
                    known,
                };
                writer.run(&queue, batch_max.max(1), &writer_stats);
            })
            .map_err(|e| StoreError::AuditUnavailable(e.to_string()))?;
        Ok(Self { jobs, stats })
    }

    /// Stores `events` and returns once they are durable. Blocking: call it
    /// from a worker thread, not an async task.
    pub fn append(&self, events: Vec<NewAuditEvent>) -> StoreResult<()> {
        if events.is_empty() {
            return Ok(());
        }
        stored_epoch(self.send(events, None)?.wait()).map(|_| ())
    }

    /// Hands `events` to the writer; the answer comes through the result.
    fn send(&self, events: Vec<NewAuditEvent>, under: Option<Epochs>) -> StoreResult<Arc<Answer>> {
        let answer = Arc::new(Answer::default());
        let reply = Reply(Some(Arc::clone(&answer)));
        self.jobs
            .send(Job {
                events,
                under,
                reply,
            })
            .map_err(|_| StoreError::AuditUnavailable("audit writer stopped".into()))?;
        Ok(answer)
    }

    /// Stores the entries of decisions and, once they are durable, hands
    /// out a [`Permit`] for each allowed one (in the order given; `None` for
    /// a denial). The only way to get a permit.
    pub fn append_decisions(&self, events: Vec<NewAuditEvent>) -> StoreResult<Vec<Option<Permit>>> {
        self.append_decisions_under(events, None)
    }

    /// [`Self::append_decisions`] for decisions taken under `under` without
    /// reading them (`Db::kept_first`): stored, all or none, only if those
    /// are still the epochs at the commit, else [`StoreError::Stale`].
    pub(crate) fn append_decisions_under(
        &self,
        events: Vec<NewAuditEvent>,
        under: Option<Epochs>,
    ) -> StoreResult<Vec<Option<Permit>>> {
        let permits: Vec<Option<Permit>> = events.iter().map(Permit::for_stored).collect();
        if events.is_empty() {
            return Ok(permits);
        }
        let epoch = stored_epoch(self.send(events, under)?.wait())?;
        Ok(under_epoch(permits, epoch))
    }

    /// [`Self::append_decisions_under`] without blocking: the permits come
    /// with the future, once the entries are durable.
    pub(crate) fn submit_decisions(
        &self,
        events: Vec<NewAuditEvent>,
        under: Option<Epochs>,
    ) -> PendingPermits {
        let permits: Vec<Option<Permit>> = events.iter().map(Permit::for_stored).collect();
        let state = if events.is_empty() {
            Pending::Known(Ok(()))
        } else {
            match self.send(events, under) {
                Ok(answer) => Pending::Sent(answer),
                Err(error) => Pending::Known(Err(error)),
            }
        };
        PendingPermits { state, permits }
    }

    pub fn stats(&self) -> &AuditStats {
        &self.stats
    }
}

struct Writer {
    gate: Option<db::Gate>,
    url: DatabaseUrl,
    conn: Option<DbConnection>,
    known: Arc<KnownEpochs>,
}

/// A batch that committed: how many entries it stored, the epochs it
/// checked jobs against (read inside the commit; SQLite) and the policy
/// epoch its permits carry.
struct Committed {
    stored: usize,
    checked: Option<Epochs>,
    policy: Option<i64>,
}

impl Committed {
    fn outcome(&self, under: Option<Epochs>) -> Outcome {
        if stored_with(under, self.checked) {
            Outcome::Stored { epoch: self.policy }
        } else {
            Outcome::Stale
        }
    }
}

/// Whether a job decided under `under` is stored in a commit that read
/// `checked`: always when it was decided on epochs it read itself; else
/// only if they are the same.
fn stored_with(under: Option<Epochs>, checked: Option<Epochs>) -> bool {
    match under {
        None => true,
        Some(under) => checked == Some(under),
    }
}

/// The rows of the jobs a commit that read `checked` stores, in order.
fn rows_of(jobs: &mut [Job], checked: Option<Epochs>) -> Vec<AuditRow> {
    jobs.iter_mut()
        .filter(|job| stored_with(job.under, checked))
        .flat_map(|job| std::mem::take(&mut job.events))
        .map(AuditRow::from)
        .collect()
}

impl Writer {
    fn run(&mut self, queue: &Receiver<Job>, batch_max: usize, stats: &AuditStats) {
        while let Ok(first) = queue.recv() {
            let mut count = first.events.len();
            let mut jobs = vec![first];
            while count < batch_max {
                match queue.try_recv() {
                    Ok(job) => {
                        count += job.events.len();
                        jobs.push(job);
                    }
                    Err(_) => break,
                }
            }
            let result = self.store(&mut jobs);
            match &result {
                Ok(batch) => {
                    if batch.stored > 0 {
                        stats
                            .entries
                            .fetch_add(batch.stored as u64, Ordering::Relaxed);
                        stats.batches.fetch_add(1, Ordering::Relaxed);
                        stats.record_batch(batch.stored);
                    }
                }
                Err(error) => {
                    stats.failures.fetch_add(1, Ordering::Relaxed);
                    log::error!("audit append of {count} entries failed: {error}");
                }
            }
            for job in jobs {
                let answer = match &result {
                    Ok(batch) => Ok(batch.outcome(job.under)),
                    Err(error) => Err(error.clone()),
                };
                job.reply.send(answer);
            }
        }
    }

    /// Stores one batch in one transaction; the database queues each entry
    /// for the sequencer in the same statement. Several processes append at
    /// once, and the sequencer orders what they committed.
    ///
    /// The transaction first makes sure nothing that moves an epoch can
    /// commit before it does — on SQLite by taking the file's write lock at
    /// once (`BEGIN IMMEDIATE`), on PostgreSQL by taking `db::EPOCH_LOCK`
    /// shared, which every change to an epoch takes exclusively, if no
    /// change holds it now (else nothing is checked, the kept-first jobs
    /// are decided again, and the policy epoch is read after the commit) —
    /// and then reads both epochs. They are the epochs as they stand at its commit: the
    /// jobs decided kept first (`Db::kept_first`) are checked against them,
    /// and only those still current are stored; and the permits carry the
    /// policy epoch, so a read uses what it kept in memory (a client's
    /// wrapped key) only if nothing changed it up to its entry's commit: an
    /// erasure or rotation committed before then is seen without a query
    /// of the read's own.
    fn store(&mut self, jobs: &mut [Job]) -> Result<Committed, String> {
        let conn = match &mut self.conn {
            Some(conn) => conn,
            None => self
                .conn
                .insert(db::connect_appender(&self.url).map_err(|e| e.to_string())?),
        };
        let turn = db::enter(&self.gate);
        // A trigger queues each entry for the sequencer. SQLite has no
        // round trip to save, but a statement per row costs its own
        // bindings, program run and statement journal: rows go
        // SQLITE_ROWS_PER_INSERT to a statement (a fixed count, so it is
        // prepared once), the rest in a few smaller fixed-size ones.
        // PostgreSQL: one statement (one round trip) per chunk, 13 arrays
        // whatever its length, so it too is prepared once (`AuditColumns`).
        let result = match conn {
            DbConnection::Sqlite(c) => c.immediate_transaction(|c| {
                let checked = db::epochs_now!(c)?;
                let rows = rows_of(jobs, checked);
                db::insert_on_sqlite!(c, audit_events::table, rows, SQLITE_ROWS_PER_INSERT);
                diesel::QueryResult::Ok((rows.len(), checked))
            }),
            // Read committed whatever the server's default: the epochs'
            // read must be a snapshot taken after the lock was granted.
            DbConnection::Pg(c) => c.build_transaction().read_committed().run(|c| {
                // Not waited for: a change in flight (a long transaction, a
                // tool's session) must not hold up the audit log. Without
                // it nothing is checked, and reads decided kept first are
                // decided again on the database.
                let locked = diesel::select(pg_try_advisory_xact_lock_shared(db::EPOCH_LOCK))
                    .get_result::<bool>(c)?;
                let checked = if locked { db::epochs_now!(c)? } else { None };
                let rows = rows_of(jobs, checked);
                let stored = rows.len();
                let mut rows = rows.into_iter().peekable();
                while rows.peek().is_some() {
                    AuditColumns::of(rows.by_ref().take(INSERT_CHUNK)).execute(c)?;
                }
                diesel::QueryResult::Ok((stored, checked))
            }),
        }
        .map_err(|e| e.to_string());
        drop(turn);
        let (stored, checked) = match result {
            Ok(committed) => committed,
            Err(error) => {
                if conn.is_broken() {
                    // Reconnect on the next batch rather than fail for ever.
                    self.conn = None;
                }
                return Err(error);
            }
        };
        if let Some(checked) = checked {
            self.known.advance(checked);
            return Ok(Committed {
                stored,
                checked: Some(checked),
                policy: Some(checked.policy),
            });
        }
        // Nothing checked (PostgreSQL without the lock): the policy epoch
        // as committed from here on. If it cannot be read, the reads of
        // this batch go to the database alone, and a connection that broke
        // on the way is made anew for the next batch.
        let epoch = crate::schema::policy_epoch::table
            .find(1i16)
            .select(crate::schema::policy_epoch::epoch);
        let policy = match db::on_backend!(conn, |c| epoch.first::<i64>(c)) {
            Ok(epoch) => Some(epoch),
            Err(error) => {
                log::warn!("the policy epoch after an audit commit: {error}");
                if conn.is_broken() {
                    self.conn = None;
                }
                None
            }
        };
        Ok(Committed {
            stored,
            checked: None,
            policy,
        })
    }
}

diesel::define_sql_function! {
    /// PostgreSQL: the advisory lock `key` shared until the transaction
    /// ends, if no one holds it exclusively now (never waits).
    fn pg_try_advisory_xact_lock_shared(key: diesel::sql_types::BigInt) -> diesel::sql_types::Bool;
}

/// Declares [`AuditRow`], [`StoredRow`] and [`AuditColumns`] from one list
/// of `audit_events`' columns, in the table's order, each with its Rust
/// type: the rows written and read, the arrays, the filling of one from the
/// other and the statement cannot disagree. Each array's SQL type is its column's in the
/// schema, as the row's `Insertable` checks its fields against it.
macro_rules! audit_columns {
    ($first:ident: $first_type:ty $(, $column:ident: $type:ty)* $(,)?) => {
        /// A row of `audit_events` as inserted. `treat_none_as_default_value
        /// = false` writes NULL for `None`, so the SQL is the same for every
        /// entry and diesel knows the statement by its type: its statement
        /// cache finds it without writing the SQL out first. (Left at its
        /// default, every field is an "or DEFAULT" and the SQL is built anew
        /// for each row; the same holds for every `Insertable` of the store.)
        #[derive(Insertable)]
        #[diesel(table_name = audit_events, treat_none_as_default_value = false)]
        struct AuditRow {
            $first: $first_type,
            $($column: $type,)*
        }

        /// A stored row of `audit_events`, in the table's column order.
        #[derive(Queryable)]
        pub(crate) struct StoredRow {
            seq: i64,
            $first: $first_type,
            $($column: $type,)*
        }

        /// Rows of `audit_events` for PostgreSQL as one array per column,
        /// inserted by one statement whatever their number (`unnest`). A
        /// multi-row `VALUES` list is a new statement for every row count,
        /// which diesel does not keep prepared: PostgreSQL would parse and
        /// plan the insert anew for every commit. This one is prepared once
        /// per connection.
        #[derive(Default, diesel::query_builder::QueryId)]
        struct AuditColumns {
            $first: Vec<$first_type>,
            $($column: Vec<$type>,)*
        }

        impl AuditColumns {
            /// The columns of `rows`, moved rather than copied.
            fn of(rows: impl Iterator<Item = AuditRow>) -> Self {
                let mut columns = Self::default();
                for AuditRow { $first, $($column),* } in rows {
                    columns.$first.push($first);
                    $(columns.$column.push($column);)*
                }
                columns
            }
        }

        impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for AuditColumns {
            fn walk_ast<'b>(
                &'b self,
                mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
            ) -> QueryResult<()> {
                use diesel::sql_types::Array;
                use diesel::Expression;
                out.push_sql(concat!(
                    "INSERT INTO audit_events (",
                    stringify!($first),
                    $(", ", stringify!($column),)*
                    ") SELECT * FROM unnest("
                ));
                out.push_bind_param::<
                    Array<<audit_events::$first as Expression>::SqlType>, _
                >(&self.$first)?;
                $(
                    out.push_sql(", ");
                    out.push_bind_param::<
                        Array<<audit_events::$column as Expression>::SqlType>, _
                    >(&self.$column)?;
                )*
                out.push_sql(")");
                Ok(())
            }
        }
    };
}

audit_columns!(
    at: i64,
    actor_id: OfficerId,
    actor_agency: AgencyCode,
    on_behalf_of: Option<OfficerId>,
    roles: String,
    action: AuditAction,
    client_id: Option<ClientId>,
    record_id: Option<RecordId>,
    decision: Verdict,
    reason: Option<DenyReason>,
    consent_id: Option<ConsentId>,
    request_id: String,
    source_addr: Option<String>,
);

impl diesel::RunQueryDsl<diesel::PgConnection> for AuditColumns {}

/// Narrows a boxed query over `audit_events` (alone or joined) by every
/// field of an [`AuditFilter`] but the cursor: one list of filters for the
/// query and the export.
macro_rules! narrowed_by {
    ($query:expr, $filter:expr) => {{
        use $crate::schema::audit_events::dsl as a;
        let filter: &$crate::AuditFilter = $filter;
        let mut query = $query;
        if let Some(v) = filter.client_id {
            query = query.filter(a::client_id.eq(v));
        }
        if let Some(v) = filter.actor_id {
            query = query.filter(a::actor_id.eq(v));
        }
        if let Some(v) = &filter.agency {
            query = query.filter(a::actor_agency.eq(v.clone()));
        }
        if let Some(v) = filter.action {
            query = query.filter(a::action.eq(v));
        }
        if let Some(v) = filter.decision {
            query = query.filter(a::decision.eq(v));
        }
        if let Some(v) = filter.from {
            query = query.filter(a::at.ge($crate::time::to_micros(v)));
        }
        if let Some(v) = filter.to {
            query = query.filter(a::at.lt($crate::time::to_micros(v)));
        }
        query
    }};
}
pub(crate) use narrowed_by;

/// Filters of the audit query; every field narrows.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub client_id: Option<ClientId>,
    pub actor_id: Option<OfficerId>,
    pub agency: Option<AgencyCode>,
    pub action: Option<AuditAction>,
    pub decision: Option<Verdict>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Only entries with a larger sequence number (the cursor).
    pub after_seq: Option<i64>,
}

impl crate::Db<'_> {
    /// Entries in sequence order, at most `limit`. By client or by officer
    /// they are read through the lookups (`crate::lookups`), which cover
    /// the leaves up to a watermark, in one read-only snapshot: the
    /// watermark (trusted only if it names a leaf of this log with the
    /// recorded hash, else 0), the lookups below it, the leaves from it on
    /// and the entries still queued for the sequencer. Every entry stored
    /// before the snapshot is in exactly one of the three places (found in
    /// two, it is kept once). Each source is narrowed by the whole filter on
    /// the entry itself, so a lookup can never show an entry that does not
    /// match.
    pub fn audit_events(
        &mut self,
        filter: &AuditFilter,
        limit: i64,
    ) -> StoreResult<Vec<AuditEvent>> {
        use audit_events::dsl as a;
        let conn = self.conn.get(self.store)?;
        if filter.client_id.is_none() && filter.actor_id.is_none() {
            let mut query = narrowed_by!(a::audit_events.into_boxed(), filter);
            if let Some(v) = filter.after_seq {
                query = query.filter(a::seq.gt(v));
            }
            let rows: Vec<StoredRow> = query.order(a::seq.asc()).limit(limit).load(&mut *conn)?;
            return rows.into_iter().map(from_row).collect();
        }
        // SQLite: a deferred transaction whose first read (the watermark)
        // takes the lookups file's snapshot before the database's; a
        // rebuild or a step of the indexer in between is not seen half.
        // PostgreSQL: one snapshot for every statement.
        let rows = conn.transaction::<_, StoreError, _>(|c| {
            if let DbConnection::Pg(pg) = c {
                pg.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY;")?;
            }
            let watermark = crate::lookups::usable_watermark(c)?;
            let mut rows = through_lookups(c, filter, watermark, limit)?;
            // The newest leaves as a set of seqs the entries are looked up
            // by: joined instead, SQLite walks every entry in seq order to
            // skip the sort (a third of a second at a million entries).
            use crate::schema::audit_leaves::dsl as l;
            let newest_seqs = l::audit_leaves
                .filter(l::leaf_index.ge(watermark))
                .select(l::seq);
            let mut newest = narrowed_by!(
                a::audit_events
                    .filter(a::seq.eq_any(newest_seqs))
                    .into_boxed(),
                filter
            );
            if let Some(v) = filter.after_seq {
                newest = newest.filter(a::seq.gt(v));
            }
            rows.extend(
                newest
                    .order(a::seq.asc())
                    .limit(limit)
                    .load::<StoredRow>(c)?,
            );
            rows.extend(crate::merkle::pending_rows(
                c,
                filter,
                filter.after_seq,
                limit,
            )?);
            Ok(rows)
        })?;
        let mut events = rows
            .into_iter()
            .map(from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        events.sort_by_key(|event| event.seq);
        events.dedup_by_key(|event| event.seq);
        events.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(events)
    }
}

/// The entries matching `filter` among the first `watermark` leaves, by
/// client or by officer, through the lookups.
fn through_lookups(
    conn: &mut DbConnection,
    filter: &AuditFilter,
    watermark: i64,
    limit: i64,
) -> StoreResult<Vec<StoredRow>> {
    if watermark == 0 {
        return Ok(Vec::new());
    }
    // One query per lookup table: their columns are different types.
    macro_rules! through {
        ($lookup:ident, $key:ident, $value:expr) => {{
            use crate::schema::$lookup::dsl as by;
            let mut query = narrowed_by!(
                by::$lookup
                    .inner_join(audit_events::table)
                    .select(audit_events::all_columns)
                    .filter(by::$key.eq($value))
                    .into_boxed(),
                filter
            );
            if let Some(v) = filter.after_seq {
                query = query.filter(by::seq.gt(v));
            }
            query.order(by::seq.asc()).limit(limit).load(conn)?
        }};
    }
    Ok(match (filter.client_id, filter.actor_id) {
        (Some(client), _) => through!(audit_client_seqs, client_id, client),
        (None, Some(actor)) => through!(audit_actor_seqs, actor_id, actor),
        (None, None) => Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_reaches_its_waiter_across_threads() {
        let answer = Arc::new(Answer::default());
        let reply = Reply(Some(Arc::clone(&answer)));
        let writer = std::thread::spawn(move || reply.send(Err("disk full".into())));
        assert_eq!(answer.wait(), Err("disk full".to_owned()));
        let answer = Arc::new(Answer::default());
        let reply = Reply(Some(Arc::clone(&answer)));
        let stored = Outcome::Stored { epoch: Some(7) };
        std::thread::spawn(move || reply.send(Ok(stored)))
            .join()
            .unwrap();
        assert_eq!(answer.wait(), Ok(stored));
        writer.join().unwrap();
    }

    #[test]
    fn a_job_dropped_unanswered_tells_its_waiter_the_writer_stopped() {
        let answer = Arc::new(Answer::default());
        let job = Job {
            events: vec![],
            under: None,
            reply: Reply(Some(Arc::clone(&answer))),
        };
        std::thread::spawn(move || drop(job)).join().unwrap();
        assert_eq!(answer.wait(), Err("audit writer stopped".to_owned()));
        // Answered, the reply says nothing more when it goes.
        let answer = Arc::new(Answer::default());
        Reply(Some(Arc::clone(&answer))).send(Ok(Outcome::Stale));
        assert_eq!(answer.wait(), Ok(Outcome::Stale));
        assert!(answer.slot.lock().unwrap().result.is_none());
    }

    /// An allowed read's entry, as the decision point gives it.
    fn allowed_read() -> NewAuditEvent {
        NewAuditEvent {
            at: Utc::now(),
            actor_id: OfficerId(uuid::Uuid::from_u128(1)),
            actor_agency: AgencyCode::parse("af").unwrap(),
            on_behalf_of: None,
            roles: vec![Role::Officer],
            action: AuditAction::ReadRecord,
            client_id: Some(ClientId(uuid::Uuid::from_u128(2))),
            record_id: Some(RecordId(uuid::Uuid::from_u128(3))),
            decision: Verdict::Allow,
            reason: None,
            consent_id: None,
            request_id: "r".into(),
            source_addr: None,
        }
    }

    fn pending(answer: &Arc<Answer>) -> PendingPermits {
        PendingPermits {
            state: Pending::Sent(Arc::clone(answer)),
            permits: vec![Permit::for_stored(&allowed_read())],
        }
    }

    #[test]
    fn an_awaited_answer_wakes_its_task_and_gives_the_permits_only_then() {
        let answer = Arc::new(Answer::default());
        let mut first = pending(&answer);
        assert!(Pin::new(&mut first)
            .poll(&mut Context::from_waker(Waker::noop()))
            .is_pending());
        let reply = Reply(Some(Arc::clone(&answer)));
        let writer = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(20));
            reply.send(Ok(Outcome::Stored { epoch: Some(3) }));
        });
        let mut stored = pending(&answer);
        let permits = ingang_testdb::block_on(&mut stored).unwrap();
        let permit = permits.into_iter().next().flatten().unwrap();
        assert_eq!(permit.stored_under, Some(3));
        assert_eq!(permit.record(), Some(RecordId(uuid::Uuid::from_u128(3))));
        writer.join().unwrap();
        // Given once: polled again, it gives nothing more.
        assert!(matches!(
            ingang_testdb::block_on(&mut stored),
            Err(StoreError::AuditUnavailable(_))
        ));

        // A stale job and a failed commit store nothing and give no permit.
        for (result, expected) in [
            (Ok(Outcome::Stale), "Stale"),
            (Err("disk full".to_owned()), "AuditUnavailable"),
        ] {
            let answer = Arc::new(Answer::default());
            let reply = Reply(Some(Arc::clone(&answer)));
            std::thread::spawn(move || reply.send(result));
            let error = ingang_testdb::block_on(pending(&answer)).unwrap_err();
            assert!(format!("{error:?}").starts_with(expected), "{error:?}");
        }
        // A writer that died with the job answers too.
        let answer = Arc::new(Answer::default());
        let job = Job {
            events: vec![],
            under: None,
            reply: Reply(Some(Arc::clone(&answer))),
        };
        std::thread::spawn(move || drop(job));
        assert!(matches!(
            ingang_testdb::block_on(pending(&answer)),
            Err(StoreError::AuditUnavailable(_))
        ));
        assert!(matches!(
            ingang_testdb::block_on(PendingPermits::failed(StoreError::Stale)),
            Err(StoreError::Stale)
        ));
    }
}
