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

#[test]
fn every_role_journey_in_a_real_browser() {
    let required = std::env::var("INGANG_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    let (Some(chromium), true) = (chromium(), has_node()) else {
        assert!(
            !required,
            "INGANG_REQUIRE_BROWSER=1 but Chromium or Node.js is missing"
        );
        eprintln!("!!! SKIPPED the browser journeys: install chromium and Node.js to run them !!!");
        return;
    };
    let scripts = repository().join("tests/browser");
    if !scripts.join("node_modules/playwright-core").exists() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&scripts)
            .status()
            .unwrap();
        assert!(status.success(), "npm ci in tests/browser failed");
    }

    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ingang"))
        .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("RUST_LOG", "warn")
        .env_remove("INGANG_ENV")
        .env_remove("INGANG_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _server = Server(child);
    let mut base = None;
    let mut coordinator = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(token) = line.strip_prefix("export COORDINATOR=") {
            coordinator = Some(token.to_owned());
        }
        if let Some(rest) = line.strip_prefix("In a browser: open ") {
            base = rest.split('/').take(3).collect::<Vec<_>>().join("/").into();
        }
        if line.contains("/v1/audit/events") {
            break;
        }
    }
    let base: String = base.expect("the demo prints the address to open");
    let demo: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("demo.json")).unwrap())
            .unwrap();

    let eva = demo["people"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["label"] == "af-officer")
        .and_then(|p| p["id"].as_str())
        .unwrap();
    let output = Command::new("node")
        .arg(scripts.join("journeys.mjs"))
        .env("INGANG_BASE", &base)
        .env("INGANG_CLIENT", demo["client"].as_str().unwrap())
        .env("INGANG_HIDDEN", demo["second_client"].as_str().unwrap())
        .env("INGANG_EVA", eva)
        .env("INGANG_COORDINATOR", coordinator.unwrap())
        .env("INGANG_CHROMIUM", &chromium)
        .env("INGANG_SCREENSHOTS", repository().join("docs/screenshots"))
        .output()
        .unwrap();
    let printed = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{printed}");
    assert!(
        output.status.success(),
        "browser journeys failed:\n{printed}"
    );
    assert!(
        printed.contains("axe-core found no violations on:"),
        "{printed}"
    );
}
