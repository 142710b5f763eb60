//! The `ingang audit` commands (docs/audit-log.md): verification from the
//! database or an export file, proof checking with only the public key,
//! export, and signing a checkpoint now.

use crate::config::Config;
use crate::routes::transparency::{finding_response, ProofResponse};
use crate::server;
use crate::transparency::{self as t, ExportFormat};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ingang_app::transparency::ExportPage;
use ingang_app::{AuditFilter, VerifyReport};
use ingang_policy::{OfficerId, Role};
use ingang_tlog::checkpoint::Checkpoint;
use ingang_tlog::note::{Note, VerifierKey};
use ingang_tlog::tree;
use std::io::Write;
use std::path::PathBuf;

fn parse_keys(keys: &[String], what: &str) -> Result<Vec<VerifierKey>, String> {
    keys.iter()
        .map(|k| VerifierKey::parse(k).map_err(|e| format!("{what} {k}: {e}")))
        .collect()
}

fn request_id(what: &str) -> String {
    format!("{what}-{}", uuid::Uuid::new_v4())
}

fn print_report(report: &VerifyReport, pending: Option<i64>, need: usize) -> Result<(), String> {
    println!("entries checked: {}", report.entries);
    println!("checkpoints checked: {}", report.checkpoints);
    if let Some((size, root)) = report.latest {
        println!(
            "newest checkpoint: {size} entries, root {}",
            root.to_base64()
        );
    }
    println!(
        "witness cosignatures on it: {} (required {need})",
        report.cosignatures
    );
    if let Some(pending) = pending {
        println!("entries waiting for the sequencer: {pending}");
    }
    match &report.finding {
        None => {
            println!("the log is intact");
            Ok(())
        }
        Some(finding) => {
            let f = finding_response(finding);
            Err(format!("verification FAILED ({}): {}", f.kind, f.detail))
        }
    }
}

/// `ingang audit verify`.
pub fn verify(
    config: Config,
    export: Option<PathBuf>,
    need: usize,
    auditor: Option<OfficerId>,
    keys: Vec<String>,
    witness_keys: Vec<String>,
) -> Result<(), String> {
    let log = if keys.is_empty() {
        t::log_keys(&config)?.verifiers().to_vec()
    } else {
        parse_keys(&keys, "--key")?
    };
    let witnesses = if witness_keys.is_empty() {
        t::witness_keys(&config.audit_log)?
    } else {
        parse_keys(&witness_keys, "--witness-key")?
    };
    if need > witnesses.len() {
        return Err(format!(
            "--witnesses {need}: only {} witness keys are known (configure [[audit_log.witnesses]] or pass --witness-key)",
            witnesses.len()
        ));
    }
    match export {
        Some(path) => {
            let report =
                t::verify_export_file(&path, &log, &witnesses, need).map_err(|e| e.to_string())?;
            print_report(&report, None, need)
        }
        None => {
            let auditor = auditor.ok_or(
                "--auditor: verification of the database is audited as an auditor's account (or pass --export FILE)",
            )?;
            let state = server::open_state(config).map_err(|e| e.to_string())?;
            let (report, pending) = state
                .app
                .session()
                .and_then(|mut s| {
                    let caller = s.operator(auditor, Role::Auditor, request_id("verify"))?;
                    s.verify_log(&caller, need)
                })
                .map_err(|e| format!("{e:?}"))?;
            print_report(&report, Some(pending), need)
        }
    }
}

/// `ingang audit verify-proof`: only the public key is needed.
pub fn verify_proof(
    key: &str,
    witness_keys: &[String],
    need: usize,
    path: &PathBuf,
) -> Result<(), String> {
    let key = VerifierKey::parse(key).map_err(|e| format!("--key: {e}"))?;
    let witnesses = parse_keys(witness_keys, "--witness-key")?;
    let text = if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .map_err(|e| e.to_string())?;
        text
    } else {
        std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?
    };
    let proof: ProofResponse =
        serde_json::from_str(&text).map_err(|e| format!("the proof is not a proof's JSON: {e}"))?;
    let note = Note::parse(proof.checkpoint.note.as_bytes())
        .map_err(|e| format!("the checkpoint: {e}"))?;
    note.verify(std::slice::from_ref(&key))
        .map_err(|e| format!("the checkpoint is not signed by the log's key: {e}"))?;
    let checkpoint = Checkpoint::parse(note.text()).map_err(|e| format!("the checkpoint: {e}"))?;
    if checkpoint.origin != key.name() {
        return Err(format!(
            "the checkpoint is of log '{}', not '{}'",
            checkpoint.origin,
            key.name()
        ));
    }
    let leaf = STANDARD
        .decode(&proof.leaf)
        .map_err(|_| "the leaf is not base64".to_owned())?;
    let decoded = ingang_store::leaf::decode(&leaf).map_err(|e| e.to_string())?;
    if decoded.leaf_index != proof.leaf_index || decoded.seq != proof.seq {
        return Err("the leaf names another place or entry than the proof".into());
    }
    let hashes = proof
        .hashes
        .iter()
        .map(|h| tree::Hash::from_base64(h).ok_or_else(|| format!("'{h}' is not a base64 hash")))
        .collect::<Result<Vec<_>, _>>()?;
    tree::verify_inclusion(
        proof.leaf_index,
        checkpoint.size,
        &tree::leaf_hash(&leaf),
        &hashes,
        &checkpoint.root,
    )
    .map_err(|e| format!("the inclusion proof FAILED: {e}"))?;
    let cosigned = if witnesses.is_empty() {
        0
    } else {
        note.verify(&witnesses).map_or(0, |signed| signed.len())
    };
    if cosigned < need {
        return Err(format!(
            "the checkpoint carries {cosigned} of the {need} witness cosignatures required"
        ));
    }
    let e = &decoded.event;
    println!(
        "entry {} is leaf {} of the checkpoint of {} entries signed by {}",
        decoded.seq,
        decoded.leaf_index,
        checkpoint.size,
        key.name()
    );
    println!(
        "at {}: {} ({}) {} {} client {} record {}{}",
        e.at.to_rfc3339(),
        e.actor_id,
        e.actor_agency.as_str(),
        e.action.as_str(),
        e.decision.as_str(),
        e.client_id
            .map(|c| c.to_string())
            .unwrap_or_else(|| "-".into()),
        e.record_id
            .map(|c| c.to_string())
            .unwrap_or_else(|| "-".into()),
        e.reason
            .map(|r| format!(" ({})", r.as_str()))
            .unwrap_or_default(),
    );
    println!("witness cosignatures: {cosigned}");
    Ok(())
}

/// `ingang audit export`.
pub fn export(
    config: Config,
    format: &str,
    auditor: OfficerId,
    out: Option<PathBuf>,
) -> Result<(), String> {
    let format = match format {
        "csv" => ExportFormat::Csv,
        _ => ExportFormat::JsonLines,
    };
    let origin = config.audit_log.origin.clone();
    let state = server::open_state(config).map_err(|e| e.to_string())?;
    let mut sink: Box<dyn Write> = match &out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let mut failed = None;
    let mut session = state.app.session().map_err(|e| format!("{e:?}"))?;
    let caller = session
        .operator(auditor, Role::Auditor, request_id("export"))
        .map_err(|e| format!("{e:?}"))?;
    let mut header = Some(t::header_line(format, &origin, false));
    session
        .export_audit(&caller, &AuditFilter::default(), |page| {
            let mut text = header.take().unwrap_or_default();
            text.push_str(&match page {
                ExportPage::Sequenced(entries) => t::sequenced_lines(format, entries),
                ExportPage::Pending(entries) => entries
                    .into_iter()
                    .map(|e| t::entry_line(format, None, e))
                    .collect(),
                ExportPage::Checkpoints(list) => t::checkpoint_lines(format, &list),
            });
            match sink.write_all(text.as_bytes()) {
                Ok(()) => true,
                Err(e) => {
                    failed = Some(e.to_string());
                    false
                }
            }
        })
        .map_err(|e| format!("{e:?}"))?;
    if let Some(error) = failed {
        return Err(error);
    }
    sink.flush().map_err(|e| e.to_string())
}

/// `ingang audit checkpoint`: integrate what is queued and sign now.
pub fn checkpoint(config: Config) -> Result<(), String> {
    let keys = t::log_keys(&config)?;
    let url = config.database();
    ingang_store::db::migrate(&url).map_err(|e| e.to_string())?;
    let holder = format!("cli/{}", std::process::id());
    match ingang_store::merkle::sequence_now(
        &url,
        &keys,
        &holder,
        std::time::Duration::from_secs(10),
    )
    .map_err(|e| e.to_string())?
    {
        Some(c) => println!(
            "signed the checkpoint of {} entries, root {}",
            c.size,
            c.root.to_base64()
        ),
        None => println!("the newest checkpoint already covers the whole tree"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// A corrupt proof file gives an error, never a panic.
        #[test]
        fn a_corrupt_proof_never_panics(text in "\\PC{0,300}", leaf_index in any::<u64>(), size in any::<u64>(), hashes in proptest::collection::vec("[A-Za-z0-9+/=]{0,50}", 0..70)) {
            let file = tempfile::NamedTempFile::new().unwrap();
            std::fs::write(file.path(), &text).unwrap();
            let key = ingang_tlog::note::SigningKey::from_seed("o", ingang_tlog::note::KeyType::Ed25519, [1; 32])
                .unwrap()
                .verifier()
                .to_string();
            let _ = verify_proof(&key, &[], 0, &file.path().to_path_buf());
            let proof = serde_json::json!({
                "seq": 1, "leaf_index": leaf_index, "leaf": text, "hashes": hashes,
                "checkpoint": {"note": format!("o\n{size}\nAAAA\n\n— o AAAAAAAA\n"), "origin": "o", "tree_size": size,
                    "root_hash": "", "signed_at": "2026-11-30T00:00:00Z", "cosignatures": []}
            });
            std::fs::write(file.path(), proof.to_string()).unwrap();
            let _ = verify_proof(&key, &[], 0, &file.path().to_path_buf());
        }
    }
}
