//! Assignments: an officer takes a client as their own (coordinator, or a
//! system account for its own agency's officers).

use super::as_caller;
use crate::auth::Credentials;
use crate::body::JsonBody;
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use ingang_app::Assignment;
use ingang_policy::{AssignmentId, ClientId, OfficerId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAssignment {
    pub officer_id: Uuid,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AssignmentResponse {
    pub id: Uuid,
    pub client_id: Uuid,
    pub officer_id: Uuid,
    #[schema(value_type = ingang_policy::bodies::AgencyCodeText)]
    pub officer_agency: String,
    pub created_by: Uuid,
    pub starts_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

impl From<Assignment> for AssignmentResponse {
    fn from(a: Assignment) -> Self {
        Self {
            id: a.id.0,
            client_id: a.client_id.0,
            officer_id: a.officer_id.0,
            officer_agency: a.officer_agency.to_string(),
            created_by: a.created_by.0,
            starts_at: a.starts_at,
            ended_at: a.ended_at,
        }
    }
}

/// Assign an officer to a client.
#[utoipa::path(tag = "assignments", security(("bearer" = [])), params(("id" = Uuid, Path, description = "client id")), request_body = CreateAssignment,
    responses((status = 201, body = AssignmentResponse), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 410, body = Problem, content_type = "application/problem+json")))]
#[post("/v1/clients/{id}/assignments")]
pub async fn create_assignment(
    state: web::Data<AppState>,
    credentials: Credentials,
    id: web::Path<ClientId>,
    body: JsonBody<CreateAssignment>,
) -> Result<HttpResponse, ApiError> {
    let client = id.into_inner();
    let officer = OfficerId(body.officer_id);
    let assignment = as_caller(state, credentials, move |app, caller| {
        Ok(app.assign(&caller, client, officer)?)
    })
    .await?;
    Ok(HttpResponse::Created().json(AssignmentResponse::from(assignment)))
}

/// End an assignment at once.
#[utoipa::path(tag = "assignments", security(("bearer" = [])), params(("id" = Uuid, Path, description = "assignment id")),
    responses((status = 200, body = AssignmentResponse), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 410, body = Problem, content_type = "application/problem+json")))]
#[post("/v1/assignments/{id}/end")]
pub async fn end_assignment(
    state: web::Data<AppState>,
    credentials: Credentials,
    id: web::Path<AssignmentId>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let assignment = as_caller(state, credentials, move |app, caller| {
        Ok(app.end_assignment(&caller, id)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(AssignmentResponse::from(assignment)))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AssignmentList {
    pub items: Vec<AssignmentResponse>,
    pub next_cursor: Option<String>,
}

/// Who is assigned to a client, since when, and who no longer is
/// (coordinator), oldest first.
#[utoipa::path(tag = "assignments", security(("bearer" = [])), params(("id" = Uuid, Path, description = "client id")),
    responses((status = 200, body = AssignmentList), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 410, body = Problem, content_type = "application/problem+json")))]
#[get("/v1/clients/{id}/assignments")]
pub async fn list_assignments(
    state: web::Data<AppState>,
    credentials: Credentials,
    id: web::Path<ClientId>,
) -> Result<HttpResponse, ApiError> {
    let client = id.into_inner();
    let assignments = as_caller(state, credentials, move |app, caller| {
        Ok(app.assignments_of_client(&caller, client)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(AssignmentList {
        items: assignments.into_iter().map(Into::into).collect(),
        next_cursor: None,
    }))
}
