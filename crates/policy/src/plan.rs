//! The shared plan's conflicts: a pure function of the action plans (and
//! follow-ups) one caller may see. Nothing here knows who the caller is;
//! the application layer passes only what the access rule let through, so
//! a conflict can never hint at a record the caller may not read.
//!
//! The four kinds (stable names):
//! - `over-full-time`: on some days the activities that use time (every type
//!   but sick leave) add up to more than 100 % of full time;
//! - `excluding-activities`: on some days sick leave plus work, subsidised
//!   work, internship or studies add up to more than 100 % (full-time sick
//!   leave beside an internship; 50 % sick leave beside 50 % work is fine);
//! - `responsibility-disputed`: the plans name different agencies as
//!   holding overall responsibility;
//! - `follow-up-overdue`: a plan's `follow_up_on` has passed and its agency
//!   has written no follow-up since the plan was written.
//!
//! Both time conflicts are found by one sweep over the days where the set of
//! ongoing activities changes; consecutive stretches with the same set of
//! activities are one conflict, reported with its first and last day and
//! the largest sum. The result is sorted, so it does not depend on the order
//! of the input.

use crate::bodies::{ActionPlan, ActivityType};
use crate::{AgencyCode, RecordId};
use chrono::{Days, NaiveDate};
use std::collections::{BTreeMap, BTreeSet};

/// One action plan the caller may see: its record, the agency that wrote
/// it, the day its current version was written, and its body.
#[derive(Clone)]
pub struct VisiblePlan {
    pub record: RecordId,
    pub agency: AgencyCode,
    pub written_on: NaiveDate,
    pub plan: ActionPlan,
}

crate::redacted_debug!(VisiblePlan);

/// A follow-up record the caller may see: its agency and its day (the
/// body's `date`, else the day it was written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisibleFollowUp {
    pub agency: AgencyCode,
    pub on: NaiveDate,
}

/// An activity of a plan: the plan's record and the activity's position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ActivityRef {
    pub record: RecordId,
    pub index: usize,
}

/// The conflict kinds, by their stable names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConflictKind {
    OverFullTime,
    ExcludingActivities,
    ResponsibilityDisputed,
    FollowUpOverdue,
}

impl ConflictKind {
    pub const ALL: [ConflictKind; 4] = [
        ConflictKind::OverFullTime,
        ConflictKind::ExcludingActivities,
        ConflictKind::ResponsibilityDisputed,
        ConflictKind::FollowUpOverdue,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ConflictKind::OverFullTime => "over-full-time",
            ConflictKind::ExcludingActivities => "excluding-activities",
            ConflictKind::ResponsibilityDisputed => "responsibility-disputed",
            ConflictKind::FollowUpOverdue => "follow-up-overdue",
        }
    }
}

/// One conflict, naming everything involved. Time conflicts carry their
/// period and sum; plan conflicts their plans.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Conflict {
    pub kind: ConflictKind,
    /// First and last day (both included) of a time conflict.
    pub period: Option<(NaiveDate, NaiveDate)>,
    /// The largest sum of extents within the period.
    pub total_percent: Option<u32>,
    /// The agencies involved, sorted.
    pub agencies: Vec<AgencyCode>,
    /// The plans involved, sorted.
    pub records: Vec<RecordId>,
    /// The activities involved (time conflicts), sorted.
    pub activities: Vec<ActivityRef>,
}

impl Conflict {
    /// Whether the conflict involves `record` (a plan or one of its
    /// activities).
    pub fn involves(&self, record: RecordId) -> bool {
        self.records.contains(&record)
    }

    /// The same conflict with record `from` called `to` (a draft checked
    /// under a stand-in id, then stored under its own).
    pub fn renamed(mut self, from: RecordId, to: RecordId) -> Self {
        let rename = |id: RecordId| if id == from { to } else { id };
        self.records = sorted(self.records.into_iter().map(rename));
        self.activities = sorted(self.activities.into_iter().map(|a| ActivityRef {
            record: rename(a.record),
            index: a.index,
        }));
        self
    }
}

/// Every conflict among `plans`, as of `today`, sorted.
pub fn conflicts(
    plans: &[VisiblePlan],
    follow_ups: &[VisibleFollowUp],
    today: NaiveDate,
) -> Vec<Conflict> {
    let mut found = time_conflicts(plans);
    found.extend(responsibility_disputed(plans));
    found.extend(follow_ups_overdue(plans, follow_ups, today));
    found.sort();
    found
}

/// The conflicts that involve `record`: what a writer is warned of.
pub fn conflicts_of(
    record: RecordId,
    plans: &[VisiblePlan],
    follow_ups: &[VisibleFollowUp],
    today: NaiveDate,
) -> Vec<Conflict> {
    conflicts(plans, follow_ups, today)
        .into_iter()
        .filter(|c| c.involves(record))
        .collect()
}

/// One activity on the timeline, days `[from, until)`.
struct Span<'a> {
    at: ActivityRef,
    agency: &'a AgencyCode,
    activity_type: ActivityType,
    extent: u32,
    from: NaiveDate,
    /// The day after the last day.
    until: NaiveDate,
}

fn spans(plans: &[VisiblePlan]) -> Vec<Span<'_>> {
    plans
        .iter()
        .flat_map(|p| {
            p.plan
                .activities
                .iter()
                .enumerate()
                .map(move |(index, a)| Span {
                    at: ActivityRef {
                        record: p.record,
                        index,
                    },
                    agency: &p.agency,
                    activity_type: a.activity_type,
                    extent: u32::from(a.extent_percent),
                    from: a.from,
                    // The last representable day has no day after it; such
                    // an activity simply runs to the end of the calendar.
                    until: a.to.checked_add_days(Days::new(1)).unwrap_or(a.to),
                })
        })
        .collect()
}

/// A stretch of days with one set of ongoing activities that is over a
/// limit, being grown while the next stretches have the same set.
struct Open {
    kind: ConflictKind,
    members: BTreeSet<usize>,
    from: NaiveDate,
    until: NaiveDate,
    total: u32,
}

fn time_conflicts(plans: &[VisiblePlan]) -> Vec<Conflict> {
    let spans = spans(plans);
    let mut bounds: BTreeSet<NaiveDate> = BTreeSet::new();
    for s in &spans {
        bounds.insert(s.from);
        bounds.insert(s.until);
    }
    let bounds: Vec<NaiveDate> = bounds.into_iter().collect();
    // The ongoing activities, kept up to date as the sweep passes each
    // boundary: those ending there leave, those starting there join.
    let mut starting: Vec<usize> = (0..spans.len()).collect();
    starting.sort_by_key(|&i| spans[i].from);
    let mut ending = starting.clone();
    ending.sort_by_key(|&i| spans[i].until);
    let (mut next_start, mut next_end) = (0, 0);
    let mut ongoing: BTreeSet<usize> = BTreeSet::new();
    let mut open: BTreeMap<ConflictKind, Open> = BTreeMap::new();
    let mut done: Vec<Open> = Vec::new();
    for window in bounds.windows(2) {
        let [from, until] = [window[0], window[1]];
        while let Some(&i) = ending.get(next_end).filter(|&&i| spans[i].until <= from) {
            ongoing.remove(&i);
            next_end += 1;
        }
        while let Some(&i) = starting.get(next_start).filter(|&&i| spans[i].from <= from) {
            if from < spans[i].until {
                ongoing.insert(i);
            }
            next_start += 1;
        }
        for (kind, members) in [
            (ConflictKind::OverFullTime, over_full_time(&spans, &ongoing)),
            (
                ConflictKind::ExcludingActivities,
                excluding(&spans, &ongoing),
            ),
        ] {
            let total: u32 = members.iter().map(|&i| spans[i].extent).sum();
            let current = open.remove(&kind);
            match (current, members.is_empty()) {
                (Some(mut stretch), false)
                    if stretch.members == members && stretch.until == from =>
                {
                    stretch.until = until;
                    stretch.total = stretch.total.max(total);
                    open.insert(kind, stretch);
                }
                (current, nothing_over) => {
                    done.extend(current);
                    if !nothing_over {
                        open.insert(
                            kind,
                            Open {
                                kind,
                                members,
                                from,
                                until,
                                total,
                            },
                        );
                    }
                }
            }
        }
    }
    done.extend(open.into_values());
    done.into_iter()
        .map(|stretch| {
            let members: Vec<&Span> = stretch.members.iter().map(|&i| &spans[i]).collect();
            let last_day = stretch
                .until
                .checked_sub_days(Days::new(1))
                .unwrap_or(stretch.until);
            Conflict {
                kind: stretch.kind,
                period: Some((stretch.from, last_day)),
                total_percent: Some(stretch.total),
                agencies: sorted(members.iter().map(|s| s.agency.clone())),
                records: sorted(members.iter().map(|s| s.at.record)),
                activities: sorted(members.iter().map(|s| s.at)),
            }
        })
        .collect()
}

/// The ongoing activities that use time, if they exceed full time (only
/// then is a set built).
fn over_full_time(spans: &[Span], ongoing: &BTreeSet<usize>) -> BTreeSet<usize> {
    let uses_time = |i: &usize| spans[*i].activity_type != ActivityType::SickLeave;
    let total: u32 = ongoing
        .iter()
        .filter(|i| uses_time(i))
        .map(|&i| spans[i].extent)
        .sum();
    if total > 100 {
        ongoing.iter().copied().filter(uses_time).collect()
    } else {
        BTreeSet::new()
    }
}

/// Ongoing sick leave and occupations, if both are there and together
/// they exceed full time.
fn excluding(spans: &[Span], ongoing: &BTreeSet<usize>) -> BTreeSet<usize> {
    let is_sick = |i: &usize| spans[*i].activity_type == ActivityType::SickLeave;
    let is_occupied = |i: &usize| spans[*i].activity_type.is_occupation();
    let involved = |i: &usize| is_sick(i) || is_occupied(i);
    let total: u32 = ongoing
        .iter()
        .filter(|i| involved(i))
        .map(|&i| spans[i].extent)
        .sum();
    if total > 100 && ongoing.iter().any(is_sick) && ongoing.iter().any(is_occupied) {
        ongoing.iter().copied().filter(involved).collect()
    } else {
        BTreeSet::new()
    }
}

fn responsibility_disputed(plans: &[VisiblePlan]) -> Option<Conflict> {
    let named: BTreeSet<&str> = plans
        .iter()
        .map(|p| p.plan.overall_responsibility.as_str())
        .collect();
    if named.len() < 2 {
        return None;
    }
    // The agencies named as responsible; they are valid codes (the body
    // was validated), and a stored one that is not is left out rather than
    // guessed at.
    Some(Conflict {
        kind: ConflictKind::ResponsibilityDisputed,
        period: None,
        total_percent: None,
        agencies: sorted(named.into_iter().filter_map(|c| AgencyCode::parse(c).ok())),
        records: sorted(plans.iter().map(|p| p.record)),
        activities: vec![],
    })
}

fn follow_ups_overdue<'a>(
    plans: &'a [VisiblePlan],
    follow_ups: &'a [VisibleFollowUp],
    today: NaiveDate,
) -> impl Iterator<Item = Conflict> + 'a {
    plans.iter().filter_map(move |p| {
        let due = p.plan.follow_up_on?;
        let followed_up = follow_ups
            .iter()
            .any(|f| f.agency == p.agency && f.on >= p.written_on);
        (due < today && !followed_up).then(|| Conflict {
            kind: ConflictKind::FollowUpOverdue,
            period: Some((due, due)),
            total_percent: None,
            agencies: vec![p.agency.clone()],
            records: vec![p.record],
            activities: vec![],
        })
    })
}

fn sorted<T: Ord>(items: impl Iterator<Item = T>) -> Vec<T> {
    items.collect::<BTreeSet<T>>().into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bodies::Activity;
    use proptest::prelude::*;

    fn day(n: u64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + Days::new(n)
    }

    fn activity(activity_type: ActivityType, extent: u8, from: u64, to: u64) -> Activity {
        Activity {
            activity_type,
            extent_percent: extent,
            from: day(from),
            to: day(to),
            responsible: None,
            responsible_officer: None,
            description: None,
        }
    }

    fn plan(agency: &str, responsible: &str, activities: Vec<Activity>) -> VisiblePlan {
        VisiblePlan {
            record: RecordId::new_random(),
            agency: AgencyCode::parse(agency).unwrap(),
            written_on: day(0),
            plan: ActionPlan {
                goals: vec!["Arbete".into()],
                own_goals: vec![],
                overall_responsibility: responsible.into(),
                follow_up_on: None,
                agreed_with_client_on: None,
                activities,
            },
        }
    }

    fn kinds(found: &[Conflict]) -> Vec<ConflictKind> {
        found.iter().map(|c| c.kind).collect()
    }

    #[test]
    fn the_three_agencies_of_the_sources_collide() {
        // An internship at 100 %, studies at 50 % and full-time sick leave
        // in the same weeks.
        let af = plan(
            "af",
            "af",
            vec![activity(ActivityType::Internship, 100, 31, 119)],
        );
        let soc = plan(
            "soc",
            "soc",
            vec![activity(ActivityType::Studies, 50, 45, 89)],
        );
        let psyk = plan(
            "psyk",
            "psyk",
            vec![activity(ActivityType::SickLeave, 100, 59, 150)],
        );
        let found = conflicts(&[af.clone(), soc.clone(), psyk.clone()], &[], day(0));
        let over = found
            .iter()
            .find(|c| c.kind == ConflictKind::OverFullTime)
            .unwrap();
        assert_eq!(over.period, Some((day(45), day(89))));
        assert_eq!(over.total_percent, Some(150));
        assert_eq!(over.records.len(), 2);
        assert!(found
            .iter()
            .any(|c| c.kind == ConflictKind::ExcludingActivities));
        assert!(found
            .iter()
            .any(|c| c.kind == ConflictKind::ResponsibilityDisputed));

        // Amending the internship to 50 % clears the over-full-time one.
        let mut af_half = af;
        af_half.plan.activities[0].extent_percent = 50;
        let found = conflicts(&[af_half, soc], &[], day(0));
        assert!(
            !kinds(&found).contains(&ConflictKind::OverFullTime),
            "{found:?}"
        );
    }

    #[test]
    fn half_time_sick_leave_beside_half_time_work_is_no_conflict() {
        let plans = [
            plan(
                "fk",
                "af",
                vec![activity(ActivityType::SickLeave, 50, 0, 30)],
            ),
            plan("af", "af", vec![activity(ActivityType::Work, 50, 0, 30)]),
        ];
        assert_eq!(conflicts(&plans, &[], day(0)), vec![]);
    }

    #[test]
    fn full_time_sick_leave_beside_an_internship_excludes_it() {
        let plans = [
            plan(
                "fk",
                "af",
                vec![activity(ActivityType::SickLeave, 100, 0, 30)],
            ),
            plan(
                "af",
                "af",
                vec![activity(ActivityType::Internship, 100, 10, 40)],
            ),
        ];
        let found = conflicts(&plans, &[], day(0));
        assert_eq!(kinds(&found), vec![ConflictKind::ExcludingActivities]);
        assert_eq!(found[0].period, Some((day(10), day(30))));
        assert_eq!(found[0].total_percent, Some(200));
    }

    #[test]
    fn an_overdue_follow_up_is_cleared_by_the_plans_own_agency() {
        let mut p = plan("af", "af", vec![]);
        p.plan.follow_up_on = Some(day(10));
        let due = conflicts(std::slice::from_ref(&p), &[], day(11));
        assert_eq!(kinds(&due), vec![ConflictKind::FollowUpOverdue]);
        assert_eq!(conflicts(std::slice::from_ref(&p), &[], day(10)), vec![]);
        let other_agency = VisibleFollowUp {
            agency: AgencyCode::parse("soc").unwrap(),
            on: day(5),
        };
        assert_eq!(
            kinds(&conflicts(
                std::slice::from_ref(&p),
                &[other_agency],
                day(11)
            )),
            vec![ConflictKind::FollowUpOverdue]
        );
        let own = VisibleFollowUp {
            agency: AgencyCode::parse("af").unwrap(),
            on: day(5),
        };
        assert_eq!(conflicts(&[p], &[own], day(11)), vec![]);
    }

    #[test]
    fn the_last_day_of_the_calendar_is_not_a_panic() {
        let mut a = activity(ActivityType::Work, 100, 0, 0);
        a.to = NaiveDate::MAX;
        let b = activity(ActivityType::Studies, 100, 0, 0);
        let found = conflicts(&[plan("af", "af", vec![a, b])], &[], day(0));
        assert_eq!(kinds(&found), vec![ConflictKind::OverFullTime]);
    }

    /// The oracle: day by day, what each kind must say, counted the slow
    /// and obvious way.
    fn daily_sums(plans: &[VisiblePlan], d: NaiveDate) -> (u32, u32, bool, bool) {
        let ongoing: Vec<&Activity> = plans
            .iter()
            .flat_map(|p| &p.plan.activities)
            .filter(|a| a.from <= d && d <= a.to)
            .collect();
        let using_time = ongoing
            .iter()
            .filter(|a| a.activity_type != ActivityType::SickLeave)
            .map(|a| u32::from(a.extent_percent))
            .sum();
        let sick = ongoing
            .iter()
            .any(|a| a.activity_type == ActivityType::SickLeave);
        let occupied = ongoing.iter().any(|a| a.activity_type.is_occupation());
        let excluding = ongoing
            .iter()
            .filter(|a| {
                a.activity_type == ActivityType::SickLeave || a.activity_type.is_occupation()
            })
            .map(|a| u32::from(a.extent_percent))
            .sum();
        (using_time, excluding, sick, occupied)
    }

    fn covers(found: &[Conflict], kind: ConflictKind, d: NaiveDate) -> bool {
        found
            .iter()
            .any(|c| c.kind == kind && c.period.is_some_and(|(from, to)| from <= d && d <= to))
    }

    fn arb_activity() -> impl Strategy<Value = Activity> {
        (
            prop::sample::select(ActivityType::ALL.to_vec()),
            1u8..=100,
            0u64..40,
            0u64..20,
        )
            .prop_map(|(t, extent, from, length)| activity(t, extent, from, from + length))
    }

    fn arb_plans() -> impl Strategy<Value = Vec<VisiblePlan>> {
        prop::collection::vec(
            (
                prop::sample::select(vec!["af", "soc", "fk", "psyk"]),
                prop::sample::select(vec!["af", "soc"]),
                prop::collection::vec(arb_activity(), 0..4),
            ),
            0..5,
        )
        .prop_map(|plans| {
            plans
                .into_iter()
                .map(|(agency, responsible, activities)| plan(agency, responsible, activities))
                .collect()
        })
    }

    proptest! {
        #[test]
        fn time_conflicts_agree_with_the_day_by_day_oracle(plans in arb_plans()) {
            let found = conflicts(&plans, &[], day(0));
            for n in 0..62 {
                let d = day(n);
                let (using_time, excluding, sick, occupied) = daily_sums(&plans, d);
                prop_assert_eq!(covers(&found, ConflictKind::OverFullTime, d), using_time > 100, "day {}", n);
                prop_assert_eq!(
                    covers(&found, ConflictKind::ExcludingActivities, d),
                    sick && occupied && excluding > 100,
                    "day {}", n
                );
            }
        }

        #[test]
        fn the_order_of_the_plans_does_not_matter(plans in arb_plans(), seed in any::<u64>()) {
            let mut shuffled = plans.clone();
            // A deterministic shuffle from the seed.
            let len = shuffled.len();
            for i in (1..len).rev() {
                let j = (seed.wrapping_mul(6364136223846793005).wrapping_add(i as u64) % (i as u64 + 1)) as usize;
                shuffled.swap(i, j);
            }
            prop_assert_eq!(conflicts(&plans, &[], day(0)), conflicts(&shuffled, &[], day(0)));
        }

        #[test]
        fn a_conflict_between_two_plans_is_the_same_seen_from_either(
            a in arb_activity(), b in arb_activity()
        ) {
            let first = plan("af", "af", vec![a]);
            let second = plan("soc", "af", vec![b]);
            let one = conflicts(&[first.clone(), second.clone()], &[], day(0));
            let other = conflicts(&[second, first], &[], day(0));
            prop_assert_eq!(one, other);
        }

        #[test]
        fn no_time_conflict_while_every_day_stays_within_full_time(plans in arb_plans()) {
            let within = (0..62).all(|n| {
                let (using_time, excluding, _, _) = daily_sums(&plans, day(n));
                using_time.max(excluding) <= 100
            });
            prop_assume!(within);
            let found = conflicts(&plans, &[], day(0));
            prop_assert!(found.iter().all(|c| c.period.is_none()), "{:?}", found);
        }
    }
}
