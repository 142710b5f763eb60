//! Agencies (admin).

use super::{as_caller, required_text};
use crate::auth::Credentials;
use crate::body::JsonBody;
use crate::error::{ApiError, Problem};
use crate::schemas::Name200;
use crate::state::AppState;
use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use ingang_policy::bodies::AgencyCodeText;
use ingang_policy::AgencyCode;
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAgency {
    /// 2–32 characters of `a-z`, `0-9`, `-`, starting with a letter.
    #[schema(example = "af", value_type = AgencyCodeText)]
    pub code: String,
    #[schema(example = "Arbetsförmedlingen Hässleholm", value_type = Name200)]
    pub name: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AgencyResponse {
    #[schema(value_type = AgencyCodeText)]
    pub code: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AgencyList {
    pub items: Vec<AgencyResponse>,
    pub next_cursor: Option<String>,
}

impl From<ingang_app::Agency> for AgencyResponse {
    fn from(a: ingang_app::Agency) -> Self {
        Self {
            code: a.code.to_string(),
            name: a.name,
            created_at: a.created_at,
        }
    }
}

/// Register an agency.
#[utoipa::path(tag = "agencies", security(("bearer" = [])), request_body = CreateAgency,
    responses((status = 201, body = AgencyResponse), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")))]
#[post("/v1/agencies")]
pub async fn create_agency(
    state: web::Data<AppState>,
    credentials: Credentials,
    body: JsonBody<CreateAgency>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let code =
        AgencyCode::parse(&body.code).map_err(|e| ApiError::invalid("code", e.to_string()))?;
    let name = required_text("name", &body.name, 200)?;
    let agency = as_caller(state, credentials, move |app, caller| {
        Ok(app.create_agency(&caller, &code, &name)?)
    })
    .await?;
    Ok(HttpResponse::Created().json(AgencyResponse::from(agency)))
}

/// List agencies.
#[utoipa::path(tag = "agencies", security(("bearer" = [])),
    responses((status = 200, body = AgencyList), (status = 403, body = Problem, content_type = "application/problem+json")))]
#[get("/v1/agencies")]
pub async fn list_agencies(
    state: web::Data<AppState>,
    credentials: Credentials,
) -> Result<HttpResponse, ApiError> {
    let agencies = as_caller(state, credentials, move |app, caller| {
        Ok(app.list_agencies(&caller)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(AgencyList {
        items: agencies.into_iter().map(Into::into).collect(),
        next_cursor: None,
    }))
}
