//! C2SP signed-note with Ed25519 keys, and C2SP tlog-cosignature.
//!
//! A note is UTF-8 text ending in a newline, a blank line, then one line
//! per signature: `— <key name> <base64(key id ‖ signature)>`. A key's id is
//! the first four bytes of SHA-256(name ‖ "\n" ‖ type ‖ public key), with
//! type 0x01 for a log's Ed25519 key and 0x04 for a witness's cosignature
//! key. Verifier keys are written `name+<id in hex>+base64(type ‖ key)`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ring::digest;
use ring::signature::{self, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use std::fmt;

/// Key type bytes of C2SP signed-note.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyType {
    /// A plain Ed25519 note signature (a log's checkpoint key).
    Ed25519,
    /// A tlog-cosignature/v1 (a witness's key): timestamp ‖ Ed25519.
    Cosignature,
}

impl KeyType {
    pub fn byte(self) -> u8 {
        match self {
            KeyType::Ed25519 => 0x01,
            KeyType::Cosignature => 0x04,
        }
    }

    fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            0x01 => Some(KeyType::Ed25519),
            0x04 => Some(KeyType::Cosignature),
            _ => None,
        }
    }
}

/// Why a key, note or signature was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoteError {
    MalformedKey(&'static str),
    MalformedNote(&'static str),
    /// No known key signed the note.
    Unverified,
    /// A known key's signature on the note is wrong.
    BadSignature {
        name: String,
        key_id: u32,
    },
}

impl fmt::Display for NoteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoteError::MalformedKey(why) => write!(f, "malformed key: {why}"),
            NoteError::MalformedNote(why) => write!(f, "malformed signed note: {why}"),
            NoteError::Unverified => f.write_str("no known key signed the note"),
            NoteError::BadSignature { name, key_id } => {
                write!(
                    f,
                    "the signature of {name} (key {key_id:08x}) does not verify"
                )
            }
        }
    }
}

impl std::error::Error for NoteError {}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A key name: non-empty, no whitespace, no `+`.
pub fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

/// The key id of C2SP signed-note.
pub fn key_id(name: &str, kind: KeyType, public: &[u8; 32]) -> u32 {
    let mut context = digest::Context::new(&digest::SHA256);
    context.update(name.as_bytes());
    context.update(&[b'\n', kind.byte()]);
    context.update(public);
    let d = context.finish();
    let b = d.as_ref();
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// A private Ed25519 key with its name. `Debug` shows only the public side.
pub struct SigningKey {
    name: String,
    kind: KeyType,
    seed: [u8; 32],
    pair: Ed25519KeyPair,
    public: [u8; 32],
    key_id: u32,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("verifier", &self.verifier().to_string())
            .field("seed", &"[redacted]")
            .finish()
    }
}

impl SigningKey {
    pub fn from_seed(name: &str, kind: KeyType, seed: [u8; 32]) -> Result<Self, NoteError> {
        if !is_valid_key_name(name) {
            return Err(NoteError::MalformedKey(
                "the name is empty or has a space or '+'",
            ));
        }
        let pair = Ed25519KeyPair::from_seed_unchecked(&seed)
            .map_err(|_| NoteError::MalformedKey("not an Ed25519 seed"))?;
        let mut public = [0u8; 32];
        public.copy_from_slice(pair.public_key().as_ref());
        Ok(SigningKey {
            key_id: key_id(name, kind, &public),
            name: name.to_owned(),
            kind,
            seed,
            pair,
            public,
        })
    }

    /// Parses `PRIVATE+KEY+<name>+<id hex>+<base64(type ‖ seed)>`, the form
    /// Go's `golang.org/x/mod/sumdb/note` writes.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let text = text.trim();
        let rest = text
            .strip_prefix("PRIVATE+KEY+")
            .ok_or(NoteError::MalformedKey(
                "a private key starts with PRIVATE+KEY+",
            ))?;
        let (name, id_hex, data) = split_key(rest)?;
        let bytes = STANDARD
            .decode(data)
            .map_err(|_| NoteError::MalformedKey("the key is not base64"))?;
        let (&kind, seed) = bytes
            .split_first()
            .ok_or(NoteError::MalformedKey("the key is empty"))?;
        let kind = KeyType::from_byte(kind).ok_or(NoteError::MalformedKey("unknown key type"))?;
        let seed: [u8; 32] = seed
            .try_into()
            .map_err(|_| NoteError::MalformedKey("an Ed25519 seed has 32 bytes"))?;
        let key = SigningKey::from_seed(name, kind, seed)?;
        if format!("{:08x}", key.key_id) != id_hex {
            return Err(NoteError::MalformedKey("the key id does not match the key"));
        }
        Ok(key)
    }

    /// The private key in the form [`SigningKey::parse`] reads.
    pub fn to_private_string(&self) -> String {
        let mut data = vec![self.kind.byte()];
        data.extend_from_slice(&self.seed);
        format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.key_id,
            STANDARD.encode(data)
        )
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    pub fn verifier(&self) -> VerifierKey {
        VerifierKey {
            name: self.name.clone(),
            kind: self.kind,
            public: self.public,
            key_id: self.key_id,
        }
    }

    /// Signs a note's text (a log's checkpoint signature).
    pub fn sign(&self, text: &str) -> NoteSignature {
        NoteSignature {
            name: self.name.clone(),
            key_id: self.key_id,
            signature: self.pair.sign(text.as_bytes()).as_ref().to_vec(),
        }
    }

    /// A tlog-cosignature/v1 of a checkpoint's text at `timestamp` (seconds
    /// since the Unix epoch).
    pub fn cosign(&self, checkpoint_text: &str, timestamp: u64) -> NoteSignature {
        let message = cosigned_message(checkpoint_text, timestamp);
        let mut signature = timestamp.to_be_bytes().to_vec();
        signature.extend_from_slice(self.pair.sign(message.as_bytes()).as_ref());
        NoteSignature {
            name: self.name.clone(),
            key_id: self.key_id,
            signature,
        }
    }
}

fn cosigned_message(checkpoint_text: &str, timestamp: u64) -> String {
    format!("cosignature/v1\ntime {timestamp}\n{checkpoint_text}")
}

fn split_key(text: &str) -> Result<(&str, &str, &str), NoteError> {
    let mut parts = text.splitn(3, '+');
    let name = parts.next().unwrap_or_default();
    let id = parts
        .next()
        .ok_or(NoteError::MalformedKey("expected name+id+key"))?;
    let data = parts
        .next()
        .ok_or(NoteError::MalformedKey("expected name+id+key"))?;
    if !is_valid_key_name(name) {
        return Err(NoteError::MalformedKey(
            "the name is empty or has a space or '+'",
        ));
    }
    if id.len() != 8
        || !id
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        return Err(NoteError::MalformedKey(
            "the key id is 8 lowercase hex digits",
        ));
    }
    Ok((name, id, data))
}

/// A public key that verifies signatures in notes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    kind: KeyType,
    public: [u8; 32],
    key_id: u32,
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut data = vec![self.kind.byte()];
        data.extend_from_slice(&self.public);
        write!(
            f,
            "{}+{:08x}+{}",
            self.name,
            self.key_id,
            STANDARD.encode(data)
        )
    }
}

impl VerifierKey {
    /// Parses `name+<id hex>+base64(type ‖ key)`.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let (name, id_hex, data) = split_key(text.trim())?;
        let bytes = STANDARD
            .decode(data)
            .map_err(|_| NoteError::MalformedKey("the key is not base64"))?;
        let (&kind, public) = bytes
            .split_first()
            .ok_or(NoteError::MalformedKey("the key is empty"))?;
        let kind = KeyType::from_byte(kind).ok_or(NoteError::MalformedKey("unknown key type"))?;
        let public: [u8; 32] = public
            .try_into()
            .map_err(|_| NoteError::MalformedKey("an Ed25519 public key has 32 bytes"))?;
        let id = key_id(name, kind, &public);
        if format!("{id:08x}") != id_hex {
            return Err(NoteError::MalformedKey("the key id does not match the key"));
        }
        Ok(VerifierKey {
            name: name.to_owned(),
            kind,
            public,
            key_id: id,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    pub fn kind(&self) -> KeyType {
        self.kind
    }

    pub fn public_key(&self) -> &[u8; 32] {
        &self.public
    }

    fn ed25519_ok(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&signature::ED25519, &self.public)
            .verify(message, signature)
            .is_ok()
    }

    /// Whether `sig` (already matched to this key by name and id) verifies
    /// over the note's `text`. For a cosignature, also returns its time.
    pub fn verifies(&self, text: &str, sig: &NoteSignature) -> Option<Option<u64>> {
        if sig.name != self.name || sig.key_id != self.key_id {
            return None;
        }
        match self.kind {
            KeyType::Ed25519 => self
                .ed25519_ok(text.as_bytes(), &sig.signature)
                .then_some(None),
            KeyType::Cosignature => {
                if sig.signature.len() != 72 {
                    return None;
                }
                let (time, ed) = sig.signature.split_at(8);
                let timestamp = u64::from_be_bytes(time.try_into().ok()?);
                self.ed25519_ok(cosigned_message(text, timestamp).as_bytes(), ed)
                    .then_some(Some(timestamp))
            }
        }
    }
}

/// One signature line of a note.
#[derive(Clone, PartialEq, Eq)]
pub struct NoteSignature {
    pub name: String,
    pub key_id: u32,
    /// The signature bytes after the key id.
    pub signature: Vec<u8>,
}

impl fmt::Debug for NoteSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.line())
    }
}

impl NoteSignature {
    /// The line as a note carries it, without its newline.
    pub fn line(&self) -> String {
        let mut data = self.key_id.to_be_bytes().to_vec();
        data.extend_from_slice(&self.signature);
        format!("— {} {}", self.name, STANDARD.encode(data))
    }

    /// Parses one signature line (without its newline).
    pub fn parse_line(line: &str) -> Result<Self, NoteError> {
        let rest = line.strip_prefix("— ").ok_or(NoteError::MalformedNote(
            "a signature line starts with an em dash and a space",
        ))?;
        let (name, data) = rest.split_once(' ').ok_or(NoteError::MalformedNote(
            "a signature line is '— name signature'",
        ))?;
        if !is_valid_key_name(name) {
            return Err(NoteError::MalformedNote(
                "a signature's key name is invalid",
            ));
        }
        let bytes = STANDARD
            .decode(data)
            .map_err(|_| NoteError::MalformedNote("a signature is not base64"))?;
        if bytes.len() < 5 {
            return Err(NoteError::MalformedNote("a signature is too short"));
        }
        let (id, signature) = bytes.split_at(4);
        Ok(NoteSignature {
            name: name.to_owned(),
            key_id: u32::from_be_bytes([id[0], id[1], id[2], id[3]]),
            signature: signature.to_vec(),
        })
    }
}

/// A signed note: its text and its signatures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    text: String,
    pub signatures: Vec<NoteSignature>,
}

/// A note carries at most this many signatures (C2SP asks verifiers to
/// accept at least 16).
pub const MAX_SIGNATURES: usize = 100;

impl Note {
    /// A note with no signatures yet. The text must end in a newline and
    /// hold no control characters but newlines.
    pub fn new(text: &str) -> Result<Self, NoteError> {
        check_text(text)?;
        Ok(Note {
            text: text.to_owned(),
            signatures: Vec::new(),
        })
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// Parses a signed note: text and signatures split at the last blank line.
    pub fn parse(bytes: &[u8]) -> Result<Self, NoteError> {
        let all = std::str::from_utf8(bytes).map_err(|_| NoteError::MalformedNote("not UTF-8"))?;
        let split = all.rfind("\n\n").ok_or(NoteError::MalformedNote(
            "no blank line before the signatures",
        ))?;
        let text = &all[..split + 1];
        check_text(text)?;
        let lines = &all[split + 2..];
        if !lines.ends_with('\n') {
            return Err(NoteError::MalformedNote("the signatures end in a newline"));
        }
        let mut signatures = Vec::new();
        for line in lines[..lines.len() - 1].split('\n') {
            if signatures.len() == MAX_SIGNATURES {
                return Err(NoteError::MalformedNote("too many signatures"));
            }
            signatures.push(NoteSignature::parse_line(line)?);
        }
        if signatures.is_empty() {
            return Err(NoteError::MalformedNote("no signatures"));
        }
        Ok(Note {
            text: text.to_owned(),
            signatures,
        })
    }

    /// The note as text: its text, a blank line, a line per signature.
    pub fn to_text(&self) -> String {
        let mut out = self.text.clone();
        out.push('\n');
        for sig in &self.signatures {
            out.push_str(&sig.line());
            out.push('\n');
        }
        out
    }

    /// Adds a signature, replacing one by the same key.
    pub fn add(&mut self, sig: NoteSignature) {
        self.signatures
            .retain(|s| !(s.name == sig.name && s.key_id == sig.key_id));
        self.signatures.push(sig);
    }

    /// Checks the signatures by `keys`. Signatures by unknown keys are
    /// ignored; a wrong signature by a known key fails the note; a note no
    /// known key signed fails. Returns the keys that signed (with each
    /// cosignature's time).
    pub fn verify<'k>(
        &self,
        keys: &'k [VerifierKey],
    ) -> Result<Vec<(&'k VerifierKey, Option<u64>)>, NoteError> {
        let mut signed: Vec<(&VerifierKey, Option<u64>)> = Vec::new();
        for sig in &self.signatures {
            let Some(key) = keys
                .iter()
                .find(|k| k.name == sig.name && k.key_id == sig.key_id)
            else {
                continue;
            };
            match key.verifies(&self.text, sig) {
                Some(time) => {
                    if !signed.iter().any(|(k, _)| *k == key) {
                        signed.push((key, time));
                    }
                }
                None => {
                    return Err(NoteError::BadSignature {
                        name: sig.name.clone(),
                        key_id: sig.key_id,
                    })
                }
            }
        }
        if signed.is_empty() {
            Err(NoteError::Unverified)
        } else {
            Ok(signed)
        }
    }
}

fn check_text(text: &str) -> Result<(), NoteError> {
    if !text.ends_with('\n') {
        return Err(NoteError::MalformedNote("the text ends in a newline"));
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(NoteError::MalformedNote("the text has a control character"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        let key = SigningKey::from_seed("example.org/log", KeyType::Ed25519, [7; 32]).unwrap();
        let again = SigningKey::parse(&key.to_private_string()).unwrap();
        assert_eq!(again.verifier(), key.verifier());
        let vkey = VerifierKey::parse(&key.verifier().to_string()).unwrap();
        assert_eq!(vkey, key.verifier());
        assert!(!format!("{key:?}").contains(&STANDARD.encode([7u8; 32])));
    }

    #[test]
    fn notes_sign_and_verify() {
        let key = SigningKey::from_seed("example.org/log", KeyType::Ed25519, [7; 32]).unwrap();
        let mut note = Note::new("hello\n").unwrap();
        note.add(key.sign(note.text()));
        let parsed = Note::parse(note.to_text().as_bytes()).unwrap();
        assert_eq!(parsed.verify(&[key.verifier()]).unwrap().len(), 1);
        let other = SigningKey::from_seed("example.org/log", KeyType::Ed25519, [8; 32]).unwrap();
        assert_eq!(
            parsed.verify(&[other.verifier()]),
            Err(NoteError::Unverified)
        );
    }
}
