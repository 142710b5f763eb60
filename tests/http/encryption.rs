use diesel::connection::SimpleConnection;
use ingang_tests::{World, CLIENT_NAME};
use serde_json::json;

/// After a scenario with known personal data, no database file holds any
/// of it in plain text: not the personal number in any form, not a name,
/// not a record body, not a consent purpose or withdrawal reason.
#[test]
fn no_personal_data_at_rest_in_plain_text() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    let secrets = [
        "Bostadslös sedan mars, missbruk",
        "Diagnos F32.1 enligt journal",
        "Återkallar pga flytt",
    ];
    world.note(&world.af, secrets[0]);
    world.note(&world.soc, secrets[1]);
    let r = s.post(
        "/v1/clients",
        &world.coordinator.token,
        json!({"personal_number": "19850372-2343", "name": "Lina Nilsson"}),
    );
    assert_eq!(r.status, 201);
    s.post(
        &format!("/v1/consents/{}/withdraw", world.consent),
        &world.coordinator.token,
        json!({"reason": secrets[2]}),
    );
    // Search uses the blind index.
    assert_eq!(
        s.post(
            "/v1/clients/search",
            &world.coordinator.token,
            json!({"personal_number": "850372-2343"})
        )
        .status,
        200
    );

    let mut needles: Vec<String> = vec![
        "19900101-1239".into(),
        "199001011239".into(),
        "9001011239".into(),
        "900101-1239".into(),
        "198503722343".into(),
        "8503722343".into(),
        CLIENT_NAME.into(),
        "Svensson".into(),
        "Lina Nilsson".into(),
        "Eva Ek".into(),
        "Sara Berg".into(),
        "Samordnad rehabilitering".into(),
    ];
    needles.extend(secrets.iter().map(ToString::to_string));
    let mut scanned = 0;
    for (name, text) in s.stored_data() {
        scanned += text.len();
        for needle in &needles {
            let hex: String = needle.bytes().map(|b| format!("{b:02x}")).collect();
            for variant in [needle.clone(), needle.to_lowercase(), hex] {
                assert!(!text.contains(&variant), "{name} contains {variant:?}");
            }
        }
    }
    assert!(
        scanned > 10_000,
        "the database's data was found and read ({scanned} bytes)"
    );
}

/// A ciphertext copied into another row fails to decrypt: the service
/// answers an opaque 500, and the store names the problem clearly.
#[test]
fn a_moved_ciphertext_fails_to_decrypt() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    let secret = world.note(&world.af, "Hemligt A");
    let other = world.note(&world.af, "Harmlöst B");
    let mut db = s.raw_db();
    // A tamperer with the database drops the trigger that refuses any change
    // to a stored body first.
    let guard = match crate::BACKEND {
        ingang_tests::Backend::Sqlite => "DROP TRIGGER record_versions_never_change;",
        ingang_tests::Backend::Postgres => {
            "DROP TRIGGER record_versions_never_change ON record_versions;"
        }
    };
    db.batch_execute(&format!(
        "{guard} UPDATE record_versions SET body_ct = (SELECT body_ct FROM record_versions WHERE record_id = '{secret}') WHERE record_id = '{other}';"
    ))
    .unwrap();
    let r = s.get(&format!("/v1/records/{other}"), &world.af.token);
    assert_eq!((r.status, r.problem().as_str()), (500, "internal-error"));
    assert!(
        !r.text.contains("Hemligt") && !r.text.contains("record_versions"),
        "{}",
        r.text
    );
    assert_eq!(
        s.get(&format!("/v1/records/{secret}"), &world.af.token)
            .status,
        200
    );

    // The cause, which only the server log sees, names the misplaced ciphertext.
    let error = s
        .state
        .app
        .session()
        .unwrap()
        .read_record(&s.caller(&world.af), other.parse().unwrap())
        .unwrap_err();
    assert!(
        matches!(&error, ingang_app::AppError::Internal(cause)
            if cause.contains("does not belong to record_versions.body")),
        "{error:?}"
    );

    // Another client's ciphertext under this client's key fails the same way.
    let r = s.post(
        "/v1/clients",
        &world.coordinator.token,
        json!({"personal_number": "19121212-1212", "name": "Tolvan"}),
    );
    let tolvan = r.id();
    db.batch_execute(&format!(
        "UPDATE clients SET name_ct = (SELECT name_ct FROM clients WHERE id = '{tolvan}') WHERE id = '{}';",
        world.client
    ))
    .unwrap();
    let r = s.get(&format!("/v1/clients/{}", world.client), &world.af.token);
    assert_eq!(r.status, 500);
    assert!(!r.text.contains("Tolvan"));
}
