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

/// The document as a value.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut base = ApiDoc::openapi();
    base.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let (_, api) = App::new()
        .into_utoipa_app()
        .openapi(base)
        .configure(routes::configure)
        .split_for_parts();
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
