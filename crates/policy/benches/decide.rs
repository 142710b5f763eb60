//! One access decision with a realistic number of consents and assignments.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::wildcard_enum_match_arm
)]

use chrono::{Duration, TimeZone, Utc};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use ingang_policy::*;

fn bench_decide(c: &mut Criterion) {
    let at = Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap();
    let af = AgencyCode::parse("af").unwrap();
    let officer = Actor {
        id: OfficerId::new_random(),
        agency: af.clone(),
        roles: vec![Role::Officer],
        active: true,
    };
    let assignments: Vec<AssignmentFact> = (0..4)
        .map(|i| AssignmentFact {
            officer: if i == 3 {
                officer.id
            } else {
                OfficerId::new_random()
            },
            officer_agency: af.clone(),
            from: at - Duration::days(30),
            until: None,
        })
        .collect();
    let consents: Vec<ConsentFact> = (0..3)
        .map(|i| ConsentFact {
            id: ConsentId::new_random(),
            recipient_officers: vec![OfficerId::new_random(), officer.id],
            recipient_agencies: vec![],
            from_agencies: vec![af.clone(), AgencyCode::parse("soc").unwrap()],
            kinds: vec![],
            signed_at: at - Duration::days(10 + i),
            valid_from: at - Duration::days(10 + i),
            valid_until: at + Duration::days(300),
            withdrawn_at: (i == 0).then_some(at - Duration::days(1)),
        })
        .collect();
    let client = ClientFacts {
        id: ClientId::new_random(),
        erased: false,
    };
    let facts = Facts {
        client: Some(client),
        assignments: &assignments,
        consents: &consents,
    };
    let request = Request {
        caller: &officer,
        on_behalf_of: None,
        action: Action::ReadRecord {
            source: af.clone(),
            kind: RecordKind::ActionPlan,
        },
        at,
    };
    c.bench_function(
        "policy/decide read_record (4 assignments, 3 consents)",
        |b| b.iter(|| decide(black_box(&request), black_box(&facts))),
    );
}

criterion_group!(benches, bench_decide);
criterion_main!(benches);
