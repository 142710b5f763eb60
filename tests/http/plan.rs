//! The shared plan: three agencies plan for one person, each officer sees
//! the plans (and only the conflicts) the consent lets them see.

use ingang_tests::{consent_body, World};
use serde_json::{json, Value};

fn plan_body(agency: &str, activity: Value) -> Value {
    json!({"kind": "action_plan", "body": {
        "goals": ["Egen försörjning"], "own_goals": ["Jobba med djur"],
        "overall_responsibility": agency, "activities": [activity]}})
}

fn conflict_types(body: &Value) -> Vec<String> {
    body["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["type"].as_str().unwrap().to_owned())
        .collect()
}

/// The audit entries of `actor` with `action`, as `(record_id, decision)`.
fn entries(world: &World, actor: &str, action: &str) -> Vec<(Value, String)> {
    let r = world.server.get(
        &format!(
            "/v1/audit/events?client_id={}&actor_id={actor}&action={action}&limit=200",
            world.client
        ),
        &world.auditor.token,
    );
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["record_id"].clone(),
                e["decision"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn three_agencies_plan_for_one_person_and_each_officer_sees_what_the_consent_allows() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    let client = &world.client;
    // Per (psychiatry) is named in a second consent that covers every source.
    let r = s.post(
        &format!("/v1/clients/{client}/consents"),
        &world.coordinator.token,
        consent_body(&[&world.psyk.id], &[], &[], &[]),
    );
    assert_eq!(r.status, 201, "{}", r.text);

    // The employment service plans a full-time internship: nothing to
    // collide with yet.
    let af = s.post(
        &format!("/v1/clients/{client}/records"),
        &world.af.token,
        plan_body(
            "af",
            json!({"type": "internship", "extent_percent": 100, "from": "2026-02-01", "to": "2026-04-30"}),
        ),
    );
    assert_eq!(af.status, 201, "{}", af.text);
    assert_eq!(af.body["conflicts"], json!([]));
    let af_plan = af.id();

    // Social services plan half-time studies in the same weeks, and are
    // warned as they write.
    let soc = s.post(
        &format!("/v1/clients/{client}/records"),
        &world.soc.token,
        plan_body(
            "soc",
            json!({"type": "studies", "extent_percent": 50, "from": "2026-03-01", "to": "2026-05-31"}),
        ),
    );
    assert_eq!(soc.status, 201, "{}", soc.text);
    let soc_plan = soc.id();
    let mut written = soc.body.clone();
    for volatile in ["created_at", "updated_at"] {
        written[volatile] = json!("<time>");
    }
    let names = [
        (af_plan.as_str(), "af plan"),
        (soc_plan.as_str(), "soc plan"),
    ];
    insta::assert_json_snapshot!(
        "action_plan_written_with_its_conflicts",
        ingang_tests::with_stable_ids(&written, &names)
    );
    assert_eq!(
        conflict_types(&soc.body),
        ["over-full-time", "responsibility-disputed"]
    );
    let over = &soc.body["conflicts"][0];
    assert_eq!(over["from"], "2026-03-01");
    assert_eq!(over["to"], "2026-04-30");
    assert_eq!(over["total_percent"], 150);
    assert_eq!(over["agencies"], json!(["af", "soc"]));
    assert_eq!(
        over["activities"].as_array().unwrap().len(),
        2,
        "{}",
        soc.text
    );

    // Psychiatry prescribes full-time sick leave over the same weeks.
    let psyk = s.post(
        &format!("/v1/clients/{client}/records"),
        &world.psyk.token,
        plan_body(
            "psyk",
            json!({"type": "sick_leave", "extent_percent": 100, "from": "2026-03-15", "to": "2026-06-30"}),
        ),
    );
    assert_eq!(psyk.status, 201, "{}", psyk.text);
    let psyk_plan = psyk.id();
    assert!(conflict_types(&psyk.body).contains(&"excluding-activities".to_owned()));

    // Eva (employment service; consent covers af and soc) sees two plans
    // and their over-full-time conflict, and nothing of psychiatry's plan.
    let eva = s.get(&format!("/v1/clients/{client}/plan"), &world.af.token);
    assert_eq!(eva.status, 200, "{}", eva.text);
    assert_eq!(eva.body["client_id"], json!(client));
    let plans: Vec<&str> = eva.body["plans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["record_id"].as_str().unwrap())
        .collect();
    assert_eq!(plans, [af_plan.as_str(), soc_plan.as_str()]);
    assert_eq!(eva.body["plans"][0]["own_goals"], json!(["Jobba med djur"]));
    assert_eq!(eva.body["activities"].as_array().unwrap().len(), 2);
    assert_eq!(
        conflict_types(&eva.body),
        ["over-full-time", "responsibility-disputed"]
    );
    for hidden in [psyk_plan.as_str(), "psyk", "sick_leave", "excluding"] {
        assert!(!eva.text.contains(hidden), "{hidden} leaked: {}", eva.text);
    }
    // The shape of the view, kept (ids numbered by first appearance).
    let names = [
        (af_plan.as_str(), "af plan"),
        (soc_plan.as_str(), "soc plan"),
    ];
    insta::assert_json_snapshot!(
        "plan_as_eva",
        ingang_tests::with_stable_ids(&eva.body, &names)
    );

    // Per, named in a consent that covers all sources, sees every conflict.
    let per = s.get(&format!("/v1/clients/{client}/plan"), &world.psyk.token);
    assert_eq!(per.status, 200, "{}", per.text);
    assert_eq!(per.body["plans"].as_array().unwrap().len(), 3);
    let types = conflict_types(&per.body);
    for expected in [
        "over-full-time",
        "excluding-activities",
        "responsibility-disputed",
    ] {
        assert!(types.contains(&expected.to_owned()), "{types:?}");
    }

    // The view is audited as its own decision and one read per plan.
    assert_eq!(
        entries(&world, &world.af.id, "plan.read"),
        [(Value::Null, "allow".to_owned())]
    );
    let reads = entries(&world, &world.af.id, "record.read");
    for plan in [&af_plan, &soc_plan] {
        assert!(
            reads.contains(&(json!(plan), "allow".to_owned())),
            "{reads:?}"
        );
    }
    assert!(!reads.iter().any(|(r, _)| r == &json!(psyk_plan)));

    // Amending the internship to half time clears the over-full-time
    // conflict, for the writer at once and in the plan view.
    let amended = s.put(
        &format!("/v1/records/{af_plan}"),
        &world.af.token,
        plan_body(
            "af",
            json!({"type": "internship", "extent_percent": 50, "from": "2026-02-01", "to": "2026-04-30"}),
        ),
        af.etag.as_deref(),
    );
    assert_eq!(amended.status, 200, "{}", amended.text);
    assert_eq!(conflict_types(&amended.body), ["responsibility-disputed"]);
    let eva = s.get(&format!("/v1/clients/{client}/plan"), &world.af.token);
    assert_eq!(conflict_types(&eva.body), ["responsibility-disputed"]);
    assert_eq!(eva.body["plans"][0]["version"], 2);
}

#[test]
fn the_plan_of_a_client_one_may_not_see_does_not_exist() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    for who in [
        &world.unassigned,
        &world.fk,
        &world.coordinator,
        &world.auditor,
    ] {
        let r = s.get(&format!("/v1/clients/{}/plan", world.client), &who.token);
        assert_eq!(r.status, 404, "{}", r.text);
    }
    let r = s.get(
        &format!("/v1/clients/{}/plan", uuid::Uuid::new_v4()),
        &world.af.token,
    );
    assert_eq!(r.status, 404);
    // Assigned but not named: the reason, as for any other read.
    let r = s.get(
        &format!("/v1/clients/{}/plan", world.client),
        &world.psyk.token,
    );
    assert_eq!(
        (r.status, r.body["reason"].as_str()),
        (403, Some("no-active-consent"))
    );
}

#[test]
fn bodies_of_every_kind_are_checked_field_by_field() {
    let Some(world) = World::new(crate::BACKEND) else {
        return;
    };
    let s = &world.server;
    let path = format!("/v1/clients/{}/records", world.client);
    let accepted = [
        json!({"kind": "assessment", "body": {"text": "Kartläggning",
            "areas": [{"area": "work_capacity", "text": "Halvtid"}]}}),
        json!({"kind": "follow_up", "body": {"text": "Uppföljning", "date": "2026-03-01",
            "goals": [{"goal": "Praktik", "status": "progressing"}]}}),
        json!({"kind": "meeting_note", "body": {"text": "Avstämning", "date": "2026-03-02",
            "agencies": ["af", "soc"], "client_present": true, "decisions": ["Fortsätt"],
            "next_meeting_on": "2026-04-02"}}),
        json!({"kind": "closure", "body": {"text": "Avslut", "outcome": "work"}}),
        json!({"kind": "closure", "body": {"text": "Avslut", "outcome": "none",
            "analysis": "Behöver stöd av regionen först"}}),
        json!({"kind": "note", "body": {"text": "Anteckning", "date": "2026-03-03", "agencies": ["af"]}}),
        json!({"kind": "action_plan", "body": {"goals": ["Arbete"], "overall_responsibility": "af",
            "follow_up_on": "2026-05-01", "agreed_with_client_on": "2026-01-20",
            "activities": [{"type": "subsidised_work", "extent_percent": 75,
                "from": "2026-02-01", "to": "2026-12-31", "responsible": "af",
                "responsible_officer": world.af.id, "description": "Lönebidrag"}]}}),
    ];
    for body in accepted {
        let r = s.post(&path, &world.af.token, body.clone());
        assert_eq!(r.status, 201, "{body}: {}", r.text);
    }
    let refused = [
        (
            json!({"kind": "closure", "body": {"text": "Avslut", "outcome": "other_agency"}}),
            "body.analysis",
        ),
        (
            json!({"kind": "action_plan", "body": {"goals": ["x"], "overall_responsibility": "af",
                "activities": [{"type": "work", "extent_percent": 0, "from": "2026-01-01", "to": "2026-02-01"}]}}),
            "body.activities[0].extent_percent",
        ),
        (
            json!({"kind": "action_plan", "body": {"goals": ["x"], "overall_responsibility": "af",
                "activities": [{"type": "work", "extent_percent": 50, "from": "2026-03-01", "to": "2026-02-01"}]}}),
            "body.activities[0].to",
        ),
        (
            json!({"kind": "action_plan", "body": {"goals": ["x"], "overall_responsibility": "af",
                "activities": [{"type": "vacation", "extent_percent": 50, "from": "2026-01-01", "to": "2026-02-01"}]}}),
            "body.activities[0].type",
        ),
        (
            json!({"kind": "follow_up", "body": {"text": "x", "goals": [{"goal": "y", "status": "done"}]}}),
            "body.goals[0].status",
        ),
        (
            json!({"kind": "assessment", "body": {"text": "x", "areas": [{"area": "health", "text": " "}]}}),
            "body.areas[0].text",
        ),
        (
            json!({"kind": "meeting_note", "body": {"text": "x", "decisions": [""]}}),
            "body.decisions[0]",
        ),
    ];
    for (body, field) in refused {
        let r = s.post(&path, &world.af.token, body.clone());
        assert_eq!(r.status, 400, "{body}: {}", r.text);
        assert_eq!(r.body["field"], field, "{body}: {}", r.text);
    }
}
