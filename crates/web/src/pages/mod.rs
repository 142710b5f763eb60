//! The pages, one module per group, and the one shape of a page handler:
//! resolve the visit, run the use case on the worker pool as the signed-in
//! caller, render, and map any failure through [`PageError::respond`].

pub mod admin;
pub mod assets;
pub mod auditor;
pub mod clients;
pub mod coordinator;
pub mod integrity;
pub mod layout;
pub mod sign_in;
pub mod write;

use crate::error::PageError;
use crate::i18n::Lang;
use crate::visitor::{safe_return_path, signed_in, strict_cookie, SignedIn, Visit, LANG_COOKIE};
use crate::Web;
use actix_web::{web, HttpRequest, HttpResponse};
use ingang_app::Session;
use ingang_policy::Role;
use layout::{PageCtx, Rendered};
use maud::html;
use serde::Deserialize;

/// Runs `work` for a signed-in visitor on the worker pool, with one
/// application session (one database connection) for the whole page.
pub async fn signed_page<F>(req: &HttpRequest, work: F) -> HttpResponse
where
    F: FnOnce(&mut Session<'_>, &SignedIn, &PageCtx) -> Result<Rendered, PageError>
        + Send
        + 'static,
{
    let visit = Visit::of(req);
    let ctx = PageCtx::anonymous(&visit);
    let web = match Web::from_request(req) {
        Ok(web) => web,
        Err(error) => return error.respond(&ctx).into_response(),
    };
    let rendered = web::block(move || {
        let mut ctx = PageCtx::anonymous(&visit);
        let outcome = (|| {
            let mut session = web.app.session()?;
            let signed = signed_in(&mut session, &visit)?;
            ctx = PageCtx::signed(&visit, &signed);
            work(&mut session, &signed, &ctx)
        })();
        outcome.unwrap_or_else(|error| error.respond(&ctx))
    })
    .await;
    match rendered {
        Ok(rendered) => rendered.into_response(),
        Err(_) => PageError::Internal("page work panicked or was cancelled".into())
            .respond(&PageCtx::anonymous(&Visit::of(req)))
            .into_response(),
    }
}

/// The page's 404 for a path that is no page: the same page a hidden
/// client gets.
pub fn not_found(req: &HttpRequest) -> HttpResponse {
    PageError::App(ingang_app::AppError::NotFound)
        .respond(&PageCtx::anonymous(&Visit::of(req)))
        .into_response()
}

/// `/`: each role's first page, or the sign-in.
pub async fn home(req: HttpRequest) -> HttpResponse {
    signed_page(&req, |_, signed, ctx| {
        let roles = &signed.caller.caller.actor.roles;
        if roles.contains(&Role::Officer) || roles.contains(&Role::Coordinator) {
            return Ok(layout::redirect("/clients"));
        }
        if roles.contains(&Role::Auditor) {
            return Ok(layout::redirect("/audit"));
        }
        if roles.contains(&Role::Admin) {
            return Ok(layout::redirect("/admin"));
        }
        let body = html! {
            h1 { (ctx.t(crate::i18n::T::Service)) }
            p { (ctx.t(crate::i18n::T::NoPageForRole)) }
        };
        Ok(layout::ok(&layout::page(
            ctx,
            ctx.t(crate::i18n::T::Service),
            body,
        )))
    })
    .await
}

#[derive(Debug, Deserialize)]
pub struct LanguageQuery {
    #[serde(default)]
    to: String,
    #[serde(default)]
    back: String,
}

/// `/language?to=en&back=/clients`: remembers the language in a cookie and
/// goes back to the page (on this site only).
pub async fn language(query: web::Query<LanguageQuery>) -> HttpResponse {
    let lang = Lang::from_code(&query.to).unwrap_or(Lang::Sv);
    let back = safe_return_path(&query.back).to_owned();
    let mut cookie = strict_cookie(LANG_COOKIE, lang.code().to_owned());
    // Not secret; a year, so the choice outlives the session.
    cookie.set_max_age(actix_web::cookie::time::Duration::days(365));
    Rendered::Redirect {
        to: back,
        cookies: vec![cookie],
    }
    .into_response()
}
