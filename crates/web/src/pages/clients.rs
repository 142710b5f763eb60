//! The officer's pages: my clients, a client's file and the shared plan.
//! A coordinator's list of every client shares the first.

use super::layout::{self, join, short_id, PageCtx};
use super::signed_page;
use crate::error::PageError;
use crate::i18n::{Lang, T};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use ingang_app::client_file::{ClientFile, ConsentBasis};
use ingang_app::plan::SharedPlan;
use ingang_app::records::Record;
use ingang_policy::plan::Conflict;
use ingang_policy::{AgencyCode, ClientId, RecordId, RecordKind, Role};
use maud::{html, Markup};
use serde_json::Value;
use std::collections::BTreeMap;

/// Most clients on one page of the list.
const WORKLIST_PAGE: i64 = 100;

fn client_id(raw: &str) -> Result<ClientId, PageError> {
    raw.parse().map_err(|_| PageError::MalformedId)
}

/// `GET /clients`: an officer's own clients (with what is new since the
/// previous visit), or every client for a coordinator.
pub async fn worklist(req: HttpRequest) -> HttpResponse {
    signed_page(&req, |session, signed, ctx| {
        let caller = &signed.caller.caller;
        let previous = signed.caller.previous_visit;
        let list = session.worklist_since(caller, None, WORKLIST_PAGE, previous)?;
        let officer = ctx.has(Role::Officer);
        let title = if officer {
            ctx.t(T::MyClients)
        } else {
            ctx.t(T::AllClients)
        };
        let body = html! {
            h1 { (title) }
            @if officer {
                p.visit {
                    @match previous {
                        Some(at) => { (ctx.t(T::LastVisit)) ": " (ctx.lang.moment(at)) },
                        None => { (ctx.t(T::FirstVisit)) },
                    }
                }
            }
            @if list.items.is_empty() {
                p { (ctx.t(T::NoClients)) }
            } @else {
                table.clients {
                    caption.visually-hidden { (title) }
                    thead { tr {
                        th scope="col" { (ctx.t(T::ClientColumn)) }
                        th scope="col" {
                            @if officer { (ctx.t(T::AssignedSince)) } @else { (ctx.t(T::RegisteredOn)) }
                        }
                        @if officer { th scope="col" { (ctx.t(T::NewRecords)) } }
                    } }
                    tbody {
                        @for item in &list.items {
                            @let since = item.client.assigned_since.unwrap_or(item.client.created_at);
                            @let is_new = officer && previous.is_none_or(|p| since > p);
                            tr {
                                td {
                                    @let label = match (&item.name, item.client.protected_identity) {
                                        (Some(name), _) => name.clone(),
                                        (None, true) => ctx.t(T::ProtectedIdentity).to_owned(),
                                        (None, false) => format!("{} ({})", ctx.t(T::NameNotShown), short_id(&item.client.id)),
                                    };
                                    @if officer {
                                        a href={ "/clients/" (item.client.id) } { (label) }
                                    } @else {
                                        a href={ "/clients/" (item.client.id) "/manage" } { (label) }
                                    }
                                    @if is_new {
                                        " " strong.badge { (ctx.t(T::New)) }
                                        span.visually-hidden { ", " (ctx.t(T::NewSinceLastVisit)) }
                                    }
                                }
                                td { (ctx.lang.moment(since)) }
                                @if officer {
                                    td {
                                        @if item.new_records > 0 {
                                            strong.badge { (item.new_records) }
                                            " " (ctx.t(T::NewRecordsSince))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        };
        Ok(layout::ok(&layout::page(ctx, title, body)))
    })
    .await
}

/// `GET /clients/{id}`: the client's file, as far as the officer may see it.
pub async fn file(req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    let id = id.into_inner();
    signed_page(&req, move |session, signed, ctx| {
        let client = client_id(&id)?;
        let file = session.client_file(&signed.caller.caller, client)?;
        let title = format!("{}: {}", ctx.t(T::ClientFile), file.identity.name);
        let body = file_page(ctx, client, &file, &title, signed.caller.previous_visit);
        Ok(layout::ok(&layout::page(ctx, &title, body)))
    })
    .await
}

fn file_page(
    ctx: &PageCtx,
    client: ClientId,
    file: &ClientFile,
    title: &str,
    previous_visit: Option<chrono::DateTime<chrono::Utc>>,
) -> Markup {
    let lang = ctx.lang;
    // Grouped by agency, then by kind, newest first within each.
    let mut groups: BTreeMap<(String, RecordKind), Vec<&Record>> = BTreeMap::new();
    for record in &file.records {
        groups
            .entry((record.meta.source_agency.to_string(), record.meta.kind))
            .or_default()
            .push(record);
    }
    let mut agencies: Vec<String> = groups.keys().map(|(a, _)| a.clone()).collect();
    agencies.dedup();
    html! {
        h1 { (title) }
        dl.identity {
            dt { (ctx.t(T::PersonalNumber)) }
            dd { (personal_number(&file.identity.personal_number)) }
            @if file.identity.protected_identity {
                dt { (ctx.t(T::ProtectedIdentity)) }
                dd { strong { (ctx.t(T::ProtectedIdentity)) } }
            }
        }
        p { a href={ "/clients/" (client) "/plan" } { (ctx.t(T::ToSharedPlan)) } }
        nav.write aria-labelledby="write-new" {
            h2 #write-new { (ctx.t(T::WriteNew)) }
            ul {
                @for kind in WRITABLE {
                    li { a href={ "/clients/" (client) "/write/" (kind.as_str()) } { (lang.kind(kind)) } }
                }
            }
        }
        section aria-labelledby="why" {
            h2 #why { (ctx.t(T::WhyYouMaySee)) }
            @if file.consents.is_empty() {
                p { (ctx.t(T::OwnAgency)) }
            }
            ul {
                @for consent in &file.consents {
                    li { (consent_text(lang, consent)) }
                }
            }
        }
        section aria-labelledby="records" {
            h2 #records { (ctx.t(T::Records)) }
            @if file.records.is_empty() {
                p { (ctx.t(T::NoRecords)) }
            }
            @for agency in &agencies {
                section.agency aria-labelledby={ "agency-" (agency) } {
                    h3 id={ "agency-" (agency) } { (ctx.t(T::Agency)) ": " (agency) }
                    @for ((a, kind), records) in &groups {
                        @if a == agency {
                            h4 { (lang.kind(*kind)) }
                            @for record in records {
                                (record_card(ctx, record, &file.consents, previous_visit))
                            }
                        }
                    }
                }
            }
            @if file.more {
                p { (ctx.t(T::MoreRecords)) }
            }
        }
    }
}

fn consent_text(lang: Lang, consent: &ConsentBasis) -> String {
    let from = if consent.from_agencies.is_empty() {
        T::EveryAgency.in_(lang).to_owned()
    } else {
        join(consent.from_agencies.iter().map(AgencyCode::to_string))
    };
    let kinds = if consent.kinds.is_empty() {
        T::EveryKind.in_(lang).to_owned()
    } else {
        join(consent.kinds.iter().map(|k| lang.kind(*k).to_owned()))
    };
    format!(
        "{} {} {} {}, {} {}; {} {}: {}",
        T::ConsentCovers.in_(lang),
        short_id(&consent.id),
        T::ValidFrom.in_(lang),
        lang.day_of(consent.valid_from),
        T::ValidUntil.in_(lang),
        lang.last_day_before(consent.valid_until),
        T::FromAgencies.in_(lang),
        from,
        kinds,
    )
}

fn record_card(
    ctx: &PageCtx,
    record: &Record,
    consents: &[ConsentBasis],
    previous_visit: Option<chrono::DateTime<chrono::Utc>>,
) -> Markup {
    let lang = ctx.lang;
    // Written or amended since the officer's previous visit.
    let is_new = previous_visit.is_some_and(|at| record.meta.updated_at > at);
    let basis = record
        .consent
        .and_then(|id| consents.iter().find(|c| c.id == id));
    html! {
        article.record aria-label={ (lang.kind(record.meta.kind)) ", " (lang.moment(record.meta.created_at)) } {
            p.meta {
                @if is_new {
                    strong.badge { (ctx.t(T::New)) }
                    span.visually-hidden { ", " (ctx.t(T::NewSinceLastVisit)) }
                    " "
                }
                (ctx.t(T::Written)) " " (lang.moment(record.meta.created_at))
                " · " (ctx.t(T::Version)) " " (record.meta.version)
                " · "
                @match basis {
                    Some(consent) => {
                        (ctx.t(T::ConsentCovers)) " " (short_id(&consent.id)) ", "
                        (ctx.t(T::ValidUntil)) " " (lang.last_day_before(consent.valid_until))
                    },
                    None => { (ctx.t(T::OwnAgency)) },
                }
            }
            (body_view(&record.body))
            p { a href={ "/records/" (record.meta.id) "/history" } {
                (ctx.t(T::History))
                span.visually-hidden { ": " (lang.kind(record.meta.kind)) ", " (lang.moment(record.meta.created_at)) }
            } }
        }
    }
}

/// The kinds an officer can write, in the order the forms are offered.
const WRITABLE: [RecordKind; 6] = [
    RecordKind::Note,
    RecordKind::ActionPlan,
    RecordKind::Assessment,
    RecordKind::FollowUp,
    RecordKind::MeetingNote,
    RecordKind::Closure,
];

/// `GET /records/{id}/history`: every version of a record, newest first
/// (each version shown is an audited read).
pub async fn history(req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    let id = id.into_inner();
    signed_page(&req, move |session, signed, ctx| {
        let record: RecordId = id.parse().map_err(|_| PageError::MalformedId)?;
        let versions = session.record_versions(&signed.caller.caller, record)?;
        let lang = ctx.lang;
        let title = ctx.t(T::HistoryOf);
        let body = html! {
            h1 { (title) }
            @for version in versions.iter().rev() {
                article.record aria-labelledby={ "v" (version.version) } {
                    h2 id={ "v" (version.version) } {
                        (ctx.t(T::Version)) " " (version.version) ", " (lang.moment(version.created_at))
                    }
                    (body_view(&version.body))
                }
            }
        };
        Ok(layout::ok(&layout::page(ctx, title, body)))
    })
    .await
}

/// A record body as a definition list, whatever its kind: every field the
/// officer may read is shown, and nothing is interpreted as markup.
fn body_view(value: &Value) -> Markup {
    match value {
        Value::Object(fields) => html! {
            dl.body {
                @for (name, field) in fields {
                    dt { (name) }
                    dd { (body_view(field)) }
                }
            }
        },
        Value::Array(items) => html! {
            ul { @for item in items { li { (body_view(item)) } } }
        },
        Value::String(text) => html! { (text) },
        Value::Number(n) => html! { (n) },
        Value::Bool(b) => html! { (b) },
        Value::Null => html! {},
    }
}

/// `199001012384` as `19900101-2384`.
fn personal_number(digits: &str) -> String {
    match (digits.get(..8), digits.get(8..)) {
        (Some(date), Some(rest)) => format!("{date}-{rest}"),
        _ => digits.to_owned(),
    }
}

/// `GET /clients/{id}/plan`: the shared plan as a timeline, its conflicts
/// marked in the picture and told in text.
pub async fn plan(req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    let id = id.into_inner();
    signed_page(&req, move |session, signed, ctx| {
        let client = client_id(&id)?;
        let plan = session.shared_plan(&signed.caller.caller, client)?;
        let title = ctx.t(T::SharedPlan);
        let body = plan_page(ctx, client, &plan);
        Ok(layout::ok(&layout::page(ctx, title, body)))
    })
    .await
}

fn plan_page(ctx: &PageCtx, client: ClientId, plan: &SharedPlan) -> Markup {
    let lang = ctx.lang;
    let in_conflict = |record: RecordId, index: usize| {
        plan.conflicts.iter().any(|c| {
            c.activities
                .iter()
                .any(|a| a.record == record && a.index == index)
        })
    };
    html! {
        h1 { (ctx.t(T::SharedPlan)) }
        p { a href={ "/clients/" (client) } { (ctx.t(T::BackToFile)) } }
        section.conflicts aria-labelledby="conflicts" {
            h2 #conflicts { (ctx.t(T::Conflicts)) " (" (plan.conflicts.len()) ")" }
            @if plan.conflicts.is_empty() {
                p { (ctx.t(T::NoConflicts)) }
            } @else {
                // Announced once when the page loads: the conflicts are
                // the news of this page.
                p role="status" { (plan.conflicts.len()) " " (ctx.t(T::ConflictCount)) }
                ul {
                    @for conflict in &plan.conflicts {
                        li.conflict { (conflict_text(lang, conflict)) }
                    }
                }
            }
        }
        @if plan.plans.is_empty() {
            p { (ctx.t(T::NoPlans)) }
        } @else {
            section aria-labelledby="timeline" {
                h2 #timeline { (ctx.t(T::Timeline)) }
                (timeline(ctx, plan))
            }
            @for entry in &plan.plans {
                section.plan aria-labelledby={ "plan-" (entry.meta.id) } {
                    h2 id={ "plan-" (entry.meta.id) } {
                        (lang.kind(RecordKind::ActionPlan)) ": " (entry.meta.source_agency)
                    }
                    dl {
                        dt { (ctx.t(T::Goals)) }
                        dd { ul { @for goal in &entry.plan.goals { li { (goal) } } } }
                        dt { (ctx.t(T::OverallResponsibility)) }
                        dd { (entry.plan.overall_responsibility) }
                        @if let Some(day) = entry.plan.follow_up_on {
                            dt { (ctx.t(T::FollowUpOn)) }
                            dd { (lang.date(day)) }
                        }
                    }
                    table.activities {
                        caption { (ctx.t(T::Activity)) ", " (entry.meta.source_agency) }
                        thead { tr {
                            th scope="col" { (ctx.t(T::Activity)) }
                            th scope="col" { (ctx.t(T::Extent)) }
                            th scope="col" { (ctx.t(T::From)) }
                            th scope="col" { (ctx.t(T::To)) }
                            th scope="col" { (ctx.t(T::Responsible)) }
                        } }
                        tbody {
                            @for (index, activity) in entry.plan.activities.iter().enumerate() {
                                @let marked = in_conflict(entry.meta.id, index);
                                tr class=[marked.then_some("in-conflict")] {
                                    td {
                                        (lang.activity(activity.activity_type))
                                        @if marked {
                                            " " strong.badge.conflict-badge { (ctx.t(T::InConflict)) }
                                        }
                                    }
                                    td { (lang.percent(u32::from(activity.extent_percent))) }
                                    td { (lang.date(activity.from)) }
                                    td { (lang.date(activity.to)) }
                                    td { (activity.responsible.as_deref().unwrap_or("")) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub(crate) fn conflict_text(lang: Lang, conflict: &Conflict) -> String {
    let mut text = lang.conflict(conflict.kind).to_owned();
    if let Some((from, to)) = conflict.period {
        text.push_str(&format!(", {} – {}", lang.date(from), lang.date(to)));
    }
    if let Some(total) = conflict.total_percent {
        text.push_str(&format!(", {} {}", lang.percent(total), T::Total.in_(lang)));
    }
    if !conflict.agencies.is_empty() {
        text.push_str(&format!(
            ". {}: {}",
            T::Involves.in_(lang),
            join(conflict.agencies.iter().map(AgencyCode::to_string))
        ));
    }
    text
}

/// The activities on one time axis, one row per plan: an SVG picture (the
/// table of each plan says the same in text). Bars of activities in a
/// conflict are drawn in the conflict style and carry a text title.
fn timeline(ctx: &PageCtx, plan: &SharedPlan) -> Markup {
    let lang = ctx.lang;
    let days = plan
        .plans
        .iter()
        .flat_map(|p| p.plan.activities.iter().flat_map(|a| [a.from, a.to]));
    let (Some(first), Some(last)) = (days.clone().min(), days.max()) else {
        return html! {};
    };
    let span = (last - first).num_days().max(1) as f64 + 1.0;
    const LEFT: f64 = 110.0;
    const WIDTH: f64 = 600.0;
    const ROW: f64 = 34.0;
    let x = |day: NaiveDate| LEFT + WIDTH * ((day - first).num_days() as f64) / span;
    let height = ROW * plan.plans.len() as f64 + 30.0;
    let label = format!(
        "{}: {} – {}",
        T::Timeline.in_(lang),
        lang.date(first),
        lang.date(last)
    );
    html! {
        svg.timeline role="img" aria-label=(label) viewBox={ "0 0 " (LEFT + WIDTH + 10.0) " " (height) }
            xmlns="http://www.w3.org/2000/svg" {
            @for (row, entry) in plan.plans.iter().enumerate() {
                @let y = ROW * row as f64 + 6.0;
                text.lane x="4" y=(y + 17.0) { (entry.meta.source_agency) }
                @for (index, activity) in entry.plan.activities.iter().enumerate() {
                    @let marked = plan.conflicts.iter().any(|c| c.activities.iter().any(|a| a.record == entry.meta.id && a.index == index));
                    @let x0 = x(activity.from);
                    @let x1 = x(activity.to) + WIDTH / span;
                    rect class=(if marked { "bar in-conflict" } else { "bar" })
                        x=(format!("{x0:.1}")) y=(y) width=(format!("{:.1}", (x1 - x0).max(2.0))) height="24" rx="3" {
                        title {
                            (lang.activity(activity.activity_type)) " " (lang.percent(u32::from(activity.extent_percent)))
                            ", " (lang.date(activity.from)) " – " (lang.date(activity.to))
                            @if marked { " (" (T::InConflict.in_(lang)) ")" }
                        }
                    }
                }
            }
            text.axis x=(LEFT) y=(height - 6.0) { (lang.date(first)) }
            text.axis x=(LEFT + WIDTH) y=(height - 6.0) text-anchor="end" { (lang.date(last)) }
        }
    }
}
