//! Consents (coordinator): record a signed consent, list, withdraw.
//! Consents are never edited; a withdrawal is final and takes effect at once.

use super::{as_caller, required_text};
use crate::auth::Credentials;
use crate::body::JsonBody;
use crate::error::{ApiError, Problem};
use crate::schemas::{EvidenceMethod, Purpose500, Reason1000, Sha256Hex};
use crate::state::AppState;
use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use ingang_app::consents::ConsentDraft;
use ingang_app::Consent;
use ingang_policy::bodies::AgencyCodeText;
use ingang_policy::{ClientId, ConsentId, OfficerId, RecordKind};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Recipients {
    /// Named officers.
    #[serde(default)]
    pub officers: Vec<Uuid>,
    /// Whole agencies, where the client chose that.
    #[serde(default)]
    #[schema(value_type = Vec<AgencyCodeText>)]
    pub agencies: Vec<String>,
}

#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    /// Source agencies whose records are covered; empty means all.
    #[serde(default)]
    #[schema(value_type = Vec<AgencyCodeText>)]
    pub from_agencies: Vec<String>,
    /// Record kinds covered; empty means all.
    #[serde(default)]
    #[schema(value_type = Vec<RecordKind>)]
    pub kinds: Vec<String>,
}

#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    #[schema(value_type = EvidenceMethod)]
    pub method: String,
    /// SHA-256 of the signed document, 64 hex digits.
    #[schema(value_type = Sha256Hex)]
    pub document_sha256: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateConsent {
    /// At least one officer or agency.
    pub recipients: Recipients,
    pub scope: Scope,
    #[schema(value_type = Purpose500)]
    pub purpose: String,
    /// Not in the future, and not after `valid_until`.
    pub signed_at: DateTime<Utc>,
    pub valid_from: DateTime<Utc>,
    /// After `valid_from`.
    pub valid_until: DateTime<Utc>,
    pub evidence: Evidence,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawConsent {
    #[schema(value_type = Reason1000)]
    pub reason: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ConsentResponse {
    pub id: Uuid,
    pub client_id: Uuid,
    pub recipients: Recipients,
    pub scope: Scope,
    pub purpose: String,
    pub signed_at: DateTime<Utc>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    pub evidence: Evidence,
    pub recorded_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub withdrawn_by: Option<Uuid>,
    pub withdrawal_reason: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ConsentList {
    pub items: Vec<ConsentResponse>,
    pub next_cursor: Option<String>,
}

impl From<Consent> for ConsentResponse {
    fn from(c: Consent) -> Self {
        let t = c.terms;
        Self {
            id: c.id.0,
            client_id: c.client_id.0,
            recipients: Recipients {
                officers: t.recipient_officers.iter().map(|o| o.0).collect(),
                agencies: t
                    .recipient_agencies
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
            },
            scope: Scope {
                from_agencies: t.from_agencies.iter().map(ToString::to_string).collect(),
                kinds: t.kinds.iter().map(|k| k.as_str().to_owned()).collect(),
            },
            purpose: t.purpose,
            signed_at: t.signed_at,
            valid_from: t.valid_from,
            valid_until: t.valid_until,
            evidence: Evidence {
                method: t.evidence.method.as_str().to_owned(),
                document_sha256: t.evidence.document_sha256,
            },
            recorded_by: c.recorded_by.0,
            created_at: c.created_at,
            withdrawn_at: c.withdrawn_at,
            withdrawn_by: c.withdrawn_by.map(|w| w.0),
            withdrawal_reason: c.withdrawal_reason,
        }
    }
}

impl From<CreateConsent> for ConsentDraft {
    fn from(body: CreateConsent) -> Self {
        ConsentDraft {
            recipient_officers: body
                .recipients
                .officers
                .into_iter()
                .map(OfficerId)
                .collect(),
            recipient_agencies: body.recipients.agencies,
            from_agencies: body.scope.from_agencies,
            kinds: body.scope.kinds,
            purpose: body.purpose,
            signed_at: body.signed_at,
            valid_from: body.valid_from,
            valid_until: body.valid_until,
            evidence_method: body.evidence.method,
            document_sha256: body.evidence.document_sha256,
        }
    }
}

/// Record a signed consent.
#[utoipa::path(tag = "consents", security(("bearer" = [])), params(("id" = Uuid, Path, description = "client id")), request_body = CreateConsent,
    responses((status = 201, body = ConsentResponse), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json", description = "names an officer or agency that is not registered"), (status = 410, body = Problem, content_type = "application/problem+json")))]
#[post("/v1/clients/{id}/consents")]
pub async fn create_consent(
    state: web::Data<AppState>,
    credentials: Credentials,
    id: web::Path<ClientId>,
    body: JsonBody<CreateConsent>,
) -> Result<HttpResponse, ApiError> {
    let client = id.into_inner();
    let draft = ConsentDraft::from(body.into_inner());
    let consent = as_caller(state, credentials, move |app, caller| {
        Ok(app.record_consent(&caller, client, draft)?)
    })
    .await?;
    Ok(HttpResponse::Created().json(ConsentResponse::from(consent)))
}

/// The client's consents, oldest first.
#[utoipa::path(tag = "consents", security(("bearer" = [])), params(("id" = Uuid, Path, description = "client id")),
    responses((status = 200, body = ConsentList), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 410, body = Problem, content_type = "application/problem+json")))]
#[get("/v1/clients/{id}/consents")]
pub async fn list_consents(
    state: web::Data<AppState>,
    credentials: Credentials,
    id: web::Path<ClientId>,
) -> Result<HttpResponse, ApiError> {
    let client = id.into_inner();
    let consents = as_caller(state, credentials, move |app, caller| {
        Ok(app.consents(&caller, client)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(ConsentList {
        items: consents.into_iter().map(Into::into).collect(),
        next_cursor: None,
    }))
}

/// Withdraw a consent: final, effective on the very next request.
#[utoipa::path(tag = "consents", security(("bearer" = [])), params(("id" = Uuid, Path, description = "consent id")), request_body = WithdrawConsent,
    responses((status = 200, body = ConsentResponse), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 410, body = Problem, content_type = "application/problem+json")))]
#[post("/v1/consents/{id}/withdraw")]
pub async fn withdraw_consent(
    state: web::Data<AppState>,
    credentials: Credentials,
    id: web::Path<ConsentId>,
    body: JsonBody<WithdrawConsent>,
) -> Result<HttpResponse, ApiError> {
    let consent_id = id.into_inner();
    let reason = required_text("reason", &body.reason, 1000)?;
    let consent = as_caller(state, credentials, move |app, caller| {
        Ok(app.withdraw_consent(&caller, consent_id, &reason)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(ConsentResponse::from(consent)))
}

crate::redacted_debug!(CreateConsent, WithdrawConsent, ConsentResponse, ConsentList);
