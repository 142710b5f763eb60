//! Timestamps are stored as microseconds since the Unix epoch (UTC): one
//! portable integer column on every backend.

use chrono::{DateTime, Utc};

pub fn to_micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

pub fn from_micros(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or(DateTime::<Utc>::MIN_UTC)
}
