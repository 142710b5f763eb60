//! The log that proves itself (docs/audit-log.md): checkpoints, the log's
//! key, inclusion and consistency proofs, verification and export. For
//! auditors; each call is itself an audit entry.

use super::as_caller;
use super::audit::AuditQuery;
use crate::auth::Credentials;
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use crate::transparency::{self as export, ExportFormat};
use actix_web::{get, web, HttpResponse};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use ingang_app::transparency::{ConsistencyProof, ExportPage, LogIdentity};
use ingang_app::{AuditFilter, Finding, InclusionProof, StoredCheckpoint, VerifyReport};
use serde::{Deserialize, Serialize};

/// A witness's cosignature of a checkpoint.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CosignatureResponse {
    /// The witness's key name.
    pub witness: String,
    /// The signature line, as a signed note carries it (`— name base64`).
    pub signature: String,
    pub received_at: DateTime<Utc>,
}

/// A signed checkpoint (C2SP tlog-checkpoint in a C2SP signed note).
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CheckpointResponse {
    /// The signed note: the checkpoint, a blank line, the log's signature
    /// and every witness's cosignature. Verifies with any signed-note verifier.
    pub note: String,
    pub origin: String,
    #[schema(minimum = 0)]
    pub tree_size: u64,
    /// The RFC 9162 root hash, standard base64.
    #[schema(pattern = r"^[A-Za-z0-9+/]{43}=$")]
    pub root_hash: String,
    pub signed_at: DateTime<Utc>,
    pub cosignatures: Vec<CosignatureResponse>,
}

impl CheckpointResponse {
    pub fn new(origin: &str, c: StoredCheckpoint) -> Self {
        CheckpointResponse {
            note: c.cosigned_note(),
            origin: origin.to_owned(),
            tree_size: c.size,
            root_hash: c.root.to_base64(),
            signed_at: c.signed_at,
            cosignatures: c
                .cosignatures
                .into_iter()
                .map(|s| CosignatureResponse {
                    witness: s.witness,
                    signature: s.line,
                    received_at: s.received_at,
                })
                .collect(),
        }
    }
}

/// The log's identity and keys.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PublicKeyResponse {
    pub origin: String,
    /// The key checkpoints are signed with now, in signed-note verifier form
    /// (`origin+keyid+base64`).
    pub verifier_key: String,
    /// Earlier keys, whose checkpoints still verify.
    pub previous_verifier_keys: Vec<String>,
    /// The witnesses the log sends its checkpoints to (cosignature/v1 keys).
    pub witness_keys: Vec<String>,
}

impl From<LogIdentity> for PublicKeyResponse {
    fn from(l: LogIdentity) -> Self {
        PublicKeyResponse {
            origin: l.origin,
            verifier_key: l.verifier_key,
            previous_verifier_keys: l.previous_verifier_keys,
            witness_keys: l.witness_keys,
        }
    }
}

/// An entry's inclusion proof (RFC 9162 §2.1.3) in a signed checkpoint.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProofResponse {
    pub seq: i64,
    #[schema(minimum = 0)]
    pub leaf_index: u64,
    /// The entry's canonical leaf bytes (docs/audit-log.md), standard base64:
    /// the leaf hash is SHA-256(0x00 ‖ these bytes).
    pub leaf: String,
    /// The proof's hashes, nearest the leaf first, standard base64.
    pub hashes: Vec<String>,
    /// The checkpoint the proof verifies against.
    pub checkpoint: CheckpointResponse,
}

/// A consistency proof (RFC 9162 §2.1.4) between two signed checkpoints.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConsistencyResponse {
    #[schema(minimum = 0)]
    pub from: u64,
    #[schema(minimum = 0)]
    pub to: u64,
    /// Standard base64.
    pub hashes: Vec<String>,
    /// Absent for the empty tree (`from` = 0).
    pub from_checkpoint: Option<CheckpointResponse>,
    pub to_checkpoint: CheckpointResponse,
}

/// The first thing verification found wrong.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FindingResponse {
    /// What kind of fault.
    #[schema(example = "altered-entry")]
    pub kind: &'static str,
    /// The fault in words, naming the entry.
    pub detail: String,
    /// The first bad entry's sequence number, when one is named.
    pub seq: Option<i64>,
    /// The first bad leaf, when one is named.
    pub leaf_index: Option<u64>,
}

/// The result of verifying the whole log.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VerifyResponse {
    /// True when every check passed.
    pub intact: bool,
    /// Entries checked against the tree.
    pub entries: u64,
    pub checkpoints: usize,
    /// The newest checkpoint's size and root (base64).
    pub tree_size: Option<u64>,
    pub root_hash: Option<String>,
    /// The newest checkpoint cosigned by the witnesses required (by at
    /// least one when none are required), and its valid cosignatures.
    pub witnessed_size: Option<u64>,
    pub cosignatures: usize,
    pub witnesses_required: usize,
    /// Entries stored but not yet in the tree (sequenced within a second).
    pub pending: i64,
    pub finding: Option<FindingResponse>,
}

pub fn finding_response(f: &Finding) -> FindingResponse {
    let (kind, seq, leaf_index) = match f {
        Finding::CheckpointSignature { .. } => ("checkpoint-signature", None, None),
        Finding::CheckpointOrigin { .. } => ("checkpoint-origin", None, None),
        Finding::MissingLeaf { leaf_index } => ("missing-leaf", None, Some(*leaf_index)),
        Finding::MissingEntry { leaf_index, seq } => {
            ("missing-entry", Some(*seq), Some(*leaf_index))
        }
        Finding::AlteredEntry { leaf_index, seq } => {
            ("altered-entry", Some(*seq), Some(*leaf_index))
        }
        Finding::InsertedEntry { leaf_index, seq } => {
            ("inserted-entry", Some(*seq), Some(*leaf_index))
        }
        Finding::CheckpointMismatch { .. } => ("checkpoint-mismatch", None, None),
        Finding::CheckpointBeyondLog { .. } => ("checkpoint-beyond-log", None, None),
        Finding::TreeStateMismatch { .. } => ("tree-state-mismatch", None, None),
        Finding::NotSequenced { seq } => ("not-sequenced", Some(*seq), None),
        Finding::TooFewCosignatures { .. } => ("too-few-cosignatures", None, None),
        Finding::NoCheckpoint => ("no-checkpoint", None, None),
    };
    FindingResponse {
        kind,
        detail: f.to_string(),
        seq,
        leaf_index,
    }
}

pub fn verify_response(report: VerifyReport, pending: i64, need: usize) -> VerifyResponse {
    VerifyResponse {
        intact: report.finding.is_none(),
        entries: report.entries,
        checkpoints: report.checkpoints,
        tree_size: report.latest.map(|(size, _)| size),
        root_hash: report.latest.map(|(_, root)| root.to_base64()),
        witnessed_size: report.witnessed,
        cosignatures: report.cosignatures,
        witnesses_required: need,
        pending,
        finding: report.finding.as_ref().map(finding_response),
    }
}

fn origin(state: &AppState) -> String {
    state.config.audit_log.origin.clone()
}

/// The newest signed checkpoint with its witnesses' cosignatures.
#[utoipa::path(tag = "audit", security(("bearer" = [])),
    responses((status = 200, body = CheckpointResponse), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")))]
#[get("/v1/audit/checkpoints/latest")]
pub async fn latest_checkpoint(
    state: web::Data<AppState>,
    credentials: Credentials,
) -> Result<HttpResponse, ApiError> {
    let origin = origin(&state);
    let checkpoint = as_caller(state, credentials, |app, caller| {
        Ok(app.latest_checkpoint(&caller)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(CheckpointResponse::new(&origin, checkpoint)))
}

/// The log's origin and verifier keys, and its witnesses' keys.
#[utoipa::path(tag = "audit", security(("bearer" = [])),
    responses((status = 200, body = PublicKeyResponse), (status = 403, body = Problem, content_type = "application/problem+json")))]
#[get("/v1/audit/public-key")]
pub async fn public_key(
    state: web::Data<AppState>,
    credentials: Credentials,
) -> Result<HttpResponse, ApiError> {
    let identity = as_caller(state, credentials, |app, caller| {
        Ok(app.log_identity(&caller)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(PublicKeyResponse::from(identity)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProofQuery {
    /// The size of a signed checkpoint to prove against (default: the newest).
    #[param(minimum = 1, maximum = 9_223_372_036_854_775_807_i64)]
    pub tree_size: Option<u64>,
}

pub fn proof_response(origin: &str, seq: i64, p: InclusionProof) -> ProofResponse {
    ProofResponse {
        seq,
        leaf_index: p.leaf_index,
        leaf: STANDARD.encode(&p.leaf),
        hashes: p.hashes.iter().map(ingang_tlog::Hash::to_base64).collect(),
        checkpoint: CheckpointResponse::new(origin, p.checkpoint),
    }
}

/// The inclusion proof of an entry in a signed checkpoint.
#[utoipa::path(tag = "audit", security(("bearer" = [])), params(("seq" = i64, Path, minimum = 1, description = "the entry's sequence number"), ProofQuery),
    responses((status = 200, body = ProofResponse), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")))]
#[get("/v1/audit/events/{seq}/proof")]
pub async fn inclusion_proof(
    state: web::Data<AppState>,
    credentials: Credentials,
    seq: web::Path<String>,
    query: web::Query<ProofQuery>,
) -> Result<HttpResponse, ApiError> {
    let seq = parse_seq(&seq)?;
    let tree_size = query.into_inner().tree_size;
    if tree_size == Some(0) {
        return Err(ApiError::invalid(
            "tree_size",
            "an entry is never in the empty tree",
        ));
    }
    if tree_size.is_some_and(|size| i64::try_from(size).is_err()) {
        return Err(ApiError::invalid(
            "tree_size",
            "no checkpoint is that large",
        ));
    }
    let origin = origin(&state);
    let proof = as_caller(state, credentials, move |app, caller| {
        Ok(app.inclusion_proof(&caller, seq, tree_size)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(proof_response(&origin, seq, proof)))
}

/// A sequence number in a path: digits only, naming the field.
fn parse_seq(text: &str) -> Result<i64, ApiError> {
    let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    match text.parse::<i64>() {
        Ok(seq) if digits && seq > 0 => Ok(seq),
        Ok(_) | Err(_) => Err(ApiError::invalid(
            "seq",
            "must be an entry's sequence number, a positive whole number",
        )),
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConsistencyQuery {
    /// The smaller checkpoint's size (0: the empty tree).
    #[param(minimum = 0, maximum = 9_223_372_036_854_775_807_i64)]
    pub from: u64,
    /// The larger checkpoint's size.
    #[param(minimum = 0, maximum = 9_223_372_036_854_775_807_i64)]
    pub to: u64,
}

/// The consistency proof between two signed checkpoints.
#[utoipa::path(tag = "audit", security(("bearer" = [])), params(ConsistencyQuery),
    responses((status = 200, body = ConsistencyResponse), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/v1/audit/checkpoints/consistency")]
pub async fn consistency_proof(
    state: web::Data<AppState>,
    credentials: Credentials,
    query: web::Query<ConsistencyQuery>,
) -> Result<HttpResponse, ApiError> {
    let ConsistencyQuery { from, to } = query.into_inner();
    for (field, size) in [("from", from), ("to", to)] {
        if i64::try_from(size).is_err() {
            return Err(ApiError::invalid(field, "no checkpoint is that large"));
        }
    }
    let origin = origin(&state);
    let proof: ConsistencyProof = as_caller(state, credentials, move |app, caller| {
        Ok(app.consistency_proof(&caller, from, to)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(ConsistencyResponse {
        from: proof.from,
        to: proof.to,
        hashes: proof
            .hashes
            .iter()
            .map(ingang_tlog::Hash::to_base64)
            .collect(),
        from_checkpoint: proof
            .from_checkpoint
            .map(|c| CheckpointResponse::new(&origin, c)),
        to_checkpoint: CheckpointResponse::new(&origin, proof.to_checkpoint),
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VerifyQuery {
    /// Witness cosignatures the newest checkpoint must carry (default 0).
    #[param(minimum = 0, maximum = 16)]
    pub witnesses: Option<usize>,
}

/// Verifies the whole log: every checkpoint's signature, every entry
/// against the tree, and the witnesses' cosignatures.
#[utoipa::path(tag = "audit", security(("bearer" = [])), params(VerifyQuery),
    responses((status = 200, body = VerifyResponse), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
#[get("/v1/audit/verify")]
pub async fn verify(
    state: web::Data<AppState>,
    credentials: Credentials,
    query: web::Query<VerifyQuery>,
) -> Result<HttpResponse, ApiError> {
    let need = query.into_inner().witnesses.unwrap_or(0);
    if need > 16 {
        return Err(ApiError::invalid("witnesses", "must be between 0 and 16"));
    }
    let (report, pending) = as_caller(state, credentials, move |app, caller| {
        Ok(app.verify_log(&caller, need)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(verify_response(report, pending, need)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `jsonl` (JSON lines: a header, the entries, then every checkpoint)
    /// or `csv` (the entries only).
    #[param(pattern = "^(jsonl|csv)$")]
    pub format: String,
    #[param(value_type = Option<Uuid>)]
    pub client_id: Option<ingang_policy::ClientId>,
    #[param(value_type = Option<Uuid>)]
    pub actor_id: Option<ingang_policy::OfficerId>,
    /// The actor's agency code.
    #[param(value_type = Option<ingang_policy::bodies::AgencyCodeText>)]
    pub agency: Option<String>,
    #[param(value_type = Option<crate::schemas::AuditAction>)]
    pub action: Option<String>,
    #[param(value_type = Option<crate::schemas::AuditDecision>)]
    pub decision: Option<String>,
    /// From this time (inclusive), RFC 3339.
    pub from: Option<DateTime<Utc>>,
    /// Until this time (exclusive), RFC 3339.
    pub to: Option<DateTime<Utc>>,
}

pub fn export_filter(q: &ExportQuery) -> Result<AuditFilter, ApiError> {
    let query = AuditQuery {
        client_id: q.client_id,
        actor_id: q.actor_id,
        agency: q.agency.clone(),
        action: q.action.clone(),
        decision: q.decision.clone(),
        from: q.from,
        to: q.to,
        cursor: None,
        limit: None,
    };
    super::audit::filter_of(query)
}

/// Streams the log's entries matching the filters, in tree order, at flat
/// memory: JSON lines (verifiable offline with `ingang audit verify
/// --export`) or CSV.
#[utoipa::path(tag = "audit", security(("bearer" = [])), params(ExportQuery),
    responses((status = 200, description = "the export, streamed", content((String = "application/jsonl"), (String = "text/csv"))), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
#[get("/v1/audit/export")]
pub async fn export_log(
    state: web::Data<AppState>,
    credentials: Credentials,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let format = match q.format.as_str() {
        "jsonl" => ExportFormat::JsonLines,
        "csv" => ExportFormat::Csv,
        _ => return Err(ApiError::invalid("format", "must be 'jsonl' or 'csv'")),
    };
    let filter = export_filter(&q)?;
    let filtered = filter.client_id.is_some()
        || filter.actor_id.is_some()
        || filter.agency.is_some()
        || filter.action.is_some()
        || filter.decision.is_some()
        || filter.from.is_some()
        || filter.to.is_some();
    let origin = origin(&state);
    // Pages travel through a small channel: the database is read only as
    // fast as the client takes the response.
    let (pages, body) = tokio_channel();
    let (started, ready) = std::sync::mpsc::sync_channel::<Result<(), ApiError>>(1);
    let header = export::header_line(format, &origin, filtered);
    std::thread::Builder::new()
        .name("audit-export".into())
        .spawn(move || {
            let outcome = (|| -> Result<(), ApiError> {
                let mut session = state.app.session()?;
                let caller = credentials.resolve(&mut session)?;
                let mut first = true;
                let mut first_sent = Some(started.clone());
                session.export_audit(&caller, &filter, |page| {
                    if first {
                        first = false;
                        if let Some(started) = first_sent.take() {
                            let _ = started.send(Ok(()));
                        }
                        if pages.blocking_send(header.clone()).is_err() {
                            return false;
                        }
                    }
                    let text = match page {
                        ExportPage::Sequenced(entries) => export::sequenced_lines(format, entries),
                        ExportPage::Pending(entries) => entries
                            .into_iter()
                            .map(|e| export::entry_line(format, None, e))
                            .collect(),
                        ExportPage::Checkpoints(list) => export::checkpoint_lines(format, &list),
                    };
                    pages.blocking_send(text).is_ok()
                })?;
                if first {
                    if let Some(started) = first_sent.take() {
                        let _ = started.send(Ok(()));
                    }
                    let _ = pages.blocking_send(header);
                }
                Ok(())
            })();
            if let Err(error) = outcome {
                // Before the first byte: the handler answers with the error.
                let _ = started.send(Err(error));
            }
        })
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let first = web::block(move || ready.recv()).await;
    match first {
        Ok(Ok(Ok(()))) => Ok(HttpResponse::Ok()
            .content_type(format.content_type())
            .insert_header(("Cache-Control", "no-store"))
            .streaming(body)),
        Ok(Ok(Err(error))) => Err(error),
        Ok(Err(_)) | Err(_) => Err(ApiError::Internal(
            "the export stopped before it began".into(),
        )),
    }
}

/// The receiving end of the export's channel, as a response body.
struct Chunks(tokio::sync::mpsc::Receiver<String>);

impl futures_core::Stream for Chunks {
    type Item = Result<web::Bytes, std::io::Error>;

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.get_mut()
            .0
            .poll_recv(cx)
            .map(|chunk| chunk.map(|text| Ok(web::Bytes::from(text))))
    }
}

/// A bounded channel whose receiving end is a response body.
fn tokio_channel() -> (tokio::sync::mpsc::Sender<String>, Chunks) {
    let (sender, receiver) = tokio::sync::mpsc::channel::<String>(4);
    (sender, Chunks(receiver))
}
