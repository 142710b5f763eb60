//! The canonical leaf encoding of an audit entry, version 1
//! (docs/audit-log.md). A leaf is hashed into the Merkle tree as
//! SHA-256(0x00 ‖ leaf bytes); a proof carries the bytes, so a verifier
//! recomputes the hash and reads the entry from them.
//!
//! Integers are big-endian. `str` is a u16 length and UTF-8 bytes; `id` is
//! a UUID's 16 bytes; `opt` is a byte 0 (absent) or 1 then the value.
//!
//! ```text
//! u8  version = 1        u64 leaf index        u64 seq
//! i64 at (µs, UTC)       id  actor             str actor's agency
//! opt id on behalf of    str roles (a,b)       str action
//! opt id client          opt id record         str decision
//! opt str reason         opt id consent        str request id
//! opt str source address
//! ```
//!
//! The leaf index is part of the leaf, so an entry moved to another place in
//! the log no longer matches its stored hash.

use crate::time::{from_micros, to_micros};
use crate::NewAuditEvent;
use ingang_policy::{AgencyCode, ClientId, ConsentId, OfficerId, RecordId};
use uuid::Uuid;

pub const LEAF_VERSION: u8 = 1;

/// The leaf bytes of entry `seq` at `leaf_index`.
pub fn encode(leaf_index: u64, seq: i64, event: &NewAuditEvent) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.push(LEAF_VERSION);
    out.extend_from_slice(&leaf_index.to_be_bytes());
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(&to_micros(event.at).to_be_bytes());
    out.extend_from_slice(event.actor_id.0.as_bytes());
    put_str(&mut out, event.actor_agency.as_str());
    put_opt_id(&mut out, event.on_behalf_of.map(|v| v.0));
    put_str(&mut out, &crate::accounts::roles_to_text(&event.roles));
    put_str(&mut out, event.action.as_str());
    put_opt_id(&mut out, event.client_id.map(|v| v.0));
    put_opt_id(&mut out, event.record_id.map(|v| v.0));
    put_str(&mut out, event.decision.as_str());
    put_opt_str(
        &mut out,
        event.reason.map(ingang_policy::DenyReason::as_str),
    );
    put_opt_id(&mut out, event.consent_id.map(|v| v.0));
    put_str(&mut out, &event.request_id);
    put_opt_str(&mut out, event.source_addr.as_deref());
    out
}

fn put_str(out: &mut Vec<u8>, text: &str) {
    // Every stored text is far below 64 KiB (request ids, codes, addresses);
    // a longer one is cut at a character boundary rather than wrapped.
    let mut end = text.len().min(usize::from(u16::MAX));
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    out.extend_from_slice(&(end as u16).to_be_bytes());
    out.extend_from_slice(&text.as_bytes()[..end]);
}

fn put_opt_str(out: &mut Vec<u8>, text: Option<&str>) {
    match text {
        Some(text) => {
            out.push(1);
            put_str(out, text);
        }
        None => out.push(0),
    }
}

fn put_opt_id(out: &mut Vec<u8>, id: Option<Uuid>) {
    match id {
        Some(id) => {
            out.push(1);
            out.extend_from_slice(id.as_bytes());
        }
        None => out.push(0),
    }
}

/// A decoded leaf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leaf {
    pub leaf_index: u64,
    pub seq: i64,
    pub event: NewAuditEvent,
}

/// Why leaf bytes could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLeaf(pub &'static str);

impl std::fmt::Display for BadLeaf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "malformed leaf: {}", self.0)
    }
}

impl std::error::Error for BadLeaf {}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], BadLeaf> {
        if self.0.len() < n {
            return Err(BadLeaf("it ends too early"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, BadLeaf> {
        Ok(self.take(1)?[0])
    }

    fn eight(&mut self) -> Result<[u8; 8], BadLeaf> {
        self.take(8)?
            .try_into()
            .map_err(|_| BadLeaf("it ends too early"))
    }

    fn id(&mut self) -> Result<Uuid, BadLeaf> {
        Uuid::from_slice(self.take(16)?).map_err(|_| BadLeaf("an id is not 16 bytes"))
    }

    fn str(&mut self) -> Result<&'a str, BadLeaf> {
        let len = u16::from_be_bytes([self.u8()?, self.u8()?]);
        std::str::from_utf8(self.take(usize::from(len))?)
            .map_err(|_| BadLeaf("a text is not UTF-8"))
    }

    fn present(&mut self) -> Result<bool, BadLeaf> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(BadLeaf("a presence byte is neither 0 nor 1")),
        }
    }

    fn opt_id(&mut self) -> Result<Option<Uuid>, BadLeaf> {
        if self.present()? {
            self.id().map(Some)
        } else {
            Ok(None)
        }
    }

    fn opt_str(&mut self) -> Result<Option<&'a str>, BadLeaf> {
        if self.present()? {
            self.str().map(Some)
        } else {
            Ok(None)
        }
    }
}

/// Reads leaf bytes back into the entry. Strict: unknown versions, words
/// outside the vocabularies and trailing bytes are refused.
pub fn decode(bytes: &[u8]) -> Result<Leaf, BadLeaf> {
    let mut r = Reader(bytes);
    if r.u8()? != LEAF_VERSION {
        return Err(BadLeaf("unknown leaf version"));
    }
    let leaf_index = u64::from_be_bytes(r.eight()?);
    let seq = i64::from_be_bytes(r.eight()?);
    let at = i64::from_be_bytes(r.eight()?);
    let actor_id = OfficerId(r.id()?);
    let actor_agency =
        AgencyCode::parse(r.str()?).map_err(|_| BadLeaf("the agency code is invalid"))?;
    let on_behalf_of = r.opt_id()?.map(OfficerId);
    let roles = crate::accounts::roles_from_text(r.str()?).map_err(|_| BadLeaf("unknown role"))?;
    let action = r.str()?.parse().map_err(|_| BadLeaf("unknown action"))?;
    let client_id = r.opt_id()?.map(ClientId);
    let record_id = r.opt_id()?.map(RecordId);
    let decision = r.str()?.parse().map_err(|_| BadLeaf("unknown decision"))?;
    let reason = r
        .opt_str()?
        .map(str::parse)
        .transpose()
        .map_err(|_| BadLeaf("unknown reason"))?;
    let consent_id = r.opt_id()?.map(ConsentId);
    let request_id = r.str()?.to_owned();
    let source_addr = r.opt_str()?.map(str::to_owned);
    if !r.0.is_empty() {
        return Err(BadLeaf("bytes after the last field"));
    }
    if to_micros(from_micros(at)) != at {
        return Err(BadLeaf("the time is out of range"));
    }
    Ok(Leaf {
        leaf_index,
        seq,
        event: NewAuditEvent {
            at: from_micros(at),
            actor_id,
            actor_agency,
            on_behalf_of,
            roles,
            action,
            client_id,
            record_id,
            decision,
            reason,
            consent_id,
            request_id,
            source_addr,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ingang_policy::{AuditAction, DenyReason, Role, Verdict};
    use proptest::prelude::*;

    fn sample() -> NewAuditEvent {
        NewAuditEvent {
            at: from_micros(1_764_000_000_123_456),
            actor_id: OfficerId(Uuid::from_u128(1)),
            actor_agency: AgencyCode::parse("af").unwrap(),
            on_behalf_of: None,
            roles: vec![Role::Officer],
            action: AuditAction::ReadRecord,
            client_id: Some(ClientId(Uuid::from_u128(2))),
            record_id: None,
            decision: Verdict::Deny,
            reason: Some(DenyReason::NoActiveConsent),
            consent_id: None,
            request_id: "req-1".into(),
            source_addr: Some("10.0.0.1".into()),
        }
    }

    #[test]
    fn round_trips() {
        let bytes = encode(7, 9, &sample());
        let leaf = decode(&bytes).unwrap();
        assert_eq!(leaf.leaf_index, 7);
        assert_eq!(leaf.seq, 9);
        assert_eq!(leaf.event, sample());
    }

    #[test]
    fn the_place_is_part_of_the_leaf() {
        assert_ne!(encode(7, 9, &sample()), encode(8, 9, &sample()));
    }

    proptest! {
        #[test]
        fn decoding_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = decode(&bytes);
        }

        #[test]
        fn a_changed_byte_never_decodes_to_the_same_entry(at in 0usize..120, byte in any::<u8>()) {
            let mut bytes = encode(7, 9, &sample());
            let at = at % bytes.len();
            prop_assume!(bytes[at] != byte);
            bytes[at] = byte;
            if let Ok(leaf) = decode(&bytes) {
                prop_assert!(leaf.event != sample() || leaf.seq != 9 || leaf.leaf_index != 7);
            }
        }
    }
}
