//! Who is looking at a page: the language they chose, the session cookie
//! and, once resolved through the application, the signed-in caller.

use crate::error::PageError;
use crate::i18n::Lang;
use crate::Web;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::{HttpMessage, HttpRequest};
use ingang_app::browser::{BrowserCaller, SessionToken};
use ingang_app::RequestContext;

/// The session cookie: the random token only.
pub const SESSION_COOKIE: &str = "ingang_session";
/// The chosen language (`sv` or `en`).
pub const LANG_COOKIE: &str = "ingang_lang";
/// The sign-in form's CSRF value, before there is a session.
pub const SIGN_IN_COOKIE: &str = "ingang_sign_in";

/// What a request brings before anything is looked up.
#[derive(Debug, Clone)]
pub struct Visit {
    pub lang: Lang,
    pub token: Option<SessionToken>,
    pub context: RequestContext,
    /// The path and query, for the language switch's way back.
    pub here: String,
}

impl Visit {
    pub fn of(req: &HttpRequest) -> Visit {
        let lang = req
            .cookie(LANG_COOKIE)
            .and_then(|c| Lang::from_code(c.value()))
            .unwrap_or(Lang::Sv);
        let token = req
            .cookie(SESSION_COOKIE)
            .map(|c| SessionToken::from_cookie(c.value()));
        let context = req
            .extensions()
            .get::<RequestContext>()
            .cloned()
            .unwrap_or_else(|| RequestContext {
                request_id: uuid::Uuid::new_v4().to_string(),
                source_addr: None,
            });
        let here = req
            .uri()
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
        Visit {
            lang,
            token,
            context,
            here,
        }
    }
}

/// A signed-in visitor on one page load.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub caller: BrowserCaller,
    pub token: SessionToken,
}

impl SignedIn {
    pub fn csrf(&self) -> String {
        self.token.csrf_token()
    }

    /// Refuses a form that does not carry this session's CSRF token.
    pub fn require_csrf(&self, posted: &crate::forms::Posted) -> Result<(), PageError> {
        if self.token.csrf_matches(posted.get("csrf")) {
            Ok(())
        } else {
            Err(PageError::Csrf)
        }
    }
}

/// Resolves the session cookie to a caller (blocking: call inside
/// [`crate::pages::blocking`]).
pub fn signed_in(
    session: &mut ingang_app::Session<'_>,
    visit: &Visit,
) -> Result<SignedIn, PageError> {
    let token = visit.token.clone().ok_or(PageError::SignInRequired)?;
    let caller = session
        .browser_caller(
            &token,
            visit.context.request_id.clone(),
            visit.context.source_addr.clone(),
        )
        // An unauthenticated session goes to the sign-in (PageError::respond).
        .map_err(PageError::App)?;
    Ok(SignedIn { caller, token })
}

/// A cookie only this site's pages see: `Secure`, `HttpOnly`,
/// `SameSite=Strict`, for the whole site.
pub fn strict_cookie(name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Strict)
        .finish()
}

/// Removes a cookie set for `path`.
pub fn removal_at(name: &'static str, path: &'static str) -> Cookie<'static> {
    let mut cookie = Cookie::build(name, "")
        .path(path)
        .secure(true)
        .http_only(true)
        .finish();
    cookie.make_removal();
    cookie
}

/// Removes a cookie set by [`strict_cookie`].
pub fn removal(name: &'static str) -> Cookie<'static> {
    let mut cookie = strict_cookie(name, String::new());
    cookie.make_removal();
    cookie
}

/// Where a language switch may send the browser back to: a path of this
/// site only.
pub fn safe_return_path(back: &str) -> &str {
    let local = back.starts_with('/') && !back.starts_with("//") && !back.contains('\\');
    if local {
        back
    } else {
        "/"
    }
}

impl Web {
    pub fn from_request(req: &HttpRequest) -> Result<actix_web::web::Data<Web>, PageError> {
        req.app_data::<actix_web::web::Data<Web>>()
            .cloned()
            .ok_or_else(|| PageError::Internal("web state missing".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_way_back_stays_on_this_site() {
        assert_eq!(safe_return_path("/clients?x=1"), "/clients?x=1");
        assert_eq!(safe_return_path("//evil.example/"), "/");
        assert_eq!(safe_return_path("https://evil.example/"), "/");
        assert_eq!(safe_return_path("/\\evil.example"), "/");
    }
}
