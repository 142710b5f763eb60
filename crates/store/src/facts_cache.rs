//! The decision facts of recent requests, kept in memory while the policy
//! epoch is unchanged.
//!
//! Every change to what a decision reads (accounts, assignments, consents,
//! withdrawals, erasure) advances `policy_epoch` in its own transaction, by
//! database triggers, whichever process or tool made it. A request reads the
//! epoch (one row), then uses facts cached under that same epoch or loads
//! them and caches them under it. The epoch is read *before* the facts, so
//! facts are never tagged with an epoch newer than what they saw: a change
//! that commits in between makes the tag stale, never the facts. A
//! withdrawal committed on any process is therefore seen by the next request
//! on every process, exactly as without the cache.
//!
//! A transaction neither reads nor fills the cache: it could see its own
//! uncommitted change to the epoch, which could still roll back.

use crate::{Account, LoadedFacts};
use ingang_policy::{ClientId, OfficerId};
use std::collections::HashMap;
use std::sync::Mutex;

/// Most clients (and, separately, accounts) kept; emptied when full.
const MAX_ENTRIES: usize = 20_000;

#[derive(Default)]
pub(crate) struct FactsCache {
    state: Mutex<Cached>,
}

#[derive(Default)]
struct Cached {
    /// The epoch every entry below was loaded under.
    epoch: i64,
    accounts: HashMap<OfficerId, Account>,
    clients: HashMap<ClientId, LoadedFacts>,
}

impl Cached {
    /// Moves to `epoch` if it is newer (everything older is dropped);
    /// whether the entries are valid at `epoch`.
    fn at(&mut self, epoch: i64) -> bool {
        if epoch > self.epoch {
            self.epoch = epoch;
            self.accounts.clear();
            self.clients.clear();
        }
        epoch == self.epoch
    }
}

impl FactsCache {
    fn state(&self) -> std::sync::MutexGuard<'_, Cached> {
        // Entries are whole values inserted under the lock: a panic
        // elsewhere cannot leave one half-written.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn account(&self, epoch: i64, id: OfficerId) -> Option<Account> {
        let mut state = self.state();
        state.at(epoch).then(|| state.accounts.get(&id).cloned())?
    }

    pub fn keep_account(&self, epoch: i64, account: &Account) {
        let mut state = self.state();
        if state.at(epoch) {
            if state.accounts.len() >= MAX_ENTRIES {
                state.accounts.clear();
            }
            state.accounts.insert(account.id, account.clone());
        }
    }

    pub fn facts(&self, epoch: i64, client: ClientId) -> Option<LoadedFacts> {
        let mut state = self.state();
        state
            .at(epoch)
            .then(|| state.clients.get(&client).cloned())?
    }

    pub fn keep_facts(&self, epoch: i64, facts: &LoadedFacts) {
        let mut state = self.state();
        if state.at(epoch) {
            if state.clients.len() >= MAX_ENTRIES {
                state.clients.clear();
            }
            state.clients.insert(facts.client.id, facts.clone());
        }
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
}
