//! HTTP handlers, one module per resource. [`configure`] is the one list of
//! routes: it registers each handler and its OpenAPI operation together.

pub mod agencies;
pub mod assignments;
pub mod audit;
pub mod clients;
pub mod consents;
pub mod health;
pub mod officers;
pub mod plan;
pub mod records;
pub mod transparency;

use crate::auth::{Caller, Credentials};
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::web;
use ingang_app::Session;
use serde::{Deserialize, Serialize};
use utoipa_actix_web::service_config::ServiceConfig;

/// Every route of the service. Adding a handler here adds it to the
/// server and to the OpenAPI document at once.
pub fn configure(cfg: &mut ServiceConfig<'_>) {
    // The hottest reads first: the router tries the routes in this order,
    // a regex each for the ones with `{…}` in their path (no two GET paths
    // here can match the same request, so the order changes nothing else).
    cfg.service(records::get_record)
        .service(records::list_records)
        .service(plan::shared_plan)
        .service(health::healthz)
        .service(health::readyz)
        .service(health::metrics)
        .service(health::openapi_json)
        .service(agencies::create_agency)
        .service(agencies::list_agencies)
        .service(officers::create_officer)
        .service(officers::get_officer)
        .service(officers::deactivate_officer)
        .service(officers::list_officers)
        .service(clients::register_client)
        .service(clients::search_client)
        .service(clients::get_client)
        .service(clients::worklist)
        .service(clients::protect_identity)
        .service(clients::erase_client)
        .service(consents::create_consent)
        .service(consents::list_consents)
        .service(consents::withdraw_consent)
        .service(assignments::create_assignment)
        .service(assignments::end_assignment)
        .service(assignments::list_assignments)
        .service(records::create_record)
        .service(records::update_record)
        .service(records::record_versions)
        .service(audit::audit_events)
        .service(audit::access_log)
        .service(transparency::latest_checkpoint)
        .service(transparency::consistency_proof)
        .service(transparency::public_key)
        .service(transparency::inclusion_proof)
        .service(transparency::verify)
        .service(transparency::export_log);
}

/// Authenticates the caller through the application and runs `work` as them, in
/// one step on the worker pool: the usual shape of a handler.
pub async fn as_caller<T, F>(
    state: web::Data<AppState>,
    credentials: Credentials,
    work: F,
) -> Result<T, ApiError>
where
    F: FnOnce(&mut Session<'_>, Caller) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    blocking(move || {
        // One session, one database connection, for the whole request.
        let mut session = state.app.session()?;
        let caller = credentials.resolve(&mut session)?;
        work(&mut session, caller)
    })
    .await
}

/// [`as_caller`] for a read that may be decided kept first
/// (`Session::kept_first`): `work` decides and reads, and may run twice.
pub async fn as_caller_kept_first<T, F>(
    state: web::Data<AppState>,
    credentials: Credentials,
    work: F,
) -> Result<T, ApiError>
where
    F: Fn(&mut Session<'_>, &Caller) -> ingang_app::AppResult<T> + Send + 'static,
    T: Send + 'static,
{
    blocking(move || {
        let mut session = state.app.session()?;
        Ok(session.kept_first(|session| {
            let caller = credentials.authenticate(session)?;
            work(session, &caller)
        })?)
    })
    .await
}

/// Runs blocking work (use cases wait on the database) on the worker pool.
pub async fn blocking<T, F>(work: F) -> Result<T, ApiError>
where
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    actix_web::web::block(work).await?
}

/// A page of a list: `{"items": [...], "next_cursor": ...}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T: utoipa::ToSchema> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Query parameters of lists in audit order.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// The previous page's `next_cursor`: where the next page starts.
    #[param(pattern = r"^[0-9]{1,18}$")]
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// Query parameters of a list ordered by time, then id (records, clients).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TimePageQuery {
    /// The previous page's `next_cursor`, `<time in µs>_<id>`: where the
    /// next page starts.
    #[param(
        pattern = "^[0-9]{1,18}_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
    )]
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// The cursor of a position `(time, id)` in a list ordered by both.
pub fn time_cursor<Id: std::fmt::Display>((at, id): (chrono::DateTime<chrono::Utc>, Id)) -> String {
    format!("{}_{id}", at.timestamp_micros())
}

/// The position a [`time_cursor`] names; a bad cursor is named as such.
pub fn parse_time_cursor<Id>(cursor: &str) -> Result<(chrono::DateTime<chrono::Utc>, Id), ApiError>
where
    Id: std::str::FromStr + std::fmt::Display,
{
    let (micros, id_text) = cursor.split_once('_').ok_or_else(bad_cursor)?;
    let micros = parse_seq_cursor(micros)?;
    let id: Id = id_text.parse().map_err(|_| bad_cursor())?;
    // Only the lower-case hyphenated form the service writes.
    if id.to_string() != id_text {
        return Err(bad_cursor());
    }
    let at = chrono::DateTime::from_timestamp_micros(micros).ok_or_else(bad_cursor)?;
    Ok((at, id))
}

/// An optional agency filter of a query, `field` named when it is no code.
pub fn agency_filter(
    field: &str,
    code: Option<&str>,
) -> Result<Option<ingang_policy::AgencyCode>, ApiError> {
    code.map(ingang_policy::AgencyCode::parse)
        .transpose()
        .map_err(|e| ApiError::invalid(field, e.to_string()))
}

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

pub fn page_limit(limit: Option<i64>) -> Result<i64, ApiError> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::invalid(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        )),
    }
}

/// A cursor is a position in a list, written so that the contract's
/// pattern says exactly which cursors the server takes: any position is a
/// valid place to continue from, whether or not an item is there.
pub fn bad_cursor() -> ApiError {
    ApiError::invalid("cursor", "not a cursor returned by this service")
}

/// A position in audit order: the `seq` of the last entry given.
pub fn parse_seq_cursor(cursor: &str) -> Result<i64, ApiError> {
    let digits = (1..=18).contains(&cursor.len()) && cursor.bytes().all(|b| b.is_ascii_digit());
    if !digits {
        return Err(bad_cursor());
    }
    cursor.parse().map_err(|_| bad_cursor())
}

/// Refuses empty or oversized free text, naming the field.
pub fn required_text(field: &str, value: &str, max_chars: usize) -> Result<String, ApiError> {
    Ok(ingang_app::required_text(field, value, max_chars)?)
}

#[cfg(test)]
mod tests {
    /// Routes parse, call one use case and map its result: none of them
    /// reaches the store (or decides access) on its own.
    #[test]
    fn routes_never_touch_the_store() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/routes");
        let mut checked = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let source = std::fs::read_to_string(&path).unwrap();
            // Spelled in pieces so that this file does not name them itself.
            for forbidden in [
                concat!("ingang", "_store"),
                concat!("state", ".store"),
                concat!("ingang_policy::", "decide"),
            ] {
                assert!(
                    !source.contains(forbidden),
                    "{} names {forbidden}",
                    path.display()
                );
            }
            checked += 1;
        }
        assert!(checked >= 8, "only {checked} route files found");
    }
}
