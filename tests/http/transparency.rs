//! The log that proves itself, over HTTP: signed checkpoints, the public
//! key, inclusion and consistency proofs checked with code we did not
//! write (`signed_note`, `tlog_tiles`), verification, export, and clear
//! errors for bad input. Every use is itself an audit entry.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ingang_tests::{TestServer, World};
use serde_json::Value;
use std::time::{Duration, Instant};

/// Waits until a signed checkpoint covers at least `size` entries.
fn checkpoint_covering(s: &TestServer, token: &str, size: u64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let r = s.get("/v1/audit/checkpoints/latest", token);
        if r.status == 200 && r.body["tree_size"].as_u64().unwrap() >= size {
            return r.body;
        }
        assert!(
            Instant::now() < deadline,
            "no checkpoint of {size}: {}",
            r.text
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn newest_seq(s: &TestServer, token: &str) -> i64 {
    let mut cursor = String::new();
    let mut last = 0;
    loop {
        let r = s.get(&format!("/v1/audit/events?limit=200{cursor}"), token);
        let items = r.body["items"].as_array().unwrap();
        if let Some(e) = items.last() {
            last = e["seq"].as_i64().unwrap();
        }
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => return last,
        }
    }
}

fn hashes(v: &Value) -> Vec<tlog_tiles::Hash> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|h| {
            tlog_tiles::Hash(
                STANDARD
                    .decode(h.as_str().unwrap())
                    .unwrap()
                    .try_into()
                    .unwrap(),
            )
        })
        .collect()
}

#[test]
fn checkpoints_are_signed_and_every_entry_proves_with_other_code() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    let auditor = &world.auditor.token;
    world.note(&world.af, "a");
    let key = s.get("/v1/audit/public-key", auditor);
    assert_eq!(key.status, 200, "{}", key.text);
    let vkey = key.body["verifier_key"].as_str().unwrap();
    assert!(vkey.starts_with("ingang.localhost/audit+"), "{vkey}");
    let verifier = signed_note::StandardVerifier::new(vkey).unwrap();
    let verifiers = signed_note::VerifierList::new(vec![Box::new(verifier)]);

    let seq = newest_seq(s, auditor);
    let first = checkpoint_covering(s, auditor, seq as u64);
    let note = signed_note::Note::from_bytes(first["note"].as_str().unwrap().as_bytes()).unwrap();
    note.verify(&verifiers).unwrap();
    let parsed = tlog_tiles::Checkpoint::from_bytes(note.text()).unwrap();
    assert_eq!(parsed.origin(), "ingang.localhost/audit");
    assert_eq!(parsed.size(), first["tree_size"].as_u64().unwrap());
    assert_eq!(
        STANDARD.encode(parsed.hash().0),
        first["root_hash"].as_str().unwrap()
    );

    // An entry's proof, against the newest checkpoint.
    let proof = s.get(&format!("/v1/audit/events/{seq}/proof"), auditor);
    assert_eq!(proof.status, 200, "{}", proof.text);
    let leaf = STANDARD
        .decode(proof.body["leaf"].as_str().unwrap())
        .unwrap();
    let decoded = ingang_store::leaf::decode(&leaf).unwrap();
    assert_eq!(decoded.seq, seq);
    let size = proof.body["checkpoint"]["tree_size"].as_u64().unwrap();
    let root = hashes(&serde_json::json!([proof.body["checkpoint"]["root_hash"]]))[0];
    let leaf_hash = ingang_tlog::tree::leaf_hash(&leaf);
    tlog_tiles::check_record(
        &hashes(&proof.body["hashes"]),
        size,
        root,
        proof.body["leaf_index"].as_u64().unwrap(),
        tlog_tiles::Hash(leaf_hash.0),
    )
    .unwrap();

    // More entries, a later checkpoint, and the proof that it extends the first.
    world.note(&world.soc, "b");
    let later_seq = newest_seq(s, auditor);
    let second = checkpoint_covering(s, auditor, later_seq as u64);
    let (from, to) = (
        first["tree_size"].as_u64().unwrap(),
        second["tree_size"].as_u64().unwrap(),
    );
    assert!(to > from);
    let c = s.get(
        &format!("/v1/audit/checkpoints/consistency?from={from}&to={to}"),
        auditor,
    );
    assert_eq!(c.status, 200, "{}", c.text);
    let root_of = |v: &Value| hashes(&serde_json::json!([v["root_hash"]]))[0];
    tlog_tiles::check_tree(
        &hashes(&c.body["hashes"]),
        to,
        root_of(&c.body["to_checkpoint"]),
        from,
        root_of(&c.body["from_checkpoint"]),
    )
    .unwrap();
    // The earlier checkpoint still proves the first entry.
    let old = s.get(
        &format!("/v1/audit/events/{seq}/proof?tree_size={from}"),
        auditor,
    );
    assert_eq!(old.status, 200, "{}", old.text);
    assert_eq!(old.body["checkpoint"]["tree_size"], from);

    // The whole log verifies.
    let v = s.get("/v1/audit/verify", auditor);
    assert_eq!(v.status, 200, "{}", v.text);
    assert_eq!(v.body["intact"], true, "{}", v.text);
    assert!(v.body["entries"].as_u64().unwrap() >= to);

    // Export as JSON lines: a header, entries in leaf order, checkpoints last.
    let export = s.get("/v1/audit/export?format=jsonl", auditor);
    assert_eq!(export.status, 200);
    assert!(
        export.content_type.starts_with("application/jsonl"),
        "{}",
        export.content_type
    );
    let lines: Vec<Value> = export
        .text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["format"], "ingang-audit-export/v1");
    assert_eq!(lines[0]["filtered"], false);
    assert!(lines.iter().any(|l| l["seq"] == seq));
    assert!(lines.last().unwrap()["checkpoint"]
        .as_str()
        .unwrap()
        .contains("\n\n— ingang.localhost/audit "));
    let csv = s.get(
        &format!("/v1/audit/export?format=csv&client_id={}", world.client),
        auditor,
    );
    assert_eq!(csv.status, 200);
    assert!(csv.text.starts_with("leaf_index,seq,at,actor_id,"));
    assert!(
        csv.text.lines().skip(1).all(|l| l.contains(&world.client)),
        "{}",
        csv.text
    );

    // Each of the auditor's uses is an entry of its own.
    for action in ["audit.proof", "audit.verify", "audit.export"] {
        let q = s.get(
            &format!(
                "/v1/audit/events?actor_id={}&action={action}",
                world.auditor.id
            ),
            auditor,
        );
        assert!(
            !q.body["items"].as_array().unwrap().is_empty(),
            "{action}: {}",
            q.text
        );
    }
}

#[test]
fn bad_input_is_named() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    let auditor = &world.auditor.token;
    let seq = newest_seq(s, auditor);
    let latest = checkpoint_covering(s, auditor, seq as u64);
    let size = latest["tree_size"].as_u64().unwrap();
    let cases = [
        ("/v1/audit/events/abc/proof".to_owned(), 400, Some("seq")),
        ("/v1/audit/events/0/proof".to_owned(), 400, Some("seq")),
        ("/v1/audit/events/-3/proof".to_owned(), 400, Some("seq")),
        ("/v1/audit/events/99999999/proof".to_owned(), 404, None),
        (
            format!("/v1/audit/events/{seq}/proof?tree_size={}", size + 1000),
            404,
            Some("tree_size"),
        ),
        (
            format!("/v1/audit/events/{seq}/proof?tree_size=9223372036854775808"),
            400,
            Some("tree_size"),
        ),
        (
            "/v1/audit/events/9223372036854775806/proof".to_owned(),
            404,
            None,
        ),
        (
            "/v1/audit/events/9223372036854775808/proof".to_owned(),
            400,
            Some("seq"),
        ),
        (
            format!("/v1/audit/events/{seq}/proof?tree_size=0"),
            400,
            Some("tree_size"),
        ),
        (
            format!("/v1/audit/events/{seq}/proof?tree_size=x"),
            400,
            None,
        ),
        (
            format!("/v1/audit/checkpoints/consistency?from={size}&to=1"),
            400,
            Some("from"),
        ),
        (
            format!(
                "/v1/audit/checkpoints/consistency?from=0&to={}",
                size + 1000
            ),
            404,
            Some("to"),
        ),
        (
            "/v1/audit/checkpoints/consistency?from=0&to=18446744073709551615".to_owned(),
            400,
            Some("to"),
        ),
        (
            "/v1/audit/checkpoints/consistency?from=1".to_owned(),
            400,
            None,
        ),
        (
            "/v1/audit/export?format=xml".to_owned(),
            400,
            Some("format"),
        ),
        (
            "/v1/audit/export?format=csv&action=record.peek".to_owned(),
            400,
            Some("action"),
        ),
        ("/v1/audit/verify?witnesses=99".to_owned(), 400, None),
    ];
    for (path, status, field) in cases {
        let r = s.get(&path, auditor);
        assert_eq!(r.status, status, "{path}: {}", r.text);
        assert!(
            r.content_type.starts_with("application/problem+json"),
            "{path}"
        );
        if let Some(field) = field {
            assert!(r.text.contains(field), "{path}: {}", r.text);
        }
    }
}

#[test]
fn only_auditors_see_the_log_and_refusals_are_entries() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    for path in [
        "/v1/audit/checkpoints/latest",
        "/v1/audit/public-key",
        "/v1/audit/events/1/proof",
        "/v1/audit/checkpoints/consistency?from=0&to=1",
        "/v1/audit/verify",
        "/v1/audit/export?format=jsonl",
    ] {
        for who in [&world.af, &world.coordinator, &world.admin] {
            let r = s.get(path, &who.token);
            assert_eq!(r.status, 403, "{path}: {}", r.text);
        }
    }
    let q = s.get(
        &format!("/v1/audit/events?actor_id={}&decision=deny", world.af.id),
        &world.auditor.token,
    );
    let actions: Vec<&str> = q.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in ["audit.proof", "audit.verify", "audit.export"] {
        assert!(actions.contains(&action), "{action}: {actions:?}");
    }
}

#[test]
fn the_extract_reads_as_a_person_expects() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    let note = world.note(&world.soc, "Samtal om praktik");
    // Eva reads it under the consent; Per (assigned, not named) is refused.
    assert_eq!(
        s.get(&format!("/v1/records/{note}"), &world.af.token)
            .status,
        200
    );
    assert_eq!(
        s.get(&format!("/v1/records/{note}"), &world.psyk.token)
            .status,
        403
    );
    let path = format!("/v1/clients/{}/access-log?limit=200", world.client);
    let en = s.get(&format!("{path}&lang=en"), &world.coordinator.token);
    assert_eq!(en.status, 200, "{}", en.text);
    assert_eq!(en.body["lang"], "en");
    let items = en.body["items"].as_array().unwrap();
    let read = items
        .iter()
        .find(|e| e["action"] == "record.read" && e["actor_id"] == world.af.id.as_str())
        .unwrap_or_else(|| panic!("{}", en.text));
    assert_eq!(read["actor_name"], "Eva Ek");
    assert_eq!(read["agency_name"], "Arbetsförmedlingen");
    assert_eq!(read["record_kind"], "note");
    assert_eq!(read["consent_purpose"], "Samordnad rehabilitering");
    assert_eq!(read["outcome_text"], "Allowed");
    let refused = items
        .iter()
        .find(|e| e["action"] == "record.read" && e["actor_id"] == world.psyk.id.as_str())
        .unwrap();
    assert_eq!(refused["actor_name"], "Per Lind");
    assert_eq!(refused["agency_name"], "Regionpsykiatrin");
    assert!(
        refused["outcome_text"]
            .as_str()
            .unwrap()
            .starts_with("Refused: "),
        "{refused}"
    );
    // Swedish by default; the client's name is never in it.
    let sv = s.get(&path, &world.coordinator.token);
    assert_eq!(sv.body["lang"], "sv");
    assert!(sv.text.contains("Tillåten"));
    assert!(!sv.text.contains(ingang_tests::CLIENT_NAME));
    assert_eq!(
        s.get(&format!("{path}&lang=de"), &world.coordinator.token)
            .status,
        400
    );
    // After erasure the log remains; the purposes are gone with the key.
    let r = s.post(
        &format!("/v1/clients/{}/erase", world.client),
        &world.coordinator.token,
        serde_json::json!({"reason": "Begäran om radering"}),
    );
    assert_eq!(r.status, 204, "{}", r.text);
    let erased = s.get(&format!("{path}&lang=en"), &world.auditor.token);
    assert_eq!(erased.status, 200, "{}", erased.text);
    assert_eq!(erased.body["erased"], true);
    let read = erased.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "record.read" && e["actor_id"] == world.af.id.as_str())
        .unwrap();
    assert_eq!(read["actor_name"], "Eva Ek");
    assert!(read["consent_purpose"].is_null());
}
