//! The auditor's view of the log's integrity: the newest signed checkpoint
//! with its witnesses' cosignatures, the log's public key, a verification
//! of the whole log on request, and an entry's inclusion proof. Each is
//! audited by its use case.

use super::layout::{self, short_id};
use super::signed_page;
use crate::error::PageError;
use crate::i18n::{Lang, T};
use actix_web::{web, HttpRequest, HttpResponse};
use ingang_app::{StoredCheckpoint, VerifyReport};
use ingang_policy::Verdict;
use maud::{html, Markup};

type Query = web::Query<Vec<(String, String)>>;

fn checkpoint_section(lang: Lang, checkpoint: &StoredCheckpoint) -> Markup {
    html! {
        dl.identity {
            dt { (T::TreeSize.in_(lang)) } dd { (checkpoint.size) }
            dt { (T::RootHash.in_(lang)) } dd { code.hash { (checkpoint.root.to_base64()) } }
            dt { (T::SignedAt.in_(lang)) } dd { (lang.moment(checkpoint.signed_at)) }
        }
        h3 { (T::Cosignatures.in_(lang)) }
        @if checkpoint.cosignatures.is_empty() {
            p { (T::NoCosignatures.in_(lang)) }
        } @else {
            ul.cosignatures {
                @for c in &checkpoint.cosignatures {
                    li { (c.witness) " — " (lang.moment(c.received_at)) }
                }
            }
        }
        details {
            summary { (T::SignedNote.in_(lang)) }
            pre.note { (checkpoint.cosigned_note()) }
        }
    }
}

fn report_section(lang: Lang, report: &VerifyReport, pending: i64) -> Markup {
    html! {
        @match &report.finding {
            None => {
                p.verified role="status" {
                    strong { (T::LogIntact.in_(lang)) }
                    " " (T::EntriesChecked.in_(lang)) ": " (report.entries) ", "
                    (T::CheckpointsChecked.in_(lang)) ": " (report.checkpoints) ", "
                    (T::Pending.in_(lang)) ": " (pending) "."
                }
            }
            Some(finding) => {
                div.error-summary role="alert" {
                    h3 { (T::LogNotIntact.in_(lang)) }
                    p { (finding.to_string()) }
                }
            }
        }
    }
}

/// `GET /audit/integrity`: the newest checkpoint and, with `verify=1`, a
/// verification of the whole log.
pub async fn page(req: HttpRequest, query: Query) -> HttpResponse {
    let verify = query.iter().any(|(k, v)| k == "verify" && v == "1");
    signed_page(&req, move |session, signed, ctx| {
        let caller = &signed.caller.caller;
        let lang = ctx.lang;
        let identity = session.log_identity(caller)?;
        let latest = match session.latest_checkpoint(caller) {
            Ok(checkpoint) => Some(checkpoint),
            Err(ingang_app::AppError::Conflict(_)) => None,
            Err(other) => return Err(other.into()),
        };
        let report = if verify {
            Some(session.verify_log(caller, 0)?)
        } else {
            None
        };
        let title = ctx.t(T::Integrity);
        let body = html! {
            h1 { (title) }
            p { (ctx.t(T::IntegrityIntro)) }
            section aria-labelledby="verification" {
                h2 #verification { (ctx.t(T::Verification)) }
                @if let Some((report, pending)) = &report { (report_section(lang, report, *pending)) }
                form method="get" action="/audit/integrity" {
                    input type="hidden" name="verify" value="1";
                    button type="submit" { (ctx.t(T::VerifyNow)) }
                }
            }
            section aria-labelledby="checkpoint" {
                h2 #checkpoint { (ctx.t(T::LatestCheckpoint)) }
                @match &latest {
                    Some(checkpoint) => { (checkpoint_section(lang, checkpoint)) },
                    None => { p { (ctx.t(T::NoCheckpoint)) } },
                }
            }
            section aria-labelledby="key" {
                h2 #key { (ctx.t(T::PublicKey)) }
                p { (ctx.t(T::PublicKeyIntro)) }
                p { code.hash { (identity.verifier_key) } }
                @if !identity.witness_keys.is_empty() {
                    h3 { (ctx.t(T::Witnesses)) }
                    ul { @for key in &identity.witness_keys { li { code.hash { (key) } } } }
                }
            }
        };
        Ok(layout::ok(&layout::page(ctx, title, body)))
    })
    .await
}

/// `GET /audit/entries/{seq}/proof`: an entry's inclusion proof, checked
/// here against the signed checkpoint, and how to check it elsewhere.
pub async fn proof(req: HttpRequest, seq: web::Path<String>) -> HttpResponse {
    let seq = seq.into_inner();
    signed_page(&req, move |session, signed, ctx| {
        let seq: i64 = seq
            .parse()
            .ok()
            .filter(|s| *s > 0)
            .ok_or(PageError::MalformedId)?;
        let lang = ctx.lang;
        let proof = session.inclusion_proof(&signed.caller.caller, seq, None)?;
        let leaf = ingang_app::decode_leaf(&proof.leaf)
            .map_err(|e| PageError::Internal(e.to_string()))?;
        let checked = ingang_tlog::tree::verify_inclusion(
            proof.leaf_index,
            proof.checkpoint.size,
            &ingang_tlog::tree::leaf_hash(&proof.leaf),
            &proof.hashes,
            &proof.checkpoint.root,
        );
        let e = &leaf.event;
        let title = format!("{} {seq}", ctx.t(T::ProofOfEntry));
        let body = html! {
            h1 { (title) }
            @match &checked {
                Ok(()) => { p.verified role="status" { strong { (ctx.t(T::ProofHolds)) } } },
                Err(error) => { div.error-summary role="alert" { p { (ctx.t(T::ProofFails)) ": " (error.to_string()) } } },
            }
            h2 { (ctx.t(T::TheEntry)) }
            dl.identity {
                dt { (ctx.t(T::LeafIndex)) } dd { (proof.leaf_index) }
                dt { (ctx.t(T::When)) } dd { (lang.moment(e.at)) }
                dt { (ctx.t(T::Who)) } dd { code { (short_id(&e.actor_id)) } " (" (e.actor_agency) ")" }
                dt { (ctx.t(T::What)) } dd { (T::action(e.action).in_(lang)) }
                dt { (ctx.t(T::Outcome)) } dd {
                    @match (e.decision, e.reason) {
                        (Verdict::Allow, _) => { (ctx.t(T::Allowed)) },
                        (Verdict::Deny, Some(reason)) => { (ctx.t(T::Refused)) ": " (lang.logged_refusal(reason)) },
                        (Verdict::Deny, None) => { (ctx.t(T::Refused)) },
                    }
                }
            }
            h2 { (ctx.t(T::ProofPath)) }
            ol.hashes { @for hash in &proof.hashes { li { code.hash { (hash.to_base64()) } } } }
            h2 { (ctx.t(T::LatestCheckpoint)) }
            (checkpoint_section(lang, &proof.checkpoint))
            h2 { (ctx.t(T::CheckElsewhere)) }
            p { (ctx.t(T::CheckElsewhereText)) }
            pre { "GET /v1/audit/events/" (seq) "/proof > proof.json\ningang audit verify-proof --key '<" (ctx.t(T::PublicKey)) ">' proof.json" }
        };
        Ok(layout::ok(&layout::page(ctx, &title, body)))
    })
    .await
}
