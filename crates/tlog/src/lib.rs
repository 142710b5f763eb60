//! The math of a transparency log, with no IO: what Certificate
//! Transparency, Trillian Tessera, Sunlight and Sigsum speak, so their
//! verifiers and witnesses work with ingång unchanged.
//!
//! - [`tree`]: RFC 9162 hashing, the right edge of a growing tree, and
//!   inclusion and consistency proofs with their verification.
//! - [`checkpoint`]: C2SP tlog-checkpoint (origin, size, root hash).
//! - [`note`]: C2SP signed-note with Ed25519 keys, verifier keys in the
//!   `name+keyid+base64` form, and C2SP tlog-cosignature.
//! - [`witness`]: the C2SP tlog-witness request and the witness's rule.
//!
//! Every parser takes untrusted bytes and answers with an error, never a
//! panic (property-tested in `tests/`).

pub mod checkpoint;
pub mod note;
pub mod tree;
pub mod witness;

pub use checkpoint::Checkpoint;
pub use tree::{Hash, NodeId};
