//! TLS: the development CA and server certificate made on first start, and
//! the rustls server configuration (ring provider, TLS 1.2 and 1.3).

use crate::config::{Config, TlsMode};
use chrono::Datelike;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{path}: {problem}")]
    File { path: PathBuf, problem: String },
    #[error("certificate generation failed: {0}")]
    Generate(String),
    #[error("TLS configuration: {0}")]
    Rustls(String),
}

fn file_error(path: &Path, problem: impl ToString) -> TlsError {
    TlsError::File {
        path: path.to_owned(),
        problem: problem.to_string(),
    }
}

/// The development CA's name; every certificate it issued carries it as
/// issuer, which is how production mode recognises one.
pub const DEV_CA_NAME: &str = "ingang development CA (not for production)";

/// Where the development files live.
pub struct DevCertificates {
    pub ca_cert: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
}

impl DevCertificates {
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            ca_cert: dir.join("ca.pem"),
            server_cert: dir.join("server.pem"),
            server_key: dir.join("server.key"),
        }
    }
}

/// Creates the development CA and a server certificate for localhost and
/// 127.0.0.1 unless they exist. Returns true if they were created now.
pub fn ensure_dev_certificates(dir: &Path) -> Result<bool, TlsError> {
    let files = DevCertificates::in_dir(dir);
    if files.ca_cert.exists() && files.server_cert.exists() && files.server_key.exists() {
        return Ok(false);
    }
    std::fs::create_dir_all(dir).map_err(|e| file_error(dir, e))?;
    let generate = |e: rcgen::Error| TlsError::Generate(e.to_string());
    let this_year = chrono::Utc::now().year();

    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(generate)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let mut ca_name = DistinguishedName::new();
    ca_name.push(DnType::CommonName, DEV_CA_NAME);
    ca_params.distinguished_name = ca_name;
    ca_params.not_before = rcgen::date_time_ymd(this_year - 1, 1, 1);
    ca_params.not_after = rcgen::date_time_ymd(this_year + 5, 1, 1);
    let ca_key = KeyPair::generate().map_err(generate)?;
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).map_err(generate)?;

    let mut server_params = CertificateParams::new(vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ])
    .map_err(generate)?;
    let mut server_name = DistinguishedName::new();
    server_name.push(DnType::CommonName, "localhost");
    server_params.distinguished_name = server_name;
    server_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    server_params.not_before = rcgen::date_time_ymd(this_year - 1, 1, 1);
    server_params.not_after = rcgen::date_time_ymd(this_year + 2, 1, 1);
    let server_key = KeyPair::generate().map_err(generate)?;
    let server_cert = server_params
        .signed_by(&server_key, &ca)
        .map_err(generate)?;

    write_private(&files.server_key, server_key.serialize_pem().as_bytes())?;
    std::fs::write(
        &files.server_cert,
        format!("{}{}", server_cert.pem(), ca.pem()),
    )
    .map_err(|e| file_error(&files.server_cert, e))?;
    std::fs::write(&files.ca_cert, ca.pem()).map_err(|e| file_error(&files.ca_cert, e))?;
    Ok(true)
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), TlsError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| file_error(path, e))?;
    file.write_all(bytes).map_err(|e| file_error(path, e))
}

/// The rustls configuration for `config`, or `None` for plain HTTP.
pub fn server_config(config: &Config) -> Result<Option<rustls::ServerConfig>, TlsError> {
    let (cert_path, key_path) = match &config.tls {
        TlsMode::Off => {
            log::warn!("TLS is off (INGANG_TLS=off): plain HTTP, for local experiments only");
            return Ok(None);
        }
        TlsMode::LoadBalancer => {
            log::info!(
                "plain HTTP: TLS is terminated by the load balancer (INGANG_TLS=load-balancer)"
            );
            return Ok(None);
        }
        TlsMode::Files { cert, key } => (cert.clone(), key.clone()),
        TlsMode::Development => {
            let dir = config.certs_dir();
            if ensure_dev_certificates(&dir)? {
                let ca = DevCertificates::in_dir(&dir).ca_cert;
                log::warn!(
                    "created a DEVELOPMENT certificate authority and server certificate in {}. \
                     Trust it for testing with: curl --cacert {} https://localhost:PORT/healthz",
                    dir.display(),
                    ca.display()
                );
            }
            let files = DevCertificates::in_dir(&dir);
            (files.server_cert, files.server_key)
        }
    };
    let certs = {
        let pem = std::fs::read(&cert_path).map_err(|e| file_error(&cert_path, e))?;
        rustls_pemfile::certs(&mut pem.as_slice())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| file_error(&cert_path, e))?
    };
    if certs.is_empty() {
        return Err(file_error(&cert_path, "no certificate found"));
    }
    if config.is_production()
        && certs.iter().any(|cert| {
            cert.as_ref()
                .windows(DEV_CA_NAME.len())
                .any(|w| w == DEV_CA_NAME.as_bytes())
        })
    {
        return Err(file_error(
            &cert_path,
            "is a development certificate, refused in production: use one from your CA",
        ));
    }
    let key = {
        let pem = std::fs::read(&key_path).map_err(|e| file_error(&key_path, e))?;
        rustls_pemfile::private_key(&mut pem.as_slice())
            .map_err(|e| file_error(&key_path, e))?
            .ok_or_else(|| file_error(&key_path, "no private key found"))?
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Rustls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| TlsError::Rustls(e.to_string()))?;
    Ok(Some(server))
}

#[cfg(test)]
mod production_tests {
    use super::*;
    use crate::config::{Config, Environment};

    #[test]
    fn production_refuses_a_development_certificate_given_as_files() {
        let dir = tempfile::tempdir().unwrap();
        ensure_dev_certificates(dir.path()).unwrap();
        let files = DevCertificates::in_dir(dir.path());
        let mut config = Config {
            tls: TlsMode::Files {
                cert: files.server_cert,
                key: files.server_key,
            },
            ..Config::default()
        };
        assert!(
            server_config(&config).unwrap().is_some(),
            "fine in development"
        );
        config.environment = Environment::Production;
        let error = server_config(&config).unwrap_err().to_string();
        assert!(error.contains("development certificate"), "{error}");
    }
}
