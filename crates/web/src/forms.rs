//! Forms: fields named by the JSON path they fill (`body.activities[0].to`),
//! so an error the use case names lands beside the field it concerns.
//! Building the JSON keeps every value the visitor typed, typed where it
//! parses and as text where it does not, so the use case's validation (the
//! same as the API's) decides and names the field; the page never has rules
//! of its own.

use crate::i18n::{Lang, T};
use maud::{html, Markup};
use serde_json::{Map, Value};

/// How a field is entered and what JSON it gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// One line of text.
    Text,
    /// Free text over several lines.
    TextArea,
    /// One entry per line: a list of texts.
    Lines,
    /// Agency codes separated by commas or spaces: a list.
    Codes,
    Date,
    /// A whole number (a percentage).
    Percent,
    /// One of the options: (value, label).
    Select(&'static [(&'static str, T)]),
    Checkbox,
    /// A value the form fixes for its row (an assessment area): sent as a
    /// hidden input, and not by itself something filled in.
    Fixed(&'static str),
}

/// One field of a form.
#[derive(Debug, Clone)]
pub struct Field {
    /// The JSON path the field fills, which is also the input's name.
    pub name: String,
    pub label: String,
    pub input: Input,
    pub required: bool,
    /// Further help shown under the label.
    pub hint: Option<&'static str>,
}

impl Field {
    pub fn new(name: impl Into<String>, label: impl Into<String>, input: Input) -> Field {
        Field {
            name: name.into(),
            label: label.into(),
            input,
            required: false,
            hint: None,
        }
    }

    pub fn required(mut self) -> Field {
        self.required = true;
        self
    }

    pub fn hint(mut self, hint: &'static str) -> Field {
        self.hint = Some(hint);
        self
    }
}

/// What was posted, by field name. Values are personal data: `Debug`
/// shows the field names only.
#[derive(Clone, Default)]
pub struct Posted(Vec<(String, String)>);

impl std::fmt::Debug for Posted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(name, _)| name))
            .finish()
    }
}

impl Posted {
    pub fn new(pairs: Vec<(String, String)>) -> Posted {
        Posted(pairs)
    }

    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }
}

/// The error to show, beside its field.
#[derive(Debug, Clone)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Builds the JSON the fields describe from what was posted. A group of
/// repeated rows (`body.activities[i]`) keeps only the rows with something
/// in them; `renumbered` maps an error's path back to the row on the form.
pub fn build(fields: &[Field], posted: &Posted) -> (Value, Renumbering) {
    let mut root = Value::Object(Map::new());
    let mut renumbering = Renumbering::default();
    // Rows: (array path, form index) with anything filled in.
    let mut filled_rows: Vec<(String, usize)> = Vec::new();
    for field in fields {
        if let Some((array, index, _)) = split_row(&field.name) {
            let raw = posted.get(&field.name).trim();
            let filled = match field.input {
                Input::Fixed(_) => false,
                Input::Select(_)
                | Input::Checkbox
                | Input::Text
                | Input::TextArea
                | Input::Lines
                | Input::Codes
                | Input::Date
                | Input::Percent => !raw.is_empty(),
            };
            if filled && !filled_rows.contains(&(array.to_owned(), index)) {
                filled_rows.push((array.to_owned(), index));
            }
        }
    }
    for field in fields {
        let raw = posted.get(&field.name);
        let Some(value) = to_json(field.input, raw) else {
            continue;
        };
        let path = match split_row(&field.name) {
            Some((array, index, rest)) => {
                let Some(position) = filled_rows
                    .iter()
                    .filter(|(a, _)| a == array)
                    .position(|(_, i)| *i == index)
                else {
                    continue;
                };
                renumbering.add(array, position, index);
                format!("{array}[{position}]{rest}")
            }
            None => field.name.clone(),
        };
        set(&mut root, &path, value);
    }
    // Every row group the form has is a list, even when empty.
    for field in fields {
        if let Some((array, _, _)) = split_row(&field.name) {
            if lookup(&root, array).is_none() {
                set(&mut root, array, Value::Array(vec![]));
            }
        }
    }
    (root, renumbering)
}

/// `body.activities[2].to` → (`body.activities`, 2, `.to`).
fn split_row(name: &str) -> Option<(&str, usize, &str)> {
    let open = name.find('[')?;
    let close = name[open..].find(']')? + open;
    let index = name[open + 1..close].parse().ok()?;
    Some((&name[..open], index, &name[close + 1..]))
}

fn to_json(input: Input, raw: &str) -> Option<Value> {
    let trimmed = raw.trim();
    match input {
        Input::Fixed(value) => Some(Value::String(value.to_owned())),
        Input::Checkbox => Some(Value::Bool(!trimmed.is_empty())),
        Input::Lines => {
            let lines: Vec<Value> = raw
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|l| Value::String(l.to_owned()))
                .collect();
            (!lines.is_empty()).then_some(Value::Array(lines))
        }
        Input::Codes => {
            let codes: Vec<Value> = trimmed
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|c| !c.is_empty())
                .map(|c| Value::String(c.to_owned()))
                .collect();
            (!codes.is_empty()).then_some(Value::Array(codes))
        }
        Input::Percent => (!trimmed.is_empty()).then(|| {
            trimmed
                .parse::<u64>()
                .map_or_else(|_| Value::String(trimmed.to_owned()), Value::from)
        }),
        Input::Text | Input::Date | Input::Select(_) => {
            (!trimmed.is_empty()).then(|| Value::String(trimmed.to_owned()))
        }
        // Free text keeps its inner line breaks; blank is left out so the
        // use case names the missing field.
        Input::TextArea => (!trimmed.is_empty()).then(|| Value::String(raw.to_owned())),
    }
}

/// Sets `path` (`a.b[0].c`, starting with `body`) in `root`.
fn set(root: &mut Value, path: &str, value: Value) {
    let mut at = root;
    let segments: Vec<&str> = path.split('.').collect();
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        let (key, index) = match split_row(segment) {
            Some((key, index, _)) => (key, Some(index)),
            None => (*segment, None),
        };
        let Value::Object(map) = at else { return };
        let entry = map.entry(key.to_owned()).or_insert(match index {
            Some(_) => Value::Array(vec![]),
            None if last => Value::Null,
            None => Value::Object(Map::new()),
        });
        at = match index {
            Some(index) => {
                let Value::Array(items) = entry else { return };
                while items.len() <= index {
                    items.push(Value::Object(Map::new()));
                }
                &mut items[index]
            }
            None => entry,
        };
        if last {
            *at = value;
            return;
        }
    }
}

fn lookup<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(root, |at, key| at.get(key))
}

/// Maps a row's place in the JSON back to its place on the form.
#[derive(Debug, Clone, Default)]
pub struct Renumbering(Vec<(String, usize, usize)>);

impl Renumbering {
    fn add(&mut self, array: &str, position: usize, form_index: usize) {
        if !self.0.iter().any(|(a, p, _)| a == array && *p == position) {
            self.0.push((array.to_owned(), position, form_index));
        }
    }

    /// The form's name for an error's field.
    pub fn field(&self, error_field: &str) -> String {
        if let Some((array, position, rest)) = split_row(error_field) {
            if let Some((_, _, form)) = self.0.iter().find(|(a, p, _)| a == array && *p == position)
            {
                return format!("{array}[{form}]{rest}");
            }
        }
        error_field.to_owned()
    }
}

/// One field with its label, hint, value and, when it is the one in
/// error, the error beside it (linked for screen readers).
pub fn field(lang: Lang, field: &Field, posted: &Posted, error: Option<&FieldError>) -> Markup {
    let id = input_id(&field.name);
    let value = posted.get(&field.name);
    let failed = error.filter(|e| e.field == field.name);
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described = match (failed.is_some(), field.hint.is_some()) {
        (true, true) => Some(format!("{error_id} {hint_id}")),
        (true, false) => Some(error_id.clone()),
        (false, true) => Some(hint_id.clone()),
        (false, false) => None,
    };
    let invalid = failed.map(|_| "true");
    if let Input::Fixed(_) = field.input {
        return html! {};
    }
    html! {
        div class=(if failed.is_some() { "field has-error" } else { "field" }) {
            @if field.input == Input::Checkbox {
                input id=(id) type="checkbox" name=(field.name) value="yes"
                    checked[!value.is_empty()] aria-describedby=[described.as_deref()];
                " "
                label.inline for=(id) { (field.label) }
            } @else {
                label for=(id) {
                    (field.label)
                    @if !field.required { " " span.optional { "(" (T::Optional.in_(lang)) ")" } }
                }
            }
            @if let Some(hint) = field.hint {
                p.hint id=(hint_id) { (hint) }
            }
            @if let Some(error) = failed {
                p.error id=(error_id) { strong { (T::FieldError.in_(lang)) ": " } (error.message) }
            }
            @match field.input {
                Input::Checkbox | Input::Fixed(_) => {},
                Input::TextArea | Input::Lines => {
                    textarea id=(id) name=(field.name) rows="4" required[field.required]
                        aria-invalid=[invalid] aria-describedby=[described.as_deref()] { (value) }
                },
                Input::Date => {
                    input id=(id) type="date" name=(field.name) value=(value) required[field.required]
                        aria-invalid=[invalid] aria-describedby=[described.as_deref()];
                },
                Input::Percent => {
                    input id=(id) type="number" inputmode="numeric" name=(field.name) value=(value)
                        required[field.required]
                        aria-invalid=[invalid] aria-describedby=[described.as_deref()];
                },
                Input::Text | Input::Codes => {
                    input id=(id) type="text" name=(field.name) value=(value) required[field.required]
                        aria-invalid=[invalid] aria-describedby=[described.as_deref()];
                },
                Input::Select(options) => {
                    select id=(id) name=(field.name) required[field.required]
                        aria-invalid=[invalid] aria-describedby=[described.as_deref()] {
                        @if !field.required { option value="" { "–" } }
                        @for (option, label) in options {
                            option value=(option) selected[value == *option] { (label.in_(lang)) }
                        }
                    }
                },
            }
        }
    }
}

/// An id for the input named `name` (`body.activities[0].to` →
/// `f-body-activities-0-to`).
pub fn input_id(name: &str) -> String {
    let mut id = String::from("f-");
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            id.push(c);
        } else if !id.ends_with('-') {
            id.push('-');
        }
    }
    id.trim_end_matches('-').to_owned()
}

/// The summary at the top of a form that failed: the problem and a link
/// to its field, focused when the page loads (the script does it, and the
/// link works without it).
pub fn summary(lang: Lang, error: Option<&FieldError>, fields: &[Field]) -> Markup {
    let label = error.and_then(|e| {
        fields
            .iter()
            .find(|f| f.name == e.field)
            .map(|f| f.label.as_str())
    });
    html! {
        @if let Some(error) = error {
            div.error-summary role="alert" tabindex="-1" {
                h2 { (T::FormHasError.in_(lang)) }
                p {
                    a href={ "#" (input_id(&error.field)) } {
                        (label.unwrap_or(&error.field)) ": " (error.message)
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn posted(pairs: &[(&str, &str)]) -> Posted {
        Posted::new(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn rows_with_nothing_in_them_are_left_out_and_errors_find_their_row() {
        let fields = vec![
            Field::new("body.goals", "Goals", Input::Lines),
            Field::new("body.activities[0].type", "t", Input::Text),
            Field::new("body.activities[0].extent_percent", "e", Input::Percent),
            Field::new("body.activities[1].type", "t", Input::Text),
            Field::new("body.activities[1].extent_percent", "e", Input::Percent),
        ];
        let (body, renumbering) = build(
            &fields,
            &posted(&[
                ("body.goals", "Work\n\n Study "),
                ("body.activities[1].type", "studies"),
                ("body.activities[1].extent_percent", "abc"),
            ]),
        );
        assert_eq!(
            body,
            json!({"body": {"goals": ["Work", "Study"],
                            "activities": [{"type": "studies", "extent_percent": "abc"}]}})
        );
        assert_eq!(
            renumbering.field("body.activities[0].extent_percent"),
            "body.activities[1].extent_percent"
        );
    }

    #[test]
    fn an_empty_group_is_an_empty_list_and_numbers_are_numbers() {
        let fields = vec![
            Field::new("body.activities[0].extent_percent", "e", Input::Percent),
            Field::new("body.text", "t", Input::TextArea),
        ];
        let (body, _) = build(&fields, &posted(&[("body.text", "a\nb")]));
        assert_eq!(body, json!({"body": {"activities": [], "text": "a\nb"}}));
        let (body, _) = build(
            &fields,
            &posted(&[("body.activities[0].extent_percent", "50")]),
        );
        assert_eq!(body["body"]["activities"][0]["extent_percent"], json!(50));
    }

    #[test]
    fn debug_shows_field_names_never_values() {
        let shown = format!("{:?}", posted(&[("personal_number", "19121212-1212")]));
        assert_eq!(shown, "[\"personal_number\"]");
    }

    #[test]
    fn ids_are_valid_html_ids() {
        assert_eq!(input_id("body.activities[0].to"), "f-body-activities-0-to");
    }
}
