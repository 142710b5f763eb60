//! Running real `ingang serve` processes for tests: free ports, shared
//! keys, readiness, plain-HTTP requests, and clean-up on drop.
#![allow(dead_code)]

use serde_json::{json, Value};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn ingang() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ingang"));
    for (name, _) in std::env::vars() {
        if name.starts_with("INGANG_") {
            command.env_remove(name);
        }
    }
    command.env("RUST_LOG", "info");
    command
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One `ingang serve` process over plain HTTP (development mode).
pub struct ServeProcess {
    pub base: String,
    pub child: Child,
    pub log: PathBuf,
}

/// Settings every process of one test shares: the database, the keys
/// directory (master key, blind-index key, development signing key).
pub struct Site {
    pub database_url: String,
    pub keys_dir: PathBuf,
    pub root: PathBuf,
    /// More `INGANG_*` settings for every command.
    pub env: Vec<(String, String)>,
}

impl Site {
    pub fn new(root: &Path, database_url: &str) -> Self {
        Site {
            database_url: database_url.to_owned(),
            keys_dir: root.join("keys"),
            root: root.to_owned(),
            env: vec![],
        }
    }

    /// `ingang <args>` against this site; returns stdout, panics on failure.
    pub fn run(&self, args: &[&str]) -> String {
        let out = self.command("cli").args(args).output().unwrap();
        assert!(
            out.status.success(),
            "ingang {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// `ingang <args>` against this site, whatever its exit.
    pub fn output(&self, args: &[&str]) -> std::process::Output {
        self.command("cli").args(args).output().unwrap()
    }

    fn command(&self, name: &str) -> Command {
        let mut command = ingang();
        command
            .env("INGANG_DATABASE_URL", &self.database_url)
            .env("INGANG_KEYS_DIR", &self.keys_dir)
            .env("INGANG_DATA_DIR", self.root.join(format!("data-{name}")))
            .env("INGANG_TLS", "off")
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        command
    }

    /// Starts `ingang serve` and waits until `/readyz` says ready.
    pub fn serve(&self, name: &str) -> ServeProcess {
        let port = free_port();
        let log = self.root.join(format!("{name}.log"));
        let file = std::fs::File::create(&log).unwrap();
        let child = self
            .command(name)
            .arg("serve")
            .env("INGANG_LISTEN", format!("127.0.0.1:{port}"))
            .env("INGANG_WORKERS", "2")
            .env("INGANG_POOL_SIZE", "4")
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .unwrap();
        let process = ServeProcess {
            base: format!("http://127.0.0.1:{port}"),
            child,
            log,
        };
        assert!(
            process.wait_ready(Duration::from_secs(60)),
            "{name} did not become ready:\n{}",
            process.log_text()
        );
        process
    }
}

/// A response: status, body, request id.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub request_id: String,
    pub etag: Option<String>,
}

impl Answer {
    pub fn id(&self) -> String {
        self.body["id"].as_str().unwrap_or_default().to_owned()
    }
}

pub fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .build()
}

impl ServeProcess {
    pub fn wait_ready(&self, timeout: Duration) -> bool {
        let until = Instant::now() + timeout;
        let agent = agent();
        while Instant::now() < until {
            if let Ok(r) = agent.get(&format!("{}/readyz", self.base)).call() {
                if r.status() == 200 {
                    return true;
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    /// A request; `Err` only when no HTTP answer came at all.
    pub fn try_call(
        &self,
        agent: &ureq::Agent,
        method: &str,
        path: &str,
        token: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Result<Answer, String> {
        let mut req = agent
            .request(method, &format!("{}{path}", self.base))
            .set("Authorization", &format!("Bearer {token}"));
        for (name, value) in headers {
            req = req.set(name, value);
        }
        let result = match body {
            Some(body) => req.send_json(body.clone()),
            None => req.call(),
        };
        let response = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => return Err(e.to_string()),
        };
        let status = response.status();
        let request_id = response.header("x-request-id").unwrap_or("").to_owned();
        let etag = response.header("etag").map(str::to_owned);
        let text = response.into_string().unwrap_or_default();
        Ok(Answer {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
            request_id,
            etag,
        })
    }

    pub fn call(&self, method: &str, path: &str, token: &str, body: Option<&Value>) -> Answer {
        self.try_call(&agent(), method, path, token, body, &[])
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends SIGTERM and waits for the exit; returns whether it was clean.
    pub fn terminate(&mut self, timeout: Duration) -> bool {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let until = Instant::now() + timeout;
        while Instant::now() < until {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// The cast of the multi-process tests: an admin, a coordinator, an auditor
// and Eva, an employment-service officer.

pub fn consent_body(officer: &str) -> Value {
    let now = chrono::Utc::now();
    json!({
        "recipients": {"officers": [officer], "agencies": []},
        "scope": {"from_agencies": ["af"], "kinds": []},
        "purpose": "Samordnad rehabilitering",
        "signed_at": (now - chrono::Duration::days(1)).to_rfc3339(),
        "valid_from": (now - chrono::Duration::days(1)).to_rfc3339(),
        "valid_until": (now + chrono::Duration::days(365)).to_rfc3339(),
        "evidence": {"method": "paper", "document_sha256": "0f".repeat(32)}
    })
}

pub struct People {
    pub admin: String,
    pub coordinator: String,
    pub auditor: String,
    pub eva: String,
    pub eva_id: String,
}

pub fn token(site: &Site, id: &str, agency: &str, role: &str) -> String {
    site.run(&["token", "--sub", id, "--agency", agency, "--role", role])
}

pub fn set_up(site: &Site, a: &ServeProcess, b: &ServeProcess, admin_id: &str) -> People {
    let admin = token(site, admin_id, "alm", "admin");
    for (code, name) in [("af", "Arbetsförmedlingen"), ("soc", "Socialtjänsten")] {
        let r = a.call(
            "POST",
            "/v1/agencies",
            &admin,
            Some(&json!({"code": code, "name": name})),
        );
        assert_eq!(r.status, 201, "{:?}", r.body);
    }
    let officer = |process: &ServeProcess, name: &str, agency: &str, role: &str| {
        let r = process.call(
            "POST",
            "/v1/officers",
            &admin,
            Some(&json!({"name": name, "agency": agency, "roles": [role]})),
        );
        assert_eq!(r.status, 201, "{:?}", r.body);
        let id = r.id();
        (token(site, &id, agency, role), id)
    };
    let (coordinator, _) = officer(a, "Karin Kvist", "alm", "coordinator");
    let (auditor, _) = officer(b, "Olle Granskare", "alm", "auditor");
    let (eva, eva_id) = officer(a, "Eva Ek", "af", "officer");
    People {
        admin,
        coordinator,
        auditor,
        eva,
        eva_id,
    }
}

/// Registers a client through `process`, records a consent naming Eva and
/// assigns her; returns (client, consent).
pub fn client_with_consent(process: &ServeProcess, people: &People, pn: &str) -> (String, String) {
    let r = process.call(
        "POST",
        "/v1/clients",
        &people.coordinator,
        Some(&json!({"personal_number": pn, "name": "Ali Svensson"})),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    let client = r.id();
    let r = process.call(
        "POST",
        &format!("/v1/clients/{client}/consents"),
        &people.coordinator,
        Some(&consent_body(&people.eva_id)),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    let consent = r.id();
    let r = process.call(
        "POST",
        &format!("/v1/clients/{client}/assignments"),
        &people.coordinator,
        Some(&json!({"officer_id": people.eva_id})),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    (client, consent)
}

/// Bootstraps the first admin through the CLI; returns its id.
pub fn bootstrap(site: &Site) -> String {
    site.run(&BOOTSTRAP)
}

/// `ingang bootstrap` for the first admin, Anna, at the labour-market unit.
pub const BOOTSTRAP: [&str; 7] = [
    "bootstrap",
    "--agency",
    "alm",
    "--agency-name",
    "Arbetsmarknadsenheten",
    "--admin-name",
    "Anna Admin",
];

/// What production mode needs besides the database and TLS: keys made by
/// `ingang keys init` and a configuration file trusting one token issuer.
/// Returns the configuration file.
pub fn production_files(root: &Path) -> PathBuf {
    let keys = root.join("keys");
    let issuer = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    let public_key = root.join("issuer-af.pub.pem");
    std::fs::write(&public_key, issuer.public_key_pem()).unwrap();
    let config = root.join("ingang.toml");
    std::fs::write(
        &config,
        format!(
            "keys_dir = \"{}\"\n\n[[trusted_issuers]]\nissuer = \"https://idp.af.example\"\npublic_key_file = \"{}\"\n\n[audit_log]\norigin = \"ingang.test/audit\"\n",
            keys.display(),
            public_key.display()
        ),
    )
    .unwrap();
    let out = ingang()
        .args(["keys", "init"])
        .env("INGANG_ENV", "production")
        .env("INGANG_CONFIG", &config)
        .env("INGANG_KEYS_DIR", &keys)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "keys init: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    config
}
