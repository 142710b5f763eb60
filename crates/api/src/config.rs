//! Configuration: built-in defaults, then a TOML file, then `INGANG_*`
//! environment variables, then command-line flags (later wins).
//! Secrets are never taken from the command line.

use ingang_store::DatabaseUrl;
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
    /// Plain HTTP because TLS is terminated by a load balancer in front
    /// (`INGANG_TLS=load-balancer`). Allowed in production; responses still
    /// carry HSTS for the clients of the load balancer.
    LoadBalancer,
    /// Plain HTTP for local experiments (`INGANG_TLS=off`). Refused in
    /// production.
    Off,
}

/// A trusted token issuer and its Ed25519 public key (PEM).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedIssuer {
    pub issuer: String,
    pub public_key_file: PathBuf,
}

/// An OpenID Connect provider people sign in to the web page with, as the
/// configuration file names it (`[[sign_in]]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInFile {
    /// Shown on the sign-in button ("Arbetsförmedlingen").
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    /// A file holding the client secret (never in the file itself).
    pub client_secret_file: PathBuf,
}

/// The Merkle log's settings (`[audit_log]`, docs/audit-log.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditLogConfig {
    /// The log's origin, also its key's name (`ingang.example.se/audit`).
    pub origin: String,
    /// A file holding the Ed25519 signing key (`PRIVATE+KEY+…`, made by
    /// `ingang audit keygen`). None: the development key, refused in
    /// production.
    pub signing_key_file: Option<PathBuf>,
    /// Verifier keys of earlier signing keys, so their checkpoints verify.
    pub previous_keys: Vec<String>,
    /// How often the sequencer integrates new entries and signs.
    pub checkpoint_interval_ms: u64,
    /// How long the sequencer's lease lasts without renewal.
    pub lease_ms: u64,
    /// Whether this process takes part in the sequencer election.
    pub sequencer: bool,
    /// Witnesses each checkpoint is sent to.
    pub witnesses: Vec<WitnessTarget>,
}

impl Default for AuditLogConfig {
    fn default() -> Self {
        AuditLogConfig {
            origin: "ingang.localhost/audit".into(),
            signing_key_file: None,
            previous_keys: Vec::new(),
            checkpoint_interval_ms: 200,
            lease_ms: 1_000,
            sequencer: true,
            witnesses: Vec::new(),
        }
    }
}

/// A witness (C2SP tlog-witness) and its cosignature verifier key.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WitnessTarget {
    /// The witness's URL prefix; requests go to `<url>/add-checkpoint`.
    pub url: String,
    /// `name+id+base64`, key type 0x04 (cosignature/v1).
    pub verifier_key: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditLogFile {
    origin: Option<String>,
    signing_key_file: Option<PathBuf>,
    #[serde(default)]
    previous_keys: Vec<String>,
    checkpoint_interval_ms: Option<u64>,
    lease_ms: Option<u64>,
    sequencer: Option<bool>,
    #[serde(default)]
    witnesses: Vec<WitnessTarget>,
}

/// A provider with its secret read (the web page's own type).
pub use ingang_web::SignInProvider;

#[derive(Debug, Clone)]
pub struct Config {
    pub environment: Environment,
    pub listen: String,
    pub data_dir: PathBuf,
    pub tls: TlsMode,
    /// Request bodies above this many bytes are refused with 413.
    pub max_body_bytes: usize,
    pub pool_size: u32,
    /// Seconds a request waits for a database connection before answering
    /// 503 (the database unreachable, or every connection busy).
    pub db_timeout_secs: u64,
    /// Days after the end of a client's last consent (or registration,
    /// without one) when `ingang retention run` erases the client; `None`:
    /// no retention period is configured.
    pub retention_days: Option<u32>,
    pub workers: usize,
    pub audit_batch_max: usize,
    /// Seconds in-flight requests get to finish on shutdown.
    pub shutdown_timeout_secs: u64,
    /// Directory of master keys; default `<data>/keys`.
    pub keys_dir: PathBuf,
    pub trusted_issuers: Vec<TrustedIssuer>,
    /// OpenID Connect providers for the web page's sign-in.
    pub sign_in: Vec<SignInProvider>,
    /// Where browsers reach the service (`https://ingang.example`); needed
    /// with `sign_in` (the providers' redirect address).
    pub public_url: Option<String>,
    /// `None`: the embedded SQLite file `<data>/ingang.sqlite3`.
    pub database_url: Option<DatabaseUrl>,
    /// Load balancers whose `X-Forwarded-For` is believed for the audit
    /// log's source address.
    /// Addresses or networks (`10.0.0.0/8`).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub audit_log: AuditLogConfig,
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
    db_timeout_secs: Option<u64>,
    retention_days: Option<u32>,
    workers: Option<usize>,
    audit_batch_max: Option<usize>,
    shutdown_timeout_secs: Option<u64>,
    keys_dir: Option<PathBuf>,
    #[serde(default)]
    trusted_issuers: Vec<TrustedIssuer>,
    #[serde(default)]
    sign_in: Vec<SignInFile>,
    public_url: Option<String>,
    database_url: Option<String>,
    database_url_file: Option<PathBuf>,
    database_password_file: Option<PathBuf>,
    trusted_proxies: Option<Vec<String>>,
    audit_log: Option<AuditLogFile>,
}

/// Command-line overrides of `ingang serve`.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    /// `serve --database-url`: refused if it carries a password.
    pub database_url: Option<String>,
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
            db_timeout_secs: 5,
            retention_days: None,
            workers: std::thread::available_parallelism()
                .map(std::num::NonZero::get)
                .unwrap_or(2),
            audit_batch_max: 512,
            shutdown_timeout_secs: 30,
            trusted_issuers: vec![],
            sign_in: vec![],
            public_url: None,
            database_url: None,
            trusted_proxies: vec![],
            audit_log: AuditLogConfig::default(),
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
        let (mut database_url, mut database_url_file, mut database_password_file) =
            (None, None, None);

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
            config.db_timeout_secs = file.db_timeout_secs.unwrap_or(config.db_timeout_secs);
            config.retention_days = file.retention_days.or(config.retention_days);
            config.workers = file.workers.unwrap_or(config.workers);
            config.audit_batch_max = file.audit_batch_max.unwrap_or(config.audit_batch_max);
            config.shutdown_timeout_secs = file
                .shutdown_timeout_secs
                .unwrap_or(config.shutdown_timeout_secs);
            config.trusted_issuers = file.trusted_issuers;
            config.public_url = file.public_url;
            config.sign_in = file
                .sign_in
                .into_iter()
                .map(|p| {
                    Ok(SignInProvider {
                        client_secret: read_secret(
                            "sign_in.client_secret_file",
                            &p.client_secret_file,
                        )?,
                        name: p.name,
                        issuer: p.issuer,
                        client_id: p.client_id,
                    })
                })
                .collect::<Result<_, ConfigError>>()?;
            if !config.sign_in.is_empty() && config.public_url.is_none() {
                return Err(ConfigError::Setting {
                    name: "public_url",
                    problem:
                        "[[sign_in]] needs public_url, the address browsers reach the service at"
                            .into(),
                });
            }
            database_url = file.database_url;
            database_url_file = file.database_url_file;
            database_password_file = file.database_password_file;
            config.trusted_proxies = file
                .trusted_proxies
                .unwrap_or_default()
                .iter()
                .map(|net| proxy_network("trusted_proxies", net))
                .collect::<Result<_, _>>()?;
            if let Some(log) = file.audit_log {
                let defaults = AuditLogConfig::default();
                config.audit_log = AuditLogConfig {
                    origin: log.origin.unwrap_or(defaults.origin),
                    signing_key_file: log.signing_key_file,
                    previous_keys: log.previous_keys,
                    checkpoint_interval_ms: log
                        .checkpoint_interval_ms
                        .unwrap_or(defaults.checkpoint_interval_ms),
                    lease_ms: log.lease_ms.unwrap_or(defaults.lease_ms),
                    sequencer: log.sequencer.unwrap_or(defaults.sequencer),
                    witnesses: log.witnesses,
                };
            }
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
        if let Some(v) = env("INGANG_TRUSTED_PROXIES") {
            config.trusted_proxies = v
                .split(',')
                .map(|net| proxy_network("INGANG_TRUSTED_PROXIES", net))
                .collect::<Result<_, _>>()?;
        }
        if let Some(v) = env("INGANG_RETENTION_DAYS") {
            config.retention_days = Some(setting("INGANG_RETENTION_DAYS", &v)?);
        }
        if let Some(v) = env("INGANG_DB_TIMEOUT_SECS") {
            config.db_timeout_secs = setting("INGANG_DB_TIMEOUT_SECS", &v)?;
        }
        if let Some(v) = env("INGANG_WORKERS") {
            config.workers = setting("INGANG_WORKERS", &v)?;
        }

        database_url = env("INGANG_DATABASE_URL").or(database_url);
        database_url_file = env("INGANG_DATABASE_URL_FILE")
            .map(PathBuf::from)
            .or(database_url_file);
        database_password_file = env("INGANG_DATABASE_PASSWORD_FILE")
            .map(PathBuf::from)
            .or(database_password_file);
        if let Some(v) = &overrides.database_url {
            if ingang_store::db::url_has_password(v) {
                return Err(ConfigError::Setting {
                    name: "--database-url",
                    problem: "must not carry a password (the command line is visible to every user of the machine); use INGANG_DATABASE_URL, INGANG_DATABASE_URL_FILE or INGANG_DATABASE_PASSWORD_FILE".into(),
                });
            }
            database_url = Some(v.clone());
        }
        if let Some(path) = database_url_file {
            let text = read_secret("INGANG_DATABASE_URL_FILE", &path)?;
            database_url = Some(text);
        }
        config.database_url = match (database_url, database_password_file) {
            (None, None) => None,
            (None, Some(_)) => {
                return Err(ConfigError::Setting {
                    name: "INGANG_DATABASE_PASSWORD_FILE",
                    problem: "needs INGANG_DATABASE_URL (a postgres:// URL without the password)"
                        .into(),
                })
            }
            (Some(url), None) => Some(DatabaseUrl::parse(&url)),
            (Some(url), Some(path)) => {
                let password = read_secret("INGANG_DATABASE_PASSWORD_FILE", &path)?;
                match DatabaseUrl::parse(&url) {
                    DatabaseUrl::Postgres(url) => Some(DatabaseUrl::Postgres(
                        ingang_store::db::url_with_password(&url, &password),
                    )),
                    DatabaseUrl::Sqlite(_) => {
                        return Err(ConfigError::Setting {
                            name: "INGANG_DATABASE_PASSWORD_FILE",
                            problem: "applies to a postgres:// database URL only".into(),
                        })
                    }
                }
            }
        };

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
            (Some("load-balancer"), _, _) => TlsMode::LoadBalancer,
            (_, Some(cert), Some(key)) => TlsMode::Files { cert, key },
            (None | Some("development"), None, None) => TlsMode::Development,
            (Some(other), None, None) if other != "on" => return Err(ConfigError::Setting {
                name: "INGANG_TLS",
                problem:
                    "must be 'off', 'load-balancer', 'development', or unset with INGANG_TLS_CERT and INGANG_TLS_KEY"
                        .into(),
            }),
            _ => {
                return Err(ConfigError::Setting {
                    name: "INGANG_TLS_CERT / INGANG_TLS_KEY",
                    problem: "set both, or neither".into(),
                })
            }
        };
        if let Some(v) = env("INGANG_AUDIT_LOG_SEQUENCER") {
            config.audit_log.sequencer = setting("INGANG_AUDIT_LOG_SEQUENCER", &v)?;
        }
        if config.audit_log.checkpoint_interval_ms == 0
            || config.audit_log.lease_ms <= config.audit_log.checkpoint_interval_ms
        {
            return Err(ConfigError::Setting {
                name: "audit_log",
                problem: "checkpoint_interval_ms must be positive and lease_ms longer than it"
                    .into(),
            });
        }
        if config.max_body_bytes == 0
            || config.pool_size == 0
            || config.workers == 0
            || config.db_timeout_secs == 0
        {
            return Err(ConfigError::Setting {
                name: "limits",
                problem: "sizes must be positive".into(),
            });
        }
        Ok(config)
    }

    pub fn is_production(&self) -> bool {
        self.environment == Environment::Production
    }

    /// The configured database, or the embedded SQLite file in the data
    /// directory.
    pub fn database(&self) -> DatabaseUrl {
        self.database_url.clone().unwrap_or_else(|| {
            DatabaseUrl::Sqlite(self.data_dir.join("ingang.sqlite3").display().to_string())
        })
    }

    /// Whether requests arrive over plain HTTP (TLS off or at a load balancer).
    pub fn plain_http(&self) -> bool {
        matches!(self.tls, TlsMode::Off | TlsMode::LoadBalancer)
    }

    pub fn certs_dir(&self) -> PathBuf {
        self.data_dir.join("certs")
    }

    pub fn dev_token_key_path(&self) -> PathBuf {
        self.keys_dir.join("dev-token-ed25519.pk8")
    }

    /// Production mode names every development default still in use.
    /// Every command but `keys init` (which makes the keys) runs it.
    pub fn check_production(&self) -> Result<(), ConfigError> {
        if !self.is_production() {
            return Ok(());
        }
        let mut missing = vec![];
        match self.tls {
            TlsMode::Development => missing.push("TLS: set INGANG_TLS_CERT and INGANG_TLS_KEY (or INGANG_TLS=load-balancer when a load balancer terminates TLS); the development certificate is refused"),
            TlsMode::Off => missing.push("TLS: INGANG_TLS=off is refused; set INGANG_TLS_CERT and INGANG_TLS_KEY, or INGANG_TLS=load-balancer when a load balancer terminates TLS"),
            TlsMode::Files { .. } | TlsMode::LoadBalancer => {}
        }
        if !matches!(self.database_url, Some(DatabaseUrl::Postgres(_))) {
            missing.push("database: set INGANG_DATABASE_URL (or INGANG_DATABASE_URL_FILE) to a postgres:// URL; SQLite is refused");
        }
        if self.trusted_issuers.is_empty() {
            missing.push("trusted token issuers: add [[trusted_issuers]] to the configuration file; the development signing key is refused");
        }
        if !self.keys_dir.join("current").exists() {
            missing.push("master key: provide INGANG_KEYS_DIR with master-<id>.key, current and blind-index.key; development keys are never created in production");
        }
        if self.audit_log.origin == AuditLogConfig::default().origin {
            missing.push("audit log: set [audit_log] origin to this log's name, such as ingang.example.se/audit");
        }
        match crate::transparency::log_key_file(self) {
            None => missing.push("audit log: no signing key; `ingang keys init` (or `ingang audit keygen`) makes audit-log.key in the keys directory, or set [audit_log] signing_key_file; the development log key is refused"),
            Some(path) => {
                if crate::transparency::is_development_key_file(&path, &self.audit_log.origin) {
                    missing.push("audit log: the signing key file holds the development log key; make a key with `ingang audit keygen`");
                }
            }
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

/// `10.0.0.0/8`, or one address (`10.0.0.2` is `10.0.0.2/32`).
fn proxy_network(name: &'static str, text: &str) -> Result<ipnet::IpNet, ConfigError> {
    let text = text.trim();
    text.parse::<ipnet::IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| ConfigError::Setting {
            name,
            problem: format!("'{text}' is not an IP address or network such as 10.0.0.0/8"),
        })
}

/// Reads a secret from a file (a mounted Secret, a systemd credential).
/// Surrounding whitespace, such as a final newline, is not part of it.
fn read_secret(name: &'static str, path: &std::path::Path) -> Result<String, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Setting {
        name,
        problem: format!("cannot read {}: {e}", path.display()),
    })?;
    let text = text.trim();
    if text.is_empty() {
        return Err(ConfigError::Setting {
            name,
            problem: format!("{} is empty", path.display()),
        });
    }
    Ok(text.to_owned())
}
