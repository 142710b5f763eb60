//! Conflict detection over a large shared plan: 10 plans of 20 activities
//! each, overlapping all year, with follow-ups.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::wildcard_enum_match_arm
)]

use chrono::{Days, NaiveDate};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use ingang_policy::bodies::{ActionPlan, Activity, ActivityType};
use ingang_policy::plan::{conflicts, VisibleFollowUp, VisiblePlan};
use ingang_policy::{AgencyCode, RecordId};

fn bench_conflicts(c: &mut Criterion) {
    let start = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let agencies = ["af", "soc", "fk", "psyk", "komvux"];
    let plans: Vec<VisiblePlan> = (0..10u64)
        .map(|p| VisiblePlan {
            record: RecordId::new_random(),
            agency: AgencyCode::parse(agencies[(p % 5) as usize]).unwrap(),
            written_on: start,
            plan: ActionPlan {
                goals: vec!["Arbete".into()],
                own_goals: vec![],
                overall_responsibility: agencies[(p % 2) as usize].into(),
                follow_up_on: Some(start + Days::new(60 + p)),
                agreed_with_client_on: None,
                activities: (0..20u64)
                    .map(|a| {
                        let from = start + Days::new((p * 7 + a * 17) % 330);
                        Activity {
                            activity_type: ActivityType::ALL[((p + a) % 7) as usize],
                            extent_percent: (10 + (p * 13 + a * 7) % 91) as u8,
                            from,
                            to: from + Days::new(14 + (a * 5) % 40),
                            responsible: None,
                            responsible_officer: None,
                            description: None,
                        }
                    })
                    .collect(),
            },
        })
        .collect();
    let follow_ups = vec![VisibleFollowUp {
        agency: AgencyCode::parse("af").unwrap(),
        on: start + Days::new(30),
    }];
    let today = start + Days::new(200);
    let found = conflicts(&plans, &follow_ups, today);
    assert!(!found.is_empty());
    c.bench_function("plan conflicts, 10 plans x 20 activities", |b| {
        b.iter(|| conflicts(black_box(&plans), black_box(&follow_ups), today))
    });
}

criterion_group!(benches, bench_conflicts);
criterion_main!(benches);
