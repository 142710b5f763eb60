//! The audit log query (auditor) and the client's access-log extract
//! (auditor, coordinator). Both are themselves audited.

use super::{agency_filter, as_caller, page_limit, parse_seq_cursor};
use crate::auth::Credentials;
use crate::error::{ApiError, Problem};
use crate::schemas::{AuditAction, AuditDecision};
use crate::state::AppState;
use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, Utc};
use ingang_app::{AuditEvent, AuditFilter};
use ingang_policy::bodies::AgencyCodeText;
use ingang_policy::DenyReason;
use ingang_policy::{AgencyCode, ClientId, ConsentId, OfficerId, RecordId};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    #[param(value_type = Option<Uuid>)]
    pub client_id: Option<ClientId>,
    #[param(value_type = Option<Uuid>)]
    pub actor_id: Option<OfficerId>,
    /// The actor's agency code.
    #[param(value_type = Option<AgencyCodeText>)]
    pub agency: Option<String>,
    #[param(value_type = Option<AuditAction>)]
    pub action: Option<String>,
    #[param(value_type = Option<AuditDecision>)]
    pub decision: Option<String>,
    /// From this time (inclusive), RFC 3339.
    pub from: Option<DateTime<Utc>>,
    /// Until this time (exclusive), RFC 3339.
    pub to: Option<DateTime<Utc>>,
    /// The previous page's `next_cursor`.
    #[param(pattern = r"^[0-9]{1,18}$")]
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEventResponse {
    pub seq: i64,
    pub at: DateTime<Utc>,
    #[schema(value_type = String)]
    pub actor_id: OfficerId,
    #[schema(value_type = AgencyCodeText)]
    pub actor_agency: AgencyCode,
    #[schema(value_type = Option<String>)]
    pub on_behalf_of: Option<OfficerId>,
    /// The roles the actor's token used, comma-separated.
    pub roles: String,
    #[schema(value_type = AuditAction)]
    pub action: ingang_policy::AuditAction,
    #[schema(value_type = Option<String>)]
    pub client_id: Option<ClientId>,
    #[schema(value_type = Option<String>)]
    pub record_id: Option<RecordId>,
    #[schema(value_type = AuditDecision)]
    pub decision: ingang_policy::Verdict,
    pub reason: Option<DenyReason>,
    #[schema(value_type = Option<String>)]
    pub consent_id: Option<ConsentId>,
    pub request_id: String,
    pub source_addr: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEventResponse>,
    pub next_cursor: Option<String>,
}

impl From<AuditEvent> for AuditEventResponse {
    fn from(e: AuditEvent) -> Self {
        let v = e.event;
        Self {
            seq: e.seq,
            at: v.at,
            actor_id: v.actor_id,
            actor_agency: v.actor_agency,
            on_behalf_of: v.on_behalf_of,
            roles: comma_separated(&v.roles),
            action: v.action,
            client_id: v.client_id,
            record_id: v.record_id,
            decision: v.decision,
            reason: v.reason,
            consent_id: v.consent_id,
            request_id: v.request_id,
            source_addr: v.source_addr,
        }
    }
}

impl AuditEventResponse {
    /// The entry back from its exported form (verification of an export).
    pub fn into_event(self) -> Result<AuditEvent, String> {
        let roles = self
            .roles
            .split(',')
            .filter(|r| !r.is_empty())
            .map(|r| r.parse().map_err(|_| format!("unknown role '{r}'")))
            .collect::<Result<Vec<ingang_policy::Role>, String>>()?;
        Ok(AuditEvent {
            seq: self.seq,
            event: ingang_app::NewAuditEvent {
                at: self.at,
                actor_id: self.actor_id,
                actor_agency: self.actor_agency,
                on_behalf_of: self.on_behalf_of,
                roles,
                action: self.action,
                client_id: self.client_id,
                record_id: self.record_id,
                decision: self.decision,
                reason: self.reason,
                consent_id: self.consent_id,
                request_id: self.request_id,
                source_addr: self.source_addr,
            },
        })
    }
}

/// Roles as the log stores them: names in alphabetical order.
fn comma_separated(roles: &[ingang_policy::Role]) -> String {
    let mut names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    names.sort_unstable();
    names.join(",")
}

fn after_seq(cursor: Option<&str>) -> Result<Option<i64>, ApiError> {
    cursor.map(parse_seq_cursor).transpose()
}

fn page(events: Vec<AuditEvent>, limit: i64) -> AuditPage {
    let full = events.len() as i64 == limit;
    let next_cursor = if full {
        events.last().map(|e| e.seq.to_string())
    } else {
        None
    };
    AuditPage {
        items: events.into_iter().map(Into::into).collect(),
        next_cursor,
    }
}

/// The filter a query names, each field checked and named when wrong.
pub fn filter_of(q: AuditQuery) -> Result<AuditFilter, ApiError> {
    let agency = agency_filter("agency", q.agency.as_deref())?;
    let decision = q
        .decision
        .map(|d| d.parse())
        .transpose()
        .map_err(|_| ApiError::invalid("decision", "must be 'allow' or 'deny'"))?;
    let action = q.action.map(|a| a.parse()).transpose().map_err(|_| {
        ApiError::invalid(
            "action",
            "must be an action of the audit log, such as 'record.read'",
        )
    })?;
    Ok(AuditFilter {
        client_id: q.client_id,
        actor_id: q.actor_id,
        agency,
        action,
        decision,
        from: q.from,
        to: q.to,
        after_seq: after_seq(q.cursor.as_deref())?,
    })
}

/// Query the audit log, oldest first.
#[utoipa::path(tag = "audit", security(("bearer" = [])), params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
#[get("/v1/audit/events")]
pub async fn audit_events(
    state: web::Data<AppState>,
    credentials: Credentials,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let limit = page_limit(q.limit)?;
    let filter = filter_of(q)?;
    let events = as_caller(state, credentials, move |app, caller| {
        Ok(app.audit_events(&caller, &filter, limit)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page(events, limit)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExtractQuery {
    /// The previous page's `next_cursor`.
    #[param(pattern = r"^[0-9]{1,18}$")]
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The language of the texts: `sv` (default) or `en`.
    #[param(pattern = "^(sv|en)$")]
    pub lang: Option<String>,
}

/// One access to the client's data, as the person reads it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExtractItem {
    #[serde(flatten)]
    pub entry: AuditEventResponse,
    /// The officer's (or system account's) name.
    pub actor_name: Option<String>,
    /// The name of the officer a system account acted for.
    pub on_behalf_of_name: Option<String>,
    /// The name of the actor's agency.
    pub agency_name: Option<String>,
    /// What kind of record was read or written.
    #[schema(value_type = Option<ingang_policy::RecordKind>)]
    pub record_kind: Option<ingang_policy::RecordKind>,
    /// The purpose of the consent the access relied on (absent once the
    /// client is erased: it was sealed under the destroyed key).
    pub consent_purpose: Option<String>,
    /// What was done, in the chosen language.
    pub action_text: String,
    /// Allowed, or refused and why, in the chosen language.
    pub outcome_text: String,
    /// The kind of record in the chosen language.
    pub record_kind_text: Option<String>,
}

/// The client's extract: every access to their data.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExtractPage {
    #[schema(value_type = String)]
    pub client_id: ClientId,
    /// The client was erased; their data is unreadable, the log remains.
    pub erased: bool,
    #[schema(pattern = "^(sv|en)$")]
    pub lang: String,
    pub items: Vec<ExtractItem>,
    pub next_cursor: Option<String>,
}

fn extract_lang(lang: Option<&str>) -> Result<ingang_web::i18n::Lang, ApiError> {
    match lang {
        None => Ok(ingang_web::i18n::Lang::Sv),
        Some(code) => ingang_web::i18n::Lang::from_code(code)
            .ok_or_else(|| ApiError::invalid("lang", "must be 'sv' or 'en'")),
    }
}

/// The client's extract: every access to their data, oldest first, with
/// who (name and agency), what kind of record, allowed or refused and why,
/// and under which consent (its purpose), in Swedish or English.
#[utoipa::path(tag = "audit", security(("bearer" = [])), params(("id" = Uuid, Path, description = "client id"), ExtractQuery),
    responses((status = 200, body = ExtractPage), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/v1/clients/{id}/access-log")]
pub async fn access_log(
    state: web::Data<AppState>,
    credentials: Credentials,
    id: web::Path<ClientId>,
    query: web::Query<ExtractQuery>,
) -> Result<HttpResponse, ApiError> {
    use ingang_web::i18n::T;
    let client = id.into_inner();
    let q = query.into_inner();
    let limit = page_limit(q.limit)?;
    let after = after_seq(q.cursor.as_deref())?;
    let lang = extract_lang(q.lang.as_deref())?;
    let extract = as_caller(state, credentials, move |app, caller| {
        Ok(app.access_log(&caller, client, after, limit)?)
    })
    .await?;
    let full = extract.entries.len() as i64 == limit;
    let next_cursor = if full {
        extract.entries.last().map(|e| e.event.seq.to_string())
    } else {
        None
    };
    let items = extract
        .entries
        .into_iter()
        .map(|e| {
            let action_text = T::action(e.event.event.action).in_(lang).to_owned();
            let outcome_text = match (e.event.event.decision, e.event.event.reason) {
                (ingang_policy::Verdict::Allow, _) => T::Allowed.in_(lang).to_owned(),
                (ingang_policy::Verdict::Deny, Some(reason)) => {
                    format!("{}: {}", T::Refused.in_(lang), lang.logged_refusal(reason))
                }
                (ingang_policy::Verdict::Deny, None) => T::Refused.in_(lang).to_owned(),
            };
            ExtractItem {
                record_kind_text: e.record_kind.map(|k| lang.kind(k).to_owned()),
                entry: e.event.into(),
                actor_name: e.actor_name,
                on_behalf_of_name: e.on_behalf_of_name,
                agency_name: e.agency_name,
                record_kind: e.record_kind,
                consent_purpose: e.consent_purpose,
                action_text,
                outcome_text,
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(ExtractPage {
        client_id: extract.client,
        erased: extract.erased,
        lang: lang.code().to_owned(),
        items,
        next_cursor,
    }))
}
