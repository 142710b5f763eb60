//! Opening the service (keys, store, token keys) and running the HTTP server.

use crate::auth::{client_address, TokenKeys};
use crate::config::Config;
use crate::error::{sanitize_json_error, ApiError};
use crate::state::AppState;
use crate::{metrics, openapi, routes, tls};
use actix_web::dev::{Server, ServerHandle, Service};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{
    error::JsonPayloadError, middleware, web, App, HttpMessage, HttpRequest, HttpResponse,
    HttpServer,
};
use ingang_store::merkle::SequencerConfig;
use ingang_store::{KeySource, Keyring, Store, StoreConfig};
use std::net::SocketAddr;
use utoipa_actix_web::AppExt;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("data directory {0}: {1}")]
    DataDir(String, String),
    #[error("keys: {0}")]
    Keys(String),
    #[error("database: {0}")]
    Store(#[from] ingang_store::StoreError),
    #[error("TLS: {0}")]
    Tls(#[from] tls::TlsError),
    #[error("listen on {0}: {1}")]
    Bind(String, std::io::Error),
}

/// Opens keys and the store and loads the token keys: everything the
/// handlers share. Development keys are created here, loudly, and never in
/// production mode.
pub fn open_state(config: Config) -> Result<AppState, StartError> {
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|e| StartError::DataDir(config.data_dir.display().to_string(), e.to_string()))?;
    restrict_to_owner(&config.data_dir)?;
    let (keys, source) = Keyring::open_dir(&config.keys_dir, !config.is_production())
        .map_err(|e| StartError::Keys(e.to_string()))?;
    if source == KeySource::CreatedDevelopmentKeys {
        log::warn!(
            "!!! created DEVELOPMENT master and blind-index keys in {} — fine for trying ingång, never for real data !!!",
            config.keys_dir.display()
        );
    }
    let database = config.database();
    log::info!(
        "database: {} ({})",
        database.display_safe(),
        database.backend()
    );
    let store = Store::open(
        &StoreConfig {
            url: database,
            pool_size: config.pool_size,
            audit_batch_max: config.audit_batch_max,
            pool_timeout: std::time::Duration::from_secs(config.db_timeout_secs),
            log: std::sync::Arc::new(
                crate::transparency::log_keys(&config).map_err(StartError::Keys)?,
            ),
            witnesses: crate::transparency::witness_keys(&config.audit_log)
                .map_err(StartError::Keys)?,
            sequencer: config.audit_log.sequencer.then(|| SequencerConfig {
                holder: sequencer_holder(),
                interval: std::time::Duration::from_millis(config.audit_log.checkpoint_interval_ms),
                lease: std::time::Duration::from_millis(config.audit_log.lease_ms),
                batch_max: 512,
            }),
        },
        keys,
    )?;
    let tokens = token_keys(&config)?;
    let app = ingang_app::App::new(store.clone())
        .on_denial(|reason| metrics::observe_denial(reason.as_str()));
    if config.audit_log.sequencer {
        crate::transparency::start_witnessing(app.clone(), &config).map_err(StartError::Keys)?;
    }
    Ok(AppState {
        app,
        store,
        tokens,
        web: ingang_web::WebConfig {
            production: config.is_production(),
            providers: config.sign_in.clone(),
            public_url: config.public_url.clone(),
            ..ingang_web::WebConfig::default()
        },
        config,
        openapi_json: openapi::document_json(),
    })
}

/// This process's name in the sequencer's lease row: host, process id and
/// a random part (a restarted process with the same id is another holder).
fn sequencer_holder() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "host".into());
    format!(
        "{host}/{}/{}",
        std::process::id(),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

/// The data directory holds the database, development keys and
/// certificates: only the service's own user may enter it.
fn restrict_to_owner(dir: &std::path::Path) -> Result<(), StartError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| StartError::DataDir(dir.display().to_string(), e.to_string()))?;
    }
    Ok(())
}

/// Trusted issuers from the configuration, plus the development key outside production.
pub fn token_keys(config: &Config) -> Result<TokenKeys, StartError> {
    let mut tokens = TokenKeys::empty();
    for issuer in &config.trusted_issuers {
        tokens
            .trust_pem_file(&issuer.issuer, &issuer.public_key_file)
            .map_err(|e| StartError::Keys(e.to_string()))?;
    }
    if !config.is_production() {
        let created = tokens
            .enable_development_key(&config.dev_token_key_path())
            .map_err(|e| StartError::Keys(e.to_string()))?;
        if created {
            log::warn!(
                "!!! created a DEVELOPMENT token signing key at {}; `ingang token` mints tokens with it !!!",
                config.dev_token_key_path().display()
            );
        }
    }
    Ok(tokens)
}

// actix's payload errors are non-exhaustive; any other is a malformed body.
#[allow(clippy::wildcard_enum_match_arm)]
fn json_error(error: JsonPayloadError) -> ApiError {
    match &error {
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
            ApiError::PayloadTooLarge
        }
        JsonPayloadError::ContentType => ApiError::UnsupportedMediaType,
        JsonPayloadError::Deserialize(e) => {
            let message = sanitize_json_error(&e.to_string());
            let field = ["missing field `", "unknown field `"]
                .iter()
                .find_map(|prefix| {
                    message
                        .split(prefix)
                        .nth(1)
                        .and_then(|rest| rest.split('`').next())
                })
                .unwrap_or("body")
                .to_owned();
            ApiError::Invalid {
                field,
                detail: message,
            }
        }
        _ => ApiError::BadRequest("the body is not valid JSON".into()),
    }
}

/// Threads per HTTP worker that run requests' blocking work (the use cases
/// wait on the database and the audit commit). Enough to keep the pool's
/// connections busy and give the group commit company; more only hold
/// memory (actix's default is 512 shared by the workers: with 1 000 open
/// connections the process kept hundreds of threads and their allocator
/// arenas). Requests beyond them queue, as they would for a connection.
const BLOCKING_THREADS_PER_WORKER: usize = 32;

/// A running server (used by the binary and the black-box tests).
pub struct RunningServer {
    pub addrs: Vec<SocketAddr>,
    pub state: web::Data<AppState>,
    pub handle: ServerHandle,
    server: Server,
}

impl RunningServer {
    /// Waits until the server stops.
    pub async fn wait(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Binds and starts the server on the current actix system.
pub fn start(state: AppState) -> Result<RunningServer, StartError> {
    let tls = tls::server_config(&state.config)?;
    let listen = state.config.listen.clone();
    let workers = state.config.workers;
    let shutdown_timeout = state.config.shutdown_timeout_secs;
    let max_body = state.config.max_body_bytes;
    // Behind a TLS-terminating load balancer the clients still speak HTTPS.
    let https = tls.is_some() || state.config.tls == crate::config::TlsMode::LoadBalancer;
    let page = ingang_web::Web::new(state.app.clone(), state.web.clone());
    let data = web::Data::new(state);
    let app_data = data.clone();
    // Every path and its methods, from the same route list as the server:
    // built once, shared by the 405 answers of every worker.
    let known_paths = std::sync::Arc::new(crate::methods::KnownPaths::from_openapi(
        &openapi::document(),
    ));
    let factory = move || {
        let (app, _) = App::new()
            .into_utoipa_app()
            .app_data(app_data.clone())
            .app_data(
                web::JsonConfig::default()
                    .limit(max_body)
                    .error_handler(|e, _| json_error(e).into()),
            )
            .app_data(web::PayloadConfig::new(max_body))
            .app_data(web::PathConfig::default().error_handler({
                let known_paths = std::sync::Arc::clone(&known_paths);
                move |_, req| match known_paths.allow_fixed(req.path()) {
                    Some(allow) => ApiError::MethodNotAllowed {
                        allow: allow.to_owned(),
                    }
                    .into(),
                    None => ApiError::MalformedId.into(),
                }
            }))
            .app_data(web::QueryConfig::default().error_handler(|e, _| {
                ApiError::invalid("query", sanitize_json_error(&e.to_string())).into()
            }))
            .configure(routes::configure)
            .split_for_parts();
        let app = app.configure(|cfg| ingang_web::configure(cfg, page.clone()));
        let known_paths = std::sync::Arc::clone(&known_paths);
        // Responses carry personal data: no cache may keep them.
        let mut headers = middleware::DefaultHeaders::new()
            .add(("Cache-Control", "no-store"))
            .add(("X-Content-Type-Options", "nosniff"));
        if https {
            headers = headers.add(("Strict-Transport-Security", "max-age=31536000"));
        }
        app.default_service(web::to(move |req: HttpRequest| {
            // A known path without this method is 405 with `Allow`; a
            // browser asking for a page that does not exist gets the page's
            // own 404; anything else is the same 404 as a hidden resource.
            let page_missing = known_paths.allow(req.path()).is_none()
                && ingang_web::is_page_path(req.path())
                && ingang_web::wants_html(&req);
            let error = match known_paths.allow(req.path()) {
                Some(allow) => ApiError::MethodNotAllowed {
                    allow: allow.to_owned(),
                },
                None => ApiError::NotFound,
            };
            async move {
                if page_missing {
                    return Ok(ingang_web::pages::not_found(&req));
                }
                Err::<HttpResponse, _>(error)
            }
        }))
        .wrap(headers)
        .wrap_fn(|req, srv| {
            // Outermost: every request gets an id, a metrics sample and one
            // access log line (route pattern, never the path: paths carry ids
            // and queries could carry anything).
            let id = uuid::Uuid::new_v4().to_string();
            let source_addr = req.app_data::<web::Data<AppState>>().and_then(|state| {
                client_address(
                    req.peer_addr().map(|a| a.ip()),
                    req.headers()
                        .get("x-forwarded-for")
                        .and_then(|v| v.to_str().ok()),
                    &state.config.trusted_proxies,
                )
            });
            req.extensions_mut().insert(ingang_app::RequestContext {
                request_id: id.clone(),
                source_addr,
            });
            let started = std::time::Instant::now();
            let method = req.method().clone();
            let response = srv.call(req);
            async move {
                let mut response = response.await?;
                let elapsed = started.elapsed();
                let route = response
                    .request()
                    .match_pattern()
                    .unwrap_or_else(|| "unmatched".into());
                let status = response.status().as_u16();
                metrics::observe_request(&route, method.as_str(), status, elapsed);
                if let Some(ApiError::Internal(cause)) = response
                    .response()
                    .error()
                    .and_then(|e| e.as_error::<ApiError>())
                {
                    log::error!(target: "ingang::error", request_id = id.as_str(); "internal error: {cause}");
                }
                log::info!(
                    target: "ingang::access",
                    request_id = id.as_str(),
                    method = method.as_str(),
                    route = route.as_str(),
                    status = status,
                    micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
                    "request"
                );
                if let Ok(value) = HeaderValue::from_str(&id) {
                    response
                        .headers_mut()
                        .insert(HeaderName::from_static("x-request-id"), value);
                }
                Ok(response)
            }
        })
    };
    let server = HttpServer::new(factory)
        .workers(workers)
        .worker_max_blocking_threads(BLOCKING_THREADS_PER_WORKER)
        .shutdown_timeout(shutdown_timeout);
    let server = match tls {
        Some(tls) => server.bind_rustls_0_23(&listen, tls),
        None => server.bind(&listen),
    }
    .map_err(|e| StartError::Bind(listen.clone(), e))?;
    let addrs = server.addrs();
    let server = server.run();
    Ok(RunningServer {
        addrs,
        state: data,
        handle: server.handle(),
        server,
    })
}
