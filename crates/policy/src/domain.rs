//! Closed vocabularies shared by every layer: roles, record kinds, the audit
//! log's actions and verdicts, and how a consent was evidenced.
//!
//! Each is an enum with one stable text per variant: that text is what the
//! API sends, what the database stores (the store maps each to a `TEXT`
//! column, and a database rule admits only these texts) and what the audit
//! log shows, so a value outside the vocabulary cannot get past the parser.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Declares a closed vocabulary: the enum, `ALL`, `as_str`, `Display`, a
/// `FromStr` that accepts exactly the texts given, and (feature `diesel`)
/// its mapping to a `TEXT` column, implemented in `sql.rs`.
macro_rules! closed_vocabulary {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($what:literal) {
            $($(#[$variant_meta:meta])* $variant:ident = $text:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[cfg_attr(
            feature = "diesel",
            derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)
        )]
        #[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
        pub enum $name {
            $($(#[$variant_meta])* $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: [$name; [$($text),+].len()] = [$($name::$variant),+];

            /// The stable text (API, database, audit log).
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(format!(concat!("unknown ", $what, " '{}'"), s)),
                }
            }
        }
    };
}
pub(crate) use closed_vocabulary;

closed_vocabulary! {
    /// What a token (and an account) may be used for.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    #[serde(rename_all = "snake_case")]
    pub enum Role ("role") {
        Officer = "officer",
        Coordinator = "coordinator",
        System = "system",
        Auditor = "auditor",
        Admin = "admin",
    }
}

closed_vocabulary! {
    /// The kinds of shared documentation named in the source documents.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    #[serde(rename_all = "snake_case")]
    pub enum RecordKind ("record kind") {
        ActionPlan = "action_plan",
        Assessment = "assessment",
        FollowUp = "follow_up",
        MeetingNote = "meeting_note",
        Closure = "closure",
        Note = "note",
    }
}

closed_vocabulary! {
    /// How the client's signature on a consent was given.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub enum EvidenceMethod ("evidence method") {
        #[serde(rename = "paper")]
        Paper = "paper",
        #[serde(rename = "e-signature")]
        ESignature = "e-signature",
    }
}

closed_vocabulary! {
    /// What an audit entry records was asked for: the audit log's stable
    /// names, also carried by permits. `record.create` and `record.update`
    /// are the two forms of writing a record.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub enum AuditAction ("audit action") {
        #[serde(rename = "client.read")]
        ReadClient = "client.read",
        #[serde(rename = "record.list")]
        ListRecords = "record.list",
        #[serde(rename = "plan.read")]
        ViewPlan = "plan.read",
        #[serde(rename = "record.read")]
        ReadRecord = "record.read",
        #[serde(rename = "record.create")]
        CreateRecord = "record.create",
        #[serde(rename = "record.update")]
        UpdateRecord = "record.update",
        #[serde(rename = "client.search")]
        SearchClient = "client.search",
        #[serde(rename = "consent.manage")]
        ManageConsents = "consent.manage",
        #[serde(rename = "assignment.manage")]
        ManageAssignment = "assignment.manage",
        #[serde(rename = "assignment.read")]
        ReadAssignments = "assignment.read",
        #[serde(rename = "client.protect")]
        ProtectIdentity = "client.protect",
        #[serde(rename = "client.erase")]
        EraseClient = "client.erase",
        #[serde(rename = "client.list")]
        ListClients = "client.list",
        #[serde(rename = "client.access_log")]
        ReadAccessLog = "client.access_log",
        #[serde(rename = "client.register")]
        RegisterClient = "client.register",
        #[serde(rename = "agency.manage")]
        ManageAgencies = "agency.manage",
        #[serde(rename = "officer.manage")]
        ManageOfficers = "officer.manage",
        #[serde(rename = "audit.query")]
        QueryAudit = "audit.query",
        /// An export of the log.
        #[serde(rename = "audit.export")]
        ExportAudit = "audit.export",
        /// A checkpoint, the log's key, or an inclusion or consistency proof.
        #[serde(rename = "audit.proof")]
        ProveAudit = "audit.proof",
        /// A verification of the whole log.
        #[serde(rename = "audit.verify")]
        VerifyAudit = "audit.verify",
        /// A browser session began (the web page's sign-in).
        #[serde(rename = "session.start")]
        SignIn = "session.start",
        /// A browser session was ended by signing out.
        #[serde(rename = "session.end")]
        SignOut = "session.end",
    }
}

closed_vocabulary! {
    /// The outcome an audit entry records.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Verdict ("verdict") {
        Allow = "allow",
        Deny = "deny",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text each vocabulary stores is the text serde sends, and every
    /// text parses back to its value.
    fn round_trips<T>(all: &[T])
    where
        T: Copy + fmt::Display + FromStr + Serialize + PartialEq + fmt::Debug,
        <T as FromStr>::Err: fmt::Debug,
    {
        for value in all {
            let text = value.to_string();
            assert_eq!(text.parse::<T>().ok(), Some(*value));
            assert_eq!(
                serde_json::to_value(value).ok(),
                Some(serde_json::Value::String(text))
            );
        }
    }

    #[test]
    fn every_vocabulary_round_trips_through_its_text_and_serde() {
        round_trips(&Role::ALL);
        round_trips(&RecordKind::ALL);
        round_trips(&EvidenceMethod::ALL);
        round_trips(&AuditAction::ALL);
        round_trips(&Verdict::ALL);
        round_trips(&crate::DenyReason::ALL);
    }

    #[test]
    fn unknown_texts_are_refused_by_name() {
        assert_eq!(
            "fax".parse::<EvidenceMethod>(),
            Err("unknown evidence method 'fax'".to_owned())
        );
        assert!("Record.Read".parse::<AuditAction>().is_err());
        assert!("".parse::<Role>().is_err());
    }
}
