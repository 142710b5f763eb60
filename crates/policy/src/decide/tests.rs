//! Exhaustive and property tests of the access rule.
#![allow(clippy::wildcard_enum_match_arm)]

use super::*;
use chrono::{Duration, TimeZone};
use proptest::prelude::*;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
}

fn agency(code: &str) -> AgencyCode {
    AgencyCode::parse(code).unwrap()
}

fn actor(roles: &[Role], agency_code: &str, active: bool) -> Actor {
    Actor {
        id: OfficerId::new_random(),
        agency: agency(agency_code),
        roles: roles.to_vec(),
        active,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CallerKind {
    Officer,
    Coordinator,
    SystemForOfficer,
    SystemDirect,
    Auditor,
    Admin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AssignmentCase {
    None,
    Active,
    Ended,
    Future,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ConsentCase {
    None,
    Active,
    Withdrawn,
    Expired,
    NotYetValid,
    OtherOfficer,
    AgencyWide,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ActionCase {
    ReadClient,
    ViewPlan,
    ReadRecord,
    CreateRecord,
}

#[derive(Debug, Clone, Copy)]
struct Case {
    caller: CallerKind,
    assignment: AssignmentCase,
    consent: ConsentCase,
    source_in_scope: bool,
    kind_in_scope: bool,
    officer_active: bool,
    erased: bool,
    action: ActionCase,
}

/// The expected answer, written straight from the text of the access rule (docs/design.md) and kept
/// deliberately unlike the implementation: first who can know the client,
/// then the four rules as booleans.
fn oracle(case: &Case) -> Result<(), &'static str> {
    let subject_is_officer = matches!(
        case.caller,
        CallerKind::Officer | CallerKind::SystemForOfficer
    );
    let assigned = case.assignment == AssignmentCase::Active;
    if !assigned {
        return Err("no-assignment");
    }
    if case.erased {
        return Err("client-erased");
    }
    if !subject_is_officer {
        return Err("role-not-permitted");
    }
    if !case.officer_active {
        return Err("officer-inactive");
    }
    let names_officer = !matches!(case.consent, ConsentCase::None | ConsentCase::OtherOfficer);
    let live = matches!(case.consent, ConsentCase::Active | ConsentCase::AgencyWide);
    // A read checks the record's source and kind; a write checks the writer's
    // own agency as source. Identity reads need any live consent naming O.
    let in_scope = match case.action {
        ActionCase::ReadClient | ActionCase::ViewPlan => true,
        ActionCase::ReadRecord | ActionCase::CreateRecord => {
            case.source_in_scope && case.kind_in_scope
        }
    };
    match (names_officer, live, in_scope) {
        (true, true, true) => Ok(()),
        (true, true, false) => Err("outside-consent-scope"),
        (true, false, _) => Err(match case.consent {
            ConsentCase::Withdrawn => "consent-withdrawn",
            ConsentCase::Expired => "consent-expired",
            _ => "no-active-consent",
        }),
        (false, _, _) => Err("no-active-consent"),
    }
}

fn run(case: &Case) -> Decision {
    let at = t0();
    let day = Duration::days(1);
    let roles: &[Role] = match case.caller {
        CallerKind::Officer => &[Role::Officer],
        CallerKind::Coordinator => &[Role::Coordinator],
        CallerKind::SystemForOfficer | CallerKind::SystemDirect => &[Role::System],
        CallerKind::Auditor => &[Role::Auditor],
        CallerKind::Admin => &[Role::Admin],
    };
    // The subject's own active flag is what the matrix varies.
    let caller = actor(
        roles,
        "af",
        case.officer_active || case.caller == CallerKind::SystemForOfficer,
    );
    let officer = actor(&[Role::Officer], "af", case.officer_active);
    let subject = if case.caller == CallerKind::SystemForOfficer {
        &officer
    } else {
        &caller
    };

    let assignments: Vec<AssignmentFact> = match case.assignment {
        AssignmentCase::None => vec![],
        AssignmentCase::Active => vec![(at - day, None)],
        AssignmentCase::Ended => vec![(at - day * 10, Some(at - day))],
        AssignmentCase::Future => vec![(at + day, None)],
    }
    .into_iter()
    .map(|(from, until)| AssignmentFact {
        officer: subject.id,
        officer_agency: subject.agency.clone(),
        from,
        until,
    })
    .collect();

    let kind = RecordKind::Assessment;
    let other_kind = RecordKind::Note;
    let base = ConsentFact {
        id: ConsentId::new_random(),
        recipient_officers: vec![subject.id],
        recipient_agencies: vec![],
        from_agencies: vec![if case.source_in_scope {
            agency("af")
        } else {
            agency("soc")
        }],
        kinds: vec![if case.kind_in_scope { kind } else { other_kind }],
        signed_at: at - day * 30,
        valid_from: at - day * 30,
        valid_until: at + day * 300,
        withdrawn_at: None,
    };
    let consents = match case.consent {
        ConsentCase::None => vec![],
        ConsentCase::Active => vec![base],
        ConsentCase::Withdrawn => vec![ConsentFact {
            withdrawn_at: Some(at - day),
            ..base
        }],
        ConsentCase::Expired => vec![ConsentFact {
            valid_until: at - day,
            ..base
        }],
        ConsentCase::NotYetValid => vec![ConsentFact {
            valid_from: at + day,
            ..base
        }],
        ConsentCase::OtherOfficer => vec![ConsentFact {
            recipient_officers: vec![OfficerId::new_random()],
            ..base
        }],
        ConsentCase::AgencyWide => {
            vec![ConsentFact {
                recipient_officers: vec![],
                recipient_agencies: vec![agency("af")],
                ..base
            }]
        }
    };
    let action = match case.action {
        ActionCase::ReadClient => Action::ReadClient,
        ActionCase::ViewPlan => Action::ViewPlan,
        ActionCase::ReadRecord => Action::ReadRecord {
            source: agency("af"),
            kind,
        },
        ActionCase::CreateRecord => Action::WriteRecord {
            kind,
            existing_source: None,
        },
    };
    let client = ClientFacts {
        id: ClientId::new_random(),
        erased: case.erased,
    };
    let on_behalf_of = (case.caller == CallerKind::SystemForOfficer).then_some(&officer);
    let request = Request {
        caller: &caller,
        on_behalf_of,
        action,
        at,
    };
    decide(
        &request,
        &Facts {
            client: Some(client),
            assignments: &assignments,
            consents: &consents,
        },
    )
}

#[test]
fn every_combination_matches_the_rule() {
    use ActionCase as A;
    use AssignmentCase as S;
    use CallerKind as R;
    use ConsentCase as C;
    let mut checked = 0;
    for caller in [
        R::Officer,
        R::Coordinator,
        R::SystemForOfficer,
        R::SystemDirect,
        R::Auditor,
        R::Admin,
    ] {
        for assignment in [S::None, S::Active, S::Ended, S::Future] {
            for consent in [
                C::None,
                C::Active,
                C::Withdrawn,
                C::Expired,
                C::NotYetValid,
                C::OtherOfficer,
                C::AgencyWide,
            ] {
                for source_in_scope in [true, false] {
                    for kind_in_scope in [true, false] {
                        for officer_active in [true, false] {
                            for erased in [true, false] {
                                for action in
                                    [A::ReadClient, A::ViewPlan, A::ReadRecord, A::CreateRecord]
                                {
                                    let case = Case {
                                        caller,
                                        assignment,
                                        consent,
                                        source_in_scope,
                                        kind_in_scope,
                                        officer_active,
                                        erased,
                                        action,
                                    };
                                    let got = match run(&case) {
                                        Decision::Allow { consent } => {
                                            assert!(
                                                consent.is_some(),
                                                "{case:?}: allowed without a consent"
                                            );
                                            Ok(())
                                        }
                                        Decision::Deny { reason } => Err(reason.as_str()),
                                    };
                                    assert_eq!(got, oracle(&case), "{case:?}");
                                    checked += 1;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    assert_eq!(checked, 6 * 4 * 7 * 2 * 2 * 2 * 2 * 4);
}

#[test]
fn existence_is_hidden_from_the_unassigned() {
    // Whatever else is true, an unassigned caller sees exactly what it would
    // see for a client that does not exist: a Hidden denial.
    for consent in [
        ConsentCase::None,
        ConsentCase::Active,
        ConsentCase::AgencyWide,
    ] {
        for erased in [true, false] {
            let case = Case {
                caller: CallerKind::Officer,
                assignment: AssignmentCase::None,
                consent,
                source_in_scope: true,
                kind_in_scope: true,
                officer_active: true,
                erased,
                action: ActionCase::ReadRecord,
            };
            let Decision::Deny { reason } = run(&case) else {
                panic!("allowed: {case:?}")
            };
            assert_eq!(reason.disclosure(), Disclosure::Hidden);
        }
    }
    let caller = actor(&[Role::Officer], "af", true);
    let request = Request {
        caller: &caller,
        on_behalf_of: None,
        action: Action::ReadClient,
        at: t0(),
    };
    let missing = decide(&request, &Facts::default());
    assert_eq!(
        missing,
        Decision::Deny {
            reason: DenyReason::NotFound
        }
    );
    assert_eq!(DenyReason::NotFound.disclosure(), Disclosure::Hidden);
}

#[test]
fn a_system_account_may_act_only_for_its_own_agency() {
    let system = actor(&[Role::System], "af", true);
    let foreign_officer = actor(&[Role::Officer], "fk", true);
    let request = Request {
        caller: &system,
        on_behalf_of: Some(&foreign_officer),
        action: Action::ReadClient,
        at: t0(),
    };
    let client = ClientFacts {
        id: ClientId::new_random(),
        erased: false,
    };
    let decision = decide(
        &request,
        &Facts {
            client: Some(client),
            ..Facts::default()
        },
    );
    assert_eq!(
        decision,
        Decision::Deny {
            reason: DenyReason::RoleNotPermitted
        }
    );

    // An officer cannot act for another officer.
    let officer = actor(&[Role::Officer], "af", true);
    let other = actor(&[Role::Officer], "af", true);
    let request = Request {
        caller: &officer,
        on_behalf_of: Some(&other),
        action: Action::ReadClient,
        at: t0(),
    };
    assert_eq!(
        decide(&request, &Facts::default()),
        Decision::Deny {
            reason: DenyReason::RoleNotPermitted
        }
    );
}

#[test]
fn new_versions_only_from_the_authors_agency() {
    let officer = actor(&[Role::Officer], "af", true);
    let client = ClientFacts {
        id: ClientId::new_random(),
        erased: false,
    };
    let assignments = [AssignmentFact {
        officer: officer.id,
        officer_agency: officer.agency.clone(),
        from: t0() - Duration::days(1),
        until: None,
    }];
    let consents = [ConsentFact {
        id: ConsentId::new_random(),
        recipient_officers: vec![officer.id],
        recipient_agencies: vec![],
        from_agencies: vec![],
        kinds: vec![],
        signed_at: t0() - Duration::days(1),
        valid_from: t0() - Duration::days(1),
        valid_until: t0() + Duration::days(1),
        withdrawn_at: None,
    }];
    let facts = Facts {
        client: Some(client),
        assignments: &assignments,
        consents: &consents,
    };
    let update = |source: &str| Request {
        caller: &officer,
        on_behalf_of: None,
        action: Action::WriteRecord {
            kind: RecordKind::Note,
            existing_source: Some(agency(source)),
        },
        at: t0(),
    };
    assert!(decide(&update("af"), &facts).is_allowed());
    assert_eq!(
        decide(&update("soc"), &facts),
        Decision::Deny {
            reason: DenyReason::NotAuthoringAgency
        }
    );
}

#[test]
fn administrative_actions_need_their_role() {
    let table = [
        (Action::ManageAgencies, Role::Admin),
        (Action::ManageOfficers, Role::Admin),
        (Action::QueryAudit, Role::Auditor),
        (Action::ExportAudit, Role::Auditor),
        (Action::ProveAudit, Role::Auditor),
        (Action::VerifyAudit, Role::Auditor),
        (Action::RegisterClient, Role::Coordinator),
        (Action::RegisterClient, Role::System),
        (Action::ListClients, Role::Coordinator),
        (Action::ListClients, Role::Officer),
    ];
    for (action, role) in table.clone() {
        for other in Role::ALL {
            let caller = actor(&[other], "alm", true);
            let request = Request {
                caller: &caller,
                on_behalf_of: None,
                action: action.clone(),
                at: t0(),
            };
            let allowed = decide(&request, &Facts::default()).is_allowed();
            let should = table.iter().any(|(a, r)| *a == action && *r == other);
            assert_eq!(allowed, should, "{action:?} by {other:?} (needs {role:?})");
        }
    }
}

#[test]
fn erasing_protecting_and_seeing_assignments_are_for_coordinators_only() {
    for action in [
        Action::EraseClient,
        Action::ProtectIdentity,
        Action::ReadAssignments,
    ] {
        for erased in [false, true] {
            let client = ClientFacts {
                id: ClientId::new_random(),
                erased,
            };
            let facts = Facts {
                client: Some(client),
                assignments: &[],
                consents: &[],
            };
            for role in Role::ALL {
                let caller = actor(&[role], "alm", true);
                let request = Request {
                    caller: &caller,
                    on_behalf_of: None,
                    action: action.clone(),
                    at: t0(),
                };
                let expected = match (role, erased) {
                    (Role::Coordinator, false) => Decision::Allow { consent: None },
                    (Role::Coordinator, true) => Decision::Deny {
                        reason: DenyReason::ClientErased,
                    },
                    // Anyone else has no business knowing the client exists.
                    (Role::Officer | Role::System | Role::Auditor | Role::Admin, false | true) => {
                        Decision::Deny {
                            reason: DenyReason::NotFound,
                        }
                    }
                };
                assert_eq!(decide(&request, &facts), expected, "{action:?} by {role:?}");
            }
        }
    }
}

#[test]
fn an_erased_client_is_gone_to_a_coordinator_and_unknown_to_a_system_account() {
    let facts = Facts {
        client: Some(ClientFacts {
            id: ClientId::new_random(),
            erased: true,
        }),
        assignments: &[],
        consents: &[],
    };
    for (roles, expected) in [
        (&[Role::Coordinator][..], DenyReason::ClientErased),
        (&[Role::System][..], DenyReason::NotFound),
    ] {
        let caller = actor(roles, "af", true);
        let request = Request {
            caller: &caller,
            on_behalf_of: None,
            action: Action::ManageAssignment {
                officer_agency: "af".parse().unwrap(),
            },
            at: t0(),
        };
        assert_eq!(
            decide(&request, &facts),
            Decision::Deny { reason: expected },
            "{roles:?}"
        );
    }
}

// ---- property tests over arbitrary facts ----

fn arb_time() -> impl Strategy<Value = DateTime<Utc>> {
    (-20i64..20).prop_map(|d| t0() + Duration::days(d))
}

fn arb_agency() -> impl Strategy<Value = AgencyCode> {
    prop::sample::select(vec!["af", "fk", "soc", "psyk"]).prop_map(agency)
}

fn arb_kind() -> impl Strategy<Value = RecordKind> {
    prop::sample::select(RecordKind::ALL.to_vec())
}

prop_compose! {
    fn arb_consent(officers: Vec<OfficerId>)(
        named in prop::sample::subsequence(officers.clone(), 0..=officers.len()),
        agencies in prop::collection::vec(arb_agency(), 0..2),
        from_agencies in prop::collection::vec(arb_agency(), 0..3),
        kinds in prop::collection::vec(arb_kind(), 0..3),
        signed_at in arb_time(),
        valid_from in arb_time(),
        length in 0i64..30,
        withdrawn_at in prop::option::of(arb_time()),
    ) -> ConsentFact {
        ConsentFact {
            id: ConsentId::new_random(),
            recipient_officers: named,
            recipient_agencies: agencies,
            from_agencies,
            kinds,
            signed_at,
            valid_from,
            valid_until: valid_from + Duration::days(length),
            withdrawn_at,
        }
    }
}

fn arb_world() -> impl Strategy<Value = (Actor, Vec<AssignmentFact>, Vec<ConsentFact>, Action, bool)>
{
    let officer_id = OfficerId::new_random();
    let other_id = OfficerId::new_random();
    (
        arb_agency(),
        prop::collection::vec(prop::sample::select(Role::ALL.to_vec()), 0..3),
        any::<bool>(),
        prop::collection::vec(
            (prop::bool::ANY, arb_time(), prop::option::of(arb_time())),
            0..3,
        ),
        prop::collection::vec(arb_consent(vec![officer_id, other_id]), 0..4),
        (arb_agency(), arb_kind(), 0..4usize),
        any::<bool>(),
    )
        .prop_map(
            move |(agency, roles, active, assignments, consents, (source, kind, which), erased)| {
                let officer = Actor {
                    id: officer_id,
                    agency: agency.clone(),
                    roles,
                    active,
                };
                let assignments = assignments
                    .into_iter()
                    .map(|(mine, from, until)| AssignmentFact {
                        officer: if mine { officer_id } else { other_id },
                        officer_agency: agency.clone(),
                        from,
                        until,
                    })
                    .collect();
                let action = match which {
                    0 => Action::ReadClient,
                    1 => Action::ReadRecord { source, kind },
                    2 => Action::ViewPlan,
                    _ => Action::WriteRecord {
                        kind,
                        existing_source: None,
                    },
                };
                (officer, assignments, consents, action, erased)
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// An allow is only ever given when every condition of the rule holds,
    /// and names a consent that really grants it.
    #[test]
    fn allow_implies_every_condition((officer, assignments, consents, action, erased) in arb_world(), at in arb_time()) {
        let client = ClientFacts { id: ClientId::new_random(), erased };
        let request = Request { caller: &officer, on_behalf_of: None, action: action.clone(), at };
        let decision = decide(&request, &Facts { client: Some(client), assignments: &assignments, consents: &consents });
        if let Decision::Allow { consent } = decision {
            prop_assert!(!erased);
            prop_assert!(officer.active && officer.has(Role::Officer));
            prop_assert!(assignments.iter().any(|a| a.officer == officer.id && a.from <= at && a.until.is_none_or(|u| at < u)));
            let consent = consents.iter().find(|c| Some(c.id) == consent).expect("relied-on consent exists");
            prop_assert!(consent.recipient_officers.contains(&officer.id) || consent.recipient_agencies.contains(&officer.agency));
            prop_assert!(consent.signed_at <= at && consent.valid_from <= at && at < consent.valid_until);
            prop_assert!(consent.withdrawn_at.is_none_or(|w| w > at));
            let (source, kind) = match &action {
                Action::ReadRecord { source, kind } => (Some(source.clone()), Some(*kind)),
                Action::WriteRecord { kind, .. } => (Some(officer.agency.clone()), Some(*kind)),
                _ => (None, None),
            };
            if let Some(source) = source {
                prop_assert!(consent.from_agencies.is_empty() || consent.from_agencies.contains(&source));
            }
            if let Some(kind) = kind {
                prop_assert!(consent.kinds.is_empty() || consent.kinds.contains(&kind));
            }
        }
    }

    /// Withdrawing every consent takes effect at once: nothing is allowed.
    #[test]
    fn withdrawal_takes_effect_at_once((officer, assignments, mut consents, action, _) in arb_world(), at in arb_time()) {
        for consent in &mut consents {
            consent.withdrawn_at = Some(at);
        }
        let client = ClientFacts { id: ClientId::new_random(), erased: false };
        let request = Request { caller: &officer, on_behalf_of: None, action, at };
        let decision = decide(&request, &Facts { client: Some(client), assignments: &assignments, consents: &consents });
        prop_assert!(!decision.is_allowed());
    }

    /// More consent never takes access away.
    #[test]
    fn adding_a_consent_is_monotone((officer, assignments, consents, action, erased) in arb_world(), extra in arb_consent(vec![]), at in arb_time()) {
        let client = ClientFacts { id: ClientId::new_random(), erased };
        let request = Request { caller: &officer, on_behalf_of: None, action, at };
        let before = decide(&request, &Facts { client: Some(client), assignments: &assignments, consents: &consents });
        let mut more = consents.clone();
        more.push(extra);
        let after = decide(&request, &Facts { client: Some(client), assignments: &assignments, consents: &more });
        prop_assert!(!before.is_allowed() || after.is_allowed());
    }

    /// Without an active assignment the answer is always the hidden one.
    #[test]
    fn unassigned_is_always_hidden((officer, assignments, consents, action, erased) in arb_world(), at in arb_time()) {
        let mine_active = assignments.iter().any(|a| a.officer == officer.id && a.active_at(at));
        let client = ClientFacts { id: ClientId::new_random(), erased };
        let request = Request { caller: &officer, on_behalf_of: None, action, at };
        let decision = decide(&request, &Facts { client: Some(client), assignments: &assignments, consents: &consents });
        if !mine_active {
            prop_assert_eq!(decision, Decision::Deny { reason: DenyReason::NoAssignment });
        }
    }
}

#[test]
fn reasons_serialize_as_their_codes() {
    for reason in DenyReason::ALL {
        assert_eq!(
            serde_json::to_value(reason).unwrap(),
            serde_json::Value::from(reason.as_str())
        );
    }
}
