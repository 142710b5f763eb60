//! Liveness, readiness and the OpenAPI document. No authentication.

use super::blocking;
use crate::error::ApiError;
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

/// Readiness: the database answers and the master key wraps and unwraps a
/// data key. 503 names what is not available; a load balancer stops sending
/// requests here until both are back.
#[utoipa::path(tag = "operations", responses((status = 200, body = Readiness), (status = 503, body = Readiness, description = "Not ready: the failing part says `unavailable`")))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (database, keys) = blocking(move || Ok(state.app.readiness())).await?;
    let word = |ok: bool| if ok { "ok" } else { "unavailable" };
    let body = Readiness {
        status: if database && keys {
            "ready"
        } else {
            "unavailable"
        },
        database: word(database),
        keys: word(keys),
    };
    Ok(if database && keys {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    })
}

/// Prometheus metrics (text format 0.0.4): requests by route and status
/// with latency histograms, audit appends and batch sizes, policy denials by
/// reason, pool usage. No personal data; restrict it to the monitoring
/// network at the load balancer.
#[utoipa::path(tag = "operations", responses((status = 200, description = "Prometheus text exposition", content_type = "text/plain")))]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(crate::metrics::render(&state.app))
}

/// This service's OpenAPI 3.1 document.
#[utoipa::path(tag = "operations", responses((status = 200, description = "The OpenAPI document", content_type = "application/json")))]
#[get("/openapi.json")]
pub async fn openapi_json(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(state.openapi_json.clone())
}
