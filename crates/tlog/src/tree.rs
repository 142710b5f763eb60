//! RFC 9162 Merkle trees: hashing, the growing right edge, and inclusion and
//! consistency proofs with their verification (RFC 9162 §2.1).
//!
//! A store keeps the hash of every *perfect* subtree once it is complete
//! (a [`NodeId`]); any hash a proof needs is such a node or a right fold of
//! a few of them ([`range_nodes`], [`range_hash`]), so a proof for any
//! earlier tree size costs O(log n) lookups and no rehashing of leaves.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ring::digest;
use std::collections::HashMap;
use std::fmt;

pub const HASH_SIZE: usize = 32;

/// A SHA-256 tree hash.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hash(pub [u8; HASH_SIZE]);

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl Hash {
    pub fn from_slice(bytes: &[u8]) -> Option<Hash> {
        <[u8; HASH_SIZE]>::try_from(bytes).ok().map(Hash)
    }

    /// Standard base64, as checkpoints and proofs carry it.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    pub fn from_base64(text: &str) -> Option<Hash> {
        let bytes = STANDARD.decode(text).ok()?;
        Hash::from_slice(&bytes)
    }

    pub fn to_hex(&self) -> String {
        crate::note::hex(&self.0)
    }
}

fn sha256(parts: &[&[u8]]) -> Hash {
    let mut context = digest::Context::new(&digest::SHA256);
    for part in parts {
        context.update(part);
    }
    let mut out = [0u8; HASH_SIZE];
    out.copy_from_slice(context.finish().as_ref());
    Hash(out)
}

/// The hash of a leaf: SHA-256(0x00 ‖ leaf bytes).
pub fn leaf_hash(leaf: &[u8]) -> Hash {
    sha256(&[&[0x00], leaf])
}

/// An interior node: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    sha256(&[&[0x01], &left.0, &right.0])
}

/// The root of the empty tree: SHA-256 of the empty string.
pub fn empty_root() -> Hash {
    sha256(&[])
}

/// A perfect subtree: the 2^`level` leaves from `index · 2^level`.
/// Level 0 is a leaf's own hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId {
    pub level: u8,
    pub index: u64,
}

impl NodeId {
    pub fn first_leaf(&self) -> u64 {
        self.index << self.level
    }

    pub fn end_leaf(&self) -> u64 {
        (self.index + 1) << self.level
    }
}

/// The leaves `start..end` of a tree whose hash a proof carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub start: u64,
    pub end: u64,
}

/// The largest power of two smaller than `n` (n ≥ 2): where RFC 9162 splits.
fn split(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// The perfect subtrees that make up `range`, left to right. For the
/// ranges of a proof (or `0..size`) they are also largest first, and the
/// range's hash is their right fold ([`range_hash`]).
pub fn range_nodes(range: Range) -> Vec<NodeId> {
    let mut nodes = Vec::new();
    let mut start = range.start;
    while start < range.end {
        let aligned = if start == 0 {
            63
        } else {
            start.trailing_zeros()
        };
        let fits = 63 - (range.end - start).leading_zeros();
        let level = aligned.min(fits);
        nodes.push(NodeId {
            level: level as u8,
            index: start >> level,
        });
        start += 1 << level;
    }
    nodes
}

/// The hash of `range` from the hashes of its perfect subtrees.
pub fn range_hash(
    range: Range,
    lookup: &impl Fn(NodeId) -> Option<Hash>,
) -> Result<Hash, ProofError> {
    if range.start >= range.end {
        return Ok(empty_root());
    }
    let mut nodes = range_nodes(range).into_iter().rev();
    let last = nodes.next().ok_or(ProofError::Malformed)?;
    let mut hash = lookup(last).ok_or(ProofError::MissingNode(last))?;
    for node in nodes {
        let left = lookup(node).ok_or(ProofError::MissingNode(node))?;
        hash = node_hash(&left, &hash);
    }
    Ok(hash)
}

/// Why a proof could not be made or did not verify.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProofError {
    /// The leaf index is not below the tree size.
    IndexBeyondTree { index: u64, size: u64 },
    /// The first size is larger than the second.
    SizesOutOfOrder { first: u64, second: u64 },
    /// A node the proof needs was not given.
    MissingNode(NodeId),
    /// The proof has the wrong number of hashes.
    WrongLength { expected: usize, got: usize },
    /// The proof does not lead to the expected root.
    Mismatch,
    /// The proof's shape is impossible.
    Malformed,
}

impl fmt::Display for ProofError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProofError::IndexBeyondTree { index, size } => {
                write!(f, "leaf {index} is not in a tree of {size} leaves")
            }
            ProofError::SizesOutOfOrder { first, second } => {
                write!(
                    f,
                    "the first tree size {first} is larger than the second {second}"
                )
            }
            ProofError::MissingNode(node) => {
                write!(
                    f,
                    "the tree node at level {} index {} is missing",
                    node.level, node.index
                )
            }
            ProofError::WrongLength { expected, got } => {
                write!(
                    f,
                    "the proof has {got} hashes where {expected} were expected"
                )
            }
            ProofError::Mismatch => {
                f.write_str("the proof does not lead to the checkpoint's root hash")
            }
            ProofError::Malformed => f.write_str("the proof is malformed"),
        }
    }
}

impl std::error::Error for ProofError {}

/// The ranges whose hashes make the inclusion proof of leaf `index` in a
/// tree of `size` leaves (RFC 9162 §2.1.3.1), nearest the leaf first.
pub fn inclusion_ranges(index: u64, size: u64) -> Result<Vec<Range>, ProofError> {
    if index >= size {
        return Err(ProofError::IndexBeyondTree { index, size });
    }
    let mut out = Vec::new();
    path(index, 0, size, &mut out);
    Ok(out)
}

fn path(m: u64, start: u64, end: u64, out: &mut Vec<Range>) {
    let n = end - start;
    if n <= 1 {
        return;
    }
    let k = split(n);
    if m < start + k {
        path(m, start, start + k, out);
        out.push(Range {
            start: start + k,
            end,
        });
    } else {
        path(m, start + k, end, out);
        out.push(Range {
            start,
            end: start + k,
        });
    }
}

/// The ranges whose hashes make the consistency proof from a tree of
/// `first` leaves to one of `second` (RFC 9162 §2.1.4.1). Empty when
/// `first` is 0 or equals `second`.
pub fn consistency_ranges(first: u64, second: u64) -> Result<Vec<Range>, ProofError> {
    if first > second {
        return Err(ProofError::SizesOutOfOrder { first, second });
    }
    let mut out = Vec::new();
    if first > 0 && first < second {
        subproof(first, 0, second, true, &mut out);
    }
    Ok(out)
}

fn subproof(m: u64, start: u64, end: u64, whole: bool, out: &mut Vec<Range>) {
    let n = end - start;
    if m == n {
        if !whole {
            out.push(Range { start, end });
        }
        return;
    }
    let k = split(n);
    if m <= k {
        subproof(m, start, start + k, whole, out);
        out.push(Range {
            start: start + k,
            end,
        });
    } else {
        subproof(m - k, start + k, end, false, out);
        out.push(Range {
            start,
            end: start + k,
        });
    }
}

/// Resolves proof ranges to hashes from a table of stored nodes.
pub fn resolve(ranges: &[Range], nodes: &HashMap<NodeId, Hash>) -> Result<Vec<Hash>, ProofError> {
    let lookup = |id: NodeId| nodes.get(&id).copied();
    ranges.iter().map(|r| range_hash(*r, &lookup)).collect()
}

/// Every stored node that `ranges` need.
pub fn nodes_needed(ranges: &[Range]) -> Vec<NodeId> {
    let mut ids: Vec<NodeId> = ranges.iter().flat_map(|r| range_nodes(*r)).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Verifies that `leaf` is leaf `index` of the tree of `size` leaves whose
/// root is `root` (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexBeyondTree { index, size });
    }
    let mut f = index;
    let mut s = size - 1;
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return Err(ProofError::WrongLength {
                expected: expected_len(index, size),
                got: proof.len(),
            });
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(ProofError::WrongLength {
            expected: expected_len(index, size),
            got: proof.len(),
        });
    }
    if r == *root {
        Ok(())
    } else {
        Err(ProofError::Mismatch)
    }
}

fn expected_len(index: u64, size: u64) -> usize {
    inclusion_ranges(index, size).map_or(0, |r| r.len())
}

/// Verifies that the tree of `second` leaves with root `second_root`
/// extends the tree of `first` leaves with root `first_root`
/// (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    first: u64,
    second: u64,
    first_root: &Hash,
    second_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if first > second {
        return Err(ProofError::SizesOutOfOrder { first, second });
    }
    if first == 0 || first == second {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength {
                expected: 0,
                got: proof.len(),
            });
        }
        return if first == 0 || first_root == second_root {
            Ok(())
        } else {
            Err(ProofError::Mismatch)
        };
    }
    let expected = consistency_ranges(first, second).map_or(0, |r| r.len());
    if proof.len() != expected {
        return Err(ProofError::WrongLength {
            expected,
            got: proof.len(),
        });
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if first.is_power_of_two() {
        path.push(*first_root);
    }
    path.extend_from_slice(proof);
    let mut f = first - 1;
    let mut s = second - 1;
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (head, rest) = path.split_first().ok_or(ProofError::Malformed)?;
    let mut fr = *head;
    let mut sr = *head;
    for c in rest {
        if s == 0 {
            return Err(ProofError::Malformed);
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    if fr == *first_root && sr == *second_root && s == 0 {
        Ok(())
    } else {
        Err(ProofError::Mismatch)
    }
}

/// The right edge of a tree of `size` leaves: the roots of its perfect
/// subtrees, largest first. Appending a leaf completes new nodes, which a
/// store keeps; the root is their right fold. A sequencer holds this in
/// memory and rebuilds it from [`frontier_ids`] after a takeover.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    nodes: Vec<(NodeId, Hash)>,
}

/// The perfect subtrees on the right edge of a tree of `size` leaves.
pub fn frontier_ids(size: u64) -> Vec<NodeId> {
    range_nodes(Range {
        start: 0,
        end: size,
    })
}

impl Default for Frontier {
    fn default() -> Self {
        Frontier::empty()
    }
}

impl Frontier {
    pub fn empty() -> Self {
        Frontier {
            size: 0,
            nodes: Vec::new(),
        }
    }

    /// The frontier of a tree of `size` leaves from the hashes of
    /// [`frontier_ids`]`(size)`, in that order.
    pub fn from_hashes(size: u64, hashes: &[Hash]) -> Option<Self> {
        let ids = frontier_ids(size);
        if ids.len() != hashes.len() {
            return None;
        }
        Some(Frontier {
            size,
            nodes: ids.into_iter().zip(hashes.iter().copied()).collect(),
        })
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf by its hash. Returns the nodes it completes, the leaf
    /// itself (level 0) first.
    pub fn append(&mut self, leaf: Hash) -> Vec<(NodeId, Hash)> {
        let mut made = vec![(
            NodeId {
                level: 0,
                index: self.size,
            },
            leaf,
        )];
        let mut current = made[0];
        while let Some(&(left_id, left)) = self.nodes.last() {
            if left_id.level != current.0.level {
                break;
            }
            self.nodes.pop();
            current = (
                NodeId {
                    level: left_id.level + 1,
                    index: left_id.index >> 1,
                },
                node_hash(&left, &current.1),
            );
            made.push(current);
        }
        self.nodes.push(current);
        self.size += 1;
        made
    }

    /// The root hash (RFC 9162 MTH).
    pub fn root(&self) -> Hash {
        let mut nodes = self.nodes.iter().rev();
        let Some(&(_, mut hash)) = nodes.next() else {
            return empty_root();
        };
        for (_, left) in nodes {
            hash = node_hash(left, &hash);
        }
        hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_the_largest_power_of_two_below() {
        assert_eq!(split(2), 1);
        assert_eq!(split(3), 2);
        assert_eq!(split(4), 2);
        assert_eq!(split(5), 4);
        assert_eq!(split(1 << 40), 1 << 39);
    }

    #[test]
    fn range_nodes_decompose_aligned_ranges() {
        let ids = range_nodes(Range { start: 0, end: 13 });
        let sizes: Vec<u64> = ids.iter().map(|n| 1 << n.level).collect();
        assert_eq!(sizes, vec![8, 4, 1]);
        assert_eq!(ids[1].first_leaf(), 8);
        assert_eq!(ids[2].first_leaf(), 12);
    }

    #[test]
    fn frontier_completes_nodes() {
        let mut f = Frontier::empty();
        let h = leaf_hash(b"a");
        assert_eq!(f.append(h).len(), 1);
        let made = f.append(h);
        assert_eq!(made.len(), 2);
        assert_eq!(made[1].0, NodeId { level: 1, index: 0 });
        assert_eq!(f.root(), node_hash(&h, &h));
    }
}
