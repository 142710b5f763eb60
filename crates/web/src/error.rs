//! Every failure of a page, mapped to what the visitor sees exactly once.
//! A hidden client is answered exactly as one that does not exist (same
//! status, same page); a refusal the visitor may learn about says in plain
//! words what is missing; causes of internal errors go to the log only.

use crate::i18n::T;
use crate::pages::layout::{self, PageCtx, Rendered};
use actix_web::http::StatusCode;
use ingang_app::AppError;
use ingang_policy::Disclosure;
use maud::html;

#[derive(Debug)]
pub enum PageError {
    /// No session, or one that ended or expired: to the sign-in page.
    SignInRequired,
    /// A form came without its session's CSRF token.
    Csrf,
    /// A path id that is not an id: shown as a missing client.
    MalformedId,
    /// What a use case refused or failed with.
    App(AppError),
    /// Anything else; the text is for the log only.
    Internal(String),
}

impl From<AppError> for PageError {
    fn from(error: AppError) -> Self {
        PageError::App(error)
    }
}

impl PageError {
    /// The page for this failure, in the visitor's language.
    pub fn respond(self, ctx: &PageCtx) -> Rendered {
        let lang = ctx.lang;
        let (status, title, text) = match self {
            PageError::SignInRequired | PageError::App(AppError::Unauthenticated(_)) => {
                return layout::redirect("/sign-in");
            }
            PageError::Csrf => (
                StatusCode::FORBIDDEN,
                T::RefusedTitle,
                T::CsrfRefused.in_(lang),
            ),
            PageError::MalformedId
            | PageError::App(AppError::NotFound | AppError::Absent { .. }) => (
                StatusCode::NOT_FOUND,
                T::NotFoundTitle,
                T::NotFoundText.in_(lang),
            ),
            PageError::App(AppError::Denied(reason)) => match reason.disclosure() {
                Disclosure::Hidden => (
                    StatusCode::NOT_FOUND,
                    T::NotFoundTitle,
                    T::NotFoundText.in_(lang),
                ),
                Disclosure::Gone => (StatusCode::GONE, T::GoneTitle, T::GoneText.in_(lang)),
                Disclosure::Forbidden => {
                    (StatusCode::FORBIDDEN, T::RefusedTitle, lang.refusal(reason))
                }
            },
            PageError::App(AppError::Invalid { .. }) => (
                StatusCode::BAD_REQUEST,
                T::BadRequestTitle,
                T::BadRequestTitle.in_(lang),
            ),
            PageError::App(
                AppError::Conflict(_)
                | AppError::UnknownReference(_)
                | AppError::PreconditionFailed { .. },
            ) => (StatusCode::CONFLICT, T::ErrorTitle, T::ErrorText.in_(lang)),
            // `Stale` and `NotKept` are decided again inside the
            // application or the API; here only by a bug, answered like an
            // outage.
            PageError::App(
                AppError::Unavailable
                | AppError::AuditUnavailable
                | AppError::Stale
                | AppError::NotKept,
            ) => (
                StatusCode::SERVICE_UNAVAILABLE,
                T::UnavailableTitle,
                T::UnavailableText.in_(lang),
            ),
            PageError::App(AppError::Internal(cause)) | PageError::Internal(cause) => {
                log::error!(target: "ingang::error", request_id = ctx.request_id.as_str(); "internal error on a page: {cause}");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    T::ErrorTitle,
                    T::ErrorText.in_(lang),
                )
            }
        };
        let body = html! {
            h1 { (title.in_(lang)) }
            p.message { (text) }
            p { a href="/" { (T::ToStart.in_(lang)) } }
        };
        layout::respond(status, &layout::page(ctx, title.in_(lang), body))
    }
}
