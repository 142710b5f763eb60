//! The one error type of the HTTP layer, mapped to RFC 7807 problem+json
//! exactly once, here. Bodies carry a stable `type`, a title, a safe detail
//! and the request id; causes of 500s go to the server log only.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use ingang_app::AppError;
use ingang_policy::{DenyReason, Disclosure};
use serde::Serialize;
use std::fmt;

/// Prefix of every problem `type`; the slug after it is stable.
pub const PROBLEM_BASE: &str = "urn:ingang:problem:";

#[derive(Debug)]
pub enum ApiError {
    /// No or bad credentials (401).
    Unauthenticated(&'static str),
    /// The access decision said no; the reason decides 403, 404 or 410.
    Denied(DenyReason),
    /// Nothing at that id (404), or hidden exactly like it.
    NotFound,
    /// Something the caller may know of is not there (404), named.
    Absent {
        field: &'static str,
        detail: String,
    },
    /// A request field failed validation (400), naming the field.
    Invalid {
        field: String,
        detail: String,
    },
    /// The request as a whole is malformed (400).
    BadRequest(String),
    /// A path id is not a UUID (400).
    MalformedId,
    PayloadTooLarge,
    UnsupportedMediaType,
    /// The path exists but not with this method (405, with `Allow`).
    MethodNotAllowed {
        allow: String,
    },
    Conflict(&'static str),
    /// The request names an officer or agency that is not registered (409),
    /// naming the field.
    UnknownReference(&'static str),
    /// `If-Match` names an old version (412).
    PreconditionFailed {
        current_version: i32,
    },
    /// `If-Match` is missing (428).
    PreconditionRequired,
    /// The database is unreachable (503).
    Unavailable,
    /// The audit entry could not be stored: fail closed (503).
    AuditUnavailable,
    /// Anything else (500). The text is logged, never sent.
    Internal(String),
}

impl ApiError {
    pub fn invalid(field: impl Into<String>, detail: impl Into<String>) -> Self {
        ApiError::Invalid {
            field: field.into(),
            detail: detail.into(),
        }
    }

    fn slug_and_title(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::Unauthenticated(_) => ("unauthenticated", "Authentication required"),
            ApiError::Denied(reason) => match reason.disclosure() {
                Disclosure::Hidden => ("not-found", "Not found"),
                Disclosure::Gone => ("client-erased", "The client has been erased"),
                Disclosure::Forbidden => (reason.as_str(), "Access denied"),
            },
            ApiError::NotFound | ApiError::Absent { .. } => ("not-found", "Not found"),
            ApiError::Invalid { .. } => ("validation-failed", "A field is invalid"),
            ApiError::BadRequest(_) => ("bad-request", "The request is malformed"),
            ApiError::MalformedId => ("malformed-id", "An id in the path is not a UUID"),
            ApiError::PayloadTooLarge => ("payload-too-large", "The request body is too large"),
            ApiError::UnsupportedMediaType => (
                "unsupported-media-type",
                "The body must be application/json",
            ),
            ApiError::MethodNotAllowed { .. } => (
                "method-not-allowed",
                "This path does not support the method",
            ),
            ApiError::Conflict(_) => ("conflict", "Conflict"),
            ApiError::UnknownReference(_) => (
                "unknown-reference",
                "The request names something that is not registered",
            ),
            ApiError::PreconditionFailed { .. } => ("version-mismatch", "The record has changed"),
            ApiError::PreconditionRequired => ("if-match-required", "If-Match is required"),
            ApiError::Unavailable => ("service-unavailable", "The database is unavailable"),
            ApiError::AuditUnavailable => (
                "audit-unavailable",
                "The audit log is unavailable; nothing was returned",
            ),
            ApiError::Internal(_) => ("internal-error", "Internal error"),
        }
    }

    fn detail(&self) -> Option<String> {
        match self {
            ApiError::Unauthenticated(why) => Some((*why).to_owned()),
            ApiError::Denied(reason) => denial_detail(*reason).map(str::to_owned),
            ApiError::Invalid { detail, .. }
            | ApiError::BadRequest(detail)
            | ApiError::Absent { detail, .. } => Some(detail.clone()),
            ApiError::Conflict(detail) => Some((*detail).to_owned()),
            ApiError::UnknownReference(field) => Some(format!("no such {field}")),
            ApiError::PreconditionFailed { current_version } => Some(format!(
                "the current version is {current_version}; read it again and retry"
            )),
            ApiError::PreconditionRequired => {
                Some("send If-Match with the ETag of the version you read (not *)".into())
            }
            ApiError::MethodNotAllowed { allow } => Some(format!("allowed here: {allow}")),
            ApiError::NotFound
            | ApiError::MalformedId
            | ApiError::PayloadTooLarge
            | ApiError::UnsupportedMediaType
            | ApiError::Unavailable
            | ApiError::AuditUnavailable
            | ApiError::Internal(_) => None,
        }
    }
}

/// What a denial says in words: only to a caller who already knows the
/// client (403). A hidden or erased client gets no words beyond its status.
fn denial_detail(reason: DenyReason) -> Option<&'static str> {
    match reason {
        DenyReason::NotFound | DenyReason::NoAssignment | DenyReason::ClientErased => None,
        DenyReason::NoActiveConsent => Some("the client has no active consent covering you"),
        DenyReason::ConsentWithdrawn => Some("the client has withdrawn the consent covering you"),
        DenyReason::ConsentExpired => Some("the consent covering you has expired"),
        DenyReason::OutsideConsentScope => {
            Some("the consent does not cover this source agency or kind")
        }
        DenyReason::OfficerInactive => Some("the officer is not active"),
        DenyReason::RoleNotPermitted => Some("your role does not permit this"),
        DenyReason::NotAuthoringAgency => Some("only the authoring agency may change this record"),
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (slug, title) = self.slug_and_title();
        write!(f, "{slug}: {title}")
    }
}

/// The problem document (RFC 7807).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// Stable URN, `urn:ingang:problem:<slug>`.
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// For access denials: the machine-readable reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<DenyReason>)]
    pub reason: Option<String>,
    /// For validation errors: the offending field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            ApiError::Denied(reason) => match reason.disclosure() {
                Disclosure::Hidden => StatusCode::NOT_FOUND,
                Disclosure::Gone => StatusCode::GONE,
                Disclosure::Forbidden => StatusCode::FORBIDDEN,
            },
            ApiError::NotFound | ApiError::Absent { .. } => StatusCode::NOT_FOUND,
            ApiError::Invalid { .. } | ApiError::BadRequest(_) | ApiError::MalformedId => {
                StatusCode::BAD_REQUEST
            }
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) | ApiError::UnknownReference(_) => StatusCode::CONFLICT,
            ApiError::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
            ApiError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            ApiError::Unavailable | ApiError::AuditUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let (slug, title) = self.slug_and_title();
        // Only the field of one variant each; what a denial discloses was
        // decided by the exhaustive `DenyReason::disclosure`.
        let reason = if let ApiError::Denied(reason) = self {
            (reason.disclosure() == Disclosure::Forbidden).then(|| reason.as_str().to_owned())
        } else {
            None
        };
        let field = match self {
            ApiError::Invalid { field, .. } => Some(field.clone()),
            ApiError::UnknownReference(field) | ApiError::Absent { field, .. } => {
                Some((*field).to_owned())
            }
            ApiError::Unauthenticated(_)
            | ApiError::Denied(_)
            | ApiError::NotFound
            | ApiError::BadRequest(_)
            | ApiError::MalformedId
            | ApiError::PayloadTooLarge
            | ApiError::UnsupportedMediaType
            | ApiError::MethodNotAllowed { .. }
            | ApiError::Conflict(_)
            | ApiError::PreconditionFailed { .. }
            | ApiError::PreconditionRequired
            | ApiError::Unavailable
            | ApiError::AuditUnavailable
            | ApiError::Internal(_) => None,
        };
        let problem = Problem {
            problem_type: format!("{PROBLEM_BASE}{slug}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: self.detail(),
            reason,
            field,
        };
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        if matches!(self, ApiError::Unauthenticated(_)) {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"ingang\""));
        }
        if let ApiError::MethodNotAllowed { allow } = self {
            response.insert_header((header::ALLOW, allow.as_str()));
        }
        response.json(problem)
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        match error {
            AppError::Unauthenticated(why) => ApiError::Unauthenticated(why),
            AppError::Denied(reason) => ApiError::Denied(reason),
            AppError::NotFound => ApiError::NotFound,
            AppError::Absent { field, detail } => ApiError::Absent { field, detail },
            AppError::Invalid { field, detail } => ApiError::Invalid { field, detail },
            AppError::Conflict(what) => ApiError::Conflict(what),
            AppError::UnknownReference(field) => ApiError::UnknownReference(field),
            AppError::PreconditionFailed { current_version } => {
                ApiError::PreconditionFailed { current_version }
            }
            AppError::Unavailable => ApiError::Unavailable,
            // Decided again inside the application; out here only by a bug.
            AppError::Stale => {
                log::error!("a request decided kept first escaped its second decision");
                ApiError::Unavailable
            }
            AppError::NotKept => {
                log::error!("a request kept only escaped its decision on a worker thread");
                ApiError::Unavailable
            }
            AppError::AuditUnavailable => ApiError::AuditUnavailable,
            AppError::Internal(cause) => ApiError::Internal(cause),
        }
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(_: actix_web::error::BlockingError) -> Self {
        ApiError::Internal("blocking task was cancelled".into())
    }
}

pub use ingang_policy::sanitize_json_error;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_never_show_their_cause() {
        let response = ApiError::Internal("secret table xyz broke".into()).error_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let problem = format!("{:?}", ApiError::Internal("x".into()).detail());
        assert_eq!(problem, "None");
    }
}
