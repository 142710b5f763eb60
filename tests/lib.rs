//! Test harness: starts a real `ingang` server (HTTPS, development CA) on a
//! free loopback port over a fresh database — a temporary SQLite file or a
//! new PostgreSQL database (see `ingang-testdb`) — and talks to it through
//! HTTP like any client would.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::wildcard_enum_match_arm
)]

use ingang_api::config::Config;
use ingang_api::server;
use ingang_api::state::AppState;
use ingang_store::DbConnection;
pub use ingang_testdb::{Backend, TestDatabase};
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
    pub allow: Option<String>,
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
    /// Dropped after the server (field order), so the server never outlives it.
    pub database: TestDatabase,
    _dir: tempfile::TempDir,
}

impl TestServer {
    /// A server on a fresh database of `backend`; `None` when that is
    /// PostgreSQL and none is installed (the skip was announced loudly).
    pub fn start(backend: Backend) -> Option<Self> {
        Self::start_with(backend, |_| {})
    }

    /// Starts a server; `adjust` may change the configuration first.
    pub fn start_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> Option<Self> {
        let database = TestDatabase::migrated(backend)?;
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().join("data");
        let mut config = Config {
            listen: "127.0.0.1:0".into(),
            keys_dir: data_dir.join("keys"),
            data_dir: data_dir.clone(),
            workers: 2,
            pool_size: 8,
            shutdown_timeout_secs: 1,
            database_url: Some(database.url.clone()),
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
        Some(Self {
            base: format!("https://localhost:{}", addr.port()),
            state,
            data_dir,
            agent: Some(agent),
            handle,
            thread: Some(thread),
            database,
            _dir: dir,
        })
    }

    fn agent(&self) -> &ureq::Agent {
        self.agent.as_ref().expect("agent lives until drop")
    }

    pub fn backend(&self) -> Backend {
        match self.database.url {
            ingang_store::DatabaseUrl::Sqlite(_) => Backend::Sqlite,
            ingang_store::DatabaseUrl::Postgres(_) => Backend::Postgres,
        }
    }

    /// A raw connection to the server's database, for failure injection.
    pub fn raw_db(&self) -> DbConnection {
        self.database.connect()
    }

    /// Makes every audit append fail (a trigger refuses inserts), as when
    /// the audit store is full or broken; [`Self::repair_audit_store`] undoes it.
    pub fn break_audit_store(&self) {
        use diesel::connection::SimpleConnection;
        let sql = match self.backend() {
            Backend::Sqlite => {
                "CREATE TRIGGER audit_down BEFORE INSERT ON audit_events \
                                BEGIN SELECT RAISE(ABORT, 'audit store down'); END;"
            }
            Backend::Postgres => {
                "CREATE FUNCTION audit_down() RETURNS trigger LANGUAGE plpgsql AS \
                                  $$ BEGIN RAISE EXCEPTION 'audit store down'; END; $$; \
                                  CREATE TRIGGER audit_down BEFORE INSERT ON audit_events \
                                  FOR EACH ROW EXECUTE FUNCTION audit_down();"
            }
        };
        self.raw_db().batch_execute(sql).unwrap();
    }

    pub fn repair_audit_store(&self) {
        use diesel::connection::SimpleConnection;
        let sql = match self.backend() {
            Backend::Sqlite => "DROP TRIGGER audit_down;",
            Backend::Postgres => {
                "DROP TRIGGER audit_down ON audit_events; DROP FUNCTION audit_down();"
            }
        };
        self.raw_db().batch_execute(sql).unwrap();
    }

    /// What the database keeps, as text to search for plain personal data:
    /// SQLite's database file, WAL and journal; on PostgreSQL every row of
    /// every table (bytea as hex), and — when the cluster is this process's
    /// own — the database's files and the WAL after a checkpoint. Bytes are
    /// read lossily as UTF-8, which keeps every valid UTF-8 run intact.
    pub fn stored_data(&self) -> Vec<(String, String)> {
        let read = |path: &std::path::Path| {
            let bytes = std::fs::read(path).unwrap_or_default();
            (
                path.display().to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            )
        };
        match &self.database.url {
            ingang_store::DatabaseUrl::Sqlite(file) => {
                let file = std::path::Path::new(file);
                let dir = file.parent().unwrap();
                let prefix = file.file_name().unwrap().to_string_lossy().to_string();
                std::fs::read_dir(dir)
                    .unwrap()
                    .map(|e| e.unwrap().path())
                    .filter(|p| {
                        p.file_name()
                            .unwrap()
                            .to_string_lossy()
                            .starts_with(&prefix)
                    })
                    .map(|p| read(&p))
                    .collect()
            }
            ingang_store::DatabaseUrl::Postgres(_) => {
                use diesel::prelude::*;
                #[derive(QueryableByName)]
                struct Line {
                    #[diesel(sql_type = diesel::sql_types::Text)]
                    line: String,
                }
                let mut conn = self.raw_db();
                let tables: Vec<Line> = diesel::sql_query(
                    "SELECT table_name::text AS line FROM information_schema.tables \
                     WHERE table_schema = 'public'",
                )
                .load(&mut conn)
                .unwrap();
                let mut out = vec![];
                for table in tables {
                    let rows: Vec<Line> = diesel::sql_query(format!(
                        "SELECT row_to_json(t)::text AS line FROM \"{}\" t",
                        table.line
                    ))
                    .load(&mut conn)
                    .unwrap();
                    let text: Vec<String> = rows.into_iter().map(|r| r.line).collect();
                    out.push((format!("rows of {}", table.line), text.join("\n")));
                }
                let cluster = ingang_testdb::postgres_or_skip().and_then(|s| s.cluster.as_ref());
                if let Some(cluster) = cluster {
                    diesel::sql_query("CHECKPOINT").execute(&mut conn).unwrap();
                    let oid: Vec<Line> = diesel::sql_query(
                        "SELECT oid::text AS line FROM pg_database WHERE datname = current_database()",
                    )
                    .load(&mut conn)
                    .unwrap();
                    let data = cluster.data_dir();
                    for dir in [data.join("base").join(&oid[0].line), data.join("pg_wal")] {
                        for entry in std::fs::read_dir(dir).unwrap() {
                            let path = entry.unwrap().path();
                            if path.is_file() {
                                out.push(read(&path));
                            }
                        }
                    }
                }
                out
            }
        }
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
        let allow = response.header("allow").map(str::to_owned);
        let text = response.into_string().unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            status,
            body,
            text,
            etag,
            content_type,
            cache_control,
            allow,
        }
    }

    /// `who` as the use cases see a caller, for calling them directly.
    pub fn caller(&self, who: &Who) -> ingang_app::Caller {
        let token = ingang_app::TokenIdentity {
            subject: who.id.clone(),
            agency: who.agency.clone(),
            roles: who.roles.clone(),
        };
        self.state
            .app
            .session()
            .unwrap()
            .authenticate(&token, None, "test".into(), None)
            .unwrap()
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
        let allow = response.header("allow").map(str::to_owned);
        let text = response.into_string().unwrap_or_default();
        Resp {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
            text,
            etag: None,
            content_type,
            cache_control,
            allow,
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
    /// The world on a fresh server; `None` when the backend is missing.
    pub fn new(backend: Backend) -> Option<Self> {
        Some(Self::on(TestServer::start(backend)?))
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
                roles: roles.iter().map(ToString::to_string).collect(),
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

    /// Writes a note as `who` and reads it twice as `who` (200 each), so
    /// the account, the record, its facts, its sealed body and the client's
    /// wrapped key are kept in memory and the next read is decided on what
    /// is kept; returns the note's path.
    pub fn kept_note(&self, who: &Who, text: &str) -> String {
        let path = format!("/v1/records/{}", self.note(who, text));
        for _ in 0..2 {
            let r = self.server.get(&path, &who.token);
            assert_eq!(r.status, 200, "{}", r.text);
        }
        path
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

/// The audit entry of an allowed decision on `action`, for tests that work
/// below the use cases: storing it is what gives a [`ingang_store::Permit`].
pub fn allowed_entry(
    action: ingang_policy::AuditAction,
    client: &str,
    record: Option<&str>,
) -> ingang_store::NewAuditEvent {
    ingang_store::NewAuditEvent {
        at: chrono::Utc::now(),
        actor_id: ingang_policy::OfficerId::new_random(),
        actor_agency: "af".parse().unwrap(),
        on_behalf_of: None,
        roles: vec![ingang_policy::Role::Officer],
        action,
        client_id: Some(client.parse().unwrap()),
        record_id: record.map(|r| r.parse().unwrap()),
        decision: ingang_policy::Verdict::Allow,
        reason: None,
        consent_id: None,
        request_id: "below-the-use-cases".into(),
        source_addr: None,
    }
}

/// A consent body as in docs/api.md, valid from yesterday for a year.
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

/// `value` with every UUID replaced by a stable name: those in `known` by
/// theirs, any other by `<id N>` in order of first appearance. Lists whose
/// order follows the ids (a conflict's plans and activities) are sorted by
/// the new names, so a response's shape can be kept as a snapshot.
pub fn with_stable_ids(value: &Value, known: &[(&str, &str)]) -> Value {
    fn walk(value: &Value, known: &[(&str, &str)], seen: &mut Vec<String>) -> Value {
        match value {
            Value::String(text) if uuid::Uuid::parse_str(text).is_ok() => {
                if let Some((_, name)) = known.iter().find(|(id, _)| id == text) {
                    return Value::String(format!("<{name}>"));
                }
                let n = seen.iter().position(|s| s == text).unwrap_or_else(|| {
                    seen.push(text.clone());
                    seen.len() - 1
                });
                Value::String(format!("<id {n}>"))
            }
            Value::Array(items) => {
                Value::Array(items.iter().map(|v| walk(v, known, seen)).collect())
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        let mut v = walk(v, known, seen);
                        if let ("records" | "activities", Value::Array(items)) =
                            (k.as_str(), &mut v)
                        {
                            if items
                                .iter()
                                .all(|i| i.is_string() || i.get("index").is_some())
                            {
                                items.sort_by_key(ToString::to_string);
                            }
                        }
                        (k.clone(), v)
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    walk(value, known, &mut Vec::new())
}

/// One number of a `/metrics` text, by its full series name (0 when absent).
pub fn metric(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|value| value.parse().ok())
        .unwrap_or(0.0)
}
