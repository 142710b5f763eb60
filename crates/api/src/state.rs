//! What every handler shares.

use crate::auth::TokenKeys;
use crate::config::Config;
use ingang_store::Store;

pub struct AppState {
    pub store: Store,
    pub tokens: TokenKeys,
    pub config: Config,
    /// The OpenAPI document, generated once at start.
    pub openapi_json: String,
}
