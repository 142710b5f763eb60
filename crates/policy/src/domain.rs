//! Closed vocabularies shared by every layer: roles and record kinds.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a token (and an account) may be used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Officer,
    Coordinator,
    System,
    Auditor,
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Officer,
        Role::Coordinator,
        Role::System,
        Role::Auditor,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Officer => "officer",
            Role::Coordinator => "coordinator",
            Role::System => "system",
            Role::Auditor => "auditor",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown role '{s}'"))
    }
}

/// The kinds of shared documentation named in the source documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "diesel",
    derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)
)]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    ActionPlan,
    Assessment,
    FollowUp,
    MeetingNote,
    Closure,
    Note,
}

impl RecordKind {
    pub const ALL: [RecordKind; 6] = [
        RecordKind::ActionPlan,
        RecordKind::Assessment,
        RecordKind::FollowUp,
        RecordKind::MeetingNote,
        RecordKind::Closure,
        RecordKind::Note,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::ActionPlan => "action_plan",
            RecordKind::Assessment => "assessment",
            RecordKind::FollowUp => "follow_up",
            RecordKind::MeetingNote => "meeting_note",
            RecordKind::Closure => "closure",
            RecordKind::Note => "note",
        }
    }
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RecordKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RecordKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown record kind '{s}'"))
    }
}
