//! Verification of the whole log: recompute the tree from the entries
//! themselves, check every checkpoint's signature and that the tree gives
//! its root, and name the first entry that fails. The same walk serves the
//! database (with the stored leaf hashes, which name an altered entry
//! exactly) and an export file (entries and checkpoints only).

use crate::merkle::StoredCheckpoint;
use crate::{leaf, AuditEvent};
use ingang_tlog::checkpoint::Checkpoint;
use ingang_tlog::note::{Note, VerifierKey};
use ingang_tlog::tree::{self, Frontier, Hash};
use std::fmt;

/// The first thing wrong with the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// A checkpoint's note is malformed or not signed by the log's key.
    CheckpointSignature { size: u64, why: String },
    /// A checkpoint names another log.
    CheckpointOrigin { size: u64, origin: String },
    /// No entry sits at this leaf index: one was deleted.
    MissingLeaf { leaf_index: u64 },
    /// The tree names an entry whose row is gone or unreadable.
    MissingEntry { leaf_index: u64, seq: i64 },
    /// The entry no longer matches the hash stored when it was sequenced:
    /// it was altered, moved or replaced.
    AlteredEntry { leaf_index: u64, seq: i64 },
    /// An entry was slipped in before the entries that follow it, which
    /// all sit one place later than where they were sequenced.
    InsertedEntry { leaf_index: u64, seq: i64 },
    /// The entries do not give the root a checkpoint signed: something
    /// after leaf `after` up to the checkpoint's size was changed.
    CheckpointMismatch { size: u64, after: u64 },
    /// A checkpoint covers more entries than the log holds.
    CheckpointBeyondLog { size: u64, entries: u64 },
    /// The sequencer's record of the tree disagrees with its entries.
    TreeStateMismatch { size: u64 },
    /// An entry is neither in the tree nor queued for it: written around
    /// the service.
    NotSequenced { seq: i64 },
    /// Too few witnesses cosigned the newest checkpoint.
    TooFewCosignatures {
        size: u64,
        have: usize,
        need: usize,
        refusals: Vec<String>,
    },
    /// There is no checkpoint at all while entries exist.
    NoCheckpoint,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::CheckpointSignature { size, why } => {
                write!(f, "the checkpoint of {size} entries does not verify: {why}")
            }
            Finding::CheckpointOrigin { size, origin } => {
                write!(f, "the checkpoint of {size} entries is of another log ({origin})")
            }
            Finding::MissingLeaf { leaf_index } => {
                write!(f, "leaf {leaf_index} is missing: an entry was deleted")
            }
            Finding::MissingEntry { leaf_index, seq } => {
                write!(f, "entry {seq} (leaf {leaf_index}) is missing or unreadable: it was deleted or damaged")
            }
            Finding::AlteredEntry { leaf_index, seq } => write!(
                f,
                "entry {seq} (leaf {leaf_index}) does not match its leaf hash: it was altered, moved or inserted"
            ),
            Finding::InsertedEntry { leaf_index, seq } => write!(
                f,
                "entry {seq} (leaf {leaf_index}) was inserted: the entries after it were sequenced one place earlier"
            ),
            Finding::CheckpointMismatch { size, after } => write!(
                f,
                "the entries do not give the signed root of the checkpoint of {size} entries: an entry after leaf {after} was changed"
            ),
            Finding::CheckpointBeyondLog { size, entries } => write!(
                f,
                "the checkpoint of {size} entries covers more than the {entries} entries the log holds: entries were deleted"
            ),
            Finding::TreeStateMismatch { size } => {
                write!(f, "the stored tree of {size} entries does not match its entries")
            }
            Finding::NotSequenced { seq } => write!(
                f,
                "entry {seq} is neither in the tree nor queued for it: it was written around the service"
            ),
            Finding::TooFewCosignatures {
                size,
                have,
                need,
                refusals,
            } => {
                write!(
                    f,
                    "no recent checkpoint carries the {need} witness cosignatures required (the newest, of {size} entries, has {have})"
                )?;
                for refusal in refusals {
                    write!(f, "; {refusal}")?;
                }
                Ok(())
            }
            Finding::NoCheckpoint => f.write_str("the log has entries but no signed checkpoint"),
        }
    }
}

impl Finding {
    /// The first leaf the finding names as bad, if it names one.
    pub fn first_bad_leaf(&self) -> Option<u64> {
        match self {
            Finding::MissingLeaf { leaf_index }
            | Finding::MissingEntry { leaf_index, .. }
            | Finding::AlteredEntry { leaf_index, .. }
            | Finding::InsertedEntry { leaf_index, .. } => Some(*leaf_index),
            Finding::CheckpointBeyondLog { entries, .. } => Some(*entries),
            Finding::CheckpointSignature { .. }
            | Finding::CheckpointOrigin { .. }
            | Finding::CheckpointMismatch { .. }
            | Finding::TreeStateMismatch { .. }
            | Finding::NotSequenced { .. }
            | Finding::TooFewCosignatures { .. }
            | Finding::NoCheckpoint => None,
        }
    }
}

/// What verification found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Entries checked (leaves walked).
    pub entries: u64,
    /// Checkpoints checked.
    pub checkpoints: usize,
    /// The newest checkpoint's size and root.
    pub latest: Option<(u64, Hash)>,
    /// The newest checkpoint cosigned by enough witnesses (with `need` 0:
    /// by at least one), and how many cosigned it.
    pub witnessed: Option<u64>,
    pub cosignatures: usize,
    /// None when the log is intact.
    pub finding: Option<Finding>,
}

/// One leaf as the walk sees it.
pub struct LeafInput {
    pub leaf_index: u64,
    pub seq: i64,
    /// The entry, or None when its row is gone or unreadable.
    pub entry: Option<AuditEvent>,
    /// The hash the sequencer stored (None from an export file).
    pub stored_hash: Option<Hash>,
}

/// The walk. Feed checkpoints first, then leaves in order, then finish.
pub struct Walk<'k> {
    origin: String,
    keys: &'k [VerifierKey],
    checkpoints: Vec<Checkpoint>,
    /// The stored checkpoints, smallest first (for their cosignatures).
    stored: Vec<StoredCheckpoint>,
    next_checkpoint: usize,
    last_good: u64,
    tree: Frontier,
    /// The previous leaf's index and seq (to tell an insertion).
    previous: Option<(u64, i64)>,
    /// A checkpoint the entries failed, held for one more leaf: an entry
    /// inserted just before a checkpoint shows as such only at the next.
    failed_checkpoint: Option<Finding>,
    finding: Option<Finding>,
}

impl<'k> Walk<'k> {
    /// Checks every checkpoint's signature; keeps them in size order.
    pub fn new(origin: &str, keys: &'k [VerifierKey], checkpoints: &[StoredCheckpoint]) -> Self {
        let mut walk = Walk {
            origin: origin.to_owned(),
            keys,
            checkpoints: Vec::with_capacity(checkpoints.len()),
            stored: {
                let mut stored = checkpoints.to_vec();
                stored.sort_by_key(|c| c.size);
                stored
            },
            next_checkpoint: 0,
            last_good: 0,
            tree: Frontier::empty(),
            previous: None,
            failed_checkpoint: None,
            finding: None,
        };
        let mut sorted: Vec<&StoredCheckpoint> = checkpoints.iter().collect();
        sorted.sort_by_key(|c| c.size);
        for stored in sorted {
            match crate::merkle::open_checkpoint(&stored.note, keys) {
                Ok(checkpoint) => {
                    if checkpoint.origin != walk.origin {
                        walk.finding.get_or_insert(Finding::CheckpointOrigin {
                            size: stored.size,
                            origin: checkpoint.origin,
                        });
                    } else if checkpoint.size != stored.size || checkpoint.root != stored.root {
                        walk.finding.get_or_insert(Finding::CheckpointSignature {
                            size: stored.size,
                            why: "the stored size or root is not the one signed".into(),
                        });
                    } else {
                        walk.checkpoints.push(checkpoint);
                    }
                }
                Err(error) => {
                    walk.finding.get_or_insert(Finding::CheckpointSignature {
                        size: stored.size,
                        why: error.to_string(),
                    });
                }
            }
        }
        // The empty tree needs no entries to check.
        walk.check_checkpoints();
        walk.settle();
        walk
    }

    /// Whether a finding has stopped the walk.
    pub fn done(&self) -> bool {
        self.finding.is_some()
    }

    /// Ends a checkpoint's failure held for the next leaf when no leaf
    /// follows (the end of what was walked).
    pub fn settle(&mut self) {
        if let Some(failed) = self.failed_checkpoint.take() {
            self.finding.get_or_insert(failed);
        }
    }

    /// Feeds the next leaf.
    pub fn push(&mut self, leaf: LeafInput) {
        if self.finding.is_some() {
            return;
        }
        if let Some(failed) = self.failed_checkpoint.take() {
            self.push_leaf(leaf);
            // Only an insertion the leaf shows names an entry more exactly.
            if !matches!(self.finding, Some(Finding::InsertedEntry { .. })) {
                self.finding = Some(failed);
            }
            return;
        }
        self.push_leaf(leaf);
    }

    fn push_leaf(&mut self, leaf: LeafInput) {
        let expected = self.tree.size();
        if leaf.leaf_index != expected {
            self.finding = Some(Finding::MissingLeaf {
                leaf_index: expected,
            });
            return;
        }
        let Some(entry) = &leaf.entry else {
            self.finding = Some(Finding::MissingEntry {
                leaf_index: leaf.leaf_index,
                seq: leaf.seq,
            });
            return;
        };
        let bytes = leaf::encode(leaf.leaf_index, entry.seq, &entry.event);
        let hash = tree::leaf_hash(&bytes);
        if entry.seq != leaf.seq || leaf.stored_hash.is_some_and(|stored| stored != hash) {
            self.finding = Some(self.misplaced(&leaf, entry));
            return;
        }
        self.previous = Some((leaf.leaf_index, leaf.seq));
        self.tree.append(hash);
        self.check_checkpoints();
    }

    /// An entry that does not match its stored hash: moved by an insertion
    /// before it (it matches one place earlier), by a deletion before it
    /// (one place later), or altered.
    fn misplaced(&self, leaf: &LeafInput, entry: &AuditEvent) -> Finding {
        let matches_at = |index: u64| {
            leaf.stored_hash.is_some_and(|stored| {
                tree::leaf_hash(&leaf::encode(index, entry.seq, &entry.event)) == stored
            })
        };
        if entry.seq == leaf.seq {
            if let Some((previous, seq)) = self.previous {
                if previous + 1 == leaf.leaf_index && matches_at(previous) {
                    return Finding::InsertedEntry {
                        leaf_index: previous,
                        seq,
                    };
                }
            }
            if matches_at(leaf.leaf_index + 1) {
                return Finding::MissingLeaf {
                    leaf_index: leaf.leaf_index,
                };
            }
        }
        Finding::AlteredEntry {
            leaf_index: leaf.leaf_index,
            seq: leaf.seq,
        }
    }

    fn check_checkpoints(&mut self) {
        while let Some(checkpoint) = self.checkpoints.get(self.next_checkpoint) {
            if checkpoint.size != self.tree.size() {
                break;
            }
            if checkpoint.root != self.tree.root() {
                self.failed_checkpoint = Some(Finding::CheckpointMismatch {
                    size: checkpoint.size,
                    after: self.last_good,
                });
                return;
            }
            self.last_good = checkpoint.size;
            self.next_checkpoint += 1;
        }
    }

    /// The entries walked so far and the root they give.
    pub fn tree(&self) -> (u64, Hash) {
        (self.tree.size(), self.tree.root())
    }

    /// Ends the walk: checkpoints beyond the entries, and the witnesses.
    /// With `need` > 0, the newest checkpoint cosigned by at least `need`
    /// of `witnesses` must exist; no witness may have refused a checkpoint
    /// after it (`refused_after` names such refusals); and it may lag the
    /// newest checkpoint by at most [`WITNESS_LAG`] (witnesses cosign
    /// within seconds; a longer gap means they stopped).
    pub fn finish(
        mut self,
        witnesses: &[VerifierKey],
        need: usize,
        refused_after: impl Fn(u64) -> Vec<String>,
    ) -> Report {
        self.settle();
        let entries = self.tree.size();
        if self.finding.is_none() {
            if let Some(beyond) = self.checkpoints.get(self.next_checkpoint) {
                self.finding = Some(Finding::CheckpointBeyondLog {
                    size: beyond.size,
                    entries,
                });
            }
        }
        if self.finding.is_none() && entries > 0 && self.checkpoints.is_empty() {
            self.finding = Some(Finding::NoCheckpoint);
        }
        let latest = self.checkpoints.last().map(|c| (c.size, c.root));
        let newest = self.stored.last();
        let witnessed = self
            .stored
            .iter()
            .rev()
            .map(|c| (c, count_cosignatures(c, witnesses)))
            .find(|(_, n)| *n >= need.max(1));
        let cosignatures = witnessed.map_or(0, |(_, n)| n);
        if self.finding.is_none() && need > 0 {
            let latest_size = latest.map_or(0, |(size, _)| size);
            let too_few = |refusals| Finding::TooFewCosignatures {
                size: latest_size,
                have: newest.map_or(0, |c| count_cosignatures(c, witnesses)),
                need,
                refusals,
            };
            match (witnessed, newest) {
                (None, _) => self.finding = Some(too_few(refused_after(0))),
                (Some((cosigned, _)), Some(newest)) => {
                    let refusals = refused_after(cosigned.size);
                    let known = cosigned.signed_at > chrono::DateTime::<chrono::Utc>::MIN_UTC;
                    let lag = newest.signed_at - cosigned.signed_at;
                    if !refusals.is_empty() || (known && lag > WITNESS_LAG) {
                        self.finding = Some(too_few(refusals));
                    }
                }
                (Some(_), None) => {}
            }
        }
        Report {
            entries,
            checkpoints: self.checkpoints.len(),
            latest,
            witnessed: witnessed.map(|(c, _)| c.size),
            cosignatures,
            finding: self.finding,
        }
    }

    pub fn keys(&self) -> &[VerifierKey] {
        self.keys
    }
}

/// How far the newest witnessed checkpoint may trail the newest one.
pub const WITNESS_LAG: chrono::Duration = chrono::Duration::seconds(60);

/// Valid cosignatures on a stored checkpoint by distinct known witnesses.
pub fn count_cosignatures(stored: &StoredCheckpoint, witnesses: &[VerifierKey]) -> usize {
    if witnesses.is_empty() {
        return 0;
    }
    match Note::parse(stored.cosigned_note().as_bytes()) {
        Ok(note) => note.verify(witnesses).map_or(0, |signed| signed.len()),
        Err(_) => 0,
    }
}
