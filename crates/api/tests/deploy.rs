//! deploy/: no container engine or systemd runs here, so this checks what
//! can be checked: every YAML file parses and says what it must, the
//! systemd unit is hardened and passes `systemd-analyze verify` (where that
//! exists), and the very command lines and settings of the image and the
//! unit start a production-mode service on PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::wildcard_enum_match_arm
)]

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use yaml_rust2::{Yaml, YamlLoader};

fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy")
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

fn load(path: &Path) -> Vec<Yaml> {
    let text = std::fs::read_to_string(path).unwrap();
    YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn kubernetes_documents() -> Vec<Yaml> {
    let mut files = vec![];
    yaml_files(&deploy_dir().join("k8s"), &mut files);
    files.iter().flat_map(|f| load(f)).collect()
}

#[test]
fn every_yaml_file_parses() {
    let mut files = vec![];
    yaml_files(&deploy_dir(), &mut files);
    assert!(files.len() >= 7, "{files:?}");
    for file in &files {
        let documents = load(file);
        assert!(!documents.is_empty(), "{} is empty", file.display());
        for doc in documents {
            assert!(
                doc.as_hash().is_some(),
                "{}: a document is not a mapping",
                file.display()
            );
        }
    }
}

#[test]
fn kubernetes_manifests_probe_run_unprivileged_and_reference_secrets() {
    let docs = kubernetes_documents();
    let kinds: Vec<&str> = docs.iter().filter_map(|d| d["kind"].as_str()).collect();
    for kind in [
        "Deployment",
        "Service",
        "ConfigMap",
        "Ingress",
        "PodDisruptionBudget",
        "NetworkPolicy",
    ] {
        assert!(kinds.contains(&kind), "{kind} missing: {kinds:?}");
    }
    assert!(
        !kinds.contains(&"Secret"),
        "Secrets are referenced, never inlined"
    );
    let deployment = docs
        .iter()
        .find(|d| d["kind"].as_str() == Some("Deployment"))
        .unwrap();
    assert!(deployment["spec"]["replicas"].as_i64().unwrap() >= 2);
    let pod = &deployment["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"].as_bool(), Some(true));
    let container = &pod["containers"][0];
    assert_eq!(
        container["readinessProbe"]["httpGet"]["path"].as_str(),
        Some("/readyz")
    );
    assert_eq!(
        container["livenessProbe"]["httpGet"]["path"].as_str(),
        Some("/healthz")
    );
    assert_eq!(
        container["securityContext"]["readOnlyRootFilesystem"].as_bool(),
        Some(true)
    );
    assert_eq!(
        container["securityContext"]["allowPrivilegeEscalation"].as_bool(),
        Some(false)
    );
    let env: BTreeMap<&str, &str> = container["env"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap(),
                e["value"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(env["INGANG_ENV"], "production");
    assert_eq!(env["INGANG_TLS"], "load-balancer");
    assert!(
        !env.contains_key("INGANG_DATABASE_URL"),
        "the URL is a secret file"
    );
    let secrets: Vec<&str> = pod["volumes"]
        .as_vec()
        .unwrap()
        .iter()
        .filter_map(|v| v["secret"]["secretName"].as_str())
        .collect();
    assert_eq!(secrets, ["ingang-master-keys", "ingang-database"]);
}

#[test]
fn compose_runs_postgresql_two_api_processes_and_a_load_balancer() {
    let docs = load(&deploy_dir().join("compose/compose.yaml"));
    let compose = &docs[0];
    for service in ["postgres", "api1", "api2", "lb"] {
        assert!(
            !compose["services"][service].is_badvalue(),
            "service {service} missing"
        );
    }
    // api1 and api2 share one definition (a YAML anchor).
    assert_eq!(compose["services"]["api1"], compose["services"]["api2"]);
    let api = &compose["x-api"];
    assert_eq!(
        api["environment"]["INGANG_ENV"].as_str(),
        Some("production")
    );
    assert!(api["environment"]["INGANG_DATABASE_PASSWORD_FILE"]
        .as_str()
        .is_some());
    // No secret values in the file: passwords only as *_FILE paths.
    let text = std::fs::read_to_string(deploy_dir().join("compose/compose.yaml")).unwrap();
    for line in text.lines() {
        let line = line.trim();
        if line.contains("PASSWORD") && !line.starts_with('#') {
            assert!(
                line.contains("_FILE"),
                "a password value in compose.yaml: {line}"
            );
        }
    }
    let nginx = std::fs::read_to_string(deploy_dir().join("compose/nginx.conf")).unwrap();
    assert!(nginx.contains("server api1:8080") && nginx.contains("server api2:8080"));
    assert!(nginx.contains("location = /metrics { return 404; }"));
}

/// `Key=Value` lines of the unit (repeated keys kept in order).
fn unit_settings() -> Vec<(String, String)> {
    std::fs::read_to_string(deploy_dir().join("systemd/ingang.service"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with('['))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

#[test]
fn the_systemd_unit_is_hardened_and_verifies() {
    let settings = unit_settings();
    let get = |key: &str| {
        settings
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("{key} missing"))
    };
    for (key, value) in [
        ("NoNewPrivileges", "yes"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("PrivateDevices", "yes"),
        ("CapabilityBoundingSet", ""),
        ("RestrictSUIDSGID", "yes"),
        ("MemoryDenyWriteExecute", "yes"),
        ("UMask", "0077"),
        ("User", "ingang"),
    ] {
        assert_eq!(get(key), value, "{key}");
    }
    assert_eq!(
        get("ExecStart"),
        "/usr/local/bin/ingang serve",
        "no secrets on the command line"
    );

    let Ok(version) = Command::new("systemd-analyze").arg("--version").output() else {
        eprintln!("systemd-analyze not installed: unit verification skipped");
        return;
    };
    assert!(version.status.success());
    // verify checks that the binary exists: point it at the one just built.
    let dir = tempfile::tempdir().unwrap();
    let unit = dir.path().join("ingang.service");
    let text = std::fs::read_to_string(deploy_dir().join("systemd/ingang.service"))
        .unwrap()
        .replace("/usr/local/bin/ingang", env!("CARGO_BIN_EXE_ingang"));
    std::fs::write(&unit, text).unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&unit)
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "systemd-analyze verify: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// argv and environment of the image, from deploy/Dockerfile's final stage.
fn image_command() -> (Vec<String>, BTreeMap<String, String>) {
    let text = std::fs::read_to_string(deploy_dir().join("Dockerfile")).unwrap();
    let final_stage = text.rsplit("\nFROM ").next().unwrap();
    let mut env = BTreeMap::new();
    let (mut entrypoint, mut cmd) = (vec![], vec![]);
    for line in final_stage.lines() {
        if let Some(rest) = line.strip_prefix("ENV ") {
            let (k, v) = rest.split_once('=').unwrap();
            env.insert(k.to_owned(), v.to_owned());
        } else if let Some(rest) = line.strip_prefix("ENTRYPOINT ") {
            entrypoint = serde_json::from_str(rest).unwrap();
        } else if let Some(rest) = line.strip_prefix("CMD ") {
            cmd = serde_json::from_str(rest).unwrap();
        } else if let Some(user) = line.strip_prefix("USER ") {
            assert_ne!(user.trim(), "root");
            assert!(user.starts_with("nonroot"), "{user}");
        }
    }
    entrypoint.extend(cmd);
    (entrypoint, env)
}

/// argv and environment of the unit: Environment= lines and the example
/// environment file it loads.
fn unit_command() -> (Vec<String>, BTreeMap<String, String>) {
    let settings = unit_settings();
    let mut env = BTreeMap::new();
    let file = std::fs::read_to_string(deploy_dir().join("systemd/ingang.env")).unwrap();
    for line in file
        .lines()
        .filter(|l| !l.starts_with('#') && l.contains('='))
    {
        let (k, v) = line.split_once('=').unwrap();
        env.insert(k.to_owned(), v.to_owned());
    }
    let mut argv = vec![];
    for (key, value) in settings {
        match key.as_str() {
            "Environment" => {
                let (k, v) = value.split_once('=').unwrap();
                env.insert(k.to_owned(), v.to_owned());
            }
            "ExecStart" => argv = value.split_whitespace().map(str::to_owned).collect(),
            _ => {}
        }
    }
    (argv, env)
}

fn start_like(
    name: &str,
    (argv, mut env): (Vec<String>, BTreeMap<String, String>),
    database_url: &str,
    root: &Path,
) {
    assert_eq!(argv[0], "/usr/local/bin/ingang", "{name}");
    assert_eq!(argv[1..], ["serve"], "{name}");
    assert_eq!(env["INGANG_ENV"], "production", "{name}");
    assert_eq!(env["INGANG_TLS"], "load-balancer", "{name}");
    // Where the files live here instead of /etc and /var/lib; the database
    // URL arrives as a secret file, as in the unit and the manifests.
    let config = support::production_files(root);
    let url_file = root.join(format!("{name}-database-url"));
    std::fs::write(&url_file, format!("{database_url}\n")).unwrap();
    let port = support::free_port();
    env.insert("INGANG_LISTEN".into(), format!("127.0.0.1:{port}"));
    env.insert("INGANG_CONFIG".into(), config.display().to_string());
    env.insert(
        "INGANG_KEYS_DIR".into(),
        root.join("keys").display().to_string(),
    );
    env.insert(
        "INGANG_DATA_DIR".into(),
        root.join(format!("{name}-data")).display().to_string(),
    );
    env.insert(
        "INGANG_DATABASE_URL_FILE".into(),
        url_file.display().to_string(),
    );
    for (k, v) in &env {
        assert!(!v.contains('%'), "{name}: unresolved specifier in {k}={v}");
    }
    let log = root.join(format!("{name}.log"));
    let child = support::ingang()
        .args(&argv[1..])
        .envs(&env)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut process = support::ServeProcess {
        base: format!("http://127.0.0.1:{port}"),
        child,
        log,
    };
    assert!(
        process.wait_ready(Duration::from_secs(60)),
        "{name}: not ready: {}",
        process.log_text()
    );
    let metrics = support::agent()
        .get(&format!("{}/metrics", process.base))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    assert!(metrics.contains("ingang_build_info{version=\"0.1.0\",backend=\"postgres\"} 1"));
    assert!(metrics
        .contains("ingang_http_requests_total{route=\"/readyz\",method=\"GET\",status=\"200\"}"));
    assert!(
        process.terminate(Duration::from_secs(30)),
        "{name}: clean stop"
    );
    // Production logs are JSON lines; access lines carry a request id.
    let text = process.log_text();
    let mut access = 0;
    for line in text.lines() {
        let entry: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{name}: not JSON ({e}): {line}"));
        if entry["target"] == "ingang::access" {
            access += 1;
            assert_eq!(entry["request_id"].as_str().unwrap().len(), 36, "{line}");
            assert!(entry["route"].as_str().is_some() && entry["status"].as_u64().is_some());
        }
    }
    assert!(access >= 2, "{name}: {text}");
    assert!(
        !text.contains(PASSWORD),
        "{name}: the database password was logged"
    );
}

/// A password in the database URL must never reach a log line. The
/// throwaway cluster trusts local connections, so any password works there.
const PASSWORD: &str = "never-log-this-pw";

#[test]
fn the_image_and_the_unit_start_a_production_service_on_postgresql() {
    let Some(database) = ingang_testdb::TestDatabase::create(ingang_testdb::Backend::Postgres)
    else {
        return;
    };
    let own_cluster = ingang_testdb::postgres_or_skip().is_some_and(|s| s.cluster.is_some());
    let url = if own_cluster {
        database
            .url_string()
            .replacen("postgres@", &format!("postgres:{PASSWORD}@"), 1)
    } else {
        database.url_string()
    };
    for (name, command) in [("image", image_command()), ("unit", unit_command())] {
        let dir = tempfile::tempdir().unwrap();
        start_like(name, command, &url, dir.path());
    }
}
