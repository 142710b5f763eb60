//! The frame of every page: language, skip link, header with the signed-in
//! account, navigation by role, the language switch and sign-out.

use crate::i18n::{Lang, T};
use crate::visitor::{SignedIn, Visit};
use actix_web::cookie::Cookie;
use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use ingang_policy::Role;
use maud::{html, Markup, DOCTYPE};

/// What the frame needs to know about the visit.
#[derive(Debug, Clone)]
pub struct PageCtx {
    pub lang: Lang,
    pub here: String,
    pub request_id: String,
    pub who: Option<Who>,
}

/// The signed-in account, as the frame shows it.
#[derive(Clone)]
pub struct Who {
    pub name: String,
    pub roles: Vec<Role>,
    pub agency: String,
    pub csrf: String,
}

impl std::fmt::Debug for Who {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Who")
            .field("roles", &self.roles)
            .field("agency", &self.agency)
            .finish_non_exhaustive()
    }
}

// A page holds personal data: `Debug` tells only what kind of answer it is.
impl std::fmt::Debug for Rendered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rendered::Page { status, .. } => write!(f, "Page({status})"),
            Rendered::Redirect { .. } => f.write_str("Redirect"),
        }
    }
}

impl PageCtx {
    pub fn anonymous(visit: &Visit) -> PageCtx {
        PageCtx {
            lang: visit.lang,
            here: visit.here.clone(),
            request_id: visit.context.request_id.clone(),
            who: None,
        }
    }

    pub fn signed(visit: &Visit, signed: &SignedIn) -> PageCtx {
        let actor = &signed.caller.caller.actor;
        PageCtx {
            who: Some(Who {
                name: signed.caller.name.clone(),
                roles: actor.roles.clone(),
                agency: actor.agency.to_string(),
                csrf: signed.csrf(),
            }),
            ..PageCtx::anonymous(visit)
        }
    }

    pub fn t(&self, text: T) -> &'static str {
        text.in_(self.lang)
    }

    /// The session's CSRF token, for a form's hidden field.
    pub fn csrf(&self) -> String {
        self.who
            .as_ref()
            .map(|w| w.csrf.clone())
            .unwrap_or_default()
    }

    pub fn has(&self, role: Role) -> bool {
        self.who.as_ref().is_some_and(|w| w.roles.contains(&role))
    }
}

/// A finished answer, made on the worker pool and sent from the server
/// thread (an `HttpResponse` cannot cross threads).
pub enum Rendered {
    Page {
        status: StatusCode,
        html: String,
    },
    Redirect {
        to: String,
        cookies: Vec<Cookie<'static>>,
    },
}

impl Rendered {
    pub fn into_response(self) -> HttpResponse {
        let response = match self {
            Rendered::Page { status, html } => HttpResponse::build(status)
                .content_type("text/html; charset=utf-8")
                .body(html),
            Rendered::Redirect { to, cookies } => {
                let mut builder = HttpResponse::SeeOther();
                builder.insert_header((header::LOCATION, to));
                for cookie in cookies {
                    builder.cookie(cookie);
                }
                builder.finish()
            }
        };
        crate::secure(response)
    }
}

pub fn respond(status: StatusCode, markup: &Markup) -> Rendered {
    Rendered::Page {
        status,
        html: markup.clone().into_string(),
    }
}

pub fn ok(markup: &Markup) -> Rendered {
    respond(StatusCode::OK, markup)
}

pub fn redirect(to: &str) -> Rendered {
    Rendered::Redirect {
        to: to.to_owned(),
        cookies: vec![],
    }
}

/// A whole page around `content`.
pub fn page(ctx: &PageCtx, title: &str, content: Markup) -> Markup {
    page_with_refresh_opt(ctx, title, content, None)
}

/// A page that moves on to `to` by itself (no script needed).
pub fn page_with_refresh(ctx: &PageCtx, title: &str, content: Markup, to: &str) -> Markup {
    page_with_refresh_opt(ctx, title, content, Some(to))
}

fn page_with_refresh_opt(
    ctx: &PageCtx,
    title: &str,
    content: Markup,
    refresh: Option<&str>,
) -> Markup {
    let lang = ctx.lang;
    let other = lang.other();
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if let Some(to) = refresh {
                    meta http-equiv="refresh" content={ "0;url=" (to) };
                }
                title { (title) " – " (ctx.t(T::Service)) }
                link rel="stylesheet" href="/assets/app.css";
                script src="/assets/app.js" defer {}
            }
            body {
                a.skip href="#content" { (ctx.t(T::SkipToContent)) }
                header.site {
                    div.brand {
                        a href="/" { (ctx.t(T::Service)) }
                        span.tagline { (ctx.t(T::Tagline)) }
                    }
                    @if let Some(who) = &ctx.who {
                        nav aria-label=(ctx.t(T::Service)) {
                            ul {
                                @if who.roles.contains(&Role::Officer) {
                                    li { a href="/clients" { (ctx.t(T::MyClients)) } }
                                }
                                @if who.roles.contains(&Role::Auditor) {
                                    li { a href="/audit" { (ctx.t(T::AuditLog)) } }
                                    li { a href="/audit/integrity" { (ctx.t(T::Integrity)) } }
                                }
                                @if who.roles.contains(&Role::Admin) {
                                    li { a href="/admin" { (ctx.t(T::Administration)) } }
                                }
                                @if who.roles.contains(&Role::Coordinator) {
                                    li { a href="/clients" { (ctx.t(T::AllClients)) } }
                                    li { a href="/clients/new" { (ctx.t(T::RegisterClient)) } }
                                }
                            }
                        }
                    }
                    div.account {
                        a lang=(other.code()) hreflang=(other.code())
                            href={ "/language?to=" (other.code()) "&back=" (encode(&ctx.here)) } {
                            (other.own_name())
                        }
                        @if let Some(who) = &ctx.who {
                            span.who {
                                (ctx.t(T::SignedInAs)) " " strong { (who.name) } ", "
                                @for (i, role) in who.roles.iter().enumerate() {
                                    @if i > 0 { ", " }
                                    (lang.role(*role))
                                }
                                " (" (who.agency) ")"
                            }
                            form method="post" action="/sign-out" {
                                input type="hidden" name="csrf" value=(who.csrf);
                                button type="submit" { (ctx.t(T::SignOut)) }
                            }
                        }
                    }
                }
                main #content tabindex="-1" { (content) }
            }
        }
    }
}

/// The first eight characters of an id: enough to tell ids apart on a page.
pub fn short_id(id: &impl std::fmt::Display) -> String {
    let id = id.to_string();
    id.get(..8).map_or_else(|| id.clone(), str::to_owned)
}

/// Items separated by commas.
pub fn join(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

/// Percent-encodes text for a query value.
pub fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}
