//! The log that proves itself (docs/audit-log.md): its checkpoints, key,
//! proofs, verification and export, for auditors. Each use is an audit
//! entry of its own, stored before anything is returned.

use crate::decision::Resource;
use crate::{AppError, AppResult, AuditEvent, AuditFilter, Caller, Session};
use ingang_policy::Action;
use ingang_store::merkle::{
    InclusionProof, ProofRefusal, SequencedEntry, StoredCheckpoint, VerifyWith,
};
use ingang_store::verify::Report;
use ingang_tlog::tree::Hash;

/// The log's public identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogIdentity {
    pub origin: String,
    /// The current key in signed-note verifier form (`origin+id+base64`).
    pub verifier_key: String,
    /// Keys checkpoints were signed with before a rotation.
    pub previous_verifier_keys: Vec<String>,
    /// The configured witnesses' verifier keys.
    pub witness_keys: Vec<String>,
}

/// A consistency proof between two checkpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsistencyProof {
    pub from: u64,
    pub to: u64,
    pub hashes: Vec<Hash>,
    /// None for the empty tree.
    pub from_checkpoint: Option<StoredCheckpoint>,
    pub to_checkpoint: StoredCheckpoint,
}

/// One page of an export: sequenced entries (with their leaf index) or,
/// after them, entries still waiting for the sequencer.
#[derive(Debug, Clone)]
pub enum ExportPage {
    Sequenced(Vec<SequencedEntry>),
    Pending(Vec<AuditEvent>),
    /// Every signed checkpoint with its cosignatures, last.
    Checkpoints(Vec<StoredCheckpoint>),
}

/// Entries per page of an export: memory stays flat at any log size.
const EXPORT_PAGE: i64 = 5_000;

fn refusal(refusal: ProofRefusal) -> AppError {
    match refusal {
        ProofRefusal::UnknownEntry => AppError::NotFound,
        ProofRefusal::NotYetSequenced => AppError::Conflict(
            "the entry is not in a signed checkpoint yet; ask again in a second",
        ),
        ProofRefusal::UnknownCheckpoint { field } => AppError::Absent {
            field,
            detail:
            "no checkpoint of this tree size was signed; GET /v1/audit/checkpoints/latest gives the newest".into(),
        },
        ProofRefusal::EntryBeyondCheckpoint { leaf_index } => AppError::Absent {
            field: "tree_size",
            detail: format!("the entry is leaf {leaf_index}, beyond this checkpoint; use a later one"),
        },
        ProofRefusal::SizesOutOfOrder => AppError::invalid("from", "must not be greater than to"),
    }
}

impl Session<'_> {
    fn prove_gate(&mut self, caller: &Caller, action: Action) -> AppResult<()> {
        self.authorize(caller, action, Resource::Nothing, None)?;
        self.db.release();
        Ok(())
    }

    /// The newest signed checkpoint with its witnesses' cosignatures.
    pub fn latest_checkpoint(&mut self, caller: &Caller) -> AppResult<StoredCheckpoint> {
        self.prove_gate(caller, Action::ProveAudit)?;
        self.db.latest_checkpoint()?.ok_or(AppError::Conflict(
            "no checkpoint is signed yet; the sequencer signs the first within a second of starting",
        ))
    }

    /// The log's origin and keys.
    pub fn log_identity(&mut self, caller: &Caller) -> AppResult<LogIdentity> {
        self.prove_gate(caller, Action::ProveAudit)?;
        let store = self.db.store();
        let keys = store.log_keys();
        Ok(LogIdentity {
            origin: keys.origin().to_owned(),
            verifier_key: keys.verifier().to_string(),
            previous_verifier_keys: keys.verifiers()[1..]
                .iter()
                .map(ToString::to_string)
                .collect(),
            witness_keys: store
                .witness_keys()
                .iter()
                .map(ToString::to_string)
                .collect(),
        })
    }

    /// The inclusion proof of entry `seq` in the checkpoint of `tree_size`
    /// entries (the newest when `None`).
    pub fn inclusion_proof(
        &mut self,
        caller: &Caller,
        seq: i64,
        tree_size: Option<u64>,
    ) -> AppResult<InclusionProof> {
        self.prove_gate(caller, Action::ProveAudit)?;
        self.db.inclusion_proof(seq, tree_size)?.map_err(refusal)
    }

    /// The consistency proof between the checkpoints of `from` and `to` entries.
    pub fn consistency_proof(
        &mut self,
        caller: &Caller,
        from: u64,
        to: u64,
    ) -> AppResult<ConsistencyProof> {
        self.prove_gate(caller, Action::ProveAudit)?;
        if from > to {
            return Err(refusal(ProofRefusal::SizesOutOfOrder));
        }
        let proof = self.db.consistency_proof(from, to)?.map_err(refusal)?;
        let (first, second, hashes) = (proof.first, proof.second, proof.hashes);
        Ok(ConsistencyProof {
            from,
            to,
            hashes,
            from_checkpoint: (from > 0).then_some(first),
            to_checkpoint: second,
        })
    }

    /// Verifies the whole log; `need` witness cosignatures on the newest
    /// checkpoint (0: none required).
    pub fn verify_log(&mut self, caller: &Caller, need: usize) -> AppResult<(Report, i64)> {
        self.prove_gate(caller, Action::VerifyAudit)?;
        let store = self.db.store();
        let keys = store.log_keys();
        let verifiers = keys.verifiers().to_vec();
        let witnesses = store.witness_keys().to_vec();
        let origin = keys.origin().to_owned();
        let report = self.db.verify_log(VerifyWith {
            origin: &origin,
            log_keys: &verifiers,
            witnesses: &witnesses,
            need,
        })?;
        let pending = self.db.pending_entries()?;
        Ok((report, pending))
    }

    /// Exports the entries matching `filter`, page by page, to `sink`
    /// (which answers false to stop): sequenced entries in leaf order, then
    /// those still waiting for the sequencer. The export itself is audited
    /// before the first page.
    pub fn export_audit(
        &mut self,
        caller: &Caller,
        filter: &AuditFilter,
        mut sink: impl FnMut(ExportPage) -> bool,
    ) -> AppResult<()> {
        let resource = filter.client_id.map_or(Resource::Nothing, Resource::Client);
        self.authorize(caller, Action::ExportAudit, resource, None)?;
        let mut after = None;
        loop {
            let page = self.db.export_page(filter, after, EXPORT_PAGE)?;
            self.db.release();
            let full = page.len() as i64 == EXPORT_PAGE;
            after = page.last().map(|e| e.leaf_index);
            if !page.is_empty() && !sink(ExportPage::Sequenced(page)) {
                return Ok(());
            }
            if !full {
                break;
            }
        }
        let mut after_seq = None;
        loop {
            let pending = self.db.pending_page(filter, after_seq, EXPORT_PAGE)?;
            self.db.release();
            let full = pending.len() as i64 == EXPORT_PAGE;
            after_seq = pending.last().map(|e| e.seq);
            if !pending.is_empty() && !sink(ExportPage::Pending(pending)) {
                return Ok(());
            }
            if !full {
                break;
            }
        }
        sink(ExportPage::Checkpoints(self.db.checkpoints()?));
        Ok(())
    }
}

/// What to send a witness: the newest checkpoint and the consistency proof
/// from the size the witness holds.
#[derive(Debug, Clone)]
pub struct WitnessRequest {
    pub old_size: u64,
    pub proof: Vec<Hash>,
    pub checkpoint: StoredCheckpoint,
}

/// The witnessing job's steps. Not a caller's use case: the service itself
/// sends its checkpoints out and files the answers.
impl crate::App {
    /// Whether this process's sequencer holds the lease now.
    pub fn leads_sequencer(&self) -> bool {
        self.store
            .sequencer()
            .is_some_and(|s| s.stats().leader.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// The sequencer's counters, for metrics.
    pub fn sequencer_stats(&self) -> Option<&ingang_store::merkle::SequencerStats> {
        self.store
            .sequencer()
            .map(ingang_store::merkle::Sequencer::stats)
    }

    /// The request for `witness` (by key name), which holds `held` entries
    /// (None: as far as its stored cosignatures tell), unless the newest
    /// checkpoint is not beyond `tried`.
    pub fn witness_request(
        &self,
        witness: &str,
        held: Option<u64>,
        tried: u64,
    ) -> AppResult<Option<WitnessRequest>> {
        let mut db = self.store.db()?;
        let Some(checkpoint) = db.latest_checkpoint()? else {
            return Ok(None);
        };
        if checkpoint.size <= tried {
            return Ok(None);
        }
        let old_size = match held {
            Some(size) => size,
            None => db.witnessed_size(witness)?.unwrap_or(0),
        };
        if old_size > checkpoint.size {
            return Ok(None);
        }
        let proof = db.consistency_hashes(old_size, checkpoint.size)?;
        Ok(Some(WitnessRequest {
            old_size,
            proof,
            checkpoint,
        }))
    }

    /// Files a witness's cosignature line of the checkpoint of `size` entries.
    pub fn file_cosignature(&self, size: u64, witness: &str, line: &str) -> AppResult<()> {
        Ok(self.store.db()?.add_cosignature(size, witness, line)?)
    }

    /// Files a witness's refusal of the checkpoint of `size` entries.
    pub fn file_witness_refusal(
        &self,
        size: u64,
        witness: &str,
        status: u16,
        detail: &str,
    ) -> AppResult<()> {
        Ok(self
            .store
            .db()?
            .add_witness_refusal(size, witness, status, detail)?)
    }
}
