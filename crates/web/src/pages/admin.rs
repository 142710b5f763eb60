//! The admin's page: agencies and accounts. Admins never see case data;
//! these use cases hold none.

use super::layout::{self, PageCtx, Rendered};
use super::signed_page;
use crate::error::PageError;
use crate::forms::{self, Field, FieldError, Input, Posted};
use crate::i18n::{Lang, T};
use crate::visitor::SignedIn;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use ingang_app::{AppError, NewOfficer};
use ingang_policy::{AgencyCode, OfficerId, Role};
use maud::html;

type Form = web::Form<Vec<(String, String)>>;

/// Accounts shown on the page.
const ACCOUNTS: i64 = 500;

const ROLES: [Role; 5] = [
    Role::Officer,
    Role::Coordinator,
    Role::Auditor,
    Role::Admin,
    Role::System,
];

fn agency_fields(lang: Lang) -> Vec<Field> {
    vec![
        Field::new("code", T::AgencyCode.in_(lang), Input::Text)
            .required()
            .hint(T::CodeHint.in_(lang)),
        Field::new("agency_name", T::Name.in_(lang), Input::Text).required(),
    ]
}

fn link_fields(lang: Lang) -> Vec<Field> {
    vec![
        Field::new("issuer", T::Issuer.in_(lang), Input::Text)
            .required()
            .hint(T::IssuerHint.in_(lang)),
        Field::new("subject", T::Subject.in_(lang), Input::Text)
            .required()
            .hint(T::SubjectHint.in_(lang)),
        Field::new("account", T::ActorIdField.in_(lang), Input::Text).required(),
    ]
}

fn account_fields(lang: Lang) -> Vec<Field> {
    let mut fields = vec![
        Field::new("name", T::Name.in_(lang), Input::Text).required(),
        Field::new("agency", T::Agency.in_(lang), Input::Text)
            .required()
            .hint(T::CodeHint.in_(lang)),
    ];
    for role in ROLES {
        fields.push(Field::new(
            format!("role-{}", role.as_str()),
            lang.role(role),
            Input::Checkbox,
        ));
    }
    fields
}

/// Which of the page's forms failed, and how.
struct Failed {
    form: &'static str,
    error: FieldError,
    posted: Posted,
}

fn page(
    session: &mut ingang_app::Session<'_>,
    signed: &SignedIn,
    ctx: &PageCtx,
    failed: Option<&Failed>,
) -> Result<Rendered, PageError> {
    let caller = &signed.caller.caller;
    let agencies = session.list_agencies(caller)?;
    let accounts = session.list_officers(caller, None, None, ACCOUNTS)?;
    let lang = ctx.lang;
    let csrf = ctx.csrf();
    let error_of = |form: &str| failed.filter(|f| f.form == form).map(|f| &f.error);
    let posted_of = |form: &str| {
        failed
            .filter(|f| f.form == form)
            .map(|f| f.posted.clone())
            .unwrap_or_default()
    };
    let title = ctx.t(T::Administration);
    let body = html! {
        h1 { (title) }
        (forms::summary(lang, failed.map(|f| &f.error), &[]))
        section aria-labelledby="agencies" {
            h2 #agencies { (ctx.t(T::Agencies)) }
            table {
                caption.visually-hidden { (ctx.t(T::Agencies)) }
                thead { tr { th scope="col" { (ctx.t(T::AgencyCode)) } th scope="col" { (ctx.t(T::Name)) } } }
                tbody { @for agency in &agencies { tr { td { (agency.code) } td { (agency.name) } } } }
            }
            h3 { (ctx.t(T::AddAgency)) }
            form method="post" action="/admin/agencies" novalidate {
                input type="hidden" name="csrf" value=(csrf);
                @for field in agency_fields(lang) { (forms::field(lang, &field, &posted_of("agency"), error_of("agency"))) }
                button type="submit" { (ctx.t(T::AddAgency)) }
            }
        }
        section aria-labelledby="accounts" {
            h2 #accounts { (ctx.t(T::Accounts)) }
            table {
                caption.visually-hidden { (ctx.t(T::Accounts)) }
                thead { tr {
                    th scope="col" { (ctx.t(T::Name)) }
                    th scope="col" { (ctx.t(T::Agency)) }
                    th scope="col" { (ctx.t(T::Roles)) }
                    th scope="col" { (ctx.t(T::ActorIdField)) }
                    th scope="col" { (ctx.t(T::Action)) }
                } }
                tbody {
                    @for account in &accounts {
                        tr {
                            td { (account.name) }
                            td { (account.account.agency) }
                            td {
                                @for (i, role) in account.account.roles.iter().enumerate() {
                                    @if i > 0 { ", " }
                                    (lang.role(*role))
                                }
                            }
                            td { code { (account.account.id) } }
                            td {
                                @if account.account.active {
                                    form method="post" action={ "/admin/accounts/" (account.account.id) "/deactivate" } {
                                        input type="hidden" name="csrf" value=(csrf);
                                        button.secondary type="submit" {
                                            (ctx.t(T::Deactivate))
                                            span.visually-hidden { " " (account.name) }
                                        }
                                    }
                                } @else {
                                    (ctx.t(T::Deactivated))
                                }
                            }
                        }
                    }
                }
            }
            h3 { (ctx.t(T::AddAccount)) }
            form method="post" action="/admin/accounts" novalidate {
                input type="hidden" name="csrf" value=(csrf);
                @let fields = account_fields(lang);
                @for field in fields.iter().take(2) { (forms::field(lang, field, &posted_of("account"), error_of("account"))) }
                fieldset {
                    legend { (ctx.t(T::Roles)) }
                    @for field in fields.iter().skip(2) { (forms::field(lang, field, &posted_of("account"), error_of("account"))) }
                }
                button type="submit" { (ctx.t(T::AddAccount)) }
            }
        }
        section aria-labelledby="links" {
            h2 #links { (ctx.t(T::LinkSignIn)) }
            p { (ctx.t(T::LinkSignInText)) }
            form method="post" action="/admin/sign-ins" novalidate {
                input type="hidden" name="csrf" value=(csrf);
                @for field in link_fields(lang) { (forms::field(lang, &field, &posted_of("link"), error_of("link"))) }
                button type="submit" { (ctx.t(T::LinkSignInButton)) }
            }
        }
    };
    let status = if failed.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok(layout::respond(status, &layout::page(ctx, title, body)))
}

/// `GET /admin`.
pub async fn home(req: HttpRequest) -> HttpResponse {
    signed_page(&req, |session, signed, ctx| {
        page(session, signed, ctx, None)
    })
    .await
}

/// Shows the page again with `error` beside its field, or goes back to it.
fn after(
    session: &mut ingang_app::Session<'_>,
    signed: &SignedIn,
    ctx: &PageCtx,
    form: &'static str,
    posted: Posted,
    result: Result<(), AppError>,
    rename: impl Fn(&str) -> String,
) -> Result<Rendered, PageError> {
    let error = match result {
        Ok(()) => return Ok(layout::redirect("/admin")),
        Err(AppError::Invalid { field, detail }) => FieldError {
            field: rename(&field),
            message: crate::i18n::explain(ctx.lang, &detail),
        },
        Err(AppError::Conflict(_)) => FieldError {
            field: rename("code"),
            message: T::AlreadyExists.in_(ctx.lang).into(),
        },
        Err(AppError::UnknownReference(field)) => FieldError {
            field: rename(field),
            message: T::NotRegistered.in_(ctx.lang).into(),
        },
        Err(other) => return Err(PageError::App(other)),
    };
    page(
        session,
        signed,
        ctx,
        Some(&Failed {
            form,
            error,
            posted,
        }),
    )
}

/// `POST /admin/agencies`.
pub async fn add_agency(req: HttpRequest, form: Form) -> HttpResponse {
    let posted = Posted::new(form.into_inner());
    signed_page(&req, move |session, signed, ctx| {
        signed.require_csrf(&posted)?;
        let result = AgencyCode::parse(posted.get("code").trim())
            .map_err(|e| AppError::invalid("code", e.to_string()))
            .and_then(|code| {
                session
                    .create_agency(&signed.caller.caller, &code, posted.get("agency_name"))
                    .map(|_| ())
            });
        after(
            session,
            signed,
            ctx,
            "agency",
            posted,
            result,
            |field| match field {
                "name" => "agency_name".to_owned(),
                other => other.to_owned(),
            },
        )
    })
    .await
}

/// `POST /admin/accounts`.
pub async fn add_account(req: HttpRequest, form: Form) -> HttpResponse {
    let posted = Posted::new(form.into_inner());
    signed_page(&req, move |session, signed, ctx| {
        signed.require_csrf(&posted)?;
        let roles: Vec<Role> = ROLES
            .into_iter()
            .filter(|r| !posted.get(&format!("role-{}", r.as_str())).is_empty())
            .collect();
        let result = AgencyCode::parse(posted.get("agency").trim())
            .map_err(|e| AppError::invalid("agency", e.to_string()))
            .and_then(|agency| {
                let new = NewOfficer {
                    name: posted.get("name").to_owned(),
                    agency,
                    roles,
                };
                session
                    .create_officer(&signed.caller.caller, &new)
                    .map(|_| ())
            });
        after(
            session,
            signed,
            ctx,
            "account",
            posted,
            result,
            |field| match field {
                // The first role's box carries an error about the roles.
                "roles" => "role-officer".to_owned(),
                "agencies" | "agency" => "agency".to_owned(),
                other => other.to_owned(),
            },
        )
    })
    .await
}

/// `POST /admin/sign-ins`: links a provider's subject to an account.
pub async fn link_sign_in(req: HttpRequest, form: Form) -> HttpResponse {
    let posted = Posted::new(form.into_inner());
    signed_page(&req, move |session, signed, ctx| {
        signed.require_csrf(&posted)?;
        let result = match posted.get("account").trim().parse::<OfficerId>() {
            Ok(account) => session.link_sign_in(
                &signed.caller.caller,
                posted.get("issuer").trim(),
                posted.get("subject"),
                account,
            ),
            Err(_) => Err(AppError::invalid("account", "must be an account id")),
        };
        after(session, signed, ctx, "link", posted, result, str::to_owned)
    })
    .await
}

/// `POST /admin/accounts/{id}/deactivate`.
pub async fn deactivate(req: HttpRequest, id: web::Path<String>, form: Form) -> HttpResponse {
    let id = id.into_inner();
    let posted = Posted::new(form.into_inner());
    signed_page(&req, move |session, signed, _| {
        signed.require_csrf(&posted)?;
        let id: OfficerId = id.parse().map_err(|_| PageError::MalformedId)?;
        session.deactivate_officer(&signed.caller.caller, id)?;
        Ok(layout::redirect("/admin"))
    })
    .await
}
