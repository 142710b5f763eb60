//! Clients: register (coordinator, system), search by personal number, and
//! identity reads under the access rule.

use super::{as_caller, page_limit, parse_time_cursor, required_text, time_cursor, TimePageQuery};
use crate::auth::Credentials;
use crate::body::JsonBody;
use crate::error::{ApiError, Problem};
use crate::schemas::{Name200, NormalisedPersonalNumber, PersonalNumberText, Reason1000};
use crate::state::AppState;
use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use ingang_app::clients::{Registration, Worklist};
use ingang_policy::{ClientId, PersonalNumber};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterClient {
    /// Personnummer or samordningsnummer in any common form.
    #[schema(example = "19900101-1239", value_type = PersonalNumberText)]
    pub personal_number: String,
    #[schema(example = "Ali Svensson", value_type = Name200)]
    pub name: String,
    /// Protected identity (skyddad identitet): the name then never appears
    /// in a list, a plan view or an extract.
    #[serde(default)]
    pub protected_identity: bool,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchClient {
    #[schema(example = "19900101-1239", value_type = PersonalNumberText)]
    pub personal_number: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ClientRef {
    pub id: Uuid,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ClientResponse {
    pub id: Uuid,
    /// `YYYYMMDD-NNNC`.
    #[schema(value_type = NormalisedPersonalNumber)]
    pub personal_number: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

pub fn parse_personal_number(value: &str) -> Result<PersonalNumber, ApiError> {
    PersonalNumber::parse(value, Utc::now().date_naive())
        .map_err(|e| ApiError::invalid("personal_number", e.to_string()))
}

/// What a system account is told when it registers a person: the same
/// status (202) and shape whether or not the person was registered before.
/// `id` is given only once one of its agency's officers is assigned to the
/// client, exactly when a search would find it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RegistrationAccepted {
    /// Present only once one of the caller's agency's officers is assigned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
}

/// Register a client. A coordinator gets 201 with the id, or 409 if the
/// personal number is already registered. A system account gets 202 either
/// way (registration is no existence oracle), with the id only when one of
/// its agency's officers is assigned to the client.
#[utoipa::path(tag = "clients", security(("bearer" = [])), request_body = RegisterClient,
    responses((status = 201, body = ClientRef), (status = 202, body = RegistrationAccepted), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")))]
#[post("/v1/clients")]
pub async fn register_client(
    state: web::Data<AppState>,
    credentials: Credentials,
    body: JsonBody<RegisterClient>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let number = parse_personal_number(&body.personal_number)?;
    let name = required_text("name", &body.name, 200)?;
    let registered = as_caller(state, credentials, move |app, caller| {
        Ok(app.register_client(&caller, &number, &name, body.protected_identity)?)
    })
    .await?;
    Ok(match registered {
        Registration::Created(id) => HttpResponse::Created().json(ClientRef { id: id.0 }),
        Registration::Accepted(id) => HttpResponse::Accepted().json(RegistrationAccepted {
            id: id.map(|id| id.0),
        }),
    })
}

/// Find a client by personal number. 404 unless the caller may see that
/// client: coordinators any, officers their own, systems their agency's.
#[utoipa::path(tag = "clients", security(("bearer" = [])), request_body = SearchClient,
    responses((status = 200, body = ClientRef), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 410, body = Problem, content_type = "application/problem+json")))]
#[post("/v1/clients/search")]
pub async fn search_client(
    state: web::Data<AppState>,
    credentials: Credentials,
    body: JsonBody<SearchClient>,
) -> Result<HttpResponse, ApiError> {
    let number = parse_personal_number(&body.personal_number)?;
    let id = as_caller(state, credentials, move |app, caller| {
        Ok(app.search_client(&caller, &number)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(ClientRef { id: id.0 }))
}

/// A client's identity fields, under the access rule (audited).
#[utoipa::path(tag = "clients", security(("bearer" = [])), params(("id" = Uuid, Path, description = "client id")),
    responses((status = 200, body = ClientResponse), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 410, body = Problem, content_type = "application/problem+json")))]
#[get("/v1/clients/{id}")]
pub async fn get_client(
    state: web::Data<AppState>,
    credentials: Credentials,
    id: web::Path<ClientId>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let identity = as_caller(state, credentials, move |app, caller| {
        Ok(app.client_identity(&caller, id)?)
    })
    .await?;
    let pn = identity.personal_number;
    Ok(HttpResponse::Ok().json(ClientResponse {
        id: identity.id.0,
        personal_number: format!("{}-{}", &pn[..8], &pn[8..]),
        name: identity.name,
        created_at: identity.created_at,
    }))
}

crate::redacted_debug!(RegisterClient, SearchClient, ClientResponse);

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProtectIdentity {
    pub protected: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ProtectionResponse {
    pub id: Uuid,
    pub protected_identity: bool,
}

/// Mark or unmark a client's identity as protected (coordinator).
#[utoipa::path(tag = "clients", security(("bearer" = [])), params(("id" = Uuid, Path, description = "client id")), request_body = ProtectIdentity,
    responses((status = 200, body = ProtectionResponse), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 410, body = Problem, content_type = "application/problem+json")))]
#[post("/v1/clients/{id}/protected-identity")]
pub async fn protect_identity(
    state: web::Data<AppState>,
    credentials: Credentials,
    id: web::Path<ClientId>,
    body: JsonBody<ProtectIdentity>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let protected = body.protected;
    as_caller(state, credentials, move |app, caller| {
        Ok(app.set_protected_identity(&caller, id, protected)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(ProtectionResponse {
        id: id.0,
        protected_identity: protected,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EraseClient {
    #[schema(value_type = Reason1000)]
    pub reason: String,
}

/// Erase a client (coordinator): the client's data key is destroyed, so
/// nothing sealed under it can be read again; every later read of the
/// client, its records or its plan answers 410; the personal number can be
/// registered anew. The audit log keeps its entries (ids only).
#[utoipa::path(tag = "clients", security(("bearer" = [])), params(("id" = Uuid, Path, description = "client id")), request_body = EraseClient,
    responses((status = 204), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 410, body = Problem, content_type = "application/problem+json")))]
#[post("/v1/clients/{id}/erase")]
pub async fn erase_client(
    state: web::Data<AppState>,
    credentials: Credentials,
    id: web::Path<ClientId>,
    body: JsonBody<EraseClient>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let reason = required_text("reason", &body.reason, 1000)?;
    as_caller(state, credentials, move |app, caller| {
        Ok(app.erase_client(&caller, id, &reason)?)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// One line of the worklist.
#[derive(Serialize, utoipa::ToSchema)]
pub struct WorklistEntry {
    pub id: Uuid,
    /// Only where the caller may read the client's identity under the
    /// access rule and it is not protected; each name shown is audited.
    #[schema(value_type = Option<Name200>)]
    pub name: Option<String>,
    pub protected_identity: bool,
    pub erased: bool,
    pub registered_at: DateTime<Utc>,
    /// For an officer: since when they are assigned.
    pub assigned_since: Option<DateTime<Utc>>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct WorklistPage {
    pub items: Vec<WorklistEntry>,
    pub next_cursor: Option<String>,
}

impl From<Worklist> for WorklistPage {
    fn from(list: Worklist) -> Self {
        WorklistPage {
            items: list
                .items
                .into_iter()
                .map(|item| WorklistEntry {
                    id: item.client.id.0,
                    name: item.name,
                    protected_identity: item.client.protected_identity,
                    erased: item.client.erased,
                    registered_at: item.client.created_at,
                    assigned_since: item.client.assigned_since,
                })
                .collect(),
            next_cursor: list.next.map(time_cursor),
        }
    }
}

/// The worklist: an officer's own assigned clients (oldest assignment
/// first), or every client for a coordinator (oldest registration first).
/// Find one client by personal number with `POST /v1/clients/search`
/// (personal numbers never travel in a URL, where logs would keep them).
#[utoipa::path(tag = "clients", security(("bearer" = [])), params(TimePageQuery),
    responses((status = 200, body = WorklistPage), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
#[get("/v1/clients")]
pub async fn worklist(
    state: web::Data<AppState>,
    credentials: Credentials,
    query: web::Query<TimePageQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let limit = page_limit(q.limit)?;
    let after = q.cursor.as_deref().map(parse_time_cursor).transpose()?;
    let list = as_caller(state, credentials, move |app, caller| {
        Ok(app.worklist(&caller, after, limit)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(WorklistPage::from(list)))
}

crate::redacted_debug!(WorklistEntry, WorklistPage);
