//! The `ingang` binary's commands, run as a user would run them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::wildcard_enum_match_arm
)]

mod support;

use std::path::Path;
use std::process::{Command, Output};

fn ingang(data: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ingang"));
    command
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env("RUST_LOG", "warn");
    for var in [
        "INGANG_ENV",
        "INGANG_CONFIG",
        "INGANG_KEYS_DIR",
        "INGANG_TLS",
        "INGANG_DATA_DIR",
    ] {
        command.env_remove(var);
    }
    command.envs(env.iter().copied());
    command.output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn bootstrap_once_then_token_then_rotate() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let out = ingang(data, &support::BOOTSTRAP, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let admin = stdout(&out);
    assert!(
        uuid::Uuid::parse_str(&admin).is_ok(),
        "prints the admin id: {admin}"
    );
    assert!(
        stderr(&out).contains("DEVELOPMENT"),
        "development keys are announced loudly"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            mode, 0o700,
            "the data directory is the service user's alone"
        );
    }

    let again = ingang(
        data,
        &[
            "bootstrap",
            "--agency",
            "alm",
            "--agency-name",
            "x",
            "--admin-name",
            "Eve",
        ],
        &[],
    );
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("admin account already exists"),
        "{}",
        stderr(&again)
    );

    let out = ingang(
        data,
        &[
            "token", "--sub", &admin, "--agency", "alm", "--role", "admin", "--ttl", "10m",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let token = stdout(&out);
    let config = ingang_api::config::Config {
        data_dir: data.to_owned(),
        keys_dir: data.join("keys"),
        ..Default::default()
    };
    let keys = ingang_api::server::token_keys(&config).unwrap();
    let claims = keys.verify(&token).unwrap();
    assert_eq!(
        (
            claims.sub.as_str(),
            claims.agency.as_str(),
            claims.aud.as_str()
        ),
        (admin.as_str(), "alm", "ingang")
    );
    assert!(claims.exp - claims.iat <= 600);
    let bad = ingang(
        data,
        &[
            "token", "--sub", &admin, "--agency", "alm", "--role", "admin", "--ttl", "forever",
        ],
        &[],
    );
    assert!(!bad.status.success());

    // Rotation: a new current master key, every data key re-wrapped, data still readable.
    let before = std::fs::read_to_string(data.join("keys/current")).unwrap();
    let out = ingang(data, &["keys", "rotate"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("re-wrapped 1 data keys"),
        "{}",
        stdout(&out)
    );
    let after = std::fs::read_to_string(data.join("keys/current")).unwrap();
    assert_ne!(before, after);
    let state = ingang_api::server::open_state(config).unwrap();
    let officer = state
        .store
        .db()
        .unwrap()
        .officer(admin.parse().unwrap())
        .unwrap();
    assert_eq!(officer.name, "Anna Admin");
    // The old master key is no longer needed: remove it and read again.
    std::fs::remove_file(data.join(format!("keys/master-{}.key", before.trim()))).unwrap();
    drop(state);
    let config = ingang_api::config::Config {
        data_dir: data.to_owned(),
        keys_dir: data.join("keys"),
        ..Default::default()
    };
    let state = ingang_api::server::open_state(config).unwrap();
    assert_eq!(
        state
            .store
            .db()
            .unwrap()
            .officer(admin.parse().unwrap())
            .unwrap()
            .name,
        "Anna Admin"
    );
}

#[test]
fn production_mode_refuses_development_defaults_and_names_them() {
    let dir = tempfile::tempdir().unwrap();
    let out = ingang(dir.path(), &["serve"], &[("INGANG_ENV", "production")]);
    assert!(!out.status.success());
    let message = stderr(&out);
    for needle in [
        "INGANG_TLS_CERT",
        "trusted_issuers",
        "master key",
        "INGANG_DATABASE_URL",
        "[audit_log] origin",
        "audit log: no signing key",
    ] {
        assert!(message.contains(needle), "names {needle}: {message}");
    }
    assert!(
        !dir.path().join("keys").exists(),
        "no development keys are created in production"
    );

    let out = ingang(
        dir.path(),
        &[
            "token",
            "--sub",
            &uuid::Uuid::new_v4().to_string(),
            "--agency",
            "alm",
            "--role",
            "admin",
        ],
        &[("INGANG_ENV", "production")],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("production"), "{}", stderr(&out));
}

#[test]
fn openapi_command_prints_the_document() {
    let dir = tempfile::tempdir().unwrap();
    let out = ingang(dir.path(), &["openapi"], &[]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        ingang_api::openapi::document_json()
    );
}

#[test]
fn serve_demo_loads_data_and_prints_tokens() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ingang"))
        .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("RUST_LOG", "warn")
        .env_remove("INGANG_ENV")
        .env_remove("INGANG_CONFIG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut printed = String::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let done = line.contains("/v1/audit/events");
        printed.push_str(&line);
        printed.push('\n');
        if done {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    for label in [
        "ADMIN",
        "COORDINATOR",
        "AUDITOR",
        "AF_OFFICER",
        "SOC_OFFICER",
        "PSYK_OFFICER",
        "FK_OFFICER",
        "AF_SYSTEM",
    ] {
        assert!(
            printed.contains(&format!("export {label}=ey")),
            "a token for {label}:\n{printed}"
        );
    }
    assert!(printed.contains("curl --cacert"), "{printed}");

    let config = ingang_api::config::Config {
        data_dir: dir.path().to_owned(),
        keys_dir: dir.path().join("keys"),
        ..Default::default()
    };
    let state = ingang_api::server::open_state(config).unwrap();
    let demo = ingang_api::demo::load(&state.app, &state.store, dir.path()).unwrap();
    assert_eq!(demo.people.len(), 8);
    let codes: Vec<String> = state
        .store
        .db()
        .unwrap()
        .list_agencies()
        .unwrap()
        .iter()
        .map(|a| a.code.to_string())
        .collect();
    assert_eq!(codes, ["af", "alm", "fk", "psyk", "soc"]);
    let today = chrono::Utc::now().date_naive();
    let ali = ingang_policy::PersonalNumber::parse("19900101-1239", today).unwrap();
    assert_eq!(
        state.store.db().unwrap().find_client(&ali).unwrap(),
        Some(demo.client)
    );
    // The consent, read as its coordinator would: through the use case.
    let coordinator = demo
        .people
        .iter()
        .find(|p| p.roles.contains(&ingang_policy::Role::Coordinator))
        .unwrap();
    let mut session = state.app.session().unwrap();
    let caller = session
        .authenticate(
            &ingang_app::TokenIdentity {
                subject: coordinator.id.to_string(),
                agency: coordinator.agency.to_string(),
                roles: vec!["coordinator".into()],
            },
            None,
            "cli-test".into(),
            None,
        )
        .unwrap();
    // Eva's and Sara's consent, and Per's own.
    assert_eq!(session.consents(&caller, demo.client).unwrap().len(), 2);
    // The story: Eva sees two of the three plans and their collision; Per
    // sees all three and every conflict.
    let officer = |label: &str| {
        let person = demo.people.iter().find(|p| p.label == label).unwrap();
        ingang_app::TokenIdentity {
            subject: person.id.to_string(),
            agency: person.agency.to_string(),
            roles: vec!["officer".into()],
        }
    };
    let eva = session
        .authenticate(&officer("af-officer"), None, "cli-test".into(), None)
        .unwrap();
    let per = session
        .authenticate(&officer("psyk-officer"), None, "cli-test".into(), None)
        .unwrap();
    use ingang_policy::plan::ConflictKind;
    let kinds = |plan: &ingang_app::plan::SharedPlan| -> Vec<ConflictKind> {
        plan.conflicts.iter().map(|c| c.kind).collect()
    };
    let seen_by_eva = session.shared_plan(&eva, demo.client).unwrap();
    assert_eq!(seen_by_eva.plans.len(), 2);
    assert_eq!(
        kinds(&seen_by_eva),
        [
            ConflictKind::OverFullTime,
            ConflictKind::ResponsibilityDisputed
        ]
    );
    let seen_by_per = session.shared_plan(&per, demo.client).unwrap();
    assert_eq!(seen_by_per.plans.len(), 3);
    for kind in [
        ConflictKind::OverFullTime,
        ConflictKind::ExcludingActivities,
        ConflictKind::ResponsibilityDisputed,
    ] {
        assert!(
            kinds(&seen_by_per).contains(&kind),
            "{:?}",
            kinds(&seen_by_per)
        );
    }
}

#[test]
fn production_mode_names_exactly_the_setting_that_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let config = support::production_files(dir.path());
    let config = config.to_str().unwrap();
    let production = |extra: &[(&str, &str)]| {
        let mut env = vec![("INGANG_ENV", "production"), ("INGANG_CONFIG", config)];
        env.extend_from_slice(extra);
        let out = ingang(dir.path(), &["serve"], &env);
        assert!(!out.status.success());
        stderr(&out)
    };
    // Keys, issuers and TLS at the load balancer are set: only SQLite is left.
    let message = production(&[("INGANG_TLS", "load-balancer")]);
    assert!(message.contains("INGANG_DATABASE_URL"), "{message}");
    assert!(message.contains("SQLite is refused"), "{message}");
    for other in ["master key", "trusted", "TLS"] {
        assert!(!message.contains(other), "{other} is set: {message}");
    }
    // A SQLite URL is SQLite all the same.
    let message = production(&[
        ("INGANG_TLS", "load-balancer"),
        ("INGANG_DATABASE_URL", "sqlite:///var/lib/ingang/db.sqlite3"),
    ]);
    assert!(message.contains("SQLite is refused"), "{message}");
    // Plain HTTP without saying a load balancer terminates TLS: refused.
    let message = production(&[
        ("INGANG_TLS", "off"),
        ("INGANG_DATABASE_URL", "postgres://ingang@db.example/ingang"),
    ]);
    assert!(message.contains("INGANG_TLS=off is refused"), "{message}");
    assert!(!message.contains("INGANG_DATABASE_URL"), "{message}");
    // The development log key, copied into the key file: refused by value.
    let key_file = dir.path().join("keys").join("audit-log.key");
    let dev = ingang_api::transparency::development_key("ingang.test/audit").unwrap();
    std::fs::remove_file(&key_file).unwrap();
    std::fs::write(&key_file, dev.to_private_string()).unwrap();
    let message = production(&[("INGANG_TLS", "load-balancer")]);
    assert!(
        message.contains("holds the development log key"),
        "{message}"
    );
}

#[test]
fn secrets_are_refused_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = ingang(
        dir.path(),
        &[
            "serve",
            "--database-url",
            "postgres://ingang:s3cret-pw@db.example/ingang",
        ],
        &[],
    );
    assert!(!out.status.success());
    let message = stderr(&out);
    assert!(message.contains("--database-url"), "{message}");
    assert!(
        message.contains("INGANG_DATABASE_PASSWORD_FILE"),
        "{message}"
    );
    assert!(!message.contains("s3cret-pw"), "{message}");
}

#[test]
fn keys_init_makes_keys_once_even_in_production() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    let keys_env = keys.to_str().unwrap();
    let env = [("INGANG_ENV", "production"), ("INGANG_KEYS_DIR", keys_env)];
    let out = ingang(dir.path(), &["keys", "init"], &env);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(keys.join("current").exists() && keys.join("blind-index.key").exists());
    let before = std::fs::read(keys.join("blind-index.key")).unwrap();
    let out = ingang(dir.path(), &["keys", "init"], &env);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("refusing to replace"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read(keys.join("blind-index.key")).unwrap(), before);
}

#[test]
fn keys_add_then_rotate_to_it_rewraps_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let out = ingang(data, &support::BOOTSTRAP, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = ingang(data, &["keys", "add"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let id = stdout(&out);
    let current = std::fs::read_to_string(data.join("keys/current")).unwrap();
    assert_ne!(current.trim(), id, "add does not make the key current");
    let out = ingang(data, &["keys", "rotate", "--to", &id], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("re-wrapped 1 data keys"),
        "{}",
        stdout(&out)
    );
    let out = ingang(data, &["keys", "rotate", "--to", &id], &[]);
    assert!(
        stdout(&out).contains("re-wrapped 0 data keys"),
        "{}",
        stdout(&out)
    );
    let out = ingang(data, &["keys", "rotate", "--to", "nosuchkey"], &[]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("no master key with that id"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn bad_settings_are_named() {
    let dir = tempfile::tempdir().unwrap();
    for (name, value, expected) in [
        (
            "INGANG_TRUSTED_PROXIES",
            "10.0.0.0/8, lb.internal",
            "INGANG_TRUSTED_PROXIES",
        ),
        ("INGANG_DB_TIMEOUT_SECS", "soon", "INGANG_DB_TIMEOUT_SECS"),
        ("INGANG_DB_TIMEOUT_SECS", "0", "must be positive"),
        ("INGANG_TLS", "maybe", "INGANG_TLS"),
        (
            "INGANG_DATABASE_PASSWORD_FILE",
            "/nonexistent/pw",
            "INGANG_DATABASE_PASSWORD_FILE",
        ),
    ] {
        let out = ingang(dir.path(), &["serve"], &[(name, value)]);
        assert!(!out.status.success(), "{name}={value}");
        assert!(
            stderr(&out).contains(expected),
            "{name}={value}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn a_sign_in_provider_needs_its_secret_file_and_the_public_address() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "s3cret\n").unwrap();
    let provider = |secret_file: &std::path::Path| {
        format!(
            "[[sign_in]]\nname = \"AF\"\nissuer = \"https://login.example\"\nclient_id = \"ingang\"\nclient_secret_file = \"{}\"\n",
            secret_file.display()
        )
    };
    for (text, expected) in [
        (provider(&secret), "public_url"),
        (
            format!(
                "public_url = \"https://ingang.example\"\n{}",
                provider(&dir.path().join("missing"))
            ),
            "sign_in.client_secret_file",
        ),
    ] {
        let config = dir.path().join("ingang.toml");
        std::fs::write(&config, text).unwrap();
        let out = ingang(
            dir.path(),
            &["serve", "--config", config.to_str().unwrap()],
            &[],
        );
        assert!(!out.status.success());
        assert!(stderr(&out).contains(expected), "{}", stderr(&out));
    }
}

#[test]
fn retention_erases_clients_whose_consents_ended_long_enough_ago() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let config = ingang_api::config::Config {
        data_dir: data.to_owned(),
        keys_dir: data.join("keys"),
        ..Default::default()
    };
    let state = ingang_api::server::open_state(config).unwrap();
    let demo = ingang_api::demo::load(&state.app, &state.store, data).unwrap();
    drop(state);
    let coordinator = demo
        .people
        .iter()
        .find(|p| p.label == "coordinator")
        .unwrap()
        .id
        .to_string();
    let run = |extra: &[&str], env: &[(&str, &str)]| {
        let mut args = vec!["retention", "run", "--coordinator", coordinator.as_str()];
        args.extend_from_slice(extra);
        ingang(data, &args, env)
    };

    // Without a configured period nothing runs, and the command says why.
    let out = run(&["--dry-run"], &[]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("INGANG_RETENTION_DAYS"),
        "{}",
        stderr(&out)
    );

    // With a period of 0 days: Ali's consents are in force, so only Lina
    // (registered, never consented) is due. A dry run erases nothing.
    let zero = [("INGANG_RETENTION_DAYS", "0")];
    let out = run(&["--dry-run"], &zero);
    assert!(out.status.success(), "{}", stderr(&out));
    let printed = stdout(&out);
    assert!(printed.starts_with("would erase 1 clients"), "{printed}");
    assert!(printed.contains(&demo.second_client.to_string()));
    assert!(!printed.contains(&demo.client.to_string()));
    let out = run(&[], &zero);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("erased 1 clients"),
        "{}",
        stdout(&out)
    );
    let out = run(&[], &zero);
    assert!(
        stdout(&out).starts_with("erased 0 clients"),
        "{}",
        stdout(&out)
    );

    // The erasure is audited as the coordinator's; someone else cannot run it.
    let out = run(&[], &[("INGANG_RETENTION_DAYS", "0")]);
    assert!(out.status.success());
    let auditor = demo.people.iter().find(|p| p.label == "auditor").unwrap();
    let out = ingang(
        data,
        &["retention", "run", "--coordinator", &auditor.id.to_string()],
        &zero,
    );
    assert!(!out.status.success());
    let config = ingang_api::config::Config {
        data_dir: data.to_owned(),
        keys_dir: data.join("keys"),
        ..Default::default()
    };
    let state = ingang_api::server::open_state(config).unwrap();
    let filter = ingang_app::AuditFilter {
        client_id: Some(demo.second_client),
        action: Some(ingang_policy::AuditAction::EraseClient),
        ..Default::default()
    };
    let events = state.store.db().unwrap().audit_events(&filter, 10).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event.actor_id.to_string(), coordinator);
    assert_eq!(events[0].event.decision, ingang_policy::Verdict::Allow);
}
