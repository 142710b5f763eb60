//! The one error type of the use cases. Closed: every layer above maps each
//! variant once (the HTTP layer to a status and problem document).

use ingang_policy::DenyReason;
use ingang_store::StoreError;

#[derive(Debug)]
pub enum AppError {
    /// The credentials name no usable account (401).
    Unauthenticated(&'static str),
    /// The access decision said no; the reason decides what the caller learns.
    Denied(DenyReason),
    /// Nothing at that id, or hidden exactly like it.
    NotFound,
    /// Something the caller may know of is not there (a checkpoint of the
    /// audit log), naming the request field; nothing is hidden by it.
    Absent { field: &'static str, detail: String },
    /// An input field failed validation, naming the field.
    Invalid { field: String, detail: String },
    /// A uniqueness or state rule was broken; the text is safe to show.
    Conflict(&'static str),
    /// The input names something that is not registered (an officer, an
    /// agency): the request conflicts with what the service holds.
    UnknownReference(&'static str),
    /// The stored version is not one the caller named (optimistic concurrency).
    PreconditionFailed { current_version: i32 },
    /// The database is unreachable.
    Unavailable,
    /// The audit entry could not be stored: the request fails closed.
    AuditUnavailable,
    /// The request was decided kept first (`Session::kept_first`) and what
    /// it relied on changed before its entries were stored: nothing was
    /// stored or given out, and it is decided again on the database. Never
    /// reaches a caller but through a bug (then 503, like an outage).
    Stale,
    /// A request that was to take only what this process keeps in memory
    /// (`Session::read_kept_record`) needed the database: nothing was
    /// stored, and it is decided on a thread that may wait. Never reaches
    /// a caller but through a bug (then 503).
    NotKept,
    /// Anything else. The text is for the log only, never for the caller.
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn invalid(field: impl Into<String>, detail: impl Into<String>) -> Self {
        AppError::Invalid {
            field: field.into(),
            detail: detail.into(),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Conflict(what) => AppError::Conflict(what),
            StoreError::UnknownReference(field) => AppError::UnknownReference(field),
            StoreError::VersionMismatch { current } => AppError::PreconditionFailed {
                current_version: current,
            },
            StoreError::Unavailable(cause) => {
                log::warn!("database unavailable: {cause}");
                AppError::Unavailable
            }
            // Only erasure destroys a data key: a request that raced one is
            // answered as any later request about the client is.
            StoreError::KeyDestroyed => AppError::Denied(ingang_policy::DenyReason::ClientErased),
            StoreError::Stale => AppError::Stale,
            StoreError::NotKept => AppError::NotKept,
            StoreError::AuditUnavailable(cause) => {
                log::error!("audit append failed, request refused: {cause}");
                AppError::AuditUnavailable
            }
            error @ (StoreError::Migration(_)
            | StoreError::Crypto(_)
            | StoreError::Database(_)
            | StoreError::Corrupt(_)
            | StoreError::PermitMismatch(_)) => AppError::Internal(error.to_string()),
        }
    }
}
