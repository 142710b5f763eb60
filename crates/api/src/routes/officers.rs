//! Named officers and system accounts (admin).

use super::{as_caller, required_text};
use crate::auth::Credentials;
use crate::error::{ApiError, Problem};
use crate::schemas::Name200;
use crate::state::AppState;
use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use ingang_app::NewOfficer;
use ingang_policy::bodies::AgencyCodeText;
use ingang_policy::{AgencyCode, OfficerId, Role};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOfficer {
    #[schema(example = "Eva Ek", value_type = Name200)]
    pub name: String,
    #[schema(example = "af", value_type = AgencyCodeText)]
    pub agency: String,
    /// At least one of `officer`, `coordinator`, `system`, `auditor`, `admin`.
    #[schema(example = json!(["officer"]), value_type = Vec<Role>, min_items = 1)]
    pub roles: Vec<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OfficerResponse {
    pub id: Uuid,
    pub name: String,
    #[schema(value_type = AgencyCodeText)]
    pub agency: String,
    #[schema(value_type = Vec<Role>)]
    pub roles: Vec<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub deactivated_at: Option<DateTime<Utc>>,
}

impl From<ingang_app::Officer> for OfficerResponse {
    fn from(o: ingang_app::Officer) -> Self {
        Self {
            id: o.account.id.0,
            name: o.name,
            agency: o.account.agency.to_string(),
            roles: o
                .account
                .roles
                .iter()
                .map(|r| r.as_str().to_owned())
                .collect(),
            active: o.account.active,
            created_at: o.created_at,
            deactivated_at: o.deactivated_at,
        }
    }
}

pub fn parse_roles(roles: &[String]) -> Result<Vec<Role>, ApiError> {
    if roles.is_empty() {
        return Err(ApiError::invalid("roles", "name at least one role"));
    }
    let mut parsed: Vec<Role> = Vec::with_capacity(roles.len());
    for role in roles {
        let role: Role = role.parse().map_err(|_| {
            ApiError::invalid(
                "roles",
                "roles are officer, coordinator, system, auditor or admin",
            )
        })?;
        if !parsed.contains(&role) {
            parsed.push(role);
        }
    }
    Ok(parsed)
}

/// Create a named officer or system account.
#[utoipa::path(tag = "officers", security(("bearer" = [])), request_body = CreateOfficer,
    responses((status = 201, body = OfficerResponse), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json", description = "the agency is not registered")))]
#[post("/v1/officers")]
pub async fn create_officer(
    state: web::Data<AppState>,
    credentials: Credentials,
    body: web::Json<CreateOfficer>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let name = required_text("name", &body.name, 200)?;
    let agency =
        AgencyCode::parse(&body.agency).map_err(|e| ApiError::invalid("agency", e.to_string()))?;
    let roles = parse_roles(&body.roles)?;
    let officer = as_caller(state, credentials, move |app, caller| {
        let new = NewOfficer {
            name,
            agency,
            roles,
        };
        Ok(app.create_officer(&caller, &new)?)
    })
    .await?;
    Ok(HttpResponse::Created().json(OfficerResponse::from(officer)))
}

/// Read an officer.
#[utoipa::path(tag = "officers", security(("bearer" = [])), params(("id" = Uuid, Path, description = "officer id")),
    responses((status = 200, body = OfficerResponse), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/v1/officers/{id}")]
pub async fn get_officer(
    state: web::Data<AppState>,
    credentials: Credentials,
    id: web::Path<OfficerId>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let officer = as_caller(state, credentials, move |app, caller| {
        Ok(app.officer(&caller, id)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(OfficerResponse::from(officer)))
}

/// Deactivate an officer at once: their tokens stop working on the next request.
#[utoipa::path(tag = "officers", security(("bearer" = [])), params(("id" = Uuid, Path, description = "officer id")),
    responses((status = 200, body = OfficerResponse), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[post("/v1/officers/{id}/deactivate")]
pub async fn deactivate_officer(
    state: web::Data<AppState>,
    credentials: Credentials,
    id: web::Path<OfficerId>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let officer = as_caller(state, credentials, move |app, caller| {
        Ok(app.deactivate_officer(&caller, id)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(OfficerResponse::from(officer)))
}

crate::redacted_debug!(CreateOfficer, OfficerResponse);
