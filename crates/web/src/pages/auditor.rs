//! The auditor's pages: the access log searched with every filter, and a
//! client's extract ready to print in Swedish or English. Every search
//! and extract is itself audited by its use case.

use super::layout::{self, short_id};
use super::signed_page;
use crate::error::PageError;
use crate::forms::{self, Field, FieldError, Input, Posted};
use crate::i18n::{Lang, T};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use ingang_app::audit::ExtractEntry;
use ingang_app::{AuditEvent, AuditFilter};
use ingang_policy::{AgencyCode, AuditAction, ClientId, OfficerId, Verdict};
use maud::{html, Markup};

/// Entries on one page of a search or an extract.
const PAGE: i64 = 100;

type Query = web::Query<Vec<(String, String)>>;

static ACTIONS: std::sync::LazyLock<Vec<(&'static str, T)>> = std::sync::LazyLock::new(|| {
    AuditAction::ALL
        .iter()
        .map(|a| (a.as_str(), T::action(*a)))
        .collect()
});

const VERDICTS: &[(&str, T)] = &[("allow", T::Allowed), ("deny", T::Refused)];

fn filter_fields(lang: Lang) -> Vec<Field> {
    let t = |text: T| text.in_(lang).to_owned();
    vec![
        Field::new("client_id", t(T::ClientIdField), Input::Text),
        Field::new("actor_id", t(T::ActorIdField), Input::Text),
        Field::new("agency", t(T::Agency), Input::Text).hint(T::CodeHint.in_(lang)),
        Field::new("action", t(T::Action), Input::Select(ACTIONS.as_slice())),
        Field::new("decision", t(T::Decision), Input::Select(VERDICTS)),
        Field::new("from", t(T::FromDay), Input::Date),
        Field::new("to", t(T::ToDay), Input::Date),
    ]
}

/// The search's filter from the query, or the field that is wrong.
fn filter_of(lang: Lang, query: &Posted) -> Result<AuditFilter, FieldError> {
    fn parsed<V: std::str::FromStr>(
        query: &Posted,
        name: &str,
        message: &str,
    ) -> Result<Option<V>, FieldError> {
        let raw = query.get(name).trim();
        if raw.is_empty() {
            return Ok(None);
        }
        raw.parse().map(Some).map_err(|_| FieldError {
            field: name.into(),
            message: message.into(),
        })
    }
    let value = T::ErrValue.in_(lang);
    let day = |name: &str, next: bool| -> Result<Option<DateTime<Utc>>, FieldError> {
        let date: Option<NaiveDate> = parsed(query, name, T::ErrDate.in_(lang))?;
        Ok(date
            .and_then(|d| if next { d.succ_opt() } else { Some(d) })
            .and_then(crate::i18n::start_of_day))
    };
    Ok(AuditFilter {
        client_id: parsed::<ClientId>(query, "client_id", value)?,
        actor_id: parsed::<OfficerId>(query, "actor_id", value)?,
        agency: parsed::<AgencyCode>(query, "agency", T::ErrAgencyCode.in_(lang))?,
        action: parsed::<AuditAction>(query, "action", value)?,
        decision: parsed::<Verdict>(query, "decision", value)?,
        from: day("from", false)?,
        // The last day given is included.
        to: day("to", true)?,
        after_seq: parsed::<i64>(query, "after", value)?,
    })
}

/// `GET /audit`: the search form and, once filtered, the entries.
pub async fn search(req: HttpRequest, query: Query) -> HttpResponse {
    let query = Posted::new(query.into_inner());
    signed_page(&req, move |session, signed, ctx| {
        let lang = ctx.lang;
        let fields = filter_fields(lang);
        let searched = !query.get("search").is_empty();
        let (entries, error) = if searched {
            match filter_of(lang, &query) {
                Ok(filter) => (
                    Some(session.audit_events(&signed.caller.caller, &filter, PAGE)?),
                    None,
                ),
                Err(error) => (None, Some(error)),
            }
        } else {
            (None, None)
        };
        let status = if error.is_some() {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        };
        let next = entries
            .as_ref()
            .filter(|e| e.len() as i64 == PAGE)
            .and_then(|e| e.last())
            .map(|last| next_page(&query, last.seq));
        let title = ctx.t(T::AuditLog);
        let body = html! {
            h1 { (title) }
            (forms::summary(lang, error.as_ref(), &fields))
            form.filters method="get" action="/audit" novalidate {
                input type="hidden" name="search" value="1";
                @for field in &fields { (forms::field(lang, field, &query, error.as_ref())) }
                div.actions { button type="submit" { (ctx.t(T::Search)) } }
            }
            @if let Some(entries) = &entries {
                section aria-labelledby="results" {
                    h2 #results { (ctx.t(T::Results)) " (" (entries.len()) ")" }
                    (entry_table(lang, entries, true))
                    @if let Some(next) = next {
                        p { a href=(next) { (ctx.t(T::NextPage)) } }
                    }
                }
            }
        };
        Ok(layout::respond(status, &layout::page(ctx, title, body)))
    })
    .await
}

fn next_page(query: &Posted, after: i64) -> String {
    let mut link = String::from("/audit?search=1");
    for name in [
        "client_id",
        "actor_id",
        "agency",
        "action",
        "decision",
        "from",
        "to",
    ] {
        let value = query.get(name).trim();
        if !value.is_empty() {
            link.push_str(&format!("&{name}={}", layout::encode(value)));
        }
    }
    link.push_str(&format!("&after={after}"));
    link
}

/// The entries as a table; `technical` adds the ids an auditor searches by.
fn entry_table(lang: Lang, entries: &[AuditEvent], technical: bool) -> Markup {
    html! {
        table.audit {
            caption.visually-hidden { (T::AuditLog.in_(lang)) }
            thead { tr {
                @if technical { th scope="col" { "#" } }
                th scope="col" { (T::When.in_(lang)) }
                th scope="col" { (T::Who.in_(lang)) }
                th scope="col" { (T::What.in_(lang)) }
                th scope="col" { (T::Outcome.in_(lang)) }
                th scope="col" { (T::UnderConsent.in_(lang)) }
                @if technical { th scope="col" { (T::ClientIdField.in_(lang)) } }
            } }
            tbody {
                @for entry in entries {
                    @let e = &entry.event;
                    tr {
                        @if technical { td { a href={ "/audit/entries/" (entry.seq) "/proof" } title=(T::ProofOfEntry.in_(lang)) { (entry.seq) } } }
                        td { (lang.moment(e.at)) }
                        td {
                            code { (short_id(&e.actor_id)) }
                            " (" (e.actor_agency) ")"
                            @if let Some(officer) = e.on_behalf_of {
                                " " (T::OnBehalfOf.in_(lang)) " " code { (short_id(&officer)) }
                            }
                        }
                        td {
                            (T::action(e.action).in_(lang))
                            @if let (true, Some(record)) = (technical, e.record_id) {
                                " " code { (short_id(&record)) }
                            }
                        }
                        td {
                            @match (e.decision, e.reason) {
                                (Verdict::Allow, _) => { (T::Allowed.in_(lang)) },
                                (Verdict::Deny, Some(reason)) => { (T::Refused.in_(lang)) ": " (lang.logged_refusal(reason)) },
                                (Verdict::Deny, None) => { (T::Refused.in_(lang)) },
                            }
                        }
                        td { @if let Some(consent) = e.consent_id { code { (short_id(&consent)) } } }
                        @if technical {
                            td { @if let Some(client) = e.client_id {
                                a href={ "/audit/clients/" (client) "/extract" } { code { (short_id(&client)) } }
                            } }
                        }
                    }
                }
            }
        }
    }
}

/// The extract as a person reads it: who (name and agency), when, what
/// kind of record, allowed or refused and why, under which consent.
fn extract_table(lang: Lang, entries: &[ExtractEntry]) -> Markup {
    html! {
        table.audit {
            caption.visually-hidden { (T::Extract.in_(lang)) }
            thead { tr {
                th scope="col" { (T::When.in_(lang)) }
                th scope="col" { (T::Who.in_(lang)) }
                th scope="col" { (T::What.in_(lang)) }
                th scope="col" { (T::Outcome.in_(lang)) }
                th scope="col" { (T::UnderConsent.in_(lang)) }
            } }
            tbody {
                @for entry in entries {
                    @let e = &entry.event.event;
                    tr {
                        td { (lang.moment(e.at)) }
                        td {
                            (entry.actor_name.as_deref().unwrap_or(T::UnknownPerson.in_(lang)))
                            ", " (entry.agency_name.as_deref().unwrap_or(e.actor_agency.as_str()))
                            @if let Some(name) = &entry.on_behalf_of_name {
                                " " (T::OnBehalfOf.in_(lang)) " " (name)
                            }
                        }
                        td {
                            (T::action(e.action).in_(lang))
                            @if let Some(kind) = entry.record_kind { ": " (lang.kind(kind)) }
                        }
                        td {
                            @match (e.decision, e.reason) {
                                (Verdict::Allow, _) => { (T::Allowed.in_(lang)) },
                                (Verdict::Deny, Some(reason)) => { (T::Refused.in_(lang)) ": " (lang.logged_refusal(reason)) },
                                (Verdict::Deny, None) => { (T::Refused.in_(lang)) },
                            }
                        }
                        td {
                            @if let Some(purpose) = &entry.consent_purpose { (purpose) }
                            @else if e.consent_id.is_some() { (T::PurposeUnreadable.in_(lang)) }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /audit/clients/{id}/extract`: every access to the client's data,
/// as the person reads it, ready to print.
pub async fn extract(req: HttpRequest, client: web::Path<String>, query: Query) -> HttpResponse {
    let client = client.into_inner();
    let query = Posted::new(query.into_inner());
    signed_page(&req, move |session, signed, ctx| {
        let client: ClientId = client.parse().map_err(|_| PageError::MalformedId)?;
        let after = query.get("after").parse::<i64>().ok();
        let extract = session.access_log(&signed.caller.caller, client, after, PAGE)?;
        let lang = ctx.lang;
        let title = ctx.t(T::Extract);
        let next = (extract.entries.len() as i64 == PAGE)
            .then(|| extract.entries.last().map(|e| e.event.seq))
            .flatten();
        let body = html! {
            h1 { (title) }
            p { (ctx.t(T::ExtractIntro)) }
            dl.identity {
                dt { (ctx.t(T::ClientIdField)) } dd { code { (client) } }
                dt { (ctx.t(T::ExtractMade)) } dd { (lang.moment(Utc::now())) }
            }
            @if extract.erased { p.notice { (ctx.t(T::ExtractErased)) } }
            p.no-print { button type="button" data-print="" { (ctx.t(T::Print)) } }
            @if extract.entries.is_empty() { p { (ctx.t(T::NoEntries)) } }
            @else { (extract_table(lang, &extract.entries)) }
            @if let Some(after) = next {
                p.no-print { a href={ "/audit/clients/" (client) "/extract?after=" (after) } { (ctx.t(T::NextPage)) } }
            }
        };
        Ok(layout::ok(&layout::page(ctx, title, body)))
    })
    .await
}
