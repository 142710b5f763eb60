//! Schemas of the contract that the derive cannot say: a record's `kind`
//! decides its `body`, so requests and responses with records are a `oneOf`
//! with a discriminator on `kind`, one member per kind.

use ingang_policy::bodies::{ActionPlan, Assessment, Closure, FollowUp, MeetingNote, Note};
use ingang_policy::RecordKind;
use std::borrow::Cow;
use utoipa::openapi::schema::{AdditionalProperties, Discriminator, OneOfBuilder, Schema, Type};
use utoipa::openapi::{ObjectBuilder, Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

type Schemas = Vec<(String, RefOr<Schema>)>;

/// The body schema of each kind, by component name.
fn body_schema_name(kind: RecordKind) -> Cow<'static, str> {
    match kind {
        RecordKind::ActionPlan => ActionPlan::name(),
        RecordKind::Assessment => Assessment::name(),
        RecordKind::FollowUp => FollowUp::name(),
        RecordKind::MeetingNote => MeetingNote::name(),
        RecordKind::Closure => Closure::name(),
        RecordKind::Note => Note::name(),
    }
}

/// `New<Kind>`: the request to write a record of one kind.
fn new_record_name(kind: RecordKind) -> String {
    let camel: String = kind
        .as_str()
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect();
    format!("New{camel}")
}

fn kind_const(kind: RecordKind) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some([kind.as_str()]))
        .into()
}

fn push_body<T: ToSchema>(schemas: &mut Schemas) {
    schemas.push((T::name().into(), T::schema()));
    T::schemas(schemas);
}

fn push_bodies(schemas: &mut Schemas) {
    push_body::<ActionPlan>(schemas);
    push_body::<Assessment>(schemas);
    push_body::<FollowUp>(schemas);
    push_body::<MeetingNote>(schemas);
    push_body::<Closure>(schemas);
    push_body::<Note>(schemas);
}

/// A body of any kind (where the kind is the stored record's).
fn any_body() -> RefOr<Schema> {
    RecordKind::ALL
        .into_iter()
        .fold(OneOfBuilder::new(), |one_of, kind| {
            one_of.item(Ref::from_schema_name(body_schema_name(kind)))
        })
        .into()
}

/// `POST /v1/clients/{id}/records`: `{kind, body}` with the body of that kind.
pub struct NewRecordSchema;

impl PartialSchema for NewRecordSchema {
    fn schema() -> RefOr<Schema> {
        let mut discriminator = Discriminator::new("kind");
        let mut one_of = OneOfBuilder::new();
        for kind in RecordKind::ALL {
            let name = new_record_name(kind);
            discriminator.mapping.insert(
                kind.as_str().to_owned(),
                format!("#/components/schemas/{name}"),
            );
            one_of = one_of.item(Ref::from_schema_name(name));
        }
        one_of.discriminator(Some(discriminator)).into()
    }
}

impl ToSchema for NewRecordSchema {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("NewRecord")
    }

    fn schemas(schemas: &mut Schemas) {
        push_bodies(schemas);
        for kind in RecordKind::ALL {
            let member = ObjectBuilder::new()
                .property("kind", kind_const(kind))
                .property("body", Ref::from_schema_name(body_schema_name(kind)))
                .required("kind")
                .required("body")
                .additional_properties(Some(AdditionalProperties::FreeForm(false)))
                .into();
            schemas.push((new_record_name(kind), member));
        }
    }
}

/// `PUT /v1/records/{id}`: a new body for the stored record's kind, and
/// optionally that kind again.
pub struct RecordAmendmentSchema;

impl PartialSchema for RecordAmendmentSchema {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .property("kind", RecordKind::schema())
            .property("body", any_body())
            .required("body")
            .additional_properties(Some(AdditionalProperties::FreeForm(false)))
            .into()
    }
}

impl ToSchema for RecordAmendmentSchema {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("RecordAmendment")
    }

    fn schemas(schemas: &mut Schemas) {
        push_bodies(schemas);
    }
}

/// The body of a stored record, of its kind.
pub struct RecordBodySchema;

impl PartialSchema for RecordBodySchema {
    fn schema() -> RefOr<Schema> {
        any_body()
    }
}

impl ToSchema for RecordBodySchema {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("RecordBody")
    }

    fn schemas(schemas: &mut Schemas) {
        push_bodies(schemas);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_request_schema() {
        assert_eq!(new_record_name(RecordKind::MeetingNote), "NewMeetingNote");
        let mut schemas = Schemas::new();
        NewRecordSchema::schemas(&mut schemas);
        for kind in RecordKind::ALL {
            assert!(schemas
                .iter()
                .any(|(name, _)| *name == new_record_name(kind)));
        }
    }
}

/// A string schema (for `value_type`) with the contract's constraints.
macro_rules! string_schema {
    ($(#[$doc:meta])* $name:ident, $build:expr) => {
        $(#[$doc])*
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                let build: fn(ObjectBuilder) -> ObjectBuilder = $build;
                build(ObjectBuilder::new().schema_type(Type::String)).into()
            }
        }

        impl ToSchema for $name {}
    };
}

fn text(builder: ObjectBuilder, max: usize) -> ObjectBuilder {
    builder
        .pattern(Some(ingang_policy::bodies::TEXT_PATTERN))
        .max_length(Some(max))
}

string_schema!(
    /// A name: not blank, at most 200 characters.
    Name200,
    |b| text(b, 200)
);
string_schema!(
    /// A consent's purpose: not blank, at most 500 characters.
    Purpose500,
    |b| text(b, 500)
);
string_schema!(
    /// A withdrawal's reason: not blank, at most 1 000 characters.
    Reason1000,
    |b| text(b, 1000)
);
string_schema!(
    /// A personnummer or samordningsnummer in one of its written forms; its
    /// date and Luhn check digit are checked beyond the pattern.
    PersonalNumberText,
    |b| b
        .pattern(Some(ingang_policy::PERSONAL_NUMBER_PATTERN))
        .format(Some(utoipa::openapi::SchemaFormat::Custom("personnummer".into())))
);
string_schema!(
    /// A personal number as the service writes it, `YYYYMMDD-NNNC`.
    NormalisedPersonalNumber,
    |b| b.pattern(Some("^[0-9]{8}-[0-9]{4}$"))
);
string_schema!(
    /// SHA-256 as 64 hexadecimal digits.
    Sha256Hex,
    |b| b.pattern(Some("^[0-9a-fA-F]{64}$"))
);
string_schema!(
    /// How a consent was signed.
    EvidenceMethod,
    |b| b.enum_values(Some(ingang_policy::EvidenceMethod::ALL.map(ingang_policy::EvidenceMethod::as_str)))
);
string_schema!(
    /// An audit entry's action.
    AuditAction,
    |b| b.enum_values(Some(ingang_policy::AuditAction::ALL.map(ingang_policy::AuditAction::as_str)))
);
string_schema!(
    /// An audit entry's decision.
    AuditDecision,
    |b| b.enum_values(Some(ingang_policy::Verdict::ALL.map(ingang_policy::Verdict::as_str)))
);
string_schema!(
    /// `If-Match`: one or more entity tags, such as `"3"` (`*` is refused).
    IfMatchTags,
    |b| b.pattern(Some(
        r#"^[ \t]*(W/)?"[!#-~]*"[ \t]*(,[ \t]*(W/)?"[!#-~]*"[ \t]*)*$"#
    ))
);
