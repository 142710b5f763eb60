//! The JSON body extractor of every route: like `web::Json`, but a body of
//! the wrong shape is refused naming the field it is wrong in
//! (`recipients.agencies[1]`, `protected`), never the value sent.

use crate::error::ApiError;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use std::future::Future;
use std::pin::Pin;

/// A request body of type `T`.
pub struct JsonBody<T>(pub T);

impl<T> JsonBody<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for JsonBody<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        // Size limit, content type and JSON syntax as `web::Json` (and its
        // configured error handler) checks them; then the shape, by path.
        let json = web::Json::<serde_json::Value>::from_request(req, payload);
        Box::pin(async move {
            let value = json.await?.into_inner();
            ingang_policy::bodies::parse_named(&value, "")
                .map(JsonBody)
                .map_err(|e| {
                    // A request's own top-level field that does not exist is
                    // named, as the detail names it; deeper ones (inside
                    // record bodies) are named by their parent.
                    let field = match e.detail.strip_prefix("unknown field `") {
                        Some(rest) if e.field == "body" => {
                            rest.split('`').next().unwrap_or("body").to_owned()
                        }
                        Some(_) | None => e.field,
                    };
                    ApiError::Invalid {
                        field,
                        detail: e.detail,
                    }
                    .into()
                })
        })
    }
}
