//! Per-kind validation of record bodies (docs/api.md). Unknown fields are
//! refused; errors name the field and never echo values.

use crate::{sanitize_json_error, AgencyCode, OfficerId, RecordKind};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;

const MAX_TEXT: usize = 20_000;

/// A body that does not fit its kind: the field (`body.goals`,
/// `body.activities[0].to`, …) and what is wrong, never the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyError {
    pub field: String,
    pub detail: String,
}

impl BodyError {
    fn new(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            detail: detail.into(),
        }
    }
}

/// Activity types of an action plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ActivityType {
    Work,
    /// Work with a wage subsidy (lönebidrag, nystartsjobb, …).
    SubsidisedWork,
    Internship,
    Studies,
    /// Sick leave or rest: an absence, not a use of time.
    SickLeave,
    Treatment,
    Other,
}

impl ActivityType {
    pub const ALL: [ActivityType; 7] = [
        ActivityType::Work,
        ActivityType::SubsidisedWork,
        ActivityType::Internship,
        ActivityType::Studies,
        ActivityType::SickLeave,
        ActivityType::Treatment,
        ActivityType::Other,
    ];

    /// Work, subsidised work, internship and studies: what sick leave
    /// excludes (`excluding-activities`).
    pub fn is_occupation(self) -> bool {
        match self {
            ActivityType::Work
            | ActivityType::SubsidisedWork
            | ActivityType::Internship
            | ActivityType::Studies => true,
            ActivityType::SickLeave | ActivityType::Treatment | ActivityType::Other => false,
        }
    }
}

/// One activity of an action plan; `to` is not before `from` (both days
/// included).
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Activity {
    #[serde(rename = "type")]
    pub activity_type: ActivityType,
    /// Share of full time, 1–100.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 100))]
    #[serde(deserialize_with = "whole_number")]
    pub extent_percent: u8,
    pub from: NaiveDate,
    /// Not before `from`.
    pub to: NaiveDate,
    /// The agency responsible for this activity (SIP).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<AgencyCodeText>))]
    pub responsible: Option<String>,
    /// The officer responsible for this activity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<uuid::Uuid>))]
    pub responsible_officer: Option<OfficerId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Text>))]
    pub description: Option<String>,
}

/// The body of an `action_plan`: one agency's plan, shaped like a SIP
/// (samordnad individuell plan).
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ActionPlan {
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Text>, min_items = 1))]
    pub goals: Vec<String>,
    /// The person's own goals, in their own words.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Text>))]
    pub own_goals: Vec<String>,
    /// The agency holding overall responsibility (SIP).
    #[cfg_attr(feature = "openapi", schema(value_type = AgencyCodeText))]
    pub overall_responsibility: String,
    /// When the plan is to be followed up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up_on: Option<NaiveDate>,
    /// When the plan was agreed with the client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreed_with_client_on: Option<NaiveDate>,
    pub activities: Vec<Activity>,
}

/// Areas of an assessment (kartläggning).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AssessmentArea {
    Health,
    WorkCapacity,
    Education,
    Language,
    Housing,
    Finances,
    SocialNetwork,
    SubstanceUse,
    Other,
}

/// What an assessment says about one area.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AreaNote {
    pub area: AssessmentArea,
    #[cfg_attr(feature = "openapi", schema(value_type = Text))]
    pub text: String,
}

/// Where a follow-up finds one goal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum GoalStatus {
    Achieved,
    Progressing,
    NotStarted,
    Dropped,
}

/// One goal's status at a follow-up.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GoalProgress {
    #[cfg_attr(feature = "openapi", schema(value_type = Text))]
    pub goal: String,
    pub status: GoalStatus,
}

/// How a client's time in ingång ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ClosureOutcome {
    Work,
    SubsidisedWork,
    Studies,
    /// Handed over to another agency.
    OtherAgency,
    /// Neither work nor studies.
    #[serde(rename = "none")]
    NoOutcome,
}

impl ClosureOutcome {
    /// The sources ask for a clear analysis when a person leaves without
    /// work or studies.
    pub fn needs_analysis(self) -> bool {
        match self {
            ClosureOutcome::OtherAgency | ClosureOutcome::NoOutcome => true,
            ClosureOutcome::Work | ClosureOutcome::SubsidisedWork | ClosureOutcome::Studies => {
                false
            }
        }
    }
}

/// The body of an `assessment` (kartläggning). Every text kind also takes
/// `date` and `agencies`, as each did before the kinds had shapes of their
/// own, so bodies written then stay valid.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Assessment {
    #[cfg_attr(feature = "openapi", schema(value_type = Text))]
    pub text: String,
    #[serde(default)]
    pub areas: Vec<AreaNote>,
    #[serde(default)]
    pub date: Option<NaiveDate>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<AgencyCodeText>))]
    pub agencies: Vec<String>,
}

/// The body of a `follow_up`.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FollowUp {
    #[cfg_attr(feature = "openapi", schema(value_type = Text))]
    pub text: String,
    /// The day of the follow-up (else the day it was written).
    #[serde(default)]
    pub date: Option<NaiveDate>,
    #[serde(default)]
    pub goals: Vec<GoalProgress>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<AgencyCodeText>))]
    pub agencies: Vec<String>,
}

/// The body of a `meeting_note` (avstämningsmöte).
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MeetingNote {
    #[cfg_attr(feature = "openapi", schema(value_type = Text))]
    pub text: String,
    #[serde(default)]
    pub date: Option<NaiveDate>,
    /// The agencies at the meeting.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<AgencyCodeText>))]
    pub agencies: Vec<String>,
    #[serde(default)]
    pub client_present: Option<bool>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Text>))]
    pub decisions: Vec<String>,
    #[serde(default)]
    pub next_meeting_on: Option<NaiveDate>,
}

/// The body of a `closure` (avslut). `analysis` is required when the
/// outcome is `other_agency` or `none`.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Closure {
    #[cfg_attr(feature = "openapi", schema(value_type = Text))]
    pub text: String,
    #[serde(default)]
    pub date: Option<NaiveDate>,
    #[serde(default)]
    pub outcome: Option<ClosureOutcome>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Text>))]
    pub analysis: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<AgencyCodeText>))]
    pub agencies: Vec<String>,
}

/// The body of a `note`.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Note {
    #[cfg_attr(feature = "openapi", schema(value_type = Text))]
    pub text: String,
    #[serde(default)]
    pub date: Option<NaiveDate>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<AgencyCodeText>))]
    pub agencies: Vec<String>,
}

/// The pattern of free text in the contract: at least one character outside
/// Unicode's White_Space set (what [`is_blank`] checks), spelled out so
/// every regex dialect reads it alike.
pub const TEXT_PATTERN: &str = "[^\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";

/// The pattern of agency codes in the contract ([`AgencyCode::parse`]).
pub const AGENCY_CODE_PATTERN: &str = "^[a-z][a-z0-9-]{1,31}$";

/// A string schema with a pattern and, if given, a maximum length.
#[cfg(feature = "openapi")]
fn string_schema(
    pattern: &str,
    max_length: Option<usize>,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .pattern(Some(pattern))
        .max_length(max_length)
        .into()
}

/// Free text as the contract states it (schema only).
#[cfg(feature = "openapi")]
pub struct Text;

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Text {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        string_schema(TEXT_PATTERN, Some(MAX_TEXT))
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Text {}

/// An agency code as the contract states it (schema only).
#[cfg(feature = "openapi")]
pub struct AgencyCodeText;

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for AgencyCodeText {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        string_schema(AGENCY_CODE_PATTERN, None)
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for AgencyCodeText {}

crate::redacted_debug!(
    Activity,
    ActionPlan,
    AreaNote,
    Assessment,
    GoalProgress,
    FollowUp,
    MeetingNote,
    Closure,
    Note
);

/// A JSON integer as JSON Schema counts integers: `15` and `15.0` alike.
fn whole_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u8, D::Error> {
    let number = serde_json::Number::deserialize(deserializer)?;
    let whole = match (number.as_u64(), number.as_f64()) {
        (Some(n), _) => Some(n),
        (None, Some(f)) if f.fract() == 0.0 && (0.0..=255.0).contains(&f) => Some(f as u64),
        (None, Some(_) | None) => None,
    };
    whole
        .and_then(|n| u8::try_from(n).ok())
        .ok_or_else(|| serde::de::Error::custom("expected a whole number from 1 to 100"))
}

/// Parses a record body, naming the field a type error is in
/// (`body.activities[0].type`), never its value.
fn parse<T: serde::de::DeserializeOwned>(body: &Value) -> Result<T, BodyError> {
    parse_named(body, "body")
}

/// Parses `value` as a `T`; an error names the field it is in, below
/// `root` (`""` for a whole request: `recipients.agencies[1]`), never the
/// value sent.
pub fn parse_named<T: serde::de::DeserializeOwned>(
    value: &Value,
    root: &str,
) -> Result<T, BodyError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let message = e.inner().to_string();
        // An unknown field is named by its parent: its own name is the
        // sender's text, and error bodies never echo what was sent.
        let segments = e.path().iter().count();
        let shown = if message.starts_with("unknown field") {
            segments.saturating_sub(1)
        } else {
            segments
        };
        let mut field = String::from(root);
        for segment in e.path().iter().take(shown) {
            match segment {
                serde_path_to_error::Segment::Seq { index } => {
                    field.push_str(&format!("[{index}]"))
                }
                serde_path_to_error::Segment::Map { key } => {
                    if !field.is_empty() {
                        field.push('.');
                    }
                    field.push_str(key);
                }
                serde_path_to_error::Segment::Enum { variant } => {
                    if !field.is_empty() {
                        field.push('.');
                    }
                    field.push_str(variant);
                }
                serde_path_to_error::Segment::Unknown => field.push_str(".?"),
            }
        }
        // A missing field is named by its parent in the path; serde's
        // message names it (one of ours, never the sender's text).
        if let Some(missing) = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
        {
            if !field.is_empty() {
                field.push('.');
            }
            field.push_str(missing);
        }
        if field.is_empty() {
            // The whole value is of the wrong shape, or has a field it
            // should not.
            field.push_str("body");
        }
        BodyError::new(field, sanitize_json_error(&message))
    })
}

/// Whether `value` has a character outside Unicode's White_Space set: the
/// same set the contract's pattern for free text lists, so that a client
/// validating against the contract agrees with the server.
pub fn is_blank(value: &str) -> bool {
    value.chars().all(char::is_whitespace)
}

fn text(field: &str, value: &str) -> Result<(), BodyError> {
    if is_blank(value) {
        return Err(BodyError::new(field, "must not be empty"));
    }
    if value.chars().count() > MAX_TEXT {
        return Err(BodyError::new(
            field,
            format!("must be at most {MAX_TEXT} characters"),
        ));
    }
    Ok(())
}

fn agency(field: &str, code: &str) -> Result<(), BodyError> {
    AgencyCode::parse(code)
        .map(|_| ())
        .map_err(|e| BodyError::new(field, e.to_string()))
}

fn texts(field: &str, values: &[String]) -> Result<(), BodyError> {
    values
        .iter()
        .enumerate()
        .try_for_each(|(i, value)| text(&format!("{field}[{i}]"), value))
}

fn agencies(field: &str, codes: &[String]) -> Result<(), BodyError> {
    codes
        .iter()
        .enumerate()
        .try_for_each(|(i, code)| agency(&format!("{field}[{i}]"), code))
}

/// Parses and checks an action plan body, naming the first field that is
/// wrong.
pub fn action_plan(body: &Value) -> Result<ActionPlan, BodyError> {
    let plan: ActionPlan = parse(body)?;
    if plan.goals.is_empty() {
        return Err(BodyError::new("body.goals", "name at least one goal"));
    }
    texts("body.goals", &plan.goals)?;
    texts("body.own_goals", &plan.own_goals)?;
    agency("body.overall_responsibility", &plan.overall_responsibility)?;
    for (i, activity) in plan.activities.iter().enumerate() {
        if !(1..=100).contains(&activity.extent_percent) {
            return Err(BodyError::new(
                format!("body.activities[{i}].extent_percent"),
                "must be 1-100",
            ));
        }
        if activity.to < activity.from {
            return Err(BodyError::new(
                format!("body.activities[{i}].to"),
                "must not be before from",
            ));
        }
        if let Some(code) = &activity.responsible {
            agency(&format!("body.activities[{i}].responsible"), code)?;
        }
        if let Some(description) = &activity.description {
            text(&format!("body.activities[{i}].description"), description)?;
        }
    }
    Ok(plan)
}

/// Validates `body` for `kind`.
pub fn validate(kind: RecordKind, body: &Value) -> Result<(), BodyError> {
    if !body.is_object() {
        return Err(BodyError::new("body", "must be a JSON object"));
    }
    match kind {
        RecordKind::ActionPlan => {
            action_plan(body)?;
        }
        RecordKind::Assessment => {
            let entry: Assessment = parse(body)?;
            text("body.text", &entry.text)?;
            for (i, area) in entry.areas.iter().enumerate() {
                text(&format!("body.areas[{i}].text"), &area.text)?;
            }
            agencies("body.agencies", &entry.agencies)?;
        }
        RecordKind::FollowUp => {
            let entry: FollowUp = parse(body)?;
            text("body.text", &entry.text)?;
            for (i, goal) in entry.goals.iter().enumerate() {
                text(&format!("body.goals[{i}].goal"), &goal.goal)?;
            }
            agencies("body.agencies", &entry.agencies)?;
        }
        RecordKind::MeetingNote => {
            let entry: MeetingNote = parse(body)?;
            text("body.text", &entry.text)?;
            agencies("body.agencies", &entry.agencies)?;
            texts("body.decisions", &entry.decisions)?;
        }
        RecordKind::Closure => {
            let entry: Closure = parse(body)?;
            text("body.text", &entry.text)?;
            match (entry.outcome, &entry.analysis) {
                (_, Some(analysis)) => text("body.analysis", analysis)?,
                (Some(outcome), None) if outcome.needs_analysis() => {
                    return Err(BodyError::new(
                        "body.analysis",
                        "is required when the outcome is other_agency or none",
                    ))
                }
                (Some(_) | None, None) => {}
            }
            agencies("body.agencies", &entry.agencies)?;
        }
        RecordKind::Note => {
            let entry: Note = parse(body)?;
            text("body.text", &entry.text)?;
            agencies("body.agencies", &entry.agencies)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn action_plan_from_the_design() {
        let body = json!({"goals": ["Arbete"], "overall_responsibility": "af",
            "activities": [{"type": "internship", "extent_percent": 100, "from": "2026-02-01", "to": "2026-04-30"}]});
        validate(RecordKind::ActionPlan, &body).unwrap();
    }

    #[test]
    fn debug_output_never_shows_a_body() {
        let entry: Result<Note, _> = parse(&json!({"text": "Diagnos F32.1"}));
        let shown = format!("{entry:?}");
        assert!(
            shown.contains("Note(<redacted>)") && !shown.contains("F32"),
            "{shown}"
        );
    }

    #[test]
    fn bad_bodies_name_the_field() {
        let cases = [
            (
                RecordKind::ActionPlan,
                json!({"goals": [], "overall_responsibility": "af", "activities": []}),
                "body.goals",
            ),
            (
                RecordKind::ActionPlan,
                json!({"goals": ["x"], "overall_responsibility": "af",
                "activities": [{"type": "work", "extent_percent": 120, "from": "2026-01-01", "to": "2026-02-01"}]}),
                "body.activities[0].extent_percent",
            ),
            (
                RecordKind::ActionPlan,
                json!({"goals": ["x"], "overall_responsibility": "af",
                "activities": [{"type": "work", "extent_percent": 50, "from": "2026-03-01", "to": "2026-02-01"}]}),
                "body.activities[0].to",
            ),
            (RecordKind::Note, json!({"text": ""}), "body.text"),
            (RecordKind::Note, json!({"text": "x", "secret": 1}), "body"),
            (
                RecordKind::ActionPlan,
                json!({"goals": ["x"], "overall_responsibility": "af",
                "activities": [{"type": "vacation", "extent_percent": 50, "from": "2026-01-01", "to": "2026-02-01"}]}),
                "body.activities[0].type",
            ),
            (
                RecordKind::ActionPlan,
                json!({"goals": ["x"], "overall_responsibility": "af",
                "activities": [{"type": "work", "extent_percent": 50, "from": "2026-01-01", "to": "2026-02-01", "colour": "red"}]}),
                "body.activities[0]",
            ),
            (
                RecordKind::FollowUp,
                json!({"text": "x", "goals": [{"goal": "y", "status": "done"}]}),
                "body.goals[0].status",
            ),
            (RecordKind::Note, json!("just a string"), "body"),
        ];
        for (kind, body, field) in cases {
            match validate(kind, &body) {
                Err(BodyError { field: got, .. }) => assert_eq!(got, field, "{body}"),
                other => panic!("{body}: {other:?}"),
            }
        }
    }
}
