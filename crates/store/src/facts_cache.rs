//! The decision facts of recent requests, kept in memory while the policy
//! epoch is unchanged.
//!
//! Every change to what a decision reads (accounts, assignments, consents,
//! withdrawals, erasure) advances `policy_epoch` in its own transaction, by
//! database triggers, whichever process or tool made it. A request reads the
//! epoch (one row), then uses facts cached under that same epoch or loads
//! them and caches them under it — or, decided "kept first" (a single
//! record's read, `Db::kept_first`), takes the newest epoch this process
//! knows ([`KnownEpochs`]) and lets the audit writer check at its commit
//! that it still holds. The epoch is read *before* the facts, so
//! facts are never tagged with an epoch newer than what they saw: a change
//! that commits in between makes the tag stale, never the facts. A
//! withdrawal committed on any process is therefore seen by the next request
//! on every process, exactly as without the cache.
//!
//! A transaction neither reads nor fills the cache: it could see its own
//! uncommitted change to the epoch, which could still roll back.
//!
//! Beside the facts, a client's data key *as stored* (wrapped under a
//! master key, never the key itself) is kept under the epoch too: erasure
//! deletes it and a master-key rotation rewraps it, and both move the epoch.
//! A read goes by the epoch as of its audit entry's commit
//! (its permit carries it), so a change committed before then is seen. The
//! erasing process forgets the key at once, the others at their next
//! request. Record metadata is kept under a records epoch of its own
//! ([`RecordsCache`]). And the sealed bodies of record versions are kept apart
//! ([`BodyCache`]): a stored version never changes (a trigger refuses it),
//! so they need no epoch, and without the client's key they open nowhere.

use crate::crypto::WrappedKey;
use crate::{Account, LoadedFacts, RecordMeta};
use ingang_policy::{ClientId, OfficerId, RecordId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Most clients (and, separately, accounts, keys and records) kept; a map
/// is emptied when full.
const MAX_ENTRIES: usize = 20_000;

/// What is kept under one epoch. Moved to a newer epoch, it starts empty;
/// a reader that saw an older epoch gets nothing and drops nothing.
#[derive(Default)]
struct Epoched<T> {
    /// The epoch everything in `kept` was loaded under.
    epoch: i64,
    kept: T,
}

impl<T: Default> Epoched<T> {
    /// What is kept, if it is valid at `epoch`, moving there if newer; and
    /// what was kept before such a move, for the caller to drop once it has
    /// let go of the lock: freeing a full map takes a while, and the lock is
    /// taken on the HTTP workers (`Db::kept_only`).
    fn at(&mut self, epoch: i64) -> (Option<&mut T>, Option<T>) {
        let before = (epoch > self.epoch).then(|| {
            self.epoch = epoch;
            std::mem::take(&mut self.kept)
        });
        ((epoch == self.epoch).then_some(&mut self.kept), before)
    }
}

/// `work` on what `state` keeps, if it is valid at `epoch`; what a move to
/// a newer epoch left behind is dropped after the lock is let go.
fn under_epoch<T: Default, R>(
    state: &Mutex<Epoched<T>>,
    epoch: i64,
    work: impl FnOnce(&mut T) -> Option<R>,
) -> Option<R> {
    let mut guard = locked(state);
    let (kept, before) = guard.at(epoch);
    let result = kept.and_then(work);
    drop(guard);
    drop(before);
    result
}

/// Adds an entry, starting a new map first when it is full. The full one
/// is given back, to be dropped after the lock is let go: freeing it may
/// take a while, and these locks are taken on the HTTP workers.
#[must_use]
fn keep_bounded<K: std::hash::Hash + Eq, V>(
    map: &mut HashMap<K, V>,
    key: K,
    value: V,
) -> Option<HashMap<K, V>> {
    let full = (map.len() >= MAX_ENTRIES).then(|| std::mem::take(map));
    map.insert(key, value);
    full
}

/// Entries are whole values inserted under the lock: a panic elsewhere
/// cannot leave one half-written, so a poisoned lock is used on.
fn locked<T>(state: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The policy epoch and the records epoch, as read together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Epochs {
    pub policy: i64,
    pub records: i64,
}

/// The newest epochs this process has read (by a request's statement, or
/// by the audit writer inside its commit). A request that starts "kept
/// first" decides on what is kept under them without a statement of its
/// own; the audit writer then stores its entries only if they are still
/// the epochs at its commit (see `Db::kept_first`). Only ever moves
/// forward, each epoch on its own: an older read arriving late changes
/// nothing.
#[derive(Default)]
pub(crate) struct KnownEpochs {
    state: Mutex<Option<Epochs>>,
}

impl KnownEpochs {
    pub fn get(&self) -> Option<Epochs> {
        *locked(&self.state)
    }

    pub fn advance(&self, read: Epochs) {
        let mut known = locked(&self.state);
        *known = Some(match *known {
            None => read,
            Some(was) => Epochs {
                policy: was.policy.max(read.policy),
                records: was.records.max(read.records),
            },
        });
    }
}

#[derive(Default)]
pub(crate) struct FactsCache {
    state: Mutex<Epoched<Facts>>,
}

/// What the facts cache keeps under the policy epoch.
#[derive(Default)]
struct Facts {
    accounts: HashMap<OfficerId, Account>,
    clients: HashMap<ClientId, LoadedFacts>,
    data_keys: HashMap<ClientId, WrappedKey>,
}

impl FactsCache {
    /// `find` in what is kept, if it is valid at `epoch`.
    fn find<R>(&self, epoch: i64, find: impl FnOnce(&Facts) -> Option<R>) -> Option<R> {
        under_epoch(&self.state, epoch, |kept| find(kept))
    }

    /// `add` to what is kept, if it is valid at `epoch`; what `add` gives
    /// back is dropped after the lock is let go.
    fn add<D>(&self, epoch: i64, add: impl FnOnce(&mut Facts) -> D) {
        let left = under_epoch(&self.state, epoch, |kept| Some(add(kept)));
        drop(left);
    }

    pub fn account(&self, epoch: i64, id: OfficerId) -> Option<Account> {
        self.find(epoch, |kept| kept.accounts.get(&id).cloned())
    }

    pub fn keep_account(&self, epoch: i64, account: &Account) {
        self.add(epoch, |kept| {
            keep_bounded(&mut kept.accounts, account.id, account.clone())
        });
    }

    pub fn facts(&self, epoch: i64, client: ClientId) -> Option<LoadedFacts> {
        self.find(epoch, |kept| kept.clients.get(&client).cloned())
    }

    pub fn keep_facts(&self, epoch: i64, facts: &LoadedFacts) {
        self.add(epoch, |kept| {
            keep_bounded(&mut kept.clients, facts.client.id, facts.clone())
        });
    }

    pub fn data_key(&self, epoch: i64, client: ClientId) -> Option<WrappedKey> {
        self.find(epoch, |kept| kept.data_keys.get(&client).cloned())
    }

    /// Drops a client's wrapped key whatever the epoch (after an erasure).
    pub fn forget_data_key(&self, client: ClientId) {
        locked(&self.state).kept.data_keys.remove(&client);
    }

    pub fn keep_data_key(&self, epoch: i64, client: ClientId, key: &WrappedKey) {
        self.add(epoch, |kept| {
            keep_bounded(&mut kept.data_keys, client, key.clone())
        });
    }
}

/// The metadata of records read lately, under the records epoch (which
/// every change to an existing record moves, by trigger; a new record
/// changes none that is kept, and does not): used only
/// while it is unchanged, so a new version, kind or source is seen by the
/// next request on every process.
#[derive(Default)]
pub(crate) struct RecordsCache {
    state: Mutex<Epoched<HashMap<RecordId, RecordMeta>>>,
}

impl RecordsCache {
    pub fn meta(&self, epoch: i64, id: RecordId) -> Option<RecordMeta> {
        under_epoch(&self.state, epoch, |kept| kept.get(&id).cloned())
    }

    pub fn keep(&self, epoch: i64, meta: &RecordMeta) {
        let full = under_epoch(&self.state, epoch, |kept| {
            keep_bounded(kept, meta.id, meta.clone())
        });
        drop(full);
    }
}

/// Most bytes of sealed bodies kept, each counted with what its entry in
/// the map costs besides ([`BODY_ENTRY_BYTES`]); emptied when full.
const MAX_BODY_BYTES: usize = 32 << 20;

/// What one kept body costs beyond its bytes: the key, the `Arc`'s counts
/// and the map's slot, rounded up.
const BODY_ENTRY_BYTES: usize = 96;

/// The sealed bodies of record versions read lately, by record and version.
/// A stored version is never changed (a change is a new version), so an
/// entry never goes stale; it is only ciphertext, which opens only with its
/// client's data key, read (or taken from the epoch-checked cache above)
/// after the read's audit entry is durable.
#[derive(Default)]
pub(crate) struct BodyCache {
    state: Mutex<Bodies>,
}

#[derive(Default)]
struct Bodies {
    bytes: usize,
    sealed: HashMap<(RecordId, i32), Arc<[u8]>>,
}

impl BodyCache {
    fn state(&self) -> std::sync::MutexGuard<'_, Bodies> {
        locked(&self.state)
    }

    pub fn get(&self, record: RecordId, version: i32) -> Option<Arc<[u8]>> {
        self.state().sealed.get(&(record, version)).cloned()
    }

    pub fn keep(&self, record: RecordId, version: i32, sealed: &Arc<[u8]>) {
        let cost = sealed.len() + BODY_ENTRY_BYTES;
        if cost > MAX_BODY_BYTES / 64 {
            return;
        }
        let mut state = self.state();
        // A new map (`clear` would keep the old one's capacity); the full
        // one is freed after the lock is let go.
        let full = (state.bytes + cost > MAX_BODY_BYTES).then(|| std::mem::take(&mut *state));
        if state
            .sealed
            .insert((record, version), Arc::clone(sealed))
            .is_none()
        {
            state.bytes += cost;
        }
        drop(state);
        drop(full);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ingang_policy::{AgencyCode, ClientFacts, Role};

    fn account() -> Account {
        Account {
            id: OfficerId::new_random(),
            agency: AgencyCode::parse("af").unwrap(),
            roles: vec![Role::Officer],
            active: true,
        }
    }

    fn facts() -> LoadedFacts {
        LoadedFacts {
            client: ClientFacts {
                id: ClientId::new_random(),
                erased: false,
            },
            assignments: vec![],
            consents: vec![],
        }
    }

    #[test]
    fn entries_live_only_as_long_as_their_epoch() {
        let cache = FactsCache::default();
        let (a, f) = (account(), facts());
        cache.keep_account(3, &a);
        cache.keep_facts(3, &f);
        assert_eq!(cache.account(3, a.id), Some(a.clone()));
        assert!(cache.facts(3, f.client.id).is_some());
        // A reader that saw an older epoch gets nothing, and drops nothing.
        assert_eq!(cache.account(2, a.id), None);
        assert!(cache.facts(3, f.client.id).is_some());
        // A newer epoch drops everything loaded before it.
        assert_eq!(cache.account(4, a.id), None);
        assert!(cache.facts(4, f.client.id).is_none());
        assert_eq!(cache.account(3, a.id), None);
        // Facts loaded under an older epoch are never kept.
        cache.keep_account(3, &a);
        assert_eq!(cache.account(4, a.id), None);
    }

    #[test]
    fn wrapped_keys_live_only_as_long_as_their_epoch() {
        let cache = FactsCache::default();
        let client = ClientId::new_random();
        let key = WrappedKey {
            kek_id: "k1".into(),
            wrapped: vec![1, 2, 3],
        };
        cache.keep_data_key(5, client, &key);
        assert_eq!(
            cache.data_key(5, client).map(|k| k.wrapped),
            Some(vec![1, 2, 3])
        );
        // An erasure or a rotation moves the epoch: the key is dropped.
        assert!(cache.data_key(6, client).is_none());
        assert!(cache.data_key(5, client).is_none());
        cache.keep_data_key(5, client, &key);
        assert!(cache.data_key(6, client).is_none());
        // An erasure in this process drops it at once, whatever the epoch.
        cache.keep_data_key(6, client, &key);
        cache.forget_data_key(client);
        assert!(cache.data_key(6, client).is_none());
    }

    #[test]
    fn a_full_map_is_given_back_whole_and_a_new_one_started() {
        let mut map = HashMap::new();
        for i in 0..MAX_ENTRIES {
            assert!(keep_bounded(&mut map, i, i).is_none());
        }
        let full = keep_bounded(&mut map, MAX_ENTRIES, MAX_ENTRIES).unwrap();
        assert_eq!(full.len(), MAX_ENTRIES);
        assert_eq!(map.len(), 1);
        assert_eq!(map.get(&MAX_ENTRIES), Some(&MAX_ENTRIES));
    }

    #[test]
    fn sealed_bodies_are_kept_by_record_and_version_within_a_byte_budget() {
        let cache = BodyCache::default();
        let record = RecordId::new_random();
        let sealed = |bytes: &[u8]| -> Arc<[u8]> { bytes.into() };
        cache.keep(record, 1, &sealed(b"first"));
        cache.keep(record, 2, &sealed(b"second"));
        assert_eq!(cache.get(record, 1).as_deref(), Some(&b"first"[..]));
        assert_eq!(cache.get(record, 2).as_deref(), Some(&b"second"[..]));
        assert!(cache.get(record, 3).is_none());
        assert!(cache.get(RecordId::new_random(), 1).is_none());
        // Too large to keep: not kept, nothing else dropped.
        cache.keep(record, 3, &sealed(&vec![0; MAX_BODY_BYTES]));
        assert!(cache.get(record, 3).is_none());
        assert!(cache.get(record, 1).is_some());
        // Full: emptied, then the new one kept.
        let big = sealed(&vec![7; MAX_BODY_BYTES / 64 - BODY_ENTRY_BYTES]);
        for version in 10..80 {
            cache.keep(record, version, &big);
        }
        assert!(cache.get(record, 1).is_none());
        assert!(cache.get(record, 79).is_some());
        assert!(cache.state().bytes <= MAX_BODY_BYTES);
    }

    #[test]
    fn known_epochs_only_move_forward_each_on_its_own() {
        let known = KnownEpochs::default();
        assert_eq!(known.get(), None);
        known.advance(Epochs {
            policy: 5,
            records: 9,
        });
        known.advance(Epochs {
            policy: 4,
            records: 10,
        });
        assert_eq!(
            known.get(),
            Some(Epochs {
                policy: 5,
                records: 10
            })
        );
    }

    #[test]
    fn record_metadata_lives_only_as_long_as_its_epoch() {
        let cache = RecordsCache::default();
        let meta = RecordMeta {
            id: RecordId::new_random(),
            client_id: ClientId::new_random(),
            kind: ingang_policy::RecordKind::Note,
            source_agency: AgencyCode::parse("af").unwrap(),
            author_id: OfficerId::new_random(),
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
            version: 1,
        };
        cache.keep(4, &meta);
        assert_eq!(cache.meta(4, meta.id), Some(meta.clone()));
        // An older reader gets nothing and drops nothing.
        assert_eq!(cache.meta(3, meta.id), None);
        assert_eq!(cache.meta(4, meta.id), Some(meta.clone()));
        // Any change to a record moves the epoch: everything goes.
        assert_eq!(cache.meta(5, meta.id), None);
        cache.keep(4, &meta);
        assert_eq!(cache.meta(5, meta.id), None);
    }
}
