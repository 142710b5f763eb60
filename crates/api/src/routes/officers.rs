//! Named officers and system accounts (admin).

use super::{agency_filter, as_caller, page_limit, parse_time_cursor, required_text, time_cursor};
use crate::auth::Credentials;
use crate::body::JsonBody;
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
    body: JsonBody<CreateOfficer>,
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

/// Filters and paging of the officer list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OfficerQuery {
    /// Only accounts of this agency.
    #[param(value_type = Option<AgencyCodeText>)]
    pub agency: Option<String>,
    /// The previous page's `next_cursor`, `<created_at in µs>_<id>`.
    #[param(
        pattern = "^[0-9]{1,18}_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
    )]
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OfficerList {
    pub items: Vec<OfficerResponse>,
    pub next_cursor: Option<String>,
}

/// Officers and system accounts, oldest first, optionally of one agency
/// (admin).
#[utoipa::path(tag = "officers", security(("bearer" = [])), params(OfficerQuery),
    responses((status = 200, body = OfficerList), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
#[get("/v1/officers")]
pub async fn list_officers(
    state: web::Data<AppState>,
    credentials: Credentials,
    query: web::Query<OfficerQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let limit = page_limit(q.limit)?;
    let agency = agency_filter("agency", q.agency.as_deref())?;
    let after = q.cursor.as_deref().map(parse_time_cursor).transpose()?;
    let mut officers = as_caller(state, credentials, move |app, caller| {
        Ok(app.list_officers(&caller, agency.as_ref(), after, limit + 1)?)
    })
    .await?;
    let next_cursor = if officers.len() as i64 > limit {
        officers.truncate(usize::try_from(limit).unwrap_or(0));
        officers
            .last()
            .map(|o| time_cursor((o.created_at, o.account.id)))
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(OfficerList {
        items: officers.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}
