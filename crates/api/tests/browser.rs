//! The web page in a real browser: `ingang serve --demo` started as a user
//! starts it, and the journeys of `tests/browser/journeys.mjs` run in
//! Debian's headless Chromium through playwright-core, with axe-core on
//! every page. They save screenshots of the main pages in
//! `docs/screenshots/`.
//!
//! Needs Node.js and Chromium (`apt-get install chromium`; another binary
//! through `INGANG_CHROMIUM`); installs the npm packages from the committed
//! lockfile on first run. Without a browser it skips loudly, and
//! `INGANG_REQUIRE_BROWSER=1` (set by CI) makes that a failure.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::wildcard_enum_match_arm
)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn chromium() -> Option<PathBuf> {
    let candidates = [
        std::env::var("INGANG_CHROMIUM").ok().map(PathBuf::from),
        Some(PathBuf::from("/usr/bin/chromium")),
        Some(PathBuf::from("/usr/bin/chromium-browser")),
    ];
    candidates.into_iter().flatten().find(|p| p.exists())
}

fn has_node() -> bool {
    Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Kills the server when the test ends, however it ends.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Chromium, with the npm packages installed; `None` (after saying so
/// loudly) where the machine has no browser and none is required.
fn browser_or_skip() -> Option<PathBuf> {
    let required = std::env::var("INGANG_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    let (Some(chromium), true) = (chromium(), has_node()) else {
        assert!(
            !required,
            "INGANG_REQUIRE_BROWSER=1 but Chromium or Node.js is missing"
        );
        eprintln!("!!! SKIPPED the browser journeys: install chromium and Node.js to run them !!!");
        return None;
    };
    let scripts = repository().join("tests/browser");
    if !scripts.join("node_modules/oidc-provider").exists() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&scripts)
            .status()
            .unwrap();
        assert!(status.success(), "npm ci in tests/browser failed");
    }
    Some(chromium)
}

/// `ingang serve --demo` as a user starts it, with `args` added; its
/// address and the coordinator's token, once the demo is printed.
fn serve_demo(dir: &Path, args: &[&str]) -> (Server, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ingang"))
        .args(["serve", "--demo", "--data-dir"])
        .arg(dir)
        .args(args)
        .env("RUST_LOG", "warn")
        .env_remove("INGANG_ENV")
        .env_remove("INGANG_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let mut base = None;
    let mut coordinator = None;
    let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
    for line in lines.by_ref() {
        if let Some(token) = line.strip_prefix("export COORDINATOR=") {
            coordinator = Some(token.to_owned());
        }
        if let Some(rest) = line.strip_prefix("In a browser: open ") {
            base = Some(rest.split('/').take(3).collect::<Vec<_>>().join("/"));
        }
        if line.contains("/v1/audit/events") {
            break;
        }
    }
    // Keep reading what it prints, or its next line meets a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (
        server,
        base.expect("the demo prints the address to open"),
        coordinator.expect("the demo prints the coordinator's token"),
    )
}

fn demo_ids(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("demo.json")).unwrap()).unwrap()
}

fn person(demo: &serde_json::Value, label: &str) -> String {
    demo["people"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["label"] == label)
        .and_then(|p| p["id"].as_str())
        .unwrap()
        .to_owned()
}

fn run_node(script: &str, env: &[(&str, String)]) -> String {
    let output = Command::new("node")
        .arg(repository().join("tests/browser").join(script))
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap();
    let printed = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{printed}");
    assert!(output.status.success(), "{script} failed:\n{printed}");
    printed
}

#[test]
fn every_role_journey_in_a_real_browser() {
    let Some(chromium) = browser_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (_server, base, coordinator) = serve_demo(dir.path(), &["--listen", "127.0.0.1:0"]);
    let demo = demo_ids(dir.path());
    let printed = run_node(
        "journeys.mjs",
        &[
            ("INGANG_BASE", base),
            ("INGANG_CLIENT", demo["client"].as_str().unwrap().to_owned()),
            (
                "INGANG_HIDDEN",
                demo["second_client"].as_str().unwrap().to_owned(),
            ),
            ("INGANG_EVA", person(&demo, "af-officer")),
            ("INGANG_COORDINATOR", coordinator),
            ("INGANG_CHROMIUM", chromium.display().to_string()),
            (
                "INGANG_SCREENSHOTS",
                repository().join("docs/screenshots").display().to_string(),
            ),
        ],
    );
    assert!(
        printed.contains("axe-core found no violations on:"),
        "{printed}"
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn sign_in_through_a_real_openid_connect_provider() {
    let Some(chromium) = browser_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (service_port, provider_port) = (free_port(), free_port());
    let issuer = format!("http://localhost:{provider_port}");
    let public_url = format!("https://localhost:{service_port}");
    let secret = "a-client-secret-for-this-test-only";
    std::fs::write(dir.path().join("oidc-secret"), format!("{secret}\n")).unwrap();
    let config = dir.path().join("ingang.toml");
    std::fs::write(
        &config,
        format!(
            "public_url = \"{public_url}\"\n\n[[sign_in]]\nname = \"Testleverantören\"\nissuer = \"{issuer}\"\nclient_id = \"ingang\"\nclient_secret_file = \"{}\"\n",
            dir.path().join("oidc-secret").display()
        ),
    )
    .unwrap();

    let mut provider = Command::new("node")
        .arg(repository().join("tests/browser/oidc-provider.mjs"))
        .env("PORT", provider_port.to_string())
        .env(
            "REDIRECT_URI",
            format!("{public_url}/sign-in/oidc/callback"),
        )
        .env("CLIENT_SECRET", secret)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let provider_out = provider.stdout.take().unwrap();
    let _provider = Server(provider);
    let mut lines = BufReader::new(provider_out).lines().map_while(Result::ok);
    let ready = lines.any(|line| line.starts_with("ready"));
    assert!(ready, "the OpenID provider did not start");
    // Keep reading what it prints, or its next line meets a closed pipe.
    std::thread::spawn(move || lines.for_each(|line| println!("provider: {line}")));

    let listen = format!("127.0.0.1:{service_port}");
    let config_arg = config.display().to_string();
    let (_server, base, _) =
        serve_demo(dir.path(), &["--listen", &listen, "--config", &config_arg]);
    let demo = demo_ids(dir.path());
    run_node(
        "oidc.mjs",
        &[
            ("INGANG_BASE", base),
            ("INGANG_EVA", person(&demo, "af-officer")),
            ("OIDC_ISSUER", issuer),
            ("INGANG_CHROMIUM", chromium.display().to_string()),
        ],
    );
}
