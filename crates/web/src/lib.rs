//! # ingang-web
//!
//! The web page: server-rendered HTML for officers, coordinators, auditors
//! and admins, served by the `ingang` binary under `/` beside the API's
//! `/v1`. Every page calls use cases of `ingang-app` with the signed-in
//! caller, so the page goes through the same decision point and audit as
//! the API; there is no second way to the data.
//!
//! - [`visitor`]: the session cookie, the language and CSRF tokens.
//! - [`error`]: the one mapping of failures to pages (a hidden client looks
//!   exactly like a missing one; a refusal says what is missing).
//! - [`pages`]: one module per group of pages.
//! - Assets (one stylesheet, one small script) are embedded in the binary;
//!   every response carries a `Content-Security-Policy` that allows only
//!   this origin and no inline script or style.

pub mod error;
pub mod forms;
pub mod i18n;
pub mod oidc;
pub mod pages;
pub mod visitor;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpResponse};
use ingang_app::App;
use ingang_policy::{OfficerId, Role};

/// How the page is set up by the binary.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Production mode: the development sign-in does not exist.
    pub production: bool,
    /// How long a browser session lasts from sign-in.
    pub session_lifetime: chrono::Duration,
    /// Accounts the development sign-in offers (the demo's), outside
    /// production only.
    pub dev_accounts: Vec<DevAccount>,
    /// OpenID Connect providers people sign in with.
    pub providers: Vec<SignInProvider>,
    /// The address browsers reach the service at (`https://ingang.example`):
    /// providers send the browser back to `<public_url>/sign-in/oidc/callback`.
    pub public_url: Option<String>,
}

/// An OpenID Connect provider, registered with it as a confidential client.
#[derive(Clone)]
pub struct SignInProvider {
    /// Shown on the sign-in button.
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
}

impl std::fmt::Debug for SignInProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInProvider")
            .field("name", &self.name)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .finish()
    }
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            production: false,
            session_lifetime: chrono::Duration::hours(8),
            dev_accounts: vec![],
            providers: vec![],
            public_url: None,
        }
    }
}

/// An account the development sign-in lists.
#[derive(Debug, Clone)]
pub struct DevAccount {
    pub label: String,
    pub id: OfficerId,
    pub agency: String,
    pub roles: Vec<Role>,
}

/// What the page's handlers share.
#[derive(Clone)]
pub struct Web {
    pub app: App,
    pub config: WebConfig,
    /// Providers' metadata (with their signing keys) by index, and when it
    /// was discovered: fetched again after [`oidc::DISCOVERY_TTL`], so a
    /// provider's key rotation is followed without a restart.
    pub discovered: std::sync::Arc<
        std::sync::Mutex<
            std::collections::HashMap<
                usize,
                (
                    std::time::Instant,
                    openidconnect::core::CoreProviderMetadata,
                ),
            >,
        >,
    >,
}

impl Web {
    pub fn new(app: App, config: WebConfig) -> Web {
        Web {
            app,
            config,
            discovered: std::sync::Arc::default(),
        }
    }
}

impl std::fmt::Debug for Web {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Web").field("config", &self.config).finish()
    }
}

/// The page's security policy: this origin only, no inline script or
/// style, no framing, forms only to this origin.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// Registers every page. `web` is shared by all of them.
pub fn configure(cfg: &mut web::ServiceConfig, state: Web) {
    // The development sign-in exists only outside production: in
    // production its path is unknown (404), whatever is posted to it.
    if !state.config.production {
        cfg.route(
            "/sign-in/development",
            web::post().to(pages::sign_in::development),
        );
    }
    cfg.app_data(web::Data::new(state))
        .app_data(web::FormConfig::default().limit(64 * 1024))
        .route("/", web::get().to(pages::home))
        .route("/assets/{name}", web::get().to(pages::assets::asset))
        .route("/language", web::get().to(pages::language))
        .route("/sign-in", web::get().to(pages::sign_in::page))
        .route("/sign-out", web::post().to(pages::sign_in::sign_out))
        // Before /sign-in/oidc/{n}, which would take `callback` for a number.
        .route("/sign-in/oidc/callback", web::get().to(oidc::callback))
        .route("/sign-in/oidc/{n}", web::get().to(oidc::start))
        .route("/clients", web::get().to(pages::clients::worklist))
        // Before /clients/{id}, which would take `new` for an id.
        .route(
            "/clients/new",
            web::get().to(pages::coordinator::new_client),
        )
        .route("/clients/new", web::post().to(pages::coordinator::register))
        .route("/clients/{id}", web::get().to(pages::clients::file))
        .route("/clients/{id}/plan", web::get().to(pages::clients::plan))
        .route(
            "/clients/{id}/write/{kind}",
            web::get().to(pages::write::form),
        )
        .route(
            "/clients/{id}/write/{kind}",
            web::post().to(pages::write::submit),
        )
        .route("/audit", web::get().to(pages::auditor::search))
        .route("/audit/integrity", web::get().to(pages::integrity::page))
        .route(
            "/audit/entries/{seq}/proof",
            web::get().to(pages::integrity::proof),
        )
        .route("/admin", web::get().to(pages::admin::home))
        .route("/admin/agencies", web::post().to(pages::admin::add_agency))
        .route("/admin/accounts", web::post().to(pages::admin::add_account))
        .route(
            "/admin/sign-ins",
            web::post().to(pages::admin::link_sign_in),
        )
        .route(
            "/admin/accounts/{id}/deactivate",
            web::post().to(pages::admin::deactivate),
        )
        .route(
            "/audit/clients/{id}/extract",
            web::get().to(pages::auditor::extract),
        )
        .route(
            "/records/{id}/history",
            web::get().to(pages::clients::history),
        )
        .route(
            "/clients/{id}/manage",
            web::get().to(pages::coordinator::manage),
        )
        .route(
            "/clients/{id}/assign",
            web::post().to(pages::coordinator::assign),
        )
        .route(
            "/clients/{id}/protect",
            web::post().to(pages::coordinator::protect),
        )
        .route(
            "/clients/{id}/consents/new",
            web::get().to(pages::coordinator::new_consent),
        )
        .route(
            "/clients/{id}/consents/new",
            web::post().to(pages::coordinator::record_consent),
        )
        .route(
            "/clients/{id}/erase",
            web::get().to(pages::coordinator::erase_page),
        )
        .route(
            "/clients/{id}/erase",
            web::post().to(pages::coordinator::erase),
        )
        .route(
            "/consents/{id}/withdraw",
            web::post().to(pages::coordinator::withdraw),
        )
        .route(
            "/assignments/{id}/end",
            web::post().to(pages::coordinator::end_assignment),
        );
}

/// Whether a path belongs to the page (everything outside the API's own).
pub fn is_page_path(path: &str) -> bool {
    !(path.starts_with("/v1/")
        || path == "/v1"
        || matches!(path, "/healthz" | "/readyz" | "/metrics" | "/openapi.json"))
}

/// Whether the request asks for HTML (a browser), rather than an API
/// client's JSON.
pub fn wants_html(req: &actix_web::HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

/// Headers every page response carries.
pub fn secure(mut response: HttpResponse) -> HttpResponse {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}
