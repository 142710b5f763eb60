//! C2SP tlog-witness: the `add-checkpoint` request and the rule a witness
//! applies before it cosigns.
//!
//! The body is `old <size>\n`, up to 63 consistency-proof hashes in base64
//! one per line, a blank line, then the log's signed checkpoint note.

use crate::checkpoint::Checkpoint;
use crate::note::{Note, NoteError, VerifierKey};
use crate::tree::{verify_consistency, Hash};
use std::fmt;

/// A witness request holds at most this many proof lines.
pub const MAX_PROOF_LINES: usize = 63;

/// A parsed `add-checkpoint` request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddCheckpoint {
    pub old_size: u64,
    pub proof: Vec<Hash>,
    pub note: Note,
    pub checkpoint: Checkpoint,
}

/// Writes the request body.
pub fn format_add_checkpoint(old_size: u64, proof: &[Hash], signed_note: &str) -> String {
    let mut out = format!("old {old_size}\n");
    for hash in proof {
        out.push_str(&hash.to_base64());
        out.push('\n');
    }
    out.push('\n');
    out.push_str(signed_note);
    out
}

/// Parses the request body (400 when it fails).
pub fn parse_add_checkpoint(body: &[u8]) -> Result<AddCheckpoint, NoteError> {
    let text = std::str::from_utf8(body).map_err(|_| NoteError::MalformedNote("not UTF-8"))?;
    let (head, signed) = text
        .split_once("\n\n")
        .ok_or(NoteError::MalformedNote("no blank line after the proof"))?;
    let mut lines = head.split('\n');
    let old = lines
        .next()
        .and_then(|l| l.strip_prefix("old "))
        .ok_or(NoteError::MalformedNote("the first line is 'old <size>'"))?;
    let canonical =
        old == "0" || (!old.starts_with('0') && old.bytes().all(|b| b.is_ascii_digit()));
    let old_size = match old.parse::<u64>() {
        Ok(n) if canonical => n,
        Ok(_) | Err(_) => return Err(NoteError::MalformedNote("the old size is a decimal number")),
    };
    let mut proof = Vec::new();
    for line in lines {
        if proof.len() == MAX_PROOF_LINES {
            return Err(NoteError::MalformedNote("more than 63 proof lines"));
        }
        proof.push(Hash::from_base64(line).ok_or(NoteError::MalformedNote(
            "a proof line is not a base64 hash",
        ))?);
    }
    let note = Note::parse(signed.as_bytes())?;
    let checkpoint = Checkpoint::parse(note.text())?;
    Ok(AddCheckpoint {
        old_size,
        proof,
        note,
        checkpoint,
    })
}

/// What the witness last cosigned for a log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Witnessed {
    pub size: u64,
    pub root: Hash,
}

/// Why a witness refuses, with the HTTP status C2SP gives each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// 404: the witness does not know the origin.
    UnknownOrigin,
    /// 403: no signature by the log's key verifies.
    NoTrustedSignature,
    /// 400: the old size is larger than the checkpoint's.
    OldBeyondNew,
    /// 409: the old size is not the one the witness stored.
    SizeMismatch { stored: u64 },
    /// 409: the same size was cosigned with another root.
    RootConflict,
    /// 422: the consistency proof does not verify.
    BadProof,
}

impl Refusal {
    pub fn status(&self) -> u16 {
        match self {
            Refusal::UnknownOrigin => 404,
            Refusal::NoTrustedSignature => 403,
            Refusal::OldBeyondNew => 400,
            Refusal::SizeMismatch { .. } | Refusal::RootConflict => 409,
            Refusal::BadProof => 422,
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::UnknownOrigin => f.write_str("unknown log origin"),
            Refusal::NoTrustedSignature => f.write_str("no signature by the log's key verifies"),
            Refusal::OldBeyondNew => {
                f.write_str("the old size is larger than the checkpoint's size")
            }
            Refusal::SizeMismatch { stored } => write!(f, "the witness holds size {stored}"),
            Refusal::RootConflict => {
                f.write_str("the same tree size was cosigned with another root")
            }
            Refusal::BadProof => f.write_str("the consistency proof does not verify"),
        }
    }
}

/// The witness's rule: cosign only a checkpoint signed by the log that
/// extends what it cosigned before. `log_keys` are the keys trusted for the
/// checkpoint's origin (None: the origin is unknown).
pub fn judge(
    request: &AddCheckpoint,
    log_keys: Option<&[VerifierKey]>,
    stored: Option<Witnessed>,
) -> Result<(), Refusal> {
    let keys = log_keys.ok_or(Refusal::UnknownOrigin)?;
    request
        .note
        .verify(keys)
        .map_err(|_| Refusal::NoTrustedSignature)?;
    let new = &request.checkpoint;
    if request.old_size > new.size {
        return Err(Refusal::OldBeyondNew);
    }
    let stored = stored.unwrap_or(Witnessed {
        size: 0,
        root: crate::tree::empty_root(),
    });
    if request.old_size != stored.size {
        return Err(Refusal::SizeMismatch {
            stored: stored.size,
        });
    }
    if stored.size == new.size && stored.size > 0 && stored.root != new.root {
        return Err(Refusal::RootConflict);
    }
    verify_consistency(
        stored.size,
        new.size,
        &stored.root,
        &new.root,
        &request.proof,
    )
    .map_err(|_| Refusal::BadProof)
}
