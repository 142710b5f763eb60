//! What every handler shares.

use crate::auth::TokenKeys;
use crate::config::Config;
use ingang_app::App;
use ingang_store::Store;

pub struct AppState {
    /// The use cases: the only thing routes call.
    pub app: App,
    /// The store itself, for the binary's own commands (bootstrap, demo
    /// data, key rotation); routes never use it (a test checks).
    pub store: Store,
    pub tokens: TokenKeys,
    pub config: Config,
    /// The web page's settings (the development sign-in's accounts).
    pub web: ingang_web::WebConfig,
    /// The OpenAPI document, generated once at start.
    pub openapi_json: String,
}
