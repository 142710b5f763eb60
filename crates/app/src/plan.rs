//! The shared plan: every action plan of a client that the caller may read,
//! their activities on one timeline, and the conflicts among them. Built
//! only from what the access rule lets through, decided per record and
//! audited before any body is loaded, so a conflict never hints at a plan
//! the caller may not read.

use crate::decision::{with_permits, Decided};
use crate::{AppError, AppResult, Caller, RecordMeta, Session};
use chrono::{DateTime, Utc};
use ingang_policy::bodies::{self, ActionPlan};
use ingang_policy::plan::{self as conflicts, Conflict, VisibleFollowUp, VisiblePlan};
use ingang_policy::{Action, ClientId, RecordId, RecordKind};
use ingang_store::LoadedFacts;

/// One visible action plan, at its current version.
#[derive(Clone)]
pub struct PlanEntry {
    pub meta: RecordMeta,
    pub plan: ActionPlan,
}

ingang_policy::redacted_debug!(PlanEntry);

/// The shared plan as one caller may see it.
#[derive(Debug, Clone)]
pub struct SharedPlan {
    pub client: ClientId,
    /// Oldest first.
    pub plans: Vec<PlanEntry>,
    pub conflicts: Vec<Conflict>,
}

impl Session<'_> {
    /// The shared plan of `client`: audited as a `plan.read` decision plus
    /// one `record.read` for each plan included and each follow-up consulted.
    pub fn shared_plan(&mut self, caller: &Caller, client: ClientId) -> AppResult<SharedPlan> {
        let (facts, gate, at) = self.open_gate(caller, Action::ViewPlan, client)?;
        let (plans, follow_ups) = self.visible_plans(caller, client, &facts, at, Some(gate))?;
        let conflicts = conflicts::conflicts(&visible(&plans), &follow_ups, at.date_naive());
        Ok(SharedPlan {
            client,
            plans,
            conflicts,
        })
    }

    /// The conflicts a draft action plan (by the caller's agency) would
    /// create with the plans the caller may see, without writing anything.
    /// Checked like a view of the plan: a `plan.read` decision plus one
    /// `record.read` for each plan and follow-up consulted. The draft is
    /// validated first, naming the field that is wrong.
    pub fn draft_plan_conflicts(
        &mut self,
        caller: &Caller,
        client: ClientId,
        body: &serde_json::Value,
    ) -> AppResult<Vec<Conflict>> {
        let plan = bodies::action_plan(body)?;
        let (facts, gate, at) = self.open_gate(caller, Action::ViewPlan, client)?;
        let draft = VisiblePlan {
            record: RecordId::new_random(),
            agency: caller.subject().agency.clone(),
            written_on: at.date_naive(),
            plan,
        };
        self.conflicts_with(caller, client, &facts, at, Some(gate), draft)
    }

    /// The conflicts a new version of an action plan would have with the
    /// plans the caller may see (its own earlier version set aside). Each
    /// plan consulted is audited as a read; runs before the write, so a
    /// failed audit leaves nothing written.
    pub(crate) fn conflicts_of_draft(
        &mut self,
        caller: &Caller,
        client: ClientId,
        draft: VisiblePlan,
    ) -> AppResult<Vec<Conflict>> {
        let Some(facts) = self.db.load_facts(client)? else {
            return Ok(vec![]);
        };
        self.conflicts_with(caller, client, &facts, Utc::now(), None, draft)
    }

    /// The conflicts `draft` has with the plans the caller may see at `at`
    /// (an earlier version of the same record set aside), their reads
    /// audited after `gate`, if any.
    fn conflicts_with(
        &mut self,
        caller: &Caller,
        client: ClientId,
        facts: &LoadedFacts,
        at: DateTime<Utc>,
        gate: Option<Decided>,
        draft: VisiblePlan,
    ) -> AppResult<Vec<Conflict>> {
        let (plans, follow_ups) = self.visible_plans(caller, client, facts, at, gate)?;
        let record = draft.record;
        let mut seen: Vec<VisiblePlan> = visible(&plans)
            .into_iter()
            .filter(|p| p.record != record)
            .collect();
        seen.push(draft);
        Ok(conflicts::conflicts_of(
            record,
            &seen,
            &follow_ups,
            at.date_naive(),
        ))
    }

    /// The client's action plans and follow-ups the caller may read at
    /// `at`, decided per record; their decisions (after `gate`, if any) are
    /// stored in one audit commit before the plans' bodies are loaded.
    fn visible_plans(
        &mut self,
        caller: &Caller,
        client: ClientId,
        facts: &LoadedFacts,
        at: DateTime<Utc>,
        gate: Option<Decided>,
    ) -> AppResult<(Vec<PlanEntry>, Vec<VisibleFollowUp>)> {
        let metas = self
            .db
            .records_of_kinds(client, &[RecordKind::ActionPlan, RecordKind::FollowUp])?;
        let mut plans: Vec<(RecordMeta, Decided)> = Vec::new();
        let mut follow_ups: Vec<(RecordMeta, Decided)> = Vec::new();
        for meta in metas {
            let decided = self.decide_record_read(caller, client, &meta, facts, at)?;
            if !decided.is_allowed() {
                continue;
            }
            match meta.kind {
                RecordKind::ActionPlan => plans.push((meta, decided)),
                RecordKind::FollowUp => follow_ups.push((meta, decided)),
                RecordKind::Assessment
                | RecordKind::MeetingNote
                | RecordKind::Closure
                | RecordKind::Note => {}
            }
        }
        // Only the follow-ups that can clear an overdue plan are consulted
        // (and audited): those of a plan's agency written since that plan.
        follow_ups.retain(|(f, _)| {
            plans
                .iter()
                .any(|(p, _)| p.source_agency == f.source_agency && f.created_at >= p.updated_at)
        });

        let has_gate = gate.is_some();
        let decisions: Vec<Decided> = gate
            .into_iter()
            .chain(plans.iter().map(|(_, d)| d.clone()))
            .chain(follow_ups.iter().map(|(_, d)| d.clone()))
            .collect();
        let mut permits = self.audit(caller, &decisions)?.into_iter();
        if has_gate {
            permits.next();
        }
        let metas: Vec<RecordMeta> = plans.into_iter().map(|(meta, _)| meta).collect();
        let readable = with_permits(metas, permits)?;
        let bodies = self.db.record_bodies(&readable)?;
        let plans = readable
            .into_iter()
            .zip(bodies)
            .map(|((meta, _), body)| {
                // Stored plans were validated when written; one that no
                // longer parses is corrupt, not skipped.
                let plan = bodies::action_plan(&body).map_err(|e| {
                    AppError::Internal(format!("stored action plan {}: {}", meta.id, e.field))
                })?;
                Ok(PlanEntry { meta, plan })
            })
            .collect::<AppResult<Vec<_>>>()?;
        let follow_ups = follow_ups
            .into_iter()
            .map(|(meta, _)| VisibleFollowUp {
                agency: meta.source_agency,
                on: meta.created_at.date_naive(),
            })
            .collect();
        Ok((plans, follow_ups))
    }
}

fn visible(plans: &[PlanEntry]) -> Vec<VisiblePlan> {
    plans
        .iter()
        .map(|p| VisiblePlan {
            record: p.meta.id,
            agency: p.meta.source_agency.clone(),
            written_on: p.meta.updated_at.date_naive(),
            plan: p.plan.clone(),
        })
        .collect()
}
