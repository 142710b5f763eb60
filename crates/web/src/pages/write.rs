//! The officer's forms: a note, an action plan, an assessment, a
//! follow-up, a meeting note or a closure. Each form posts to the same
//! use case as `POST /v1/clients/{id}/records`; the plan form can first show
//! the conflicts the draft would create, without writing.

use super::layout::{self, PageCtx, Rendered};
use super::signed_page;
use crate::error::PageError;
use crate::forms::{self, Field, FieldError, Input, Posted};
use crate::i18n::{Lang, T};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use ingang_app::AppError;
use ingang_policy::plan::Conflict;
use ingang_policy::{ClientId, RecordKind};
use maud::html;
use serde_json::Value;

/// Rows of activities on the plan form, goals on the follow-up form.
const ROWS: usize = 4;

const ACTIVITY_TYPES: &[(&str, T)] = &[
    ("work", T::ActivityWork),
    ("subsidised_work", T::ActivitySubsidisedWork),
    ("internship", T::ActivityInternship),
    ("studies", T::ActivityStudies),
    ("sick_leave", T::ActivitySickLeave),
    ("treatment", T::ActivityTreatment),
    ("other", T::ActivityOther),
];

const GOAL_STATUSES: &[(&str, T)] = &[
    ("achieved", T::GoalAchieved),
    ("progressing", T::GoalProgressing),
    ("not_started", T::GoalNotStarted),
    ("dropped", T::GoalDropped),
];

const OUTCOMES: &[(&str, T)] = &[
    ("work", T::ActivityWork),
    ("subsidised_work", T::ActivitySubsidisedWork),
    ("studies", T::ActivityStudies),
    ("other_agency", T::OutcomeOtherAgency),
    ("none", T::OutcomeNone),
];

const AREAS: &[(&str, T)] = &[
    ("health", T::AreaHealth),
    ("work_capacity", T::AreaWorkCapacity),
    ("education", T::AreaEducation),
    ("language", T::AreaLanguage),
    ("housing", T::AreaHousing),
    ("finances", T::AreaFinances),
    ("social_network", T::AreaSocialNetwork),
    ("substance_use", T::AreaSubstanceUse),
    ("other", T::ActivityOther),
];

/// The fields of the form for `kind`.
pub fn fields(lang: Lang, kind: RecordKind) -> Vec<Field> {
    let t = |text: T| text.in_(lang).to_owned();
    let text = || Field::new("body.text", t(T::FieldText), Input::TextArea).required();
    let date = || Field::new("body.date", t(T::FieldDate), Input::Date);
    let agencies = || {
        Field::new("body.agencies", t(T::FieldAgencies), Input::Codes).hint(T::CodesHint.in_(lang))
    };
    match kind {
        RecordKind::Note => vec![text(), date(), agencies()],
        RecordKind::ActionPlan => {
            let mut fields = vec![
                Field::new("body.goals", t(T::Goals), Input::Lines)
                    .required()
                    .hint(T::LinesHint.in_(lang)),
                Field::new("body.own_goals", t(T::OwnGoals), Input::Lines)
                    .hint(T::LinesHint.in_(lang)),
                Field::new(
                    "body.overall_responsibility",
                    t(T::OverallResponsibility),
                    Input::Text,
                )
                .required()
                .hint(T::CodeHint.in_(lang)),
                Field::new("body.follow_up_on", t(T::FollowUpOn), Input::Date),
                Field::new("body.agreed_with_client_on", t(T::AgreedOn), Input::Date),
            ];
            for i in 0..ROWS {
                let n = i + 1;
                let row = |key: &str| format!("body.activities[{i}].{key}");
                fields.extend([
                    Field::new(
                        row("type"),
                        format!("{} {n}", t(T::Activity)),
                        Input::Select(ACTIVITY_TYPES),
                    ),
                    Field::new(
                        row("extent_percent"),
                        format!("{} {n} (1–100)", t(T::Extent)),
                        Input::Percent,
                    ),
                    Field::new(
                        row("from"),
                        format!("{} {n}: {}", t(T::Activity), t(T::From)),
                        Input::Date,
                    ),
                    Field::new(
                        row("to"),
                        format!("{} {n}: {}", t(T::Activity), t(T::To)),
                        Input::Date,
                    ),
                    Field::new(
                        row("responsible"),
                        format!("{} {n}: {}", t(T::Activity), t(T::Responsible)),
                        Input::Text,
                    ),
                ]);
            }
            fields
        }
        RecordKind::Assessment => {
            let mut fields = vec![text(), date()];
            // One row per area: the area is fixed, only its text is typed.
            for (i, (area, label)) in AREAS.iter().enumerate() {
                fields.push(Field::new(
                    format!("body.areas[{i}].area"),
                    label.in_(lang),
                    Input::Fixed(area),
                ));
                fields.push(Field::new(
                    format!("body.areas[{i}].text"),
                    label.in_(lang),
                    Input::TextArea,
                ));
            }
            fields.push(agencies());
            fields
        }
        RecordKind::FollowUp => {
            let mut fields = vec![text(), date()];
            for i in 0..ROWS {
                let n = i + 1;
                fields.push(Field::new(
                    format!("body.goals[{i}].goal"),
                    format!("{} {n}", t(T::Goal)),
                    Input::Text,
                ));
                fields.push(Field::new(
                    format!("body.goals[{i}].status"),
                    format!("{} {n}: {}", t(T::Goal), t(T::Status)),
                    Input::Select(GOAL_STATUSES),
                ));
            }
            fields.push(agencies());
            fields
        }
        RecordKind::MeetingNote => vec![
            text(),
            date(),
            agencies(),
            Field::new("body.client_present", t(T::ClientPresent), Input::Checkbox),
            Field::new("body.decisions", t(T::Decisions), Input::Lines)
                .hint(T::LinesHint.in_(lang)),
            Field::new("body.next_meeting_on", t(T::NextMeeting), Input::Date),
        ],
        RecordKind::Closure => vec![
            text(),
            date(),
            Field::new("body.outcome", t(T::Outcome), Input::Select(OUTCOMES)),
            Field::new("body.analysis", t(T::Analysis), Input::TextArea)
                .hint(T::AnalysisHint.in_(lang)),
            agencies(),
        ],
    }
}

fn kind_of(slug: &str) -> Result<RecordKind, PageError> {
    slug.parse().map_err(|_| PageError::MalformedId)
}

fn client_of(raw: &str) -> Result<ClientId, PageError> {
    raw.parse().map_err(|_| PageError::MalformedId)
}

/// `GET /clients/{id}/write/{kind}`: an empty form.
pub async fn form(req: HttpRequest, path: web::Path<(String, String)>) -> HttpResponse {
    let (client, kind) = path.into_inner();
    signed_page(&req, move |_, _, ctx| {
        let client = client_of(&client)?;
        let kind = kind_of(&kind)?;
        Ok(render(
            ctx,
            client,
            kind,
            &Posted::default(),
            None,
            None,
            StatusCode::OK,
        ))
    })
    .await
}

/// `POST /clients/{id}/write/{kind}`: checks the plan's conflicts
/// (`intent=check`) or writes the record, then shows it.
pub async fn submit(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let (client, kind) = path.into_inner();
    let pairs = form.into_inner();
    signed_page(&req, move |session, signed, ctx| {
        let client = client_of(&client)?;
        let kind = kind_of(&kind)?;
        let posted = Posted::new(pairs);
        signed.require_csrf(&posted)?;
        let fields = fields(ctx.lang, kind);
        let (built, renumbering) = forms::build(&fields, &posted);
        let body = built.get("body").cloned().unwrap_or(Value::Null);
        let caller = &signed.caller.caller;
        let checking = posted.get("intent") == "check" && kind == RecordKind::ActionPlan;
        let outcome = if checking {
            session
                .draft_plan_conflicts(caller, client, &body)
                .map(Some)
        } else {
            session
                .create_record(caller, client, kind, body)
                .map(|_| None)
        };
        match outcome {
            Ok(Some(conflicts)) => Ok(render(
                ctx,
                client,
                kind,
                &posted,
                None,
                Some(&conflicts),
                StatusCode::OK,
            )),
            Ok(None) => Ok(layout::redirect(&if kind == RecordKind::ActionPlan {
                format!("/clients/{client}/plan")
            } else {
                format!("/clients/{client}")
            })),
            Err(AppError::Invalid { field, detail }) => {
                let error = FieldError {
                    field: renumbering.field(&field),
                    message: crate::i18n::explain(ctx.lang, &detail),
                };
                Ok(render(
                    ctx,
                    client,
                    kind,
                    &posted,
                    Some(&error),
                    None,
                    StatusCode::BAD_REQUEST,
                ))
            }
            Err(other) => Err(PageError::App(other)),
        }
    })
    .await
}

fn render(
    ctx: &PageCtx,
    client: ClientId,
    kind: RecordKind,
    posted: &Posted,
    error: Option<&FieldError>,
    conflicts: Option<&[Conflict]>,
    status: StatusCode,
) -> Rendered {
    let lang = ctx.lang;
    let fields = fields(lang, kind);
    let csrf = ctx.csrf();
    let title = format!("{}: {}", ctx.t(T::WriteHeading), lang.kind(kind));
    // A field error the form has no field for is shown in the summary.
    let body = html! {
        h1 { (title) }
        p { a href={ "/clients/" (client) } { (ctx.t(T::BackToFile)) } }
        (forms::summary(lang, error, &fields))
        @if let Some(conflicts) = conflicts {
            section.conflicts aria-labelledby="draft-conflicts" role="status" {
                h2 #draft-conflicts { (ctx.t(T::DraftConflicts)) " (" (conflicts.len()) ")" }
                @if conflicts.is_empty() {
                    p { (ctx.t(T::DraftNoConflicts)) }
                } @else {
                    ul { @for conflict in conflicts { li.conflict { (super::clients::conflict_text(lang, conflict)) } } }
                }
            }
        }
        form.record method="post" action={ "/clients/" (client) "/write/" (kind.as_str()) } novalidate {
            input type="hidden" name="csrf" value=(csrf);
            @for field in &fields {
                (forms::field(lang, field, posted, error))
            }
            div.actions {
                @if kind == RecordKind::ActionPlan {
                    button.secondary type="submit" name="intent" value="check" { (ctx.t(T::CheckConflicts)) }
                    " "
                }
                button type="submit" name="intent" value="save" { (ctx.t(T::Save)) }
            }
        }
    };
    layout::respond(status, &layout::page(ctx, &title, body))
}
