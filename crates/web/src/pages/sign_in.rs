//! Signing in and out. The development sign-in (outside production only)
//! lists the demo accounts; production signs in through the configured
//! OpenID Connect issuers.

use super::layout::{self, PageCtx, Rendered};
use crate::error::PageError;
use crate::i18n::T;
use crate::visitor::{removal, strict_cookie, Visit, SESSION_COOKIE, SIGN_IN_COOKIE};
use crate::Web;
use actix_web::{web, HttpRequest, HttpResponse};
use ingang_app::browser::SessionToken;
use ingang_policy::OfficerId;
use maud::html;
use serde::Deserialize;

/// `GET /sign-in`.
pub async fn page(req: HttpRequest) -> HttpResponse {
    let visit = Visit::of(&req);
    let ctx = PageCtx::anonymous(&visit);
    let web = match Web::from_request(&req) {
        Ok(web) => web,
        Err(error) => return error.respond(&ctx).into_response(),
    };
    // The form's CSRF value, kept in a strict cookie until the sign-in.
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    let development = !web.config.production;
    let body = html! {
        h1 { (ctx.t(T::SignIn)) }
        @if !web.config.providers.is_empty() {
            ul.providers {
                @for (index, provider) in web.config.providers.iter().enumerate() {
                    li { a.button href={ "/sign-in/oidc/" (index) } { (ctx.t(T::SignInWith)) " " (provider.name) } }
                }
            }
        }
        @if development {
            section aria-labelledby="dev-heading" {
                h2 #dev-heading { (ctx.t(T::DevSignInHeading)) }
                p { (ctx.t(T::DevSignInHelp)) }
                @if !web.config.dev_accounts.is_empty() {
                    ul.accounts {
                        @for account in &web.config.dev_accounts {
                            li {
                                form method="post" action="/sign-in/development" {
                                    input type="hidden" name="csrf" value=(nonce);
                                    input type="hidden" name="account" value=(account.id);
                                    button type="submit" {
                                        (account.label)
                                        span.detail {
                                            " – "
                                            @for (i, role) in account.roles.iter().enumerate() {
                                                @if i > 0 { ", " }
                                                (ctx.lang.role(*role))
                                            }
                                            " (" (account.agency) ")"
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                form.by-id method="post" action="/sign-in/development" {
                    input type="hidden" name="csrf" value=(nonce);
                    label for="account" { (ctx.t(T::DevSignInById)) }
                    input #account type="text" name="account" autocomplete="off"
                        pattern="[0-9a-fA-F-]{36}" required;
                    button type="submit" { (ctx.t(T::SignIn)) }
                }
            }
        } @else if web.config.providers.is_empty() {
            p { (ctx.t(T::NoSignInConfigured)) }
        }
    };
    let mut response = layout::ok(&layout::page(&ctx, ctx.t(T::SignIn), body)).into_response();
    let _ = response.add_cookie(&strict_cookie(SIGN_IN_COOKIE, nonce));
    response
}

#[derive(Deserialize)]
pub struct DevSignIn {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    account: String,
}

/// `POST /sign-in/development`: outside production only, signs in as the
/// named account.
pub async fn development(req: HttpRequest, form: web::Form<DevSignIn>) -> HttpResponse {
    let visit = Visit::of(&req);
    let ctx = PageCtx::anonymous(&visit);
    let web = match Web::from_request(&req) {
        Ok(web) => web,
        Err(error) => return error.respond(&ctx).into_response(),
    };
    if web.config.production {
        return PageError::App(ingang_app::AppError::NotFound)
            .respond(&ctx)
            .into_response();
    }
    let expected = req.cookie(SIGN_IN_COOKIE).map(|c| c.value().to_owned());
    if expected.as_deref() != Some(form.csrf.as_str()) || form.csrf.is_empty() {
        return PageError::Csrf.respond(&ctx).into_response();
    }
    let Ok(account) = form.account.trim().parse::<OfficerId>() else {
        return layout::redirect("/sign-in").into_response();
    };
    let lifetime = web.config.session_lifetime;
    let context = visit.context.clone();
    let outcome = web::block(move || {
        let mut session = web.app.session()?;
        session.sign_in(account, lifetime, &context)
    })
    .await;
    match outcome {
        Ok(Ok(signed)) => Rendered::Redirect {
            to: "/".into(),
            cookies: vec![
                strict_cookie(SESSION_COOKIE, signed.token.expose().to_owned()),
                removal(SIGN_IN_COOKIE),
            ],
        }
        .into_response(),
        // An unknown or inactive account: back to the sign-in, which says
        // nothing about which accounts exist.
        Ok(Err(ingang_app::AppError::Unauthenticated(_))) => {
            layout::redirect("/sign-in").into_response()
        }
        Ok(Err(other)) => PageError::App(other).respond(&ctx).into_response(),
        Err(_) => PageError::Internal("sign-in cancelled".into())
            .respond(&ctx)
            .into_response(),
    }
}

#[derive(Deserialize)]
pub struct SignOut {
    #[serde(default)]
    csrf: String,
}

// Forms carrying CSRF values.
ingang_policy::redacted_debug!(DevSignIn, SignOut);

/// `POST /sign-out`: ends the session on the server, then drops the cookie.
pub async fn sign_out(req: HttpRequest, form: web::Form<SignOut>) -> HttpResponse {
    let visit = Visit::of(&req);
    let ctx = PageCtx::anonymous(&visit);
    let Some(token) = visit.token.clone() else {
        return layout::redirect("/sign-in").into_response();
    };
    if !token.csrf_matches(&form.csrf) {
        return PageError::Csrf.respond(&ctx).into_response();
    }
    let web = match Web::from_request(&req) {
        Ok(web) => web,
        Err(error) => return error.respond(&ctx).into_response(),
    };
    let context = visit.context.clone();
    let outcome = web::block(move || {
        let mut session = web.app.session()?;
        session.sign_out(&SessionToken::from_cookie(token.expose()), &context)
    })
    .await;
    match outcome {
        Ok(Ok(())) => Rendered::Redirect {
            to: "/sign-in".into(),
            cookies: vec![removal(SESSION_COOKIE)],
        }
        .into_response(),
        Ok(Err(other)) => PageError::App(other).respond(&ctx).into_response(),
        Err(_) => PageError::Internal("sign-out cancelled".into())
            .respond(&ctx)
            .into_response(),
    }
}
