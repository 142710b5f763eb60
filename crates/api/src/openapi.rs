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
    components(schemas(crate::error::Problem)),
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

/// Every authenticated operation may also answer 401 (bad or no token) and
/// 503 (database or audit log unavailable: fail closed). Declared once here
/// rather than on every handler.
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
                let responses = &mut operation.responses.responses;
                responses.entry("401".into()).or_insert_with(|| {
                    problem("No, bad or expired token, or an unknown or inactive account").into()
                });
                responses.entry("503".into()).or_insert_with(|| {
                    problem("The database or the audit log is unavailable; nothing was returned")
                        .into()
                });
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
