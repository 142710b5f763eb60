//! The page's assets, embedded in the binary: nothing is fetched from
//! another host.

use actix_web::{web, HttpResponse};

const STYLESHEET: &str = include_str!("../../assets/app.css");
const SCRIPT: &str = include_str!("../../assets/app.js");

pub async fn asset(name: web::Path<String>) -> HttpResponse {
    let (content_type, body) = match name.as_str() {
        "app.css" => ("text/css; charset=utf-8", STYLESHEET),
        "app.js" => ("text/javascript; charset=utf-8", SCRIPT),
        _ => return crate::secure(HttpResponse::NotFound().finish()),
    };
    crate::secure(HttpResponse::Ok().content_type(content_type).body(body))
}
