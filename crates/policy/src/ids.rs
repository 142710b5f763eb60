//! Identifier newtypes. Each wraps a UUID (or, for agencies, a short code) so
//! that an officer id can never be passed where a client id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "diesel", derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow))]
        #[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh random (v4) id.
            pub fn new_random() -> Self {
                Self(Uuid::new_v4())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        // Ids are not personal data; showing them in Debug output helps logs.
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0.hyphenated())
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

uuid_id!(
    /// A registered client (the person the records are about).
    ClientId
);
uuid_id!(
    /// A named officer or a system (service) account.
    OfficerId
);
uuid_id!(
    /// A signed consent (samtycke / sekretessmedgivande).
    ConsentId
);
uuid_id!(
    /// A shared record (one entry, with all its versions).
    RecordId
);
uuid_id!(
    /// An officer's assignment to a client.
    AssignmentId
);

/// An agency code such as `af` or `soc`: 2–32 characters of `a-z`, `0-9`, `-`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[cfg_attr(
    feature = "diesel",
    derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)
)]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
#[serde(transparent)]
pub struct AgencyCode(String);

/// Why an agency code was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidAgencyCode;

impl fmt::Display for InvalidAgencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an agency code is 2-32 characters of a-z, 0-9 and '-', starting with a letter")
    }
}

impl std::error::Error for InvalidAgencyCode {}

impl AgencyCode {
    pub fn parse(code: &str) -> Result<Self, InvalidAgencyCode> {
        let valid_length = (2..=32).contains(&code.len());
        let starts_with_letter = code.bytes().next().is_some_and(|b| b.is_ascii_lowercase());
        let valid_chars = code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if valid_length && starts_with_letter && valid_chars {
            Ok(Self(code.to_owned()))
        } else {
            Err(InvalidAgencyCode)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for AgencyCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        AgencyCode::parse(&raw).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for AgencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for AgencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AgencyCode({})", self.0)
    }
}

impl FromStr for AgencyCode {
    type Err = InvalidAgencyCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agency_codes() {
        assert!(AgencyCode::parse("af").is_ok());
        assert!(AgencyCode::parse("region-psyk2").is_ok());
        for bad in ["", "a", "AF", "2af", "af_x", "a b", &"x".repeat(33)] {
            assert!(AgencyCode::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn ids_parse_and_print() {
        let id = ClientId::new_random();
        assert_eq!(id.to_string().parse::<ClientId>().unwrap(), id);
        assert!("not-a-uuid".parse::<ClientId>().is_err());
    }
}
