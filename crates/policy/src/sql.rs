//! How the domain's ids and vocabularies are stored (feature `diesel`, which
//! only the store enables): every id, agency code and record kind is a
//! `TEXT` column, and so is every closed vocabulary (roles, record kinds,
//! evidence methods, audit actions, verdicts and deny reasons), so a query
//! names `ClientId` where it means one and a row struct holds a
//! `RecordKind`, never a string that might be anything.
//!
//! Reading goes through `String` and the type's own parser, on any backend:
//! a stored value the domain would refuse is an error, not a silent
//! default. Writing a UUID id needs each backend's own form of text (SQLite
//! takes an owned value, PostgreSQL the bytes), so it is written out per
//! backend; the store adds the impl for its connection enum's backend.

use crate::{
    AgencyCode, AssignmentId, AuditAction, ClientId, ConsentId, DenyReason, EvidenceMethod,
    OfficerId, RecordId, RecordKind, Role, Verdict,
};
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::pg::Pg;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::Text;
use diesel::sqlite::Sqlite;
use std::io::Write;

/// Reads `TEXT` as a string and parses it with the type's `FromStr`.
macro_rules! text_from_sql {
    ($($name:ident),+) => {$(
        impl<DB: Backend> FromSql<Text, DB> for $name
        where
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let text = <String as FromSql<Text, DB>>::from_sql(bytes)?;
                text.parse::<$name>().map_err(|e| {
                    format!("stored {} is invalid: {e}", stringify!($name)).into()
                })
            }
        }
    )+};
}

/// UUID ids are written in their hyphenated lowercase form.
macro_rules! uuid_to_sql {
    ($($name:ident),+) => {$(
        impl ToSql<Text, Sqlite> for $name {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
                out.set_value(self.to_string());
                Ok(IsNull::No)
            }
        }

        impl ToSql<Text, Pg> for $name {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                let mut buffer = uuid::Uuid::encode_buffer();
                out.write_all(self.0.hyphenated().encode_lower(&mut buffer).as_bytes())?;
                Ok(IsNull::No)
            }
        }
    )+};
}

// The ids: read by parsing, written as hyphenated UUIDs.
text_from_sql!(ClientId, OfficerId, ConsentId, RecordId, AssignmentId);
uuid_to_sql!(ClientId, OfficerId, ConsentId, RecordId, AssignmentId);

/// Agency codes and vocabularies are text already: read by parsing,
/// written as their `str` on any backend that writes a `str`.
macro_rules! str_text_column {
    ($($name:ident),+) => {$(
        text_from_sql!($name);

        impl<DB: Backend> ToSql<Text, DB> for $name
        where
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                <str as ToSql<Text, DB>>::to_sql(self.as_str(), out)
            }
        }
    )+};
}

str_text_column!(
    AgencyCode,
    RecordKind,
    Role,
    EvidenceMethod,
    AuditAction,
    Verdict,
    DenyReason
);
