//! Throwaway databases for tests.
//!
//! * SQLite: a file in a temporary directory.
//! * PostgreSQL: a fresh database per test on the server named by
//!   `INGANG_TEST_DATABASE_URL` (a URL whose database may be created from,
//!   e.g. `postgres://postgres@127.0.0.1:5432/postgres`), or else on a
//!   throwaway cluster this crate starts itself with the local installation's
//!   `initdb` and `pg_ctl`, on a temporary directory and a free port. The
//!   cluster is stopped and deleted when the test process ends.
//!
//! When no PostgreSQL is installed, [`postgres_or_skip`] says so loudly on
//! stderr (not captured by the test harness) and the caller skips; with
//! `INGANG_REQUIRE_POSTGRES=1` (set by CI) it fails instead.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::wildcard_enum_match_arm
)]

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl};
use ingang_store::DatabaseUrl;
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database that lives as long as this value.
pub struct TestDatabase {
    pub url: DatabaseUrl,
    /// For PostgreSQL: the server's admin URL (to drop the database after).
    admin_url: Option<String>,
    name: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    /// A fresh, empty database, or `None` when the backend is PostgreSQL and
    /// none is installed (a loud note was printed).
    pub fn create(backend: Backend) -> Option<Self> {
        match backend {
            Backend::Sqlite => Some(Self::sqlite(None)),
            Backend::Postgres => Some(postgres_or_skip()?.create_database()),
        }
    }

    /// A fresh database with every migration applied, cloned from a
    /// template migrated once (PostgreSQL `CREATE DATABASE … TEMPLATE`, a
    /// file copy for SQLite), so a test does not pay for the migrations.
    pub fn migrated(backend: Backend) -> Option<Self> {
        match backend {
            Backend::Sqlite => Some(Self::sqlite(Some(sqlite_template()))),
            Backend::Postgres => {
                let server = postgres_or_skip()?;
                Some(server.create_database_from(server.template()))
            }
        }
    }

    /// A SQLite file in a new temporary directory: empty, or a copy of `from`.
    fn sqlite(from: Option<&Path>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ingang.sqlite3");
        if let Some(from) = from {
            std::fs::copy(from, &path).unwrap();
        }
        TestDatabase {
            url: DatabaseUrl::Sqlite(path.display().to_string()),
            admin_url: None,
            name: String::new(),
            _dir: Some(dir),
        }
    }

    pub fn url_string(&self) -> String {
        match &self.url {
            DatabaseUrl::Sqlite(path) => path.clone(),
            DatabaseUrl::Postgres(url) => url.clone(),
        }
    }

    /// A raw connection, for failure injection and inspection.
    pub fn connect(&self) -> ingang_store::DbConnection {
        ingang_store::db::connect(&self.url).unwrap()
    }

    /// The database name on PostgreSQL (empty for SQLite).
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(admin) = &self.admin_url {
            if let Ok(mut conn) = PgConnection::establish(admin) {
                let _ = conn.batch_execute(&format!(
                    "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                    self.name
                ));
            }
        }
    }
}

/// The migrated SQLite file every test database of this process copies.
fn sqlite_template() -> &'static Path {
    static TEMPLATE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = TEMPLATE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("template.sqlite3");
        // The connection closes on return, checkpointing the WAL into the
        // file, so the file alone is the whole migrated database.
        ingang_store::db::migrate(&DatabaseUrl::Sqlite(path.display().to_string())).unwrap();
        (dir, path)
    });
    path
}

/// A name that changes whenever a PostgreSQL migration does, so a template
/// left on an external test server is reused only while it is current.
fn postgres_template_name() -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations/postgres");
    let mut files: Vec<PathBuf> = walk(&dir);
    files.sort();
    let mut hasher = ring::digest::Context::new(&ring::digest::SHA256);
    for file in files {
        hasher.update(
            file.strip_prefix(&dir)
                .unwrap()
                .to_string_lossy()
                .as_bytes(),
        );
        hasher.update(&std::fs::read(&file).unwrap());
    }
    let digest = hasher.finish();
    let hex: String = digest.as_ref()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("ingang_template_{hex}")
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// A PostgreSQL server tests may create databases on.
pub struct PgServer {
    /// URL of a database on it that new databases can be created from.
    admin_url: String,
    /// URL prefix without the database name, e.g. `postgres://u@h:p`.
    base: String,
    /// Query string kept for every database URL (e.g. `?sslmode=disable`).
    query: String,
    /// Set when this process started the cluster.
    pub cluster: Option<Cluster>,
    /// The migrated template database, made on first use.
    template: OnceLock<String>,
}

impl PgServer {
    fn from_url(url: &str) -> Self {
        let (without_query, query) = match url.split_once('?') {
            Some((u, q)) => (u.to_owned(), format!("?{q}")),
            None => (url.to_owned(), String::new()),
        };
        let scheme_end = without_query.find("://").map(|i| i + 3).unwrap_or(0);
        let base = match without_query[scheme_end..].find('/') {
            Some(i) => without_query[..scheme_end + i].to_owned(),
            None => without_query.clone(),
        };
        PgServer {
            admin_url: url.to_owned(),
            base,
            query,
            cluster: None,
            template: OnceLock::new(),
        }
    }

    /// The name of a database with every migration applied, for
    /// [`Self::create_database_from`]. Made once: migrated under a name of
    /// its own, then renamed into place, so concurrent test processes on one
    /// server agree on one template without locks.
    pub fn template(&self) -> &str {
        self.template.get_or_init(|| {
            let name = postgres_template_name();
            let mut admin = PgConnection::establish(&self.admin_url)
                .unwrap_or_else(|e| panic!("connect to the test PostgreSQL: {e}"));
            #[derive(diesel::QueryableByName)]
            struct Found {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
            }
            let found: Found = diesel::sql_query(format!(
                "SELECT COUNT(*) AS n FROM pg_database WHERE datname = '{name}'"
            ))
            .get_result(&mut admin)
            .unwrap();
            if found.n == 0 {
                let building = self.create_database();
                ingang_store::db::migrate(&building.url).unwrap();
                // Renaming needs no other session on it; ours has ended.
                let renamed = admin.batch_execute(&format!(
                    "ALTER DATABASE \"{}\" RENAME TO \"{name}\"",
                    building.name
                ));
                if renamed.is_ok() {
                    std::mem::forget(building);
                }
                // Otherwise another process won the race: `building` is
                // dropped and its template used.
            }
            name
        })
    }

    /// A new, empty database with a unique name; dropped with the returned value.
    pub fn create_database(&self) -> TestDatabase {
        self.create_database_from("template0")
    }

    /// A new database copied from `template`; dropped with the returned value.
    pub fn create_database_from(&self, template: &str) -> TestDatabase {
        let name = format!("ingang_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::establish(&self.admin_url)
            .unwrap_or_else(|e| panic!("connect to the test PostgreSQL: {e}"));
        admin
            .batch_execute(&format!(
                "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\" ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"
            ))
            .unwrap();
        TestDatabase {
            url: DatabaseUrl::Postgres(format!("{}/{name}{}", self.base, self.query)),
            admin_url: Some(self.admin_url.clone()),
            name,
            _dir: None,
        }
    }
}

/// The shared PostgreSQL server of this test process, started on first use.
/// `None` (after a loud note) when none is configured or installed.
pub fn postgres_or_skip() -> Option<&'static PgServer> {
    static SERVER: OnceLock<Option<PgServer>> = OnceLock::new();
    let server = SERVER.get_or_init(|| {
        if let Ok(url) = std::env::var("INGANG_TEST_DATABASE_URL") {
            return Some(PgServer::from_url(&url));
        }
        let bin = find_postgres()?;
        let cluster = Cluster::start(&bin).unwrap_or_else(|e| panic!("{e}"));
        let mut server = PgServer::from_url(&cluster.admin_url());
        server.cluster = Some(cluster);
        Some(server)
    });
    if server.is_none() {
        skip_loudly();
    }
    server.as_ref()
}

/// A cluster of the caller's own (to stop, restart or reconfigure), from
/// the local installation. `None`, after the loud note, when none is
/// installed; an external `INGANG_TEST_DATABASE_URL` cannot serve here.
pub fn own_cluster_or_skip() -> Option<Cluster> {
    match find_postgres() {
        Some(bin) => Some(Cluster::start(&bin).unwrap_or_else(|e| panic!("{e}"))),
        None => {
            skip_loudly();
            None
        }
    }
}

fn skip_loudly() {
    if std::env::var("INGANG_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
        panic!(
            "INGANG_REQUIRE_POSTGRES=1 but no PostgreSQL was found: set INGANG_TEST_DATABASE_URL \
             or install PostgreSQL (Debian: apt-get install postgresql)"
        );
    }
    static SAID: OnceLock<()> = OnceLock::new();
    SAID.get_or_init(|| {
        // Straight to the stderr handle: libtest captures print macros only.
        let _ = writeln!(
            std::io::stderr(),
            "\n################################################################\n\
             ## SKIPPING PostgreSQL tests: no PostgreSQL installation found\n\
             ## (no INGANG_TEST_DATABASE_URL, no initdb on PATH, pg_config or\n\
             ## /usr/lib/postgresql/*/bin). Install it: apt-get install postgresql\n\
             ################################################################"
        );
    });
}

/// The directory holding `initdb`, `pg_ctl` and `postgres`, if installed.
pub fn find_postgres() -> Option<PathBuf> {
    let has_tools = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Ok(dir) = std::env::var("INGANG_PG_BIN") {
        return Some(PathBuf::from(dir)).filter(|d| has_tools(d));
    }
    if let Some(path) = std::env::var_os("PATH") {
        if let Some(dir) = std::env::split_paths(&path).find(|d| has_tools(d)) {
            return Some(dir);
        }
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if has_tools(&dir) {
            return Some(dir);
        }
    }
    // Debian installs server binaries outside PATH, one folder per version.
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            Some((version, e.path().join("bin")))
        })
        .filter(|(_, dir)| has_tools(dir))
        .collect();
    versions.sort();
    versions.pop().map(|(_, dir)| dir)
}

/// A throwaway PostgreSQL cluster on a temporary directory and a free port.
/// Tests that need to stop and restart the database start their own.
pub struct Cluster {
    bin: PathBuf,
    root: PathBuf,
    data: PathBuf,
    port: u16,
    /// Run the server tools as this user (initdb refuses to run as root).
    run_as: Option<String>,
}

impl Cluster {
    pub fn start(bin: &Path) -> Result<Self, String> {
        let run_as = if is_root() {
            Some(unprivileged_user().ok_or(
                "running as root, and no 'postgres' or 'nobody' user to run PostgreSQL as",
            )?)
        } else {
            None
        };
        let root = tempfile::Builder::new()
            .prefix("ingang-pg-")
            .tempdir()
            .map_err(|e| e.to_string())?
            .keep();
        if let Some(user) = &run_as {
            chown(&root, user)?;
        }
        let data = root.join("data");
        let mut cluster = Cluster {
            bin: bin.to_owned(),
            root,
            data,
            port: 0,
            run_as,
        };
        let data = cluster.data.display().to_string();
        cluster.run(
            "initdb",
            &[
                "-D",
                &data,
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ],
        )?;
        cluster.port = free_port();
        cluster.watch_for_exit();
        cluster.resume()?;
        Ok(cluster)
    }

    /// Starts the server (again), on the same port.
    pub fn resume(&self) -> Result<(), String> {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=300 \
             -c fsync=off -c full_page_writes=off -c synchronous_commit=off",
            self.port,
            self.root.display()
        );
        let log = self.root.join("postgres.log").display().to_string();
        let data = self.data.display().to_string();
        self.run(
            "pg_ctl",
            &[
                "-D", &data, "-o", &options, "-l", &log, "-w", "-t", "60", "start",
            ],
        )
    }

    /// Stops the server at once, as if the database host went away.
    pub fn stop(&self) -> Result<(), String> {
        let data = self.data.display().to_string();
        self.run("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"])
    }

    /// Turns on TLS with this certificate chain and key (PEM), as a
    /// production database would have it.
    pub fn enable_tls(&self, cert: &Path, key: &Path) -> Result<(), String> {
        let server_cert = self.data.join("server.crt");
        let server_key = self.data.join("server.key");
        std::fs::copy(cert, &server_cert).map_err(|e| e.to_string())?;
        std::fs::copy(key, &server_key).map_err(|e| e.to_string())?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&server_key, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| e.to_string())?;
        }
        if let Some(user) = &self.run_as {
            chown(&server_cert, user)?;
            chown(&server_key, user)?;
        }
        let mut admin = PgConnection::establish(&self.admin_url()).map_err(|e| e.to_string())?;
        // Two calls: ALTER SYSTEM refuses to run inside a multi-statement batch.
        admin
            .batch_execute("ALTER SYSTEM SET ssl = on")
            .and_then(|()| admin.batch_execute("SELECT pg_reload_conf()"))
            .map_err(|e| e.to_string())?;
        std::thread::sleep(std::time::Duration::from_millis(300));
        Ok(())
    }

    /// Makes every role but the `postgres` superuser authenticate with a
    /// password over TCP (SCRAM), as a production server would.
    pub fn require_passwords(&self) -> Result<(), String> {
        let rules = "local all all trust\n\
                     host all postgres 127.0.0.1/32 trust\n\
                     host all all 127.0.0.1/32 scram-sha-256\n";
        // Rewrite in place: the file keeps initdb's owner and mode.
        std::fs::write(self.data.join("pg_hba.conf"), rules).map_err(|e| e.to_string())?;
        let mut admin = PgConnection::establish(&self.admin_url()).map_err(|e| e.to_string())?;
        admin
            .batch_execute("SELECT pg_reload_conf()")
            .map_err(|e| e.to_string())?;
        std::thread::sleep(std::time::Duration::from_millis(300));
        Ok(())
    }

    /// The cluster's data directory (`base/<oid>/`, `pg_wal/`).
    pub fn data_dir(&self) -> &Path {
        &self.data
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// A server for creating databases on this cluster.
    pub fn server(&self) -> PgServer {
        PgServer::from_url(&self.admin_url())
    }

    /// Waits until the server accepts connections again.
    pub fn wait_ready(&self, timeout: Duration) -> bool {
        let until = Instant::now() + timeout;
        while Instant::now() < until {
            if PgConnection::establish(&self.admin_url()).is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    fn command(&self, tool: &str) -> Command {
        let program = self.bin.join(tool);
        match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.arg("-u").arg(user).arg("--").arg(program);
                c
            }
            None => Command::new(program),
        }
    }

    fn run(&self, tool: &str, args: &[&str]) -> Result<(), String> {
        let out = self
            .command(tool)
            .args(args)
            // The postmaster inherits these: never the test's own pipes, or
            // the test runner would wait for it.
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| format!("{tool}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{tool} {args:?} failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    /// A detached shell that stops the cluster and deletes its directory
    /// once this process has exited (statics are never dropped).
    fn watch_for_exit(&self) {
        let stop = format!(
            "{} -D '{}' -m immediate stop",
            self.bin.join("pg_ctl").display(),
            self.data.display()
        );
        let stop = match &self.run_as {
            Some(user) => format!("runuser -u {user} -- {stop}"),
            None => stop,
        };
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop} >/dev/null 2>&1; rm -rf '{root}'",
            pid = std::process::id(),
            root = self.root.display()
        );
        let _ = Command::new("sh")
            .arg("-c")
            .arg(script)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn unprivileged_user() -> Option<String> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    ["postgres", "nobody"]
        .into_iter()
        .find(|name| passwd.lines().any(|l| l.starts_with(&format!("{name}:"))))
        .map(str::to_owned)
}

fn chown(path: &Path, user: &str) -> Result<(), String> {
    let status = Command::new("chown")
        .arg("-R")
        .arg(user)
        .arg(path)
        .status()
        .map_err(|e| e.to_string())?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("chown {user} {} failed", path.display()))
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(54329)
}

/// Polls `future` on this thread until it is ready, parking in between: it
/// completes only if something wakes the thread's waker, and a lost
/// wake-up fails the test after 10 s instead of hanging it.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    use std::sync::Arc;
    use std::task::{Context, Poll, Waker};
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "never woken");
        std::thread::park_timeout(left);
    }
}
