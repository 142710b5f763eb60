//! Per-kind validation of record bodies (docs/api.md). Unknown fields are
//! refused; errors name the field and never echo values.

use crate::{sanitize_json_error, AgencyCode, RecordKind};
use chrono::NaiveDate;
use serde::Deserialize;
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ActivityType {
    Work,
    Internship,
    Studies,
    /// Sick leave or rest.
    SickLeave,
    Treatment,
    Other,
}

/// One activity of an action plan; `to` is not before `from`.
#[derive(Deserialize)]
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
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<AgencyCodeText>))]
    pub responsible: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Text>))]
    pub description: Option<String>,
}

/// The body of an `action_plan`.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ActionPlan {
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Text>, min_items = 1))]
    pub goals: Vec<String>,
    /// The agency holding overall responsibility (SIP).
    #[cfg_attr(feature = "openapi", schema(value_type = AgencyCodeText))]
    pub overall_responsibility: String,
    pub activities: Vec<Activity>,
}

/// Assessment, follow-up, meeting note, closure and note share one shape:
/// a text, with an optional date and list of agencies involved.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TextEntry {
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

crate::redacted_debug!(Activity, ActionPlan, TextEntry);

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

fn parse<T: serde::de::DeserializeOwned>(body: &Value) -> Result<T, BodyError> {
    T::deserialize(body).map_err(|e| BodyError::new("body", sanitize_json_error(&e.to_string())))
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

/// Validates `body` for `kind`.
pub fn validate(kind: RecordKind, body: &Value) -> Result<(), BodyError> {
    if !body.is_object() {
        return Err(BodyError::new("body", "must be a JSON object"));
    }
    match kind {
        RecordKind::ActionPlan => {
            let plan: ActionPlan = parse(body)?;
            if plan.goals.is_empty() {
                return Err(BodyError::new("body.goals", "name at least one goal"));
            }
            for (i, goal) in plan.goals.iter().enumerate() {
                text(&format!("body.goals[{i}]"), goal)?;
            }
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
        }
        RecordKind::Assessment
        | RecordKind::FollowUp
        | RecordKind::MeetingNote
        | RecordKind::Closure
        | RecordKind::Note => {
            let entry: TextEntry = parse(body)?;
            text("body.text", &entry.text)?;
            for (i, code) in entry.agencies.iter().enumerate() {
                agency(&format!("body.agencies[{i}]"), code)?;
            }
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
        let entry: Result<TextEntry, _> = parse(&json!({"text": "Diagnos F32.1"}));
        let shown = format!("{entry:?}");
        assert!(
            shown.contains("TextEntry(<redacted>)") && !shown.contains("F32"),
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
