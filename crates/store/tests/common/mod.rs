//! What the store's integration tests share.

use ingang_store::crypto::{Keyring, SecretKey};
use ingang_store::merkle::LogKeys;
use ingang_store::{Store, StoreConfig};
use ingang_testdb::TestDatabase;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// A store on `db` with a fresh master key, signing the log with `log`, and
/// no sequencer of its own.
pub fn open_store(db: &TestDatabase, log: Arc<LogKeys>) -> Store {
    let mut masters = BTreeMap::new();
    masters.insert("t".to_owned(), SecretKey::generate().unwrap());
    let keyring = Keyring::new("t", masters, &SecretKey::generate().unwrap()).unwrap();
    Store::open(
        &StoreConfig {
            url: db.url.clone(),
            pool_size: 4,
            audit_batch_max: 64,
            pool_timeout: Duration::from_secs(5),
            log,
            witnesses: vec![],
            sequencer: None,
        },
        keyring,
    )
    .unwrap()
}
