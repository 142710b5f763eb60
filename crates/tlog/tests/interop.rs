//! Our trees, proofs, checkpoints and notes checked by code we did not
//! write: the `tlog_tiles` and `signed_note` crates (ports of Go's
//! `golang.org/x/mod/sumdb` packages), and RFC 9162 / RFC 6962 test vectors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ingang_tlog::checkpoint::Checkpoint;
use ingang_tlog::note::{KeyType, Note, SigningKey, VerifierKey};
use ingang_tlog::tree::{
    consistency_ranges, inclusion_ranges, leaf_hash, node_hash, range_hash, verify_consistency,
    verify_inclusion, Frontier, Hash, NodeId,
};
use proptest::prelude::*;
use std::cell::RefCell;
use std::collections::HashMap;

/// The leaves of the Certificate Transparency test tree (RFC 6962 test
/// data, as in certificate-transparency-go's merkle tests).
const LEAVES: [&[u8]; 8] = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
];

/// Their roots after 1..=8 leaves.
const ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

#[test]
fn roots_match_the_rfc_test_vectors() {
    assert_eq!(
        Frontier::empty().root().to_hex(),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    let mut tree = Frontier::empty();
    for (leaf, root) in LEAVES.iter().zip(ROOTS) {
        tree.append(leaf_hash(leaf));
        assert_eq!(tree.root().to_hex(), root);
    }
}

#[test]
fn leaf_and_node_hashes_follow_rfc_9162() {
    // The first leaf of the test tree is the empty string.
    assert_eq!(leaf_hash(b"").to_hex(), ROOTS[0]);
    let two = node_hash(&leaf_hash(LEAVES[0]), &leaf_hash(LEAVES[1]));
    assert_eq!(two.to_hex(), ROOTS[1]);
}

/// A tree of `n` leaves with every perfect subtree kept, as the store keeps it.
struct Stored {
    frontier: Frontier,
    nodes: HashMap<NodeId, Hash>,
    leaves: Vec<Vec<u8>>,
    roots: Vec<Hash>,
}

fn build(n: u64) -> Stored {
    let mut stored = Stored {
        frontier: Frontier::empty(),
        nodes: HashMap::new(),
        leaves: Vec::new(),
        roots: vec![Frontier::empty().root()],
    };
    for i in 0..n {
        let leaf = format!("entry {i}").into_bytes();
        for (id, hash) in stored.frontier.append(leaf_hash(&leaf)) {
            stored.nodes.insert(id, hash);
        }
        stored.leaves.push(leaf);
        stored.roots.push(stored.frontier.root());
    }
    stored
}

impl Stored {
    fn proof(&self, ranges: &[ingang_tlog::tree::Range]) -> Vec<Hash> {
        let lookup = |id: NodeId| self.nodes.get(&id).copied();
        ranges
            .iter()
            .map(|r| range_hash(*r, &lookup).unwrap())
            .collect()
    }
}

/// `tlog_tiles`' own tree over the same leaves, for its root hashes.
struct TheirTree(RefCell<Vec<tlog_tiles::Hash>>);

impl tlog_tiles::HashReader for TheirTree {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<tlog_tiles::Hash>, tlog_tiles::Error> {
        let hashes = self.0.borrow();
        Ok(indexes.iter().map(|&i| hashes[i as usize]).collect())
    }
}

fn theirs(h: &Hash) -> tlog_tiles::Hash {
    tlog_tiles::Hash(h.0)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn proofs_verify_with_tlog_tiles(n in 1u64..300, picks in proptest::collection::vec(any::<u64>(), 1..8)) {
        let stored = build(n);
        let their = TheirTree(RefCell::new(Vec::new()));
        for (i, leaf) in stored.leaves.iter().enumerate() {
            let new = tlog_tiles::stored_hashes(i as u64, leaf, &their).unwrap();
            their.0.borrow_mut().extend(new);
        }
        for size in 1..=n {
            prop_assert_eq!(tlog_tiles::tree_hash(size, &their).unwrap().0, stored.roots[size as usize].0);
        }
        for pick in picks {
            let size = 1 + pick % n;
            let index = (pick >> 20) % size;
            let root = stored.roots[size as usize];
            let proof = stored.proof(&inclusion_ranges(index, size).unwrap());
            let leaf = leaf_hash(&stored.leaves[index as usize]);
            verify_inclusion(index, size, &leaf, &proof, &root).unwrap();
            let their_proof: Vec<_> = proof.iter().map(theirs).collect();
            tlog_tiles::check_record(&their_proof, size, theirs(&root), index, theirs(&leaf)).unwrap();
            // and tlog_tiles' proof verifies with ours
            let their_made = tlog_tiles::prove_record(size, index, &their).unwrap();
            let as_ours: Vec<Hash> = their_made.iter().map(|h| Hash(h.0)).collect();
            prop_assert_eq!(&as_ours, &proof);

            let old = 1 + (pick >> 40) % size;
            let old_root = stored.roots[old as usize];
            let proof = stored.proof(&consistency_ranges(old, size).unwrap());
            verify_consistency(old, size, &old_root, &root, &proof).unwrap();
            let their_proof: Vec<_> = proof.iter().map(theirs).collect();
            tlog_tiles::check_tree(&their_proof, size, theirs(&root), old, theirs(&old_root)).unwrap();
            let their_made = tlog_tiles::prove_tree(size, old, &their).unwrap();
            let as_ours: Vec<Hash> = their_made.iter().map(|h| Hash(h.0)).collect();
            prop_assert_eq!(&as_ours, &proof);
        }
    }

    #[test]
    fn a_changed_proof_or_leaf_fails(n in 2u64..200, pick in any::<u64>(), flip in any::<u8>()) {
        let stored = build(n);
        let size = 2 + pick % (n - 1);
        let index = (pick >> 20) % size;
        let root = stored.roots[size as usize];
        let mut proof = stored.proof(&inclusion_ranges(index, size).unwrap());
        let leaf = leaf_hash(&stored.leaves[index as usize]);
        let wrong_leaf = leaf_hash(b"not the entry");
        prop_assert!(verify_inclusion(index, size, &wrong_leaf, &proof, &root).is_err());
        if !proof.is_empty() {
            let at = usize::from(flip) % proof.len();
            proof[at].0[0] ^= 1;
            prop_assert!(verify_inclusion(index, size, &leaf, &proof, &root).is_err());
        }
        let old = 1 + (pick >> 40) % (size - 1);
        let mut proof = stored.proof(&consistency_ranges(old, size).unwrap());
        let old_root = stored.roots[old as usize];
        if !proof.is_empty() {
            let at = usize::from(flip) % proof.len();
            proof[at].0[31] ^= 0x80;
            prop_assert!(verify_consistency(old, size, &old_root, &root, &proof).is_err());
        }
    }
}

#[test]
fn our_signed_checkpoints_verify_with_signed_note() {
    let key = SigningKey::from_seed("ingang.example.se/audit", KeyType::Ed25519, [42; 32]).unwrap();
    let checkpoint = Checkpoint {
        origin: "ingang.example.se/audit".into(),
        size: 8,
        root: Hash::from_slice(&[9; 32]).unwrap(),
    };
    let mut note = Note::new(&checkpoint.to_text()).unwrap();
    note.add(key.sign(note.text()));
    let text = note.to_text();

    let verifier = signed_note::StandardVerifier::new(&key.verifier().to_string()).unwrap();
    let theirs = signed_note::Note::from_bytes(text.as_bytes()).unwrap();
    let list = signed_note::VerifierList::new(vec![Box::new(verifier)]);
    let (verified, unverified) = theirs.verify(&list).unwrap();
    assert_eq!(verified.len(), 1);
    assert!(unverified.is_empty());
    assert_eq!(theirs.text(), checkpoint.to_text().as_bytes());

    // tlog_tiles reads our checkpoint text.
    let parsed = tlog_tiles::Checkpoint::from_bytes(checkpoint.to_text().as_bytes()).unwrap();
    assert_eq!(parsed.origin(), "ingang.example.se/audit");
    assert_eq!(parsed.size(), 8);
    assert_eq!(parsed.hash().0, [9; 32]);

    // A changed text does not verify with their code either.
    let forged = text.replace("\n8\n", "\n9\n");
    let theirs = signed_note::Note::from_bytes(forged.as_bytes()).unwrap();
    assert!(theirs.verify(&list).is_err());
}

#[test]
fn their_keys_and_notes_verify_with_ours() {
    use signed_note::Signer as _;
    let (skey, vkey) = signed_note::generate_key(&mut rand_core::OsRng, "example.com/log");
    let signer = signed_note::StandardSigner::new(&skey).unwrap();
    let mut note = signed_note::Note::new(
        b"example.com/log\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
        &[],
    )
    .unwrap();
    note.add_sigs(&[&signer]).unwrap();
    let ours = Note::parse(&note.to_bytes()).unwrap();
    let key = VerifierKey::parse(&vkey).unwrap();
    assert_eq!(key.key_id(), signer.key_id());
    assert_eq!(ours.verify(std::slice::from_ref(&key)).unwrap().len(), 1);
    // Their private key form is ours too.
    let ours_signer = SigningKey::parse(&skey).unwrap();
    assert_eq!(ours_signer.verifier(), key);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Parsers of untrusted input never panic.
    #[test]
    fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = Note::parse(&bytes);
        let text = String::from_utf8_lossy(&bytes);
        let _ = Checkpoint::parse(&text);
        let _ = VerifierKey::parse(&text);
        let _ = SigningKey::parse(&text);
        let _ = ingang_tlog::witness::parse_add_checkpoint(&bytes);
    }

    #[test]
    fn near_valid_notes_never_panic(cut in 0usize..300, byte in any::<u8>(), at in 0usize..300) {
        let key = SigningKey::from_seed("o", KeyType::Ed25519, [1; 32]).unwrap();
        let mut note = Note::new("o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n").unwrap();
        note.add(key.sign(note.text()));
        let body = ingang_tlog::witness::format_add_checkpoint(0, &[], &note.to_text());
        let mut bytes = body.into_bytes();
        if at < bytes.len() {
            bytes[at] = byte;
        }
        bytes.truncate(cut.min(bytes.len()));
        if let Ok(request) = ingang_tlog::witness::parse_add_checkpoint(&bytes) {
            let _ = ingang_tlog::witness::judge(&request, Some(&[key.verifier()]), None);
        }
        let _ = Note::parse(&bytes);
    }

    #[test]
    fn verification_of_random_proofs_never_panics(index in any::<u64>(), size in any::<u64>(), n in 0usize..70, old in any::<u64>()) {
        let proof: Vec<Hash> = (0..n).map(|i| Hash([i as u8; 32])).collect();
        let h = Hash([0; 32]);
        let _ = verify_inclusion(index, size, &h, &proof, &h);
        let _ = verify_consistency(old, size, &h, &h, &proof);
        let _ = inclusion_ranges(index % 1_000_000, size % 1_000_000);
    }
}
