//! The OpenAPI 3.1 document, generated from the same route list the
//! server uses ([`crate::routes::configure`]), so the two cannot drift.

use crate::routes;
use actix_web::App;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "ingång",
        description = "Consent-gated shared case records for cooperating agencies. \
                       Officers read their own clients' records only under the client's consent; \
                       every decision is audited before data leaves the service. \
                       Errors are RFC 7807 problem+json with a stable `type`.",
        license(name = "EUPL-1.2")
    ),
    modifiers(&BearerAuth),
    components(schemas(crate::error::Problem, crate::schemas::IfMatchTags)),
    tags(
        (name = "operations", description = "Health, readiness and this document"),
        (name = "agencies", description = "Agencies (admin)"),
        (name = "officers", description = "Named officers and system accounts (admin)"),
        (name = "clients", description = "Client registration, search and identity"),
        (name = "consents", description = "Signed consents and withdrawals (coordinator)"),
        (name = "assignments", description = "Officer-client assignments"),
        (name = "records", description = "Shared case records under the access rule"),
        (name = "audit", description = "The audit log and the client's access-log extract"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Answers any authenticated operation may give, declared once here rather
/// than on every handler: 401 (no, bad or expired token), 403 (acting for an
/// officer one may not act for), 503 (database or audit log unavailable:
/// fail closed); with a body also 400, 413 and 415; with parameters 400.
struct CommonProblems;

impl Modify for CommonProblems {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let problem = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/problem+json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build()
        };
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                if operation.security.is_none() {
                    continue;
                }
                let has_body = operation.request_body.is_some();
                let has_parameters = operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
                let mut common = vec![
                    (
                        "401",
                        "No, bad or expired token, or an unknown or inactive account",
                    ),
                    ("403", "Refused, with a machine-readable reason"),
                    (
                        "503",
                        "The database or the audit log is unavailable; nothing was returned",
                    ),
                ];
                if has_body || has_parameters {
                    common.push((
                        "400",
                        "A malformed id, parameter, header or body; names the field",
                    ));
                }
                if has_body {
                    common.push(("413", "The body is larger than the configured limit"));
                    common.push(("415", "The body is not application/json"));
                }
                for (status, description) in common {
                    operation
                        .responses
                        .responses
                        .entry(status.into())
                        .or_insert_with(|| problem(description).into());
                }
            }
        }
    }
}

/// The document as a value.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut base = ApiDoc::openapi();
    base.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let (_, mut api) = App::new()
        .into_utoipa_app()
        .openapi(base)
        .configure(routes::configure)
        .split_for_parts();
    // The routes' operations exist only now, so this modifier runs last.
    CommonProblems.modify(&mut api);
    api
}

/// The document as pretty JSON with a trailing newline, as committed in
/// `openapi/ingang.json`.
pub fn document_json() -> String {
    let mut json = document()
        .to_pretty_json()
        .unwrap_or_else(|_| "{}".to_owned());
    json.push('\n');
    json
}
