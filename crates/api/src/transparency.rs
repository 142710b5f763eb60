//! The Merkle log's keys, its export formats, offline verification of an
//! export file, and submitting checkpoints to witnesses
//! (docs/audit-log.md).

use crate::config::{AuditLogConfig, Config};
use crate::routes::audit::AuditEventResponse;
use ingang_app::{App, AuditEvent, SequencedEntry, StoredCheckpoint};
use ingang_store::merkle::LogKeys;
use ingang_store::verify::{LeafInput, Report, Walk};
use ingang_tlog::note::{KeyType, SigningKey, VerifierKey};
use ingang_tlog::witness::format_add_checkpoint;
use serde::{Deserialize, Serialize};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The development log key: derived from a published phrase, so anyone can
/// sign with it. Fine for trying ingång; production refuses it.
pub fn development_key(origin: &str) -> Result<SigningKey, String> {
    let seed = ring::digest::digest(&ring::digest::SHA256, b"ingang development audit log key");
    let mut bytes = [0u8; 32];
    bytes.copy_from_slice(seed.as_ref());
    SigningKey::from_seed(origin, KeyType::Ed25519, bytes)
        .map_err(|e| format!("audit_log.origin: {e}"))
}

/// Whether the key file holds the development key.
pub fn is_development_key_file(path: &Path, origin: &str) -> bool {
    let Ok(text) = std::fs::read_to_string(path) else {
        return false;
    };
    match (SigningKey::parse(&text), development_key(origin)) {
        (Ok(key), Ok(dev)) => key.verifier().public_key() == dev.verifier().public_key(),
        (Ok(_) | Err(_), Ok(_) | Err(_)) => false,
    }
}

/// The signing key's file in the keys directory, unless configured elsewhere.
pub const LOG_KEY_FILE: &str = "audit-log.key";

/// The file the log's signing key is read from: the configured one, else
/// `audit-log.key` in the keys directory if it exists.
pub fn log_key_file(config: &Config) -> Option<PathBuf> {
    config.audit_log.signing_key_file.clone().or_else(|| {
        let path = config.keys_dir.join(LOG_KEY_FILE);
        path.exists().then_some(path)
    })
}

/// The log's keys from the configuration.
pub fn log_keys(full: &Config) -> Result<LogKeys, String> {
    let config = &full.audit_log;
    let production = full.is_production();
    let signer = match &log_key_file(full) {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("audit_log.signing_key_file {}: {e}", path.display()))?;
            SigningKey::parse(&text)
                .map_err(|e| format!("audit_log.signing_key_file {}: {e}", path.display()))?
        }
        None if production => {
            return Err("audit_log.signing_key_file is required in production".into())
        }
        None => {
            log::warn!("!!! the audit log's checkpoints are signed with the DEVELOPMENT log key — fine for trying ingång, never for real data !!!");
            development_key(&config.origin)?
        }
    };
    if signer.name() != config.origin {
        return Err(format!(
            "audit_log: the signing key is named '{}' but the origin is '{}'; they must be the same",
            signer.name(),
            config.origin
        ));
    }
    if production && is_development(&signer) {
        return Err("audit_log.signing_key_file holds the development log key".into());
    }
    let previous = config
        .previous_keys
        .iter()
        .map(|k| VerifierKey::parse(k).map_err(|e| format!("audit_log.previous_keys: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(LogKeys::new(signer, previous))
}

fn is_development(key: &SigningKey) -> bool {
    development_key(key.name())
        .map(|dev| dev.verifier().public_key() == key.verifier().public_key())
        .unwrap_or(false)
}

/// The witnesses' verifier keys from the configuration.
pub fn witness_keys(config: &AuditLogConfig) -> Result<Vec<VerifierKey>, String> {
    config
        .witnesses
        .iter()
        .map(|w| {
            let key = VerifierKey::parse(&w.verifier_key)
                .map_err(|e| format!("audit_log.witnesses {}: {e}", w.url))?;
            if key.kind() != KeyType::Cosignature {
                return Err(format!(
                    "audit_log.witnesses {}: a witness key has type 0x04 (cosignature/v1)",
                    w.url
                ));
            }
            Ok(key)
        })
        .collect()
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    JsonLines,
    Csv,
}

impl ExportFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::JsonLines => "application/jsonl; charset=utf-8",
            ExportFormat::Csv => "text/csv; charset=utf-8",
        }
    }
}

/// The first line of a JSON-lines export.
#[derive(Debug, Serialize, Deserialize)]
pub struct ExportHeader {
    pub format: String,
    pub origin: String,
    /// Whether filters narrowed the export (then it cannot be verified whole).
    pub filtered: bool,
}

pub const EXPORT_FORMAT: &str = "ingang-audit-export/v1";

/// An entry line of a JSON-lines export.
#[derive(Debug, Serialize, Deserialize)]
pub struct ExportEntry {
    /// None for an entry not yet in the tree.
    pub leaf_index: Option<u64>,
    #[serde(flatten)]
    pub entry: AuditEventResponse,
}

/// The last lines of a JSON-lines export: every checkpoint.
#[derive(Debug, Serialize, Deserialize)]
pub struct ExportCheckpoint {
    /// The signed note with the log's signature and the cosignatures.
    pub checkpoint: String,
}

const CSV_HEADER: &str = "leaf_index,seq,at,actor_id,actor_agency,on_behalf_of,roles,action,client_id,record_id,decision,reason,consent_id,request_id,source_addr\n";

pub fn header_line(format: ExportFormat, origin: &str, filtered: bool) -> String {
    match format {
        ExportFormat::JsonLines => {
            let header = ExportHeader {
                format: EXPORT_FORMAT.into(),
                origin: origin.into(),
                filtered,
            };
            serde_json::to_string(&header).unwrap_or_default() + "\n"
        }
        ExportFormat::Csv => CSV_HEADER.into(),
    }
}

/// One entry as a line of the format.
pub fn entry_line(format: ExportFormat, leaf_index: Option<u64>, event: AuditEvent) -> String {
    let entry = AuditEventResponse::from(event);
    match format {
        ExportFormat::JsonLines => {
            serde_json::to_string(&ExportEntry { leaf_index, entry }).unwrap_or_default() + "\n"
        }
        ExportFormat::Csv => {
            let text = |v: Option<String>| v.unwrap_or_default();
            let fields = [
                leaf_index.map(|i| i.to_string()).unwrap_or_default(),
                entry.seq.to_string(),
                entry
                    .at
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                entry.actor_id.to_string(),
                entry.actor_agency.as_str().to_owned(),
                text(entry.on_behalf_of.map(|v| v.to_string())),
                entry.roles,
                entry.action.as_str().to_owned(),
                text(entry.client_id.map(|v| v.to_string())),
                text(entry.record_id.map(|v| v.to_string())),
                entry.decision.as_str().to_owned(),
                text(entry.reason.map(|v| v.as_str().to_owned())),
                text(entry.consent_id.map(|v| v.to_string())),
                entry.request_id,
                text(entry.source_addr),
            ];
            let mut line = fields
                .iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(",");
            line.push('\n');
            line
        }
    }
}

/// Quotes a CSV field when needed, and defuses text a spreadsheet would
/// run as a formula.
fn csv_field(value: &str) -> String {
    let defused = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if defused.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

pub fn sequenced_lines(format: ExportFormat, page: Vec<SequencedEntry>) -> String {
    page.into_iter()
        .map(|e| entry_line(format, Some(e.leaf_index), e.entry))
        .collect()
}

pub fn checkpoint_lines(format: ExportFormat, checkpoints: &[StoredCheckpoint]) -> String {
    match format {
        ExportFormat::JsonLines => checkpoints
            .iter()
            .map(|c| {
                serde_json::to_string(&ExportCheckpoint {
                    checkpoint: c.cosigned_note(),
                })
                .unwrap_or_default()
                    + "\n"
            })
            .collect(),
        // CSV is for spreadsheets; verification reads JSON lines.
        ExportFormat::Csv => String::new(),
    }
}

/// Why an export file could not be verified.
#[derive(Debug, thiserror::Error)]
pub enum ExportFileError {
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    #[error("line {line}: {problem}")]
    Malformed { line: usize, problem: String },
    #[error("the export was filtered; only a whole export (no filters) can be verified")]
    Filtered,
    #[error("the export is of log '{found}', not '{expected}'")]
    OtherLog { expected: String, found: String },
}

/// Verifies a JSON-lines export offline: every checkpoint's signature by
/// `log_keys`, the entries' tree against every checkpoint, and `need`
/// cosignatures by `witnesses` on the newest.
pub fn verify_export_file(
    path: &Path,
    log_keys: &[VerifierKey],
    witnesses: &[VerifierKey],
    need: usize,
) -> Result<Report, ExportFileError> {
    let origin = log_keys
        .first()
        .map(|k| k.name().to_owned())
        .unwrap_or_default();
    let io = |e| ExportFileError::Io(path.display().to_string(), e);
    // First pass: the header and the checkpoints (they come last).
    let file = std::fs::File::open(path).map_err(io)?;
    let mut checkpoints = Vec::new();
    let mut header: Option<ExportHeader> = None;
    for (number, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(io)?;
        let malformed = |problem: String| ExportFileError::Malformed {
            line: number + 1,
            problem,
        };
        if number == 0 {
            let parsed: ExportHeader = serde_json::from_str(&line)
                .map_err(|e| malformed(format!("not an export header: {e}")))?;
            if parsed.format != EXPORT_FORMAT {
                return Err(malformed(format!("unknown format '{}'", parsed.format)));
            }
            header = Some(parsed);
            continue;
        }
        if line.starts_with("{\"checkpoint\"") {
            let parsed: ExportCheckpoint = serde_json::from_str(&line)
                .map_err(|e| malformed(format!("not a checkpoint line: {e}")))?;
            let note = ingang_tlog::note::Note::parse(parsed.checkpoint.as_bytes())
                .map_err(|e| malformed(e.to_string()))?;
            let checkpoint = ingang_tlog::checkpoint::Checkpoint::parse(note.text())
                .map_err(|e| malformed(e.to_string()))?;
            // The walk checks the log's signature; cosignatures travel in the note.
            let text_end = note.text().len() + 1;
            let signatures = &parsed.checkpoint[text_end.min(parsed.checkpoint.len())..];
            let mut lines = signatures.lines();
            let own = lines.next().unwrap_or_default();
            checkpoints.push(StoredCheckpoint {
                size: checkpoint.size,
                root: checkpoint.root,
                note: format!("{}\n{own}\n", note.text()),
                signed_at: chrono::DateTime::<chrono::Utc>::MIN_UTC,
                cosignatures: lines
                    .map(|l| ingang_app::Cosignature {
                        witness: l.split(' ').nth(1).unwrap_or_default().to_owned(),
                        line: l.to_owned(),
                        received_at: chrono::DateTime::<chrono::Utc>::MIN_UTC,
                    })
                    .collect(),
            });
        }
    }
    let header = header.ok_or(ExportFileError::Malformed {
        line: 1,
        problem: "the file is empty".into(),
    })?;
    if header.filtered {
        return Err(ExportFileError::Filtered);
    }
    if header.origin != origin {
        return Err(ExportFileError::OtherLog {
            expected: origin,
            found: header.origin,
        });
    }
    let mut walk = Walk::new(&origin, log_keys, &checkpoints);
    let file = std::fs::File::open(path).map_err(io)?;
    for (number, line) in std::io::BufReader::new(file).lines().enumerate().skip(1) {
        let line = line.map_err(io)?;
        if line.starts_with("{\"checkpoint\"") || walk.done() {
            continue;
        }
        let parsed: ExportEntry =
            serde_json::from_str(&line).map_err(|e| ExportFileError::Malformed {
                line: number + 1,
                problem: format!("not an entry: {e}"),
            })?;
        let Some(leaf_index) = parsed.leaf_index else {
            // Not yet in the tree when exported: nothing to check it against.
            continue;
        };
        let seq = parsed.entry.seq;
        walk.push(LeafInput {
            leaf_index,
            seq,
            entry: Some(parsed.entry.into_event().map_err(|problem| {
                ExportFileError::Malformed {
                    line: number + 1,
                    problem,
                }
            })?),
            stored_hash: None,
        });
    }
    Ok(walk.finish(witnesses, need, |_| Vec::new()))
}

/// Submits new checkpoints to the witnesses while this process leads the
/// sequencer, and files their cosignatures (or refusals).
pub fn start_witnessing(app: App, config: &Config) -> Result<(), String> {
    let targets: Vec<(String, VerifierKey)> = config
        .audit_log
        .witnesses
        .iter()
        .zip(witness_keys(&config.audit_log)?)
        .map(|(w, key)| (w.url.trim_end_matches('/').to_owned(), key))
        .collect();
    if targets.is_empty() {
        return Ok(());
    }
    let interval = Duration::from_millis(config.audit_log.checkpoint_interval_ms);
    std::thread::Builder::new()
        .name("audit-witnesses".into())
        .spawn(move || {
            let agent = ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(10))
                .redirects(0)
                .build();
            let mut states = vec![WitnessState::default(); targets.len()];
            loop {
                std::thread::sleep(interval);
                if !app.leads_sequencer() {
                    continue;
                }
                for ((url, key), state) in targets.iter().zip(states.iter_mut()) {
                    if let Err(error) = witness_once(&app, &agent, url, key, state) {
                        log::warn!("witness {url}: {error}");
                    }
                }
            }
        })
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// What this process knows of one witness.
#[derive(Debug, Clone, Copy, Default)]
struct WitnessState {
    /// The size the witness holds (None: ask the stored cosignatures).
    held: Option<u64>,
    /// The newest checkpoint sent (cosigned or refused).
    tried: u64,
}

fn witness_once(
    app: &App,
    agent: &ureq::Agent,
    url: &str,
    key: &VerifierKey,
    state: &mut WitnessState,
) -> Result<(), String> {
    let Some(request) = app
        .witness_request(key.name(), state.held, state.tried)
        .map_err(|e| format!("{e:?}"))?
    else {
        return Ok(());
    };
    let size = request.checkpoint.size;
    let body = format_add_checkpoint(request.old_size, &request.proof, &request.checkpoint.note);
    let answer = agent
        .post(&format!("{url}/add-checkpoint"))
        .set("Content-Type", "text/plain; charset=utf-8")
        .send_string(&body);
    let file_refusal = |status: u16, detail: &str| {
        app.file_witness_refusal(size, key.name(), status, detail)
            .map_err(|e| format!("{e:?}"))
    };
    match answer {
        Ok(response) => {
            let text = response.into_string().map_err(|e| e.to_string())?;
            let checkpoint_text = request
                .checkpoint
                .note
                .split("\n\n")
                .next()
                .unwrap_or_default()
                .to_owned()
                + "\n";
            let line = text.lines().find(|l| {
                ingang_tlog::note::NoteSignature::parse_line(l)
                    .is_ok_and(|sig| key.verifies(&checkpoint_text, &sig).is_some())
            });
            let Some(line) = line else {
                return Err("the answer holds no valid cosignature by the witness's key".into());
            };
            app.file_cosignature(size, key.name(), line)
                .map_err(|e| format!("{e:?}"))?;
            state.held = Some(size);
            state.tried = size;
            Ok(())
        }
        Err(ureq::Error::Status(409, response)) => {
            let text = response.into_string().unwrap_or_default();
            match text.trim().parse::<u64>() {
                Ok(stored) if Some(stored) != Some(request.old_size) => {
                    // The witness holds another size: ask again from there.
                    state.held = Some(stored);
                    Ok(())
                }
                Ok(_) | Err(_) => {
                    state.tried = size;
                    file_refusal(409, "the witness cosigned another tree of this size")?;
                    Err("409: the witness holds a conflicting checkpoint".into())
                }
            }
        }
        Err(ureq::Error::Status(status, response)) => {
            let text = response.into_string().unwrap_or_default();
            let detail = match status {
                422 => {
                    "the consistency proof does not verify: the log's history changed".to_owned()
                }
                403 => "no signature by the log's key verifies".to_owned(),
                404 => "the witness does not know this log".to_owned(),
                _ => text.chars().take(200).collect(),
            };
            state.tried = size;
            file_refusal(status, &detail)?;
            Err(format!("{status}: {detail}"))
        }
        Err(error) => Err(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ORIGIN: &str = "test.example/audit";

    fn key() -> SigningKey {
        SigningKey::from_seed(ORIGIN, KeyType::Ed25519, [9; 32]).unwrap()
    }

    /// A small valid export: a header, three entries, their checkpoint.
    fn valid_export() -> String {
        let mut tree = ingang_tlog::tree::Frontier::empty();
        let mut lines = header_line(ExportFormat::JsonLines, ORIGIN, false);
        for i in 0..3u64 {
            let event = AuditEvent {
                seq: i as i64 + 1,
                event: ingang_app::NewAuditEvent {
                    at: chrono::DateTime::from_timestamp_micros(1_764_000_000_000_000 + i as i64)
                        .unwrap(),
                    actor_id: ingang_policy::OfficerId(uuid::Uuid::from_u128(7)),
                    actor_agency: ingang_policy::AgencyCode::parse("af").unwrap(),
                    on_behalf_of: None,
                    roles: vec![ingang_policy::Role::Officer],
                    action: ingang_policy::AuditAction::ReadRecord,
                    client_id: None,
                    record_id: None,
                    decision: ingang_policy::Verdict::Allow,
                    reason: None,
                    consent_id: None,
                    request_id: format!("r{i}"),
                    source_addr: None,
                },
            };
            let leaf = ingang_store::leaf::encode(i, event.seq, &event.event);
            tree.append(ingang_tlog::tree::leaf_hash(&leaf));
            lines.push_str(&entry_line(ExportFormat::JsonLines, Some(i), event));
        }
        let keys = LogKeys::new(key(), vec![]);
        let note = keys.sign(tree.size(), tree.root());
        lines.push_str(&serde_json::to_string(&ExportCheckpoint { checkpoint: note }).unwrap());
        lines.push('\n');
        lines
    }

    fn verify_text(text: &[u8]) -> Result<Report, ExportFileError> {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        verify_export_file(file.path(), &[key().verifier()], &[], 0)
    }

    #[test]
    fn a_valid_export_verifies_and_a_changed_one_does_not() {
        let text = valid_export();
        let report = verify_text(text.as_bytes()).unwrap();
        assert_eq!(report.finding, None);
        assert_eq!(report.entries, 3);
        let changed = text.replace("\"r1\"", "\"rX\"");
        let report = verify_text(changed.as_bytes()).unwrap();
        assert!(report.finding.is_some());
        // The last entry changed, under a checkpoint of exactly the whole
        // export: the checkpoint fails, nothing is called deleted.
        let changed = text.replace("\"r2\"", "\"rX\"");
        let report = verify_text(changed.as_bytes()).unwrap();
        assert!(
            matches!(
                report.finding,
                Some(ingang_store::verify::Finding::CheckpointMismatch { size: 3, after: 0 })
            ),
            "{:?}",
            report.finding
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// A corrupt export file is refused or found bad, never a panic.
        #[test]
        fn a_corrupt_export_never_panics(at in 0usize..2000, byte in any::<u8>(), cut in 0usize..2000) {
            let mut bytes = valid_export().into_bytes();
            let at = at % bytes.len();
            bytes[at] = byte;
            bytes.truncate(cut.max(1).min(bytes.len()));
            let _ = verify_text(&bytes);
        }

        /// Whole lines shuffled, dropped or doubled: never a panic.
        #[test]
        fn reordered_lines_never_panic(order in proptest::collection::vec(0usize..5, 0..8)) {
            let text = valid_export();
            let lines: Vec<&str> = text.lines().collect();
            let shuffled: String = order.iter().map(|&i| format!("{}\n", lines[i % lines.len()])).collect();
            let _ = verify_text(shuffled.as_bytes());
        }
    }
}
