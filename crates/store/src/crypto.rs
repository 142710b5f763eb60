//! Envelope encryption (docs/security.md).
//!
//! * Every subject (client or officer) has its own 256-bit data key.
//! * Data keys are stored wrapped (AES-256-GCM) by a master key that has an
//!   id; rotating the master key re-wraps data keys and re-encrypts no data.
//! * Every ciphertext is bound by associated data to its table, field, row
//!   and subject, so a ciphertext copied into another row fails to open.
//! * Personal numbers are found through a keyed blind index (HMAC-SHA-256).

use ingang_policy::PersonalNumber;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

/// Ciphertext layout version, the first byte of every sealed value.
const FORMAT_V1: u8 = 1;
const KEY_LEN: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// Authentication failed: wrong key, or the ciphertext was moved or altered.
    #[error("ciphertext does not belong to {0} (moved, altered, or sealed under another key)")]
    WrongPlace(String),
    #[error("ciphertext is malformed")]
    Malformed,
    #[error("master key '{0}' is not loaded")]
    UnknownMasterKey(String),
    #[error("key file {path}: {problem}")]
    KeyFile { path: PathBuf, problem: String },
    #[error("the system random number generator failed")]
    Random,
}

/// 32 bytes of key material whose `Debug` never shows the bytes.
#[derive(Clone)]
pub struct SecretKey([u8; KEY_LEN]);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

impl SecretKey {
    pub fn generate() -> Result<Self, CryptoError> {
        let mut bytes = [0u8; KEY_LEN];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| CryptoError::Random)?;
        Ok(Self(bytes))
    }

    /// Parses 64 hex digits (surrounding white space ignored).
    pub fn from_hex(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.len() != KEY_LEN * 2 {
            return None;
        }
        let mut bytes = [0u8; KEY_LEN];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(text.get(i * 2..i * 2 + 2)?, 16).ok()?;
        }
        Some(Self(bytes))
    }

    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn aead(&self) -> Result<LessSafeKey, CryptoError> {
        UnboundKey::new(&AES_256_GCM, &self.0)
            .map(LessSafeKey::new)
            .map_err(|_| CryptoError::Malformed)
    }
}

/// Where a ciphertext lives. All four parts go into the associated data.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    pub table: &'a str,
    pub field: &'a str,
    pub row: &'a str,
}

impl Place<'_> {
    fn associated_data(&self, subject: &str) -> Vec<u8> {
        // NUL-separated; none of the parts can contain NUL (ids and names of code).
        joined_aad(&[self.table, self.field, self.row, subject])
    }
}

/// `ingang/v1` and `parts`, each after a NUL: the associated data that
/// binds a ciphertext to its place. Built by hand rather than by `format!`,
/// which cost 2 000 instructions of every read.
fn joined_aad(parts: &[&str]) -> Vec<u8> {
    const PREFIX: &[u8] = b"ingang/v1";
    let len = PREFIX.len() + parts.iter().map(|p| 1 + p.len()).sum::<usize>();
    let mut aad = Vec::with_capacity(len);
    aad.extend_from_slice(PREFIX);
    for part in parts {
        aad.push(0);
        aad.extend_from_slice(part.as_bytes());
    }
    aad
}

fn seal_with(key: &LessSafeKey, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let mut nonce = [0u8; NONCE_LEN];
    SystemRandom::new()
        .fill(&mut nonce)
        .map_err(|_| CryptoError::Random)?;
    let mut sealed = Vec::with_capacity(1 + NONCE_LEN + plaintext.len() + AES_256_GCM.tag_len());
    sealed.push(FORMAT_V1);
    sealed.extend_from_slice(&nonce);
    let mut in_out = plaintext.to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(aad),
        &mut in_out,
    )
    .map_err(|_| CryptoError::Random)?;
    sealed.extend_from_slice(&in_out);
    Ok(sealed)
}

fn open_with(
    key: &LessSafeKey,
    aad: &[u8],
    sealed: &[u8],
    what: impl FnOnce() -> String,
) -> Result<Vec<u8>, CryptoError> {
    if sealed.len() < 1 + NONCE_LEN + AES_256_GCM.tag_len() || sealed[0] != FORMAT_V1 {
        return Err(CryptoError::Malformed);
    }
    let nonce = Nonce::try_assume_unique_for_key(&sealed[1..1 + NONCE_LEN])
        .map_err(|_| CryptoError::Malformed)?;
    let mut in_out = sealed[1 + NONCE_LEN..].to_vec();
    let plaintext = key
        .open_in_place(nonce, Aad::from(aad), &mut in_out)
        .map_err(|_| CryptoError::WrongPlace(what()))?;
    Ok(plaintext.to_vec())
}

/// A subject's unwrapped data key. Lives only for the request that needs it.
pub struct DataKey {
    subject: String,
    key: LessSafeKey,
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DataKey({}, <redacted>)", self.subject)
    }
}

impl DataKey {
    pub fn seal(&self, place: Place<'_>, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        seal_with(&self.key, &place.associated_data(&self.subject), plaintext)
    }

    pub fn open(&self, place: Place<'_>, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        open_with(
            &self.key,
            &place.associated_data(&self.subject),
            sealed,
            || format!("{}.{} row {}", place.table, place.field, place.row),
        )
    }

    pub fn seal_str(&self, place: Place<'_>, plaintext: &str) -> Result<Vec<u8>, CryptoError> {
        self.seal(place, plaintext.as_bytes())
    }

    pub fn open_string(&self, place: Place<'_>, sealed: &[u8]) -> Result<String, CryptoError> {
        String::from_utf8(self.open(place, sealed)?).map_err(|_| CryptoError::Malformed)
    }
}

/// A data key as stored: wrapped under master key `kek_id`. Processes keep
/// these in memory (the facts cache), so their bytes stay out of `Debug`.
#[derive(Clone)]
pub struct WrappedKey {
    pub kek_id: String,
    pub wrapped: Vec<u8>,
}

impl fmt::Debug for WrappedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WrappedKey({}, <redacted>)", self.kek_id)
    }
}

/// The master keys (by id), which one wraps new data keys, and the blind-index key.
pub struct Keyring {
    current: String,
    masters: BTreeMap<String, SecretKey>,
    blind_index: hmac::Key,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("current", &self.current)
            .field("master_ids", &self.masters.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// How the keys were found when the keyring was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    Existing,
    /// Development keys were just created on disk.
    CreatedDevelopmentKeys,
}

impl Keyring {
    /// Builds a keyring from key material held elsewhere (production secrets, tests).
    pub fn new(
        current: &str,
        masters: BTreeMap<String, SecretKey>,
        blind_index: &SecretKey,
    ) -> Result<Self, CryptoError> {
        if !masters.contains_key(current) {
            return Err(CryptoError::UnknownMasterKey(current.to_owned()));
        }
        Ok(Self {
            current: current.to_owned(),
            masters,
            blind_index: hmac::Key::new(hmac::HMAC_SHA256, &blind_index.0),
        })
    }

    /// Opens the key directory `dir` (`master-<id>.key` files, a `current`
    /// file naming the master in use, `blind-index.key`), creating
    /// development keys when `create` is true and the directory is empty.
    pub fn open_dir(dir: &Path, create: bool) -> Result<(Self, KeySource), CryptoError> {
        let current_file = dir.join("current");
        let blind_file = dir.join("blind-index.key");
        let mut source = KeySource::Existing;
        if !current_file.exists() {
            if !create {
                return Err(key_file_error(&current_file, "missing"));
            }
            match Self::init_dir(dir) {
                Ok(_) => source = KeySource::CreatedDevelopmentKeys,
                // Another process starting at the same moment made them.
                Err(_) if current_file.exists() => {}
                Err(e) => return Err(e),
            }
        }
        let current = fs::read_to_string(&current_file)
            .map_err(|e| key_file_error(&current_file, &e.to_string()))?
            .trim()
            .to_owned();
        let mut masters = BTreeMap::new();
        let entries = fs::read_dir(dir).map_err(|e| key_file_error(dir, &e.to_string()))?;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(id) = name
                .strip_prefix("master-")
                .and_then(|n| n.strip_suffix(".key"))
            {
                masters.insert(id.to_owned(), read_secret(&entry.path())?);
            }
        }
        let blind = read_secret(&blind_file)?;
        Ok((Self::new(&current, masters, &blind)?, source))
    }

    /// Creates fresh random keys in `dir` (a master key, made current, and
    /// the blind-index key), files readable by the owner only. Refuses when
    /// keys exist: overwriting them would make every stored value unreadable.
    /// Returns the new master key's id.
    pub fn init_dir(dir: &Path) -> Result<String, CryptoError> {
        let current_file = dir.join("current");
        let blind_file = dir.join("blind-index.key");
        if current_file.exists() || blind_file.exists() {
            return Err(key_file_error(
                dir,
                "already holds keys; refusing to replace them",
            ));
        }
        fs::create_dir_all(dir).map_err(|e| key_file_error(dir, &e.to_string()))?;
        let id = new_master_id()?;
        write_secret(
            &dir.join(format!("master-{id}.key")),
            &SecretKey::generate()?,
        )?;
        write_secret(&blind_file, &SecretKey::generate()?)?;
        fs::write(&current_file, &id).map_err(|e| key_file_error(&current_file, &e.to_string()))?;
        Ok(id)
    }

    /// Creates a new master key in `dir` and makes it current. Data keys must
    /// then be re-wrapped (see `Store::rotate_master_key`).
    pub fn add_master_in_dir(dir: &Path) -> Result<String, CryptoError> {
        let id = Self::new_master_in_dir(dir)?;
        Self::make_current_in_dir(dir, &id)?;
        Ok(id)
    }

    /// Creates a new master key file in `dir` without making it current:
    /// the first step of a rotation across several processes, which must
    /// all hold the new key before any data key is wrapped under it.
    pub fn new_master_in_dir(dir: &Path) -> Result<String, CryptoError> {
        let id = new_master_id()?;
        write_secret(
            &dir.join(format!("master-{id}.key")),
            &SecretKey::generate()?,
        )?;
        Ok(id)
    }

    /// Makes the existing master key `id` current in `dir`.
    pub fn make_current_in_dir(dir: &Path, id: &str) -> Result<(), CryptoError> {
        let key_file = dir.join(format!("master-{id}.key"));
        if !key_file.is_file() {
            return Err(key_file_error(
                &key_file,
                "missing: no master key with that id",
            ));
        }
        let current_file = dir.join("current");
        fs::write(&current_file, id).map_err(|e| key_file_error(&current_file, &e.to_string()))
    }

    /// Wraps and unwraps a throwaway data key under the current master key
    /// and seals and opens a value with it: the keys are loaded and work.
    pub fn self_test(&self) -> Result<(), CryptoError> {
        let subject = "ingang-self-test";
        let (key, wrapped) = self.new_data_key(subject)?;
        let place = Place {
            table: "self_test",
            field: "probe",
            row: "0",
        };
        let sealed = key.seal(place, b"probe")?;
        let reopened = self.unwrap(subject, &wrapped)?.open(place, &sealed)?;
        if reopened == b"probe" {
            Ok(())
        } else {
            Err(CryptoError::Malformed)
        }
    }

    pub fn current_master_id(&self) -> &str {
        &self.current
    }

    /// The keyed blind index of a personal number.
    pub fn blind_index(&self, number: &PersonalNumber) -> Vec<u8> {
        hmac::sign(&self.blind_index, number.normalised().as_bytes())
            .as_ref()
            .to_vec()
    }

    fn wrap_aad(subject: &str, kek_id: &str) -> Vec<u8> {
        joined_aad(&["data_keys", "wrapped", subject, kek_id])
    }

    /// A fresh data key for `subject`, and its wrapped form to store.
    pub fn new_data_key(&self, subject: &str) -> Result<(DataKey, WrappedKey), CryptoError> {
        let secret = SecretKey::generate()?;
        let wrapped = self.wrap(subject, &secret)?;
        Ok((
            DataKey {
                subject: subject.to_owned(),
                key: secret.aead()?,
            },
            wrapped,
        ))
    }

    fn wrap(&self, subject: &str, secret: &SecretKey) -> Result<WrappedKey, CryptoError> {
        let master = self.master(&self.current)?;
        let wrapped = seal_with(
            &master.aead()?,
            &Self::wrap_aad(subject, &self.current),
            &secret.0,
        )?;
        Ok(WrappedKey {
            kek_id: self.current.clone(),
            wrapped,
        })
    }

    fn unwrap_secret(&self, subject: &str, stored: &WrappedKey) -> Result<SecretKey, CryptoError> {
        let master = self.master(&stored.kek_id)?;
        let raw = open_with(
            &master.aead()?,
            &Self::wrap_aad(subject, &stored.kek_id),
            &stored.wrapped,
            || format!("data key of {subject}"),
        )?;
        let bytes: [u8; KEY_LEN] = raw.try_into().map_err(|_| CryptoError::Malformed)?;
        Ok(SecretKey(bytes))
    }

    /// Unwraps a stored data key for `subject`.
    pub fn unwrap(&self, subject: &str, stored: &WrappedKey) -> Result<DataKey, CryptoError> {
        let secret = self.unwrap_secret(subject, stored)?;
        Ok(DataKey {
            subject: subject.to_owned(),
            key: secret.aead()?,
        })
    }

    /// Re-wraps a stored data key under the current master key.
    pub fn rewrap(&self, subject: &str, stored: &WrappedKey) -> Result<WrappedKey, CryptoError> {
        let secret = self.unwrap_secret(subject, stored)?;
        self.wrap(subject, &secret)
    }

    fn master(&self, id: &str) -> Result<&SecretKey, CryptoError> {
        self.masters
            .get(id)
            .ok_or_else(|| CryptoError::UnknownMasterKey(id.to_owned()))
    }
}

/// `N` bytes from the system's secure random source.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut bytes = [0u8; N];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| CryptoError::Random)?;
    Ok(bytes)
}

fn new_master_id() -> Result<String, CryptoError> {
    let mut bytes = [0u8; 4];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| CryptoError::Random)?;
    let date = chrono::Utc::now().format("%Y%m%d");
    Ok(format!(
        "mk-{date}-{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ))
}

fn key_file_error(path: &Path, problem: &str) -> CryptoError {
    CryptoError::KeyFile {
        path: path.to_owned(),
        problem: problem.to_owned(),
    }
}

fn write_secret(path: &Path, key: &SecretKey) -> Result<(), CryptoError> {
    use std::io::Write;
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .map_err(|e| key_file_error(path, &e.to_string()))?;
    file.write_all(key.to_hex().as_bytes())
        .map_err(|e| key_file_error(path, &e.to_string()))
}

/// Reads a key file of 64 hex digits.
pub fn read_secret(path: &Path) -> Result<SecretKey, CryptoError> {
    let text = fs::read_to_string(path).map_err(|e| key_file_error(path, &e.to_string()))?;
    SecretKey::from_hex(&text).ok_or_else(|| key_file_error(path, "expected 64 hex digits"))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A keyring with fixed keys, for tests only.
    pub(crate) fn test_keyring() -> Keyring {
        let mut masters = BTreeMap::new();
        masters.insert("test-1".to_owned(), SecretKey([7u8; KEY_LEN]));
        Keyring::new("test-1", masters, &SecretKey([9u8; KEY_LEN])).unwrap()
    }

    /// The associated data is part of every stored ciphertext: its bytes
    /// may never change, however they are built.
    #[test]
    fn associated_data_keeps_its_stored_form() {
        assert_eq!(
            HERE.associated_data("c1"),
            b"ingang/v1\0records\0body\0r1\0c1".to_vec()
        );
        assert_eq!(
            Keyring::wrap_aad("c1", "test-1"),
            b"ingang/v1\0data_keys\0wrapped\0c1\0test-1".to_vec()
        );
    }

    const HERE: Place<'static> = Place {
        table: "records",
        field: "body",
        row: "r1",
    };

    #[test]
    fn seal_and_open_round_trip() {
        let ring = test_keyring();
        let (key, _) = ring.new_data_key("client-a").unwrap();
        let sealed = key.seal(HERE, b"hello").unwrap();
        assert_eq!(key.open(HERE, &sealed).unwrap(), b"hello");
        assert!(!sealed.windows(5).any(|w| w == b"hello"));
    }

    #[test]
    fn a_moved_ciphertext_fails_to_open() {
        let ring = test_keyring();
        let (key, wrapped) = ring.new_data_key("client-a").unwrap();
        let sealed = key.seal(HERE, b"hello").unwrap();
        for other in [
            Place { row: "r2", ..HERE },
            Place {
                field: "name",
                ..HERE
            },
            Place {
                table: "clients",
                ..HERE
            },
        ] {
            let err = key.open(other, &sealed).unwrap_err();
            assert!(matches!(err, CryptoError::WrongPlace(_)), "{err:?}");
        }
        // Another subject's key, even unwrapped from the same bytes, fails too.
        assert!(ring.unwrap("client-b", &wrapped).is_err());
        let (other_key, _) = ring.new_data_key("client-a").unwrap();
        assert!(other_key.open(HERE, &sealed).is_err());
    }

    #[test]
    fn rotation_rewraps_without_touching_data() {
        let mut ring = test_keyring();
        let (key, wrapped) = ring.new_data_key("client-a").unwrap();
        let sealed = key.seal(HERE, b"body").unwrap();
        ring.masters
            .insert("test-2".into(), SecretKey([8u8; KEY_LEN]));
        ring.current = "test-2".into();
        let rewrapped = ring.rewrap("client-a", &wrapped).unwrap();
        assert_eq!(rewrapped.kek_id, "test-2");
        let key = ring.unwrap("client-a", &rewrapped).unwrap();
        assert_eq!(key.open(HERE, &sealed).unwrap(), b"body");
    }

    #[test]
    fn blind_index_is_keyed_and_stable() {
        let ring = test_keyring();
        let today = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let a = PersonalNumber::parse("19121212-1212", today).unwrap();
        let b = PersonalNumber::parse("191212121212", today).unwrap();
        assert_eq!(ring.blind_index(&a), ring.blind_index(&b));
        let mut other = BTreeMap::new();
        other.insert("x".to_owned(), SecretKey([1u8; KEY_LEN]));
        let ring2 = Keyring::new("x", other, &SecretKey([2u8; KEY_LEN])).unwrap();
        assert_ne!(ring.blind_index(&a), ring2.blind_index(&a));
    }

    #[test]
    fn self_test_passes_with_working_keys() {
        test_keyring().self_test().unwrap();
    }

    #[test]
    fn debug_is_redacted() {
        let ring = test_keyring();
        let text = format!("{ring:?} {:?}", SecretKey([7u8; KEY_LEN]));
        assert!(!text.contains("0707"));
        assert!(!text.contains("7, 7"));
        let wrapped = WrappedKey {
            kek_id: "test-1".into(),
            wrapped: vec![7; 60],
        };
        let text = format!("{wrapped:?}");
        assert!(!text.contains("7, 7"), "{text}");
        assert!(text.contains("test-1"), "{text}");
    }
}
