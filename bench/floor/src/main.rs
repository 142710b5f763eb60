//! The floor of the load run (`bench/realistic-load.sh`): what this machine
//! can answer over HTTPS with keep-alive when a request does nothing but
//! return 1 KiB. Same HTTP server, TLS library and worker count as ingång,
//! so the ratio of the two measures what ingång itself costs.
//!
//! `bench-floor ADDRESS CERT.pem KEY.pem`

use actix_web::{web, App, HttpResponse, HttpServer};
use std::io::{Error, ErrorKind};

fn tls_config(cert: &str, key: &str) -> std::io::Result<rustls::ServerConfig> {
    let invalid = |e: String| Error::new(ErrorKind::InvalidData, e);
    let certs = rustls_pemfile::certs(&mut std::fs::read(cert)?.as_slice())
        .collect::<Result<Vec<_>, _>>()?;
    let key = rustls_pemfile::private_key(&mut std::fs::read(key)?.as_slice())?
        .ok_or_else(|| invalid(format!("{key}: no private key")))?;
    rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| invalid(e.to_string()))?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .map_err(|e| invalid(e.to_string()))
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, address, cert, key] = args.as_slice() else {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "usage: bench-floor ADDRESS CERT.pem KEY.pem",
        ));
    };
    let tls = tls_config(cert, key)?;
    let body = web::Bytes::from(vec![b'x'; 1024]);
    HttpServer::new(move || {
        let body = body.clone();
        App::new().default_service(web::to(move || {
            let body = body.clone();
            async move { HttpResponse::Ok().content_type("text/plain").body(body) }
        }))
    })
    .workers(std::thread::available_parallelism().map_or(2, std::num::NonZero::get))
    .bind_rustls_0_23(address.as_str(), tls)?
    .run()
    .await
}
