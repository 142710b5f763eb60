//! Liveness, readiness and the OpenAPI document. No authentication.

use super::blocking;
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use actix_web::{get, web, HttpResponse};
use serde::Serialize;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    pub status: &'static str,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Readiness {
    pub status: &'static str,
    pub database: &'static str,
    pub keys: &'static str,
}

/// Liveness: the process answers.
#[utoipa::path(tag = "operations", responses((status = 200, body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// Readiness: the database answers and the master key wraps and unwraps a data key.
#[utoipa::path(tag = "operations", responses((status = 200, body = Readiness), (status = 503, body = Problem, content_type = "application/problem+json")))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    blocking(move || {
        state.store.ping()?;
        state.store.keys().self_test().map_err(|e| {
            log::error!("key self-test failed: {e}");
            ApiError::Unavailable
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(Readiness {
        status: "ready",
        database: "ok",
        keys: "ok",
    }))
}

/// This service's OpenAPI 3.1 document.
#[utoipa::path(tag = "operations", responses((status = 200, description = "The OpenAPI document", content_type = "application/json")))]
#[get("/openapi.json")]
pub async fn openapi_json(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(state.openapi_json.clone())
}
