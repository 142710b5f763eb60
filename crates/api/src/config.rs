//! Configuration: built-in defaults, then a TOML file, then `INGANG_*`
//! environment variables, then command-line flags (later wins).
//! Secrets are never taken from the command line.

use serde::Deserialize;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Development,
    Production,
}

/// How the service speaks TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsMode {
    /// Development: a CA and server certificate created under `<data>/certs/`.
    Development,
    /// Operator-provided PEM certificate chain and private key.
    Files { cert: PathBuf, key: PathBuf },
    /// Plain HTTP, for TLS terminated by a load balancer. Must be asked for.
    Off,
}

/// A trusted token issuer and its Ed25519 public key (PEM).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedIssuer {
    pub issuer: String,
    pub public_key_file: PathBuf,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub environment: Environment,
    pub listen: String,
    pub data_dir: PathBuf,
    pub tls: TlsMode,
    /// Request bodies above this many bytes are refused with 413.
    pub max_body_bytes: usize,
    pub pool_size: u32,
    pub workers: usize,
    pub audit_batch_max: usize,
    /// Seconds in-flight requests get to finish on shutdown.
    pub shutdown_timeout_secs: u64,
    /// Directory of master keys; default `<data>/keys`.
    pub keys_dir: PathBuf,
    pub trusted_issuers: Vec<TrustedIssuer>,
}

/// The TOML file's shape. Every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    environment: Option<Environment>,
    listen: Option<String>,
    data_dir: Option<PathBuf>,
    tls: Option<String>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    max_body_bytes: Option<usize>,
    pool_size: Option<u32>,
    workers: Option<usize>,
    audit_batch_max: Option<usize>,
    shutdown_timeout_secs: Option<u64>,
    keys_dir: Option<PathBuf>,
    #[serde(default)]
    trusted_issuers: Vec<TrustedIssuer>,
}

/// Command-line overrides of `ingang serve`.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {0}: {1}")]
    File(PathBuf, String),
    #[error("{name}: {problem}")]
    Setting { name: &'static str, problem: String },
    #[error("production mode refuses to start:\n{0}")]
    Production(String),
}

impl Default for Config {
    fn default() -> Self {
        let data_dir = PathBuf::from("data");
        Self {
            environment: Environment::Development,
            listen: "127.0.0.1:8443".into(),
            keys_dir: data_dir.join("keys"),
            data_dir,
            tls: TlsMode::Development,
            max_body_bytes: 256 * 1024,
            pool_size: 16,
            workers: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
            audit_batch_max: 512,
            shutdown_timeout_secs: 30,
            trusted_issuers: vec![],
        }
    }
}

fn setting<T: std::str::FromStr>(name: &'static str, value: &str) -> Result<T, ConfigError> {
    value.parse().map_err(|_| ConfigError::Setting {
        name,
        problem: format!("cannot parse '{value}'"),
    })
}

impl Config {
    /// Loads the configuration from `INGANG_CONFIG` or `--config`, the
    /// environment and the flags.
    pub fn load(overrides: &Overrides) -> Result<Self, ConfigError> {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let mut config = Config::default();
        let mut keys_dir_set = false;
        let mut tls_word: Option<String> = None;
        let (mut tls_cert, mut tls_key) = (None, None);

        let file_path = overrides
            .config_file
            .clone()
            .or_else(|| env("INGANG_CONFIG").map(PathBuf::from));
        if let Some(path) = file_path {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| ConfigError::File(path.clone(), e.to_string()))?;
            let file: FileConfig = toml::from_str(&text)
                .map_err(|e| ConfigError::File(path.clone(), e.to_string()))?;
            if let Some(v) = file.environment {
                config.environment = v;
            }
            if let Some(v) = file.listen {
                config.listen = v;
            }
            if let Some(v) = file.data_dir {
                config.data_dir = v;
            }
            if let Some(v) = file.keys_dir {
                config.keys_dir = v;
                keys_dir_set = true;
            }
            tls_word = file.tls;
            tls_cert = file.tls_cert;
            tls_key = file.tls_key;
            config.max_body_bytes = file.max_body_bytes.unwrap_or(config.max_body_bytes);
            config.pool_size = file.pool_size.unwrap_or(config.pool_size);
            config.workers = file.workers.unwrap_or(config.workers);
            config.audit_batch_max = file.audit_batch_max.unwrap_or(config.audit_batch_max);
            config.shutdown_timeout_secs = file
                .shutdown_timeout_secs
                .unwrap_or(config.shutdown_timeout_secs);
            config.trusted_issuers = file.trusted_issuers;
        }

        if let Some(v) = env("INGANG_ENV") {
            config.environment = match v.as_str() {
                "production" => Environment::Production,
                "development" => Environment::Development,
                _ => {
                    return Err(ConfigError::Setting {
                        name: "INGANG_ENV",
                        problem: "must be 'development' or 'production'".into(),
                    })
                }
            };
        }
        if let Some(v) = env("INGANG_LISTEN") {
            config.listen = v;
        }
        if let Some(v) = env("INGANG_DATA_DIR") {
            config.data_dir = PathBuf::from(v);
        }
        if let Some(v) = env("INGANG_KEYS_DIR") {
            config.keys_dir = PathBuf::from(v);
            keys_dir_set = true;
        }
        if let Some(v) = env("INGANG_TLS") {
            tls_word = Some(v);
        }
        tls_cert = env("INGANG_TLS_CERT").map(PathBuf::from).or(tls_cert);
        tls_key = env("INGANG_TLS_KEY").map(PathBuf::from).or(tls_key);
        if let Some(v) = env("INGANG_MAX_BODY_BYTES") {
            config.max_body_bytes = setting("INGANG_MAX_BODY_BYTES", &v)?;
        }
        if let Some(v) = env("INGANG_POOL_SIZE") {
            config.pool_size = setting("INGANG_POOL_SIZE", &v)?;
        }
        if let Some(v) = env("INGANG_WORKERS") {
            config.workers = setting("INGANG_WORKERS", &v)?;
        }

        if let Some(v) = &overrides.listen {
            config.listen = v.clone();
        }
        if let Some(v) = &overrides.data_dir {
            config.data_dir = v.clone();
        }
        if !keys_dir_set {
            config.keys_dir = config.data_dir.join("keys");
        }
        config.tls = match (tls_word.as_deref(), tls_cert, tls_key) {
            (Some("off"), _, _) => TlsMode::Off,
            (_, Some(cert), Some(key)) => TlsMode::Files { cert, key },
            (None | Some("development"), None, None) => TlsMode::Development,
            (Some(other), None, None) if other != "on" => return Err(ConfigError::Setting {
                name: "INGANG_TLS",
                problem:
                    "must be 'off', 'development', or unset with INGANG_TLS_CERT and INGANG_TLS_KEY"
                        .into(),
            }),
            _ => {
                return Err(ConfigError::Setting {
                    name: "INGANG_TLS_CERT / INGANG_TLS_KEY",
                    problem: "set both, or neither".into(),
                })
            }
        };
        if config.max_body_bytes == 0 || config.pool_size == 0 || config.workers == 0 {
            return Err(ConfigError::Setting {
                name: "limits",
                problem: "sizes must be positive".into(),
            });
        }
        config.check_production()?;
        Ok(config)
    }

    pub fn is_production(&self) -> bool {
        self.environment == Environment::Production
    }

    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("ingang.sqlite3")
    }

    pub fn certs_dir(&self) -> PathBuf {
        self.data_dir.join("certs")
    }

    pub fn dev_token_key_path(&self) -> PathBuf {
        self.keys_dir.join("dev-token-ed25519.pk8")
    }

    /// Production mode names every development default still in use.
    fn check_production(&self) -> Result<(), ConfigError> {
        if !self.is_production() {
            return Ok(());
        }
        let mut missing = vec![];
        if self.tls == TlsMode::Development {
            missing.push("TLS: set INGANG_TLS_CERT and INGANG_TLS_KEY (or INGANG_TLS=off behind a TLS-terminating load balancer); the development certificate is refused");
        }
        if self.trusted_issuers.is_empty() {
            missing.push("trusted token issuers: add [[trusted_issuers]] to the configuration file; the development signing key is refused");
        }
        if !self.keys_dir.join("current").exists() {
            missing.push("master key: provide INGANG_KEYS_DIR with master-<id>.key, current and blind-index.key; development keys are never created in production");
        }
        if missing.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::Production(
                missing
                    .iter()
                    .map(|m| format!("  - {m}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ))
        }
    }
}
