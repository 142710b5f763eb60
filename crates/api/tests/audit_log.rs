//! The log that proves itself, with real processes: two `ingang witness`
//! processes cosign the service's checkpoints; `ingang audit verify`,
//! `export` and `verify-proof` work offline; an operator who rewrites an
//! entry and signs a new tree cannot get it cosigned, and verification
//! says why. On PostgreSQL, two API processes under load with the
//! sequencing one killed (`kill -9`): another takes over and no entry is
//! lost or sequenced twice.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::wildcard_enum_match_arm
)]

mod support;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use ingang_testdb::{Backend, TestDatabase};
use serde_json::{json, Value};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};
use support::{ServeProcess, Site};

struct WitnessProcess {
    child: Child,
    url: String,
    verifier_key: String,
}

impl Drop for WitnessProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn witness(root: &std::path::Path, name: &str, log_key: &str) -> WitnessProcess {
    let key_file = root.join(format!("{name}.key"));
    let out = support::ingang()
        .args([
            "witness",
            "keygen",
            "--name",
            &format!("{name}.example/witness"),
            "--out",
        ])
        .arg(&key_file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let verifier_key = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let port = support::free_port();
    let child = support::ingang()
        .args([
            "witness",
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--key-file",
        ])
        .arg(&key_file)
        .arg("--state-file")
        .arg(root.join(format!("{name}.json")))
        .args(["--log", log_key])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(root.join(format!("{name}.log"))).unwrap())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "witness {name} did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    WitnessProcess {
        child,
        url: format!("http://127.0.0.1:{port}"),
        verifier_key,
    }
}

fn wait_for<T>(what: &str, timeout: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn auditor(site: &Site, process: &ServeProcess, admin: &str) -> (String, String) {
    let r = process.call(
        "POST",
        "/v1/officers",
        admin,
        Some(&json!({"name": "Olle Granskare", "agency": "alm", "roles": ["auditor"]})),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    let id = r.id();
    (support::token(site, &id, "alm", "auditor"), id)
}

fn some_traffic(process: &ServeProcess, admin: &str, n: usize) {
    for _ in 0..n {
        let r = process.call("GET", "/v1/agencies", admin, None);
        assert_eq!(r.status, 200);
    }
}

#[test]
fn witnesses_cosign_and_refuse_a_rewritten_history() {
    let database = TestDatabase::migrated(Backend::Sqlite).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mut site = Site::new(root, &database.url_string());
    std::fs::create_dir_all(&site.keys_dir).unwrap();
    // The log's own key, where `ingang keys init` would put it.
    let log_key = site.run(&["audit", "keygen"]);
    assert!(log_key.starts_with("ingang.localhost/audit+"), "{log_key}");
    let w1 = witness(root, "w1", &log_key);
    let w2 = witness(root, "w2", &log_key);
    let config = root.join("ingang.toml");
    std::fs::write(
        &config,
        format!(
            "[audit_log]\ncheckpoint_interval_ms = 100\n\n[[audit_log.witnesses]]\nurl = \"{}\"\nverifier_key = \"{}\"\n\n[[audit_log.witnesses]]\nurl = \"{}\"\nverifier_key = \"{}\"\n",
            w1.url, w1.verifier_key, w2.url, w2.verifier_key
        ),
    )
    .unwrap();
    site.env
        .push(("INGANG_CONFIG".into(), config.display().to_string()));
    let admin_id = support::bootstrap(&site);
    let admin = support::token(&site, &admin_id, "alm", "admin");
    let mut api = site.serve("api");
    let (auditor, auditor_id) = auditor(&site, &api, &admin);
    some_traffic(&api, &admin, 5);

    // Both witnesses cosign the newest checkpoint.
    // A checkpoint that holds the traffic above (at least 7 entries),
    // cosigned by both.
    let cosigned = wait_for("two cosignatures", Duration::from_secs(30), || {
        let r = api.call("GET", "/v1/audit/checkpoints/latest", &auditor, None);
        let cosigned = r.status == 200
            && r.body["tree_size"].as_u64().unwrap() >= 7
            && r.body["cosignatures"].as_array().unwrap().len() == 2;
        cosigned.then_some(r.body)
    });
    let note =
        ingang_tlog::note::Note::parse(cosigned["note"].as_str().unwrap().as_bytes()).unwrap();
    let keys: Vec<_> = [&log_key, &w1.verifier_key, &w2.verifier_key]
        .iter()
        .map(|k| ingang_tlog::note::VerifierKey::parse(k).unwrap())
        .collect();
    assert_eq!(
        note.verify(&keys).unwrap().len(),
        3,
        "the log and both witnesses signed"
    );

    // Offline verification from the database, demanding both witnesses.
    let verified = site.run(&[
        "audit",
        "verify",
        "--witnesses",
        "2",
        "--auditor",
        &auditor_id,
    ]);
    assert!(verified.contains("the log is intact"), "{verified}");
    // An export verifies with only the public keys.
    let export = root.join("export.jsonl");
    site.run(&[
        "audit",
        "export",
        "--format",
        "jsonl",
        "--auditor",
        &auditor_id,
        "--out",
        export.to_str().unwrap(),
    ]);
    let from_file = site.run(&[
        "audit",
        "verify",
        "--export",
        export.to_str().unwrap(),
        "--witnesses",
        "2",
    ]);
    assert!(from_file.contains("the log is intact"), "{from_file}");
    // A corrupt export is refused by name, not by a panic.
    let text = std::fs::read_to_string(&export).unwrap();
    let corrupt = root.join("corrupt.jsonl");
    std::fs::write(
        &corrupt,
        text.replacen("\"request_id\":\"", "\"request_id\":\"x", 1),
    )
    .unwrap();
    let out = site.output(&["audit", "verify", "--export", corrupt.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("verification FAILED"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A proof checks with only the log's key and prints the entry.
    // Against the checkpoint both witnesses cosigned.
    let proof = api.call(
        "GET",
        &format!(
            "/v1/audit/events/2/proof?tree_size={}",
            cosigned["tree_size"]
        ),
        &auditor,
        None,
    );
    assert_eq!(proof.status, 200, "{:?}", proof.body);
    let proof_file = root.join("proof.json");
    std::fs::write(&proof_file, proof.body.to_string()).unwrap();
    let checked = site.run(&[
        "audit",
        "verify-proof",
        "--key",
        &log_key,
        "--witness-key",
        &w1.verifier_key,
        "--witnesses",
        "1",
        proof_file.to_str().unwrap(),
    ]);
    assert!(checked.contains("entry 2 is leaf"), "{checked}");
    let mut forged = proof.body.clone();
    forged["leaf_index"] = json!(proof.body["leaf_index"].as_u64().unwrap() + 1);
    std::fs::write(&proof_file, forged.to_string()).unwrap();
    let out = site.output(&[
        "audit",
        "verify-proof",
        "--key",
        &log_key,
        proof_file.to_str().unwrap(),
    ]);
    assert!(!out.status.success());

    // The operator rewrites an entry and rebuilds and signs a new tree.
    assert!(api.terminate(Duration::from_secs(20)));
    let mut conn = database.connect();
    conn.batch_execute(
        "DROP TRIGGER audit_events_no_update;
         DROP TRIGGER audit_leaves_no_delete; DROP TRIGGER audit_tree_nodes_no_delete;
         DROP TRIGGER audit_checkpoints_no_delete; DROP TRIGGER audit_cosignatures_no_delete;
         UPDATE audit_events SET request_id = 'rewritten' WHERE seq = 2;
         DELETE FROM audit_cosignatures; DELETE FROM audit_checkpoints;
         DELETE FROM audit_tree_nodes; DELETE FROM audit_leaves; DELETE FROM audit_pending;
         UPDATE audit_tree SET size = 0, root = X'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
         INSERT INTO audit_pending (seq) SELECT seq FROM audit_events;",
    )
    .unwrap();
    let signed = site.run(&["audit", "checkpoint"]);
    assert!(signed.contains("signed the checkpoint"), "{signed}");
    // Locally the rebuilt log is consistent: only the witnesses can tell.
    let api = site.serve("api-again");
    some_traffic(&api, &admin, 5);
    let refusal = wait_for("the witnesses' refusal", Duration::from_secs(30), || {
        let out = site.output(&[
            "audit",
            "verify",
            "--witnesses",
            "1",
            "--auditor",
            &auditor_id,
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (!out.status.success() && stderr.contains("refused")).then_some(stderr)
    });
    assert!(refusal.contains("too-few-cosignatures"), "{refusal}");
    assert!(
        refusal.contains("witness w1.example/witness refused the checkpoint of"),
        "{refusal}"
    );
    assert!(
        refusal.contains("consistency proof does not verify") || refusal.contains("409"),
        "{refusal}"
    );
    // The witnesses still hold the honest tree, not the rewritten one.
    let held: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("w1.json")).unwrap()).unwrap();
    let held = &held["logs"]["ingang.localhost/audit"];
    assert!(held["size"].as_u64().unwrap() >= cosigned["tree_size"].as_u64().unwrap());
    let rewritten = api.call("GET", "/v1/audit/checkpoints/latest", &auditor, None);
    assert_ne!(held["root"], rewritten.body["root_hash"]);
    assert!(rewritten.body["cosignatures"]
        .as_array()
        .unwrap()
        .is_empty());
}

/// The figures of a failover run (printed; `bench/failover-run.sh` records them).
fn percentile(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn leader_of(processes: &[&ServeProcess]) -> Option<usize> {
    processes.iter().position(|p| {
        support::agent()
            .get(&format!("{}/metrics", p.base))
            .call()
            .ok()
            .and_then(|r| r.into_string().ok())
            .is_some_and(|m| m.contains("ingang_audit_sequencer_leader 1"))
    })
}

#[test]
fn the_sequencer_fails_over_under_load_on_postgresql() {
    let Some(database) = TestDatabase::create(Backend::Postgres) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mut site = Site::new(root, &database.url_string());
    let config = root.join("ingang.toml");
    std::fs::write(
        &config,
        "[audit_log]\ncheckpoint_interval_ms = 100\nlease_ms = 500\n",
    )
    .unwrap();
    site.env
        .push(("INGANG_CONFIG".into(), config.display().to_string()));
    let admin_id = support::bootstrap(&site);
    let a = site.serve("a");
    let b = site.serve("b");
    let people = support::set_up(&site, &a, &b, &admin_id);
    let clients: usize = std::env::var("INGANG_FAILOVER_CLIENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    for i in 0..clients {
        let pn = personal_number(i);
        support::client_with_consent(if i % 2 == 0 { &a } else { &b }, &people, &pn);
    }
    let mut processes = [a, b];
    let leader = wait_for("a sequencer leader", Duration::from_secs(10), || {
        leader_of(&processes.iter().collect::<Vec<_>>())
    });
    let survivor = 1 - leader;
    let seconds: u64 = std::env::var("INGANG_FAILOVER_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6);
    let killed = std::sync::atomic::AtomicBool::new(false);
    let bases: Vec<String> = processes.iter().map(|p| p.base.clone()).collect();
    let started = Instant::now();
    let mut count_before: i64 = 0;
    {
        use ingang_store::schema::audit_events::dsl as e;
        count_before = e::audit_events
            .count()
            .get_result(&mut database.connect())
            .unwrap_or(count_before);
    }
    std::thread::scope(|scope| {
        for t in 0..4 {
            let bases = &bases;
            let killed = &killed;
            let eva = &people.eva;
            scope.spawn(move || {
                let agent = support::agent();
                let mut n = t;
                while started.elapsed() < Duration::from_secs(seconds) {
                    n += 1;
                    let target = if killed.load(std::sync::atomic::Ordering::Relaxed) {
                        survivor
                    } else {
                        n % 2
                    };
                    let _ = agent
                        .get(&format!("{}/v1/clients?limit=200", bases[target]))
                        .set("Authorization", &format!("Bearer {eva}"))
                        .call();
                }
            });
        }
        std::thread::sleep(Duration::from_secs(seconds / 2));
        // kill -9 the sequencing process mid-run.
        killed.store(true, std::sync::atomic::Ordering::Relaxed);
        processes[leader].child.kill().unwrap();
        let _ = processes[leader].child.wait();
    });
    let elapsed = started.elapsed().as_secs_f64();
    let survivor_process = &processes[survivor];
    let mut conn = database.connect();
    use ingang_store::schema::{
        audit_checkpoints as c, audit_events as e, audit_leaves as l, audit_pending as p,
    };
    let total: i64 = e::table.count().get_result(&mut conn).unwrap();
    let rate = (total - count_before) as f64 / elapsed;
    wait_for("the queue to drain", Duration::from_secs(30), || {
        let pending: i64 = p::table.count().get_result(&mut conn).ok()?;
        (pending == 0).then_some(())
    });
    let total: i64 = e::table.count().get_result(&mut conn).unwrap();
    wait_for(
        "a checkpoint of every entry",
        Duration::from_secs(30),
        || {
            let size: Option<i64> = c::table
                .select(diesel::dsl::max(c::tree_size))
                .first(&mut conn)
                .ok()?;
            (size == Some(total)).then_some(())
        },
    );
    let leaves: Vec<(i64, i64, i64)> = l::table
        .inner_join(e::table)
        .select((l::leaf_index, l::seq, e::at))
        .order(l::leaf_index.asc())
        .load(&mut conn)
        .unwrap();
    assert_eq!(leaves.len() as i64, total, "every entry is a leaf");
    for (i, (index, _, _)) in leaves.iter().enumerate() {
        assert_eq!(*index, i as i64, "leaf indexes are dense");
    }
    let mut seqs: Vec<i64> = leaves.iter().map(|(_, s, _)| *s).collect();
    seqs.sort_unstable();
    seqs.dedup();
    assert_eq!(seqs.len() as i64, total, "no entry is sequenced twice");
    // The survivor verifies the whole log.
    let v = survivor_process.call("GET", "/v1/audit/verify", &people.auditor, None);
    assert_eq!(v.body["intact"], true, "{:?}", v.body);
    // How long each entry waited for a signed checkpoint.
    let checkpoints: Vec<(i64, i64)> = c::table
        .select((c::tree_size, c::signed_at))
        .order(c::tree_size.asc())
        .load(&mut conn)
        .unwrap();
    let mut delays = Vec::with_capacity(leaves.len());
    let mut next = 0;
    for (index, _, at) in &leaves {
        while checkpoints[next].0 <= *index {
            next += 1;
        }
        delays.push(checkpoints[next].1 - at);
    }
    delays.sort_unstable();
    println!(
        "figures: {} entries in {elapsed:.1} s ({rate:.0} entries/s through 2 processes, the leader killed at {} s); integration delay p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        total - count_before,
        seconds / 2,
        percentile(&delays, 50.0) as f64 / 1000.0,
        percentile(&delays, 99.0) as f64 / 1000.0,
        *delays.last().unwrap_or(&0) as f64 / 1000.0,
    );
}

/// A valid personal number (Luhn check digit) for client `i`.
fn personal_number(i: usize) -> String {
    let base = format!(
        "19{:02}0{}{:02}{:03}",
        50 + i % 40,
        1 + i % 9,
        10 + i % 18,
        i
    );
    let digits: Vec<u32> = base[2..].chars().map(|c| c.to_digit(10).unwrap()).collect();
    let sum: u32 = digits
        .iter()
        .enumerate()
        .map(|(k, d)| {
            let v = if k % 2 == 0 { d * 2 } else { *d };
            v / 10 + v % 10
        })
        .sum();
    let check = (10 - sum % 10) % 10;
    format!("{}-{}{check}", &base[..8], &base[8..])
}
