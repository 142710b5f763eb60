//! Test harness: starts a real `ingang` server (HTTPS, development CA) on a
//! free loopback port over a temporary SQLite database, and talks to it
//! through HTTP like any client would.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ingang_api::config::Config;
use ingang_api::server;
use ingang_api::state::AppState;
use ingang_store::DbConnection;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::{mpsc, Arc};
use std::time::Duration;

/// A response: status, headers we care about, and the JSON body.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub body: Value,
    pub text: String,
    pub etag: Option<String>,
    pub content_type: String,
    pub cache_control: Option<String>,
}

impl Resp {
    /// The problem `type` slug (after `urn:ingang:problem:`).
    pub fn problem(&self) -> String {
        self.body["type"]
            .as_str()
            .unwrap_or("")
            .trim_start_matches("urn:ingang:problem:")
            .to_owned()
    }

    pub fn id(&self) -> String {
        self.body["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no id in {}", self.text))
            .to_owned()
    }
}

pub struct TestServer {
    pub base: String,
    pub state: actix_web::web::Data<AppState>,
    pub data_dir: PathBuf,
    agent: Option<ureq::Agent>,
    handle: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl TestServer {
    pub fn start() -> Self {
        Self::start_with(|_| {})
    }

    /// Starts a server; `adjust` may change the configuration first.
    pub fn start_with(adjust: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().join("data");
        let mut config = Config {
            listen: "127.0.0.1:0".into(),
            keys_dir: data_dir.join("keys"),
            data_dir: data_dir.clone(),
            workers: 2,
            pool_size: 8,
            shutdown_timeout_secs: 1,
            ..Config::default()
        };
        adjust(&mut config);
        let (ready_tx, ready_rx) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            let system = actix_web::rt::System::new();
            system.block_on(async move {
                let state = server::open_state(config).expect("open state");
                let running = server::start(state).expect("start server");
                ready_tx
                    .send((
                        running.addrs[0],
                        running.state.clone(),
                        running.handle.clone(),
                    ))
                    .unwrap();
                let _ = running.wait().await;
            });
        });
        let (addr, state, handle) = ready_rx
            .recv_timeout(Duration::from_secs(30))
            .expect("server started");
        let ca_pem = std::fs::read(data_dir.join("certs").join("ca.pem")).unwrap();
        let agent = agent_trusting(&ca_pem);
        Self {
            base: format!("https://localhost:{}", addr.port()),
            state,
            data_dir,
            agent: Some(agent),
            handle,
            thread: Some(thread),
            _dir: dir,
        }
    }

    fn agent(&self) -> &ureq::Agent {
        self.agent.as_ref().expect("agent lives until drop")
    }

    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join("ingang.sqlite3")
    }

    /// A raw connection to the server's database, for failure injection.
    pub fn raw_db(&self) -> DbConnection {
        use diesel::Connection;
        DbConnection::establish(&self.db_path().display().to_string()).unwrap()
    }

    pub fn token(&self, who: &Who) -> String {
        let roles: Vec<ingang_policy::Role> =
            who.roles.iter().map(|r| r.parse().unwrap()).collect();
        self.state
            .tokens
            .mint(
                who.id.parse().unwrap(),
                &who.agency.parse().unwrap(),
                &roles,
                chrono::Duration::hours(1),
            )
            .unwrap()
    }

    /// The first admin, as `ingang bootstrap` makes it.
    pub fn admin(&self) -> Who {
        let id = ingang_api::bootstrap(
            &self.state.store,
            "alm",
            "Arbetsmarknadsenheten",
            "Anna Admin",
        )
        .unwrap();
        let mut who = Who {
            id: id.to_string(),
            agency: "alm".into(),
            roles: vec!["admin".into()],
            token: String::new(),
        };
        who.token = self.token(&who);
        who
    }

    pub fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut req = self
            .agent()
            .request(method, &format!("{}{}", self.base, path));
        if let Some(token) = token {
            req = req.set("Authorization", &format!("Bearer {token}"));
        }
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
            Err(e) => panic!("{method} {path}: {e}"),
        };
        let status = response.status();
        let etag = response.header("etag").map(str::to_owned);
        let content_type = response.header("content-type").unwrap_or("").to_owned();
        let cache_control = response.header("cache-control").map(str::to_owned);
        let text = response.into_string().unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            status,
            body,
            text,
            etag,
            content_type,
            cache_control,
        }
    }

    pub fn get(&self, path: &str, token: &str) -> Resp {
        self.request("GET", path, Some(token), None, &[])
    }

    pub fn post(&self, path: &str, token: &str, body: Value) -> Resp {
        self.request("POST", path, Some(token), Some(&body), &[])
    }

    pub fn put(&self, path: &str, token: &str, body: Value, if_match: Option<&str>) -> Resp {
        let headers: Vec<(&str, &str)> =
            if_match.map(|v| vec![("If-Match", v)]).unwrap_or_default();
        self.request("PUT", path, Some(token), Some(&body), &headers)
    }

    /// Raw bytes: for bodies that are not JSON, or are too large.
    pub fn post_raw(&self, path: &str, token: &str, content_type: &str, bytes: &[u8]) -> Resp {
        let req = self
            .agent()
            .post(&format!("{}{}", self.base, path))
            .set("Authorization", &format!("Bearer {token}"))
            .set("Content-Type", content_type);
        let response = match req.send_bytes(bytes) {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("POST {path}: {e}"),
        };
        let status = response.status();
        let content_type = response.header("content-type").unwrap_or("").to_owned();
        let cache_control = response.header("cache-control").map(str::to_owned);
        let text = response.into_string().unwrap_or_default();
        Resp {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
            text,
            etag: None,
            content_type,
            cache_control,
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        // Close kept-alive connections first so shutdown need not wait for them.
        self.agent.take();
        // The stop command is sent at once; the returned future only waits.
        drop(self.handle.stop(false));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn agent_trusting(ca_pem: &[u8]) -> ureq::Agent {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut &ca_pem[..]) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    ureq::AgentBuilder::new()
        .tls_config(Arc::new(tls))
        .timeout(Duration::from_secs(30))
        .build()
}

/// An account and a token for it.
#[derive(Debug, Clone)]
pub struct Who {
    pub id: String,
    pub agency: String,
    pub roles: Vec<String>,
    pub token: String,
}

/// The scenario of the source documents, built through the API: the
/// labour-market unit registers a client; the consent names an
/// employment-service officer and a social-services officer and covers
/// their agencies' records, not regional psychiatry's.
pub struct World {
    pub server: TestServer,
    pub admin: Who,
    pub coordinator: Who,
    pub auditor: Who,
    pub af: Who,
    pub soc: Who,
    pub psyk: Who,
    pub fk: Who,
    pub unassigned: Who,
    pub af_system: Who,
    pub client: String,
    pub consent: String,
}

pub const CLIENT_PN: &str = "19900101-1239";
pub const CLIENT_NAME: &str = "Ali Svensson";

impl World {
    pub fn new() -> Self {
        Self::on(TestServer::start())
    }

    pub fn on(server: TestServer) -> Self {
        Self::build(server, true)
    }

    /// The same world, optionally without the consent (`consent` is then empty).
    pub fn build(server: TestServer, with_consent: bool) -> Self {
        let admin = server.admin();
        for (code, name) in [
            ("af", "Arbetsförmedlingen"),
            ("fk", "Försäkringskassan"),
            ("soc", "Socialtjänsten"),
            ("psyk", "Regionpsykiatrin"),
        ] {
            let r = server.post(
                "/v1/agencies",
                &admin.token,
                json!({"code": code, "name": name}),
            );
            assert_eq!(r.status, 201, "{}", r.text);
        }
        let make = |name: &str, agency: &str, roles: &[&str]| -> Who {
            let r = server.post(
                "/v1/officers",
                &admin.token,
                json!({"name": name, "agency": agency, "roles": roles}),
            );
            assert_eq!(r.status, 201, "{}", r.text);
            let mut who = Who {
                id: r.id(),
                agency: agency.into(),
                roles: roles.iter().map(|s| s.to_string()).collect(),
                token: String::new(),
            };
            who.token = server.token(&who);
            who
        };
        let coordinator = make("Karin Kvist", "alm", &["coordinator"]);
        let auditor = make("Olle Granskare", "alm", &["auditor"]);
        let af = make("Eva Ek", "af", &["officer"]);
        let soc = make("Sara Berg", "soc", &["officer"]);
        let psyk = make("Per Lind", "psyk", &["officer"]);
        let fk = make("Fia Fors", "fk", &["officer"]);
        let unassigned = make("Ulla Utan", "af", &["officer"]);
        let af_system = make("AF integration", "af", &["system"]);

        let r = server.post(
            "/v1/clients",
            &coordinator.token,
            json!({"personal_number": CLIENT_PN, "name": CLIENT_NAME}),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        let client = r.id();
        let consent = if with_consent {
            let body = consent_body(&[&af.id, &soc.id], &[], &["af", "soc"], &[]);
            let r = server.post(
                &format!("/v1/clients/{client}/consents"),
                &coordinator.token,
                body,
            );
            assert_eq!(r.status, 201, "{}", r.text);
            r.id()
        } else {
            String::new()
        };
        for officer in [&af, &soc, &psyk] {
            let r = server.post(
                &format!("/v1/clients/{client}/assignments"),
                &coordinator.token,
                json!({"officer_id": officer.id}),
            );
            assert_eq!(r.status, 201, "{}", r.text);
        }
        World {
            server,
            admin,
            coordinator,
            auditor,
            af,
            soc,
            psyk,
            fk,
            unassigned,
            af_system,
            client,
            consent,
        }
    }

    /// Writes a note as `who` and returns its id.
    pub fn note(&self, who: &Who, text: &str) -> String {
        let r = self.server.post(
            &format!("/v1/clients/{}/records", self.client),
            &who.token,
            json!({"kind": "note", "body": {"text": text}}),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        r.id()
    }
}

impl Default for World {
    fn default() -> Self {
        Self::new()
    }
}

/// A consent body as in DESIGN §5, valid from yesterday for a year.
pub fn consent_body(
    officers: &[&str],
    agencies: &[&str],
    from_agencies: &[&str],
    kinds: &[&str],
) -> Value {
    let now = chrono::Utc::now();
    json!({
        "recipients": {"officers": officers, "agencies": agencies},
        "scope": {"from_agencies": from_agencies, "kinds": kinds},
        "purpose": "Samordnad rehabilitering",
        "signed_at": (now - chrono::Duration::days(1)).to_rfc3339(),
        "valid_from": (now - chrono::Duration::days(1)).to_rfc3339(),
        "valid_until": (now + chrono::Duration::days(365)).to_rfc3339(),
        "evidence": {"method": "paper", "document_sha256": "0f".repeat(32)}
    })
}
