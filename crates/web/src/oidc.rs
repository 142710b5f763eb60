//! Sign-in through OpenID Connect: the authorization code flow with PKCE
//! (S256), a `state` and a `nonce`, against the configured providers. The
//! `openidconnect` crate discovers the provider, exchanges the code and
//! verifies the ID token (signature from the provider's keys, issuer,
//! audience, expiry, nonce); the provider's subject then opens the
//! account linked to it (`Session::sign_in_subject`).

use crate::error::PageError;
use crate::i18n::T;
use crate::pages::layout::{self, PageCtx, Rendered};
use crate::visitor::{removal_at, strict_cookie, Visit, SESSION_COOKIE};
use crate::{SignInProvider, Web};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::html;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use serde::Deserialize;

/// The cookie that carries the flow from the redirect to the callback:
/// provider, state, nonce and PKCE verifier. `SameSite=Lax`, because the
/// provider sends the browser back from another site; ten minutes; only
/// for the callback's path.
pub const FLOW_COOKIE: &str = "ingang_oidc";
const FLOW_PATH: &str = "/sign-in/oidc";

/// Where providers send the browser back.
pub fn redirect_url(public_url: &str) -> String {
    format!("{}/sign-in/oidc/callback", public_url.trim_end_matches('/'))
}

fn http_client() -> openidconnect::ureq::Agent {
    // No redirects: a provider must not be able to send the service's own
    // requests elsewhere.
    openidconnect::ureq::AgentBuilder::new()
        .redirects(0)
        .timeout(std::time::Duration::from_secs(10))
        .build()
}

/// How long a provider's discovered metadata and keys are used before
/// they are fetched again.
pub const DISCOVERY_TTL: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// The provider's metadata and keys, discovered at most every
/// [`DISCOVERY_TTL`].
fn metadata(web: &Web, index: usize) -> Result<CoreProviderMetadata, String> {
    if let Some((at, found)) = web
        .discovered
        .lock()
        .map_err(|_| "discovery cache poisoned".to_owned())?
        .get(&index)
    {
        if at.elapsed() < DISCOVERY_TTL {
            return Ok(found.clone());
        }
    }
    let provider = provider(web, index)?;
    let issuer = IssuerUrl::new(provider.issuer.clone()).map_err(|e| e.to_string())?;
    let found = CoreProviderMetadata::discover(&issuer, &http_client())
        .map_err(|e| format!("discovery of {}: {e}", provider.issuer))?;
    web.discovered
        .lock()
        .map_err(|_| "discovery cache poisoned".to_owned())?
        .insert(index, (std::time::Instant::now(), found.clone()));
    Ok(found)
}

fn provider(web: &Web, index: usize) -> Result<&SignInProvider, String> {
    web.config
        .providers
        .get(index)
        .ok_or_else(|| "no such sign-in provider".to_owned())
}

/// A client of a discovered provider: authorization endpoint known, token
/// and user-info endpoints as the provider's metadata states them.
type DiscoveredClient = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

/// Provider `index` and a client of it, sending the browser back to this
/// service's callback.
fn client(web: &Web, index: usize) -> Result<(&SignInProvider, DiscoveredClient), String> {
    let provider = provider(web, index)?;
    let public_url = web
        .config
        .public_url
        .clone()
        .ok_or_else(|| "public_url is not configured".to_owned())?;
    let client = CoreClient::from_provider_metadata(
        metadata(web, index)?,
        ClientId::new(provider.client_id.clone()),
        Some(ClientSecret::new(provider.client_secret.clone())),
    )
    .set_redirect_uri(RedirectUrl::new(redirect_url(&public_url)).map_err(|e| e.to_string())?);
    Ok((provider, client))
}

/// `GET /sign-in/oidc/{n}`: off to provider `n`.
pub async fn start(req: HttpRequest, index: web::Path<usize>) -> HttpResponse {
    let index = index.into_inner();
    let ctx = PageCtx::anonymous(&Visit::of(&req));
    let web = match Web::from_request(&req) {
        Ok(web) => web,
        Err(error) => return error.respond(&ctx).into_response(),
    };
    let outcome = web::block(move || -> Result<(String, String), String> {
        let (_, client) = client(&web, index)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("openid".into()))
            .set_pkce_challenge(challenge)
            .url();
        let flow = format!(
            "{index}.{}.{}.{}",
            state.secret(),
            nonce.secret(),
            verifier.secret()
        );
        Ok((url.to_string(), flow))
    })
    .await;
    match outcome {
        Ok(Ok((url, flow))) => {
            let cookie = Cookie::build(FLOW_COOKIE, flow)
                .path(FLOW_PATH)
                .secure(true)
                .http_only(true)
                .same_site(SameSite::Lax)
                .max_age(actix_web::cookie::time::Duration::minutes(10))
                .finish();
            Rendered::Redirect {
                to: url,
                cookies: vec![cookie],
            }
            .into_response()
        }
        Ok(Err(cause)) => failed(&ctx, &cause),
        Err(_) => failed(&ctx, "sign-in cancelled"),
    }
}

#[derive(Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    /// The provider's issuer (RFC 9207), when it sends it: must be the
    /// provider the sign-in was started with (mix-up defence).
    iss: Option<String>,
}

// The code and state are secrets of this sign-in.
ingang_policy::redacted_debug!(Callback);

/// `GET /sign-in/oidc/callback`: the provider's answer.
pub async fn callback(req: HttpRequest, query: web::Query<Callback>) -> HttpResponse {
    let visit = Visit::of(&req);
    let ctx = PageCtx::anonymous(&visit);
    let web = match Web::from_request(&req) {
        Ok(web) => web,
        Err(error) => return error.respond(&ctx).into_response(),
    };
    let Callback {
        code,
        state,
        error,
        iss,
    } = query.into_inner();
    if let Some(error) = error {
        return failed(&ctx, &format!("the provider answered {error}"));
    }
    let flow = req.cookie(FLOW_COOKIE).map(|c| c.value().to_owned());
    let parts: Option<(usize, String, String, String)> = flow.as_deref().and_then(|flow| {
        let mut parts = flow.splitn(4, '.');
        Some((
            parts.next()?.parse().ok()?,
            parts.next()?.to_owned(),
            parts.next()?.to_owned(),
            parts.next()?.to_owned(),
        ))
    });
    let (Some((index, expected_state, nonce, verifier)), Some(code), Some(state)) =
        (parts, code, state)
    else {
        return failed(&ctx, "the callback lacks its code, state or flow cookie");
    };
    if state != expected_state {
        return failed(&ctx, "the state does not match this browser's sign-in");
    }
    let named_issuer = web.config.providers.get(index).map(|p| p.issuer.as_str());
    if iss.is_some_and(|iss| Some(iss.as_str()) != named_issuer) {
        return failed(
            &ctx,
            "the answer names another issuer than the sign-in began with",
        );
    }
    let lifetime = web.config.session_lifetime;
    let context = visit.context.clone();
    let outcome = web::block(
        move || -> Result<Result<ingang_app::browser::SignedIn, ingang_app::AppError>, String> {
            let (provider, client) = client(&web, index)?;
            let tokens = client
                .exchange_code(AuthorizationCode::new(code))
                .map_err(|e| e.to_string())?
                .set_pkce_verifier(PkceCodeVerifier::new(verifier))
                .request(&http_client())
                .map_err(|e| format!("code exchange: {e}"))?;
            let id_token = tokens
                .id_token()
                .ok_or_else(|| "the provider sent no ID token".to_owned())?;
            let claims = id_token
                .claims(&client.id_token_verifier(), &Nonce::new(nonce))
                .map_err(|e| format!("ID token: {e}"))?;
            let subject = claims.subject().as_str().to_owned();
            let mut session = web.app.session().map_err(|e| format!("{e:?}"))?;
            Ok(session.sign_in_subject(&provider.issuer, &subject, lifetime, &context))
        },
    )
    .await;
    match outcome {
        Ok(Ok(Ok(signed))) => {
            // A page, not a redirect: the browser arrived from the
            // provider's site, and a SameSite=Strict cookie set now is sent
            // only with a navigation this site starts.
            let body = html! {
                h1 { (ctx.t(T::SignedIn)) }
                p { a href="/" { (ctx.t(T::Continue)) } }
            };
            let markup = layout::page_with_refresh(&ctx, ctx.t(T::SignedIn), body, "/");
            let mut response = layout::respond(StatusCode::OK, &markup).into_response();
            let _ = response.add_cookie(&strict_cookie(
                SESSION_COOKIE,
                signed.token.expose().to_owned(),
            ));
            let _ = response.add_cookie(&removal_at(FLOW_COOKIE, FLOW_PATH));
            response
        }
        Ok(Ok(Err(ingang_app::AppError::Unauthenticated(why)))) => failed(&ctx, why),
        Ok(Ok(Err(other))) => PageError::App(other).respond(&ctx).into_response(),
        Ok(Err(cause)) => failed(&ctx, &cause),
        Err(_) => failed(&ctx, "sign-in cancelled"),
    }
}

/// A sign-in that did not work: said plainly, the cause in the log only.
fn failed(ctx: &PageCtx, cause: &str) -> HttpResponse {
    log::warn!(target: "ingang::sign_in", request_id = ctx.request_id.as_str(); "OpenID Connect sign-in failed: {cause}");
    let body = html! {
        h1 { (ctx.t(T::SignInFailed)) }
        p.message { (ctx.t(T::SignInFailedText)) }
        p { a href="/sign-in" { (ctx.t(T::SignInAgain)) } }
    };
    layout::respond(
        StatusCode::UNAUTHORIZED,
        &layout::page(ctx, ctx.t(T::SignInFailed), body),
    )
    .into_response()
}
