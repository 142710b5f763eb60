//! The shared plan of a client: the action plans the caller may read, their
//! activities on one timeline, and the conflicts among them.

use super::as_caller;
use crate::auth::Credentials;
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use actix_web::{get, web, HttpResponse};
use chrono::NaiveDate;
use ingang_app::plan::SharedPlan;
use ingang_policy::bodies::{ActivityType, AgencyCodeText, Text};
use ingang_policy::plan::{Conflict, ConflictKind};
use ingang_policy::ClientId;
use serde::Serialize;
use uuid::Uuid;

/// One visible action plan at its current version.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PlanSummary {
    pub record_id: Uuid,
    #[schema(minimum = 1)]
    pub version: i32,
    /// The agency that wrote the plan.
    #[schema(value_type = AgencyCodeText)]
    pub agency: String,
    #[schema(value_type = Vec<Text>)]
    pub goals: Vec<String>,
    #[schema(value_type = Vec<Text>)]
    pub own_goals: Vec<String>,
    #[schema(value_type = AgencyCodeText)]
    pub overall_responsibility: String,
    pub follow_up_on: Option<NaiveDate>,
    pub agreed_with_client_on: Option<NaiveDate>,
}

/// One activity on the shared timeline.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TimelineActivity {
    pub record_id: Uuid,
    /// The activity's position in its plan's `activities`.
    #[schema(minimum = 0)]
    pub index: usize,
    #[schema(value_type = AgencyCodeText)]
    pub agency: String,
    #[serde(rename = "type")]
    pub activity_type: ActivityType,
    #[schema(minimum = 1, maximum = 100)]
    pub extent_percent: u8,
    pub from: NaiveDate,
    pub to: NaiveDate,
    #[schema(value_type = Option<AgencyCodeText>)]
    pub responsible: Option<String>,
    pub responsible_officer: Option<Uuid>,
}

/// The stable names of the conflict kinds.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ConflictType {
    OverFullTime,
    ExcludingActivities,
    ResponsibilityDisputed,
    FollowUpOverdue,
}

impl From<ConflictKind> for ConflictType {
    fn from(kind: ConflictKind) -> Self {
        match kind {
            ConflictKind::OverFullTime => ConflictType::OverFullTime,
            ConflictKind::ExcludingActivities => ConflictType::ExcludingActivities,
            ConflictKind::ResponsibilityDisputed => ConflictType::ResponsibilityDisputed,
            ConflictKind::FollowUpOverdue => ConflictType::FollowUpOverdue,
        }
    }
}

/// An activity named by a conflict.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ActivityRefResponse {
    pub record_id: Uuid,
    #[schema(minimum = 0)]
    pub index: usize,
}

/// A conflict among plans the caller may read. Time conflicts
/// (`over-full-time`, `excluding-activities`) give their first and last day
/// and the largest sum of extents; `follow-up-overdue` gives the missed day
/// as `from` and `to`; `responsibility-disputed` names the plans.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ConflictResponse {
    #[serde(rename = "type")]
    pub conflict_type: ConflictType,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub total_percent: Option<u32>,
    #[schema(value_type = Vec<AgencyCodeText>)]
    pub agencies: Vec<String>,
    /// The plans involved.
    pub records: Vec<Uuid>,
    pub activities: Vec<ActivityRefResponse>,
}

impl From<Conflict> for ConflictResponse {
    fn from(c: Conflict) -> Self {
        ConflictResponse {
            conflict_type: c.kind.into(),
            from: c.period.map(|(from, _)| from),
            to: c.period.map(|(_, to)| to),
            total_percent: c.total_percent,
            agencies: c.agencies.iter().map(ToString::to_string).collect(),
            records: c.records.iter().map(|r| r.0).collect(),
            activities: c
                .activities
                .iter()
                .map(|a| ActivityRefResponse {
                    record_id: a.record.0,
                    index: a.index,
                })
                .collect(),
        }
    }
}

/// `GET /v1/clients/{id}/plan`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SharedPlanResponse {
    pub client_id: Uuid,
    pub plans: Vec<PlanSummary>,
    /// Every activity of the plans, ordered by start day.
    pub activities: Vec<TimelineActivity>,
    pub conflicts: Vec<ConflictResponse>,
}

impl From<SharedPlan> for SharedPlanResponse {
    fn from(shared: SharedPlan) -> Self {
        let mut activities: Vec<TimelineActivity> = shared
            .plans
            .iter()
            .flat_map(|entry| {
                entry
                    .plan
                    .activities
                    .iter()
                    .enumerate()
                    .map(|(index, a)| TimelineActivity {
                        record_id: entry.meta.id.0,
                        index,
                        agency: entry.meta.source_agency.to_string(),
                        activity_type: a.activity_type,
                        extent_percent: a.extent_percent,
                        from: a.from,
                        to: a.to,
                        responsible: a.responsible.clone(),
                        responsible_officer: a.responsible_officer.map(|o| o.0),
                    })
            })
            .collect();
        activities.sort_by(|a, b| {
            (a.from, a.to, a.record_id, a.index).cmp(&(b.from, b.to, b.record_id, b.index))
        });
        SharedPlanResponse {
            client_id: shared.client.0,
            plans: shared
                .plans
                .into_iter()
                .map(|entry| PlanSummary {
                    record_id: entry.meta.id.0,
                    version: entry.meta.version,
                    agency: entry.meta.source_agency.to_string(),
                    goals: entry.plan.goals,
                    own_goals: entry.plan.own_goals,
                    overall_responsibility: entry.plan.overall_responsibility,
                    follow_up_on: entry.plan.follow_up_on,
                    agreed_with_client_on: entry.plan.agreed_with_client_on,
                })
                .collect(),
            activities,
            conflicts: shared.conflicts.into_iter().map(Into::into).collect(),
        }
    }
}

/// The shared plan: the caller's visible action plans, their activities on
/// one timeline, and the conflicts among them. A plan the caller may not
/// read is left out without trace, and so is every conflict it is part of.
#[utoipa::path(tag = "plan", security(("bearer" = [])), params(("id" = Uuid, Path, description = "client id")),
    responses((status = 200, body = SharedPlanResponse), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 410, body = Problem, content_type = "application/problem+json")))]
#[get("/v1/clients/{id}/plan")]
pub async fn shared_plan(
    state: web::Data<AppState>,
    credentials: Credentials,
    id: web::Path<ClientId>,
) -> Result<HttpResponse, ApiError> {
    let client = id.into_inner();
    let plan = as_caller(state, credentials, move |app, caller| {
        Ok(app.shared_plan(&caller, client)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(SharedPlanResponse::from(plan)))
}

crate::redacted_debug!(SharedPlanResponse, PlanSummary);
