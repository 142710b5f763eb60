//! Records: create, list, read, and new versions with ETag / If-Match.
//! Every read is decided per record and audited before the body leaves.

use super::plan::ConflictResponse;
use super::{
    as_caller, as_caller_kept_first, page_limit, parse_time_cursor, time_cursor, TimePageQuery,
};
use crate::auth::Credentials;
use crate::body::JsonBody;
use crate::error::{ApiError, Problem};
use crate::schemas::{IfMatchTags, NewRecordSchema, RecordAmendmentSchema, RecordBodySchema};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use ingang_app::records::{KeptAnswer, Record, Written};
use ingang_policy::bodies::AgencyCodeText;
use ingang_policy::{ClientId, RecordId, RecordKind};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// `{kind, body}`; the contract states it per kind ([`NewRecordSchema`]).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRecord {
    pub kind: String,
    pub body: Value,
}

/// `{kind?, body}`; the contract's [`RecordAmendmentSchema`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateRecord {
    pub kind: Option<String>,
    pub body: Value,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RecordResponse {
    pub id: Uuid,
    pub client_id: Uuid,
    #[schema(value_type = RecordKind)]
    pub kind: String,
    #[schema(value_type = AgencyCodeText)]
    pub source_agency: String,
    pub author_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[schema(minimum = 1)]
    pub version: i32,
    #[schema(value_type = RecordBodySchema)]
    pub body: Value,
}

/// A record just written, with the conflicts its new version has with the
/// plans the writer may see (action plans; empty for other kinds).
#[derive(Serialize, utoipa::ToSchema)]
pub struct WrittenRecordResponse {
    #[serde(flatten)]
    pub record: RecordResponse,
    pub conflicts: Vec<ConflictResponse>,
}

fn written(Written { record, conflicts }: Written) -> WrittenRecordResponse {
    WrittenRecordResponse {
        record: response(record),
        conflicts: conflicts.into_iter().map(Into::into).collect(),
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RecordPageResponse {
    pub items: Vec<RecordResponse>,
    pub next_cursor: Option<String>,
}

fn response(Record { meta, body, .. }: Record) -> RecordResponse {
    RecordResponse {
        id: meta.id.0,
        client_id: meta.client_id.0,
        kind: meta.kind.as_str().to_owned(),
        source_agency: meta.source_agency.to_string(),
        author_id: meta.author_id.0,
        created_at: meta.created_at,
        updated_at: meta.updated_at,
        version: meta.version,
        body,
    }
}

fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

fn parse_kind(kind: &str) -> Result<RecordKind, ApiError> {
    kind.parse().map_err(|_| {
        ApiError::invalid(
            "kind",
            "kinds are action_plan, assessment, follow_up, meeting_note, closure or note",
        )
    })
}

/// Write an entry for the client, as the caller's (or represented officer's) agency.
#[utoipa::path(tag = "records", security(("bearer" = [])), params(("id" = Uuid, Path, description = "client id")), request_body = NewRecordSchema,
    responses((status = 201, body = WrittenRecordResponse, headers(("ETag" = String))), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 410, body = Problem, content_type = "application/problem+json")))]
#[post("/v1/clients/{id}/records")]
pub async fn create_record(
    state: web::Data<AppState>,
    credentials: Credentials,
    id: web::Path<ClientId>,
    body: JsonBody<CreateRecord>,
) -> Result<HttpResponse, ApiError> {
    let client = id.into_inner();
    let CreateRecord { kind, body } = body.into_inner();
    let kind = parse_kind(&kind)?;
    let created = as_caller(state, credentials, move |app, caller| {
        Ok(app.create_record(&caller, client, kind, body)?)
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::ETAG, etag(created.record.meta.version)))
        .json(written(created)))
}

/// The records the caller may see, newest first. Records outside the
/// caller's consent are left out without trace; each one returned is audited.
#[utoipa::path(tag = "records", security(("bearer" = [])), params(("id" = Uuid, Path, description = "client id"), TimePageQuery),
    responses((status = 200, body = RecordPageResponse), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 410, body = Problem, content_type = "application/problem+json")))]
#[get("/v1/clients/{id}/records")]
pub async fn list_records(
    state: web::Data<AppState>,
    credentials: Credentials,
    id: web::Path<ClientId>,
    query: web::Query<TimePageQuery>,
) -> Result<HttpResponse, ApiError> {
    let client = id.into_inner();
    let q = query.into_inner();
    let limit = page_limit(q.limit)?;
    let after = q.cursor.as_deref().map(parse_time_cursor).transpose()?;
    let page = as_caller(state, credentials, move |app, caller| {
        Ok(app.list_records(&caller, client, after, limit)?)
    })
    .await?;
    let page = RecordPageResponse {
        next_cursor: page.next.map(time_cursor),
        items: page.items.into_iter().map(response).collect(),
    };
    Ok(HttpResponse::Ok().json(page))
}

/// One record, with its version as `ETag`.
#[utoipa::path(tag = "records", security(("bearer" = [])), params(("id" = Uuid, Path, description = "record id")),
    responses((status = 200, body = RecordResponse, headers(("ETag" = String))), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 410, body = Problem, content_type = "application/problem+json")))]
#[get("/v1/records/{id}")]
pub async fn get_record(
    state: web::Data<AppState>,
    credentials: Credentials,
    id: web::Path<RecordId>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    // On this worker when all it needs is kept in memory; else on the
    // worker pool, which may wait for the database.
    let kept = state
        .app
        .session()?
        .read_kept_record(|session| credentials.authenticate(session), id)
        .await?;
    let record = match kept {
        KeptAnswer::Answered(record) => record,
        KeptAnswer::NotKept => {
            as_caller_kept_first(state, credentials, move |app, caller| {
                app.read_record(caller, id)
            })
            .await?
        }
        KeptAnswer::DecidedAgain => {
            as_caller(state, credentials, move |app, caller| {
                Ok(app.read_record(&caller, id)?)
            })
            .await?
        }
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(record.meta.version)))
        .json(response(record)))
}

/// `If-Match` as RFC 9110 §13.1.1 reads it: the versions its strong entity
/// tags name. Weak tags never match (If-Match uses the strong comparison),
/// nor do strong tags that name no version of ours; a list of only those is
/// well-formed and answers 412 once the caller is allowed to know the record.
/// `*` would let a client overwrite whatever version is stored, the lost
/// update that `If-Match` is required to prevent, so it is refused like a
/// missing header (428).
fn if_match_versions(req: &HttpRequest) -> Result<Vec<i32>, ApiError> {
    let malformed = || {
        ApiError::invalid(
            "If-Match",
            "must be entity tags such as \"3\", the ETag of the version you read",
        )
    };
    let mut values = req.headers().get_all(header::IF_MATCH).peekable();
    if values.peek().is_none() {
        return Err(ApiError::PreconditionRequired);
    }
    let mut versions = Vec::new();
    for value in values {
        let text = value.to_str().map_err(|_| malformed())?;
        for tag in entity_tags(text).ok_or_else(malformed)? {
            match tag {
                EntityTag::Any => return Err(ApiError::PreconditionRequired),
                EntityTag::Weak(_) => {}
                EntityTag::Strong(opaque) => {
                    if let Some(version) = opaque.parse::<i32>().ok().filter(|v| *v > 0) {
                        if opaque == version.to_string() {
                            versions.push(version);
                        }
                    }
                }
            }
        }
    }
    Ok(versions)
}

/// One element of an `If-Match` list.
#[derive(Debug, PartialEq, Eq)]
enum EntityTag<'a> {
    Any,
    Weak(&'a str),
    Strong(&'a str),
}

/// Splits `#entity-tag` (or `*`) into its tags; `None` when malformed.
fn entity_tags(text: &str) -> Option<Vec<EntityTag<'_>>> {
    let text = text.trim_matches([' ', '\t']);
    if text == "*" {
        return Some(vec![EntityTag::Any]);
    }
    let mut tags = Vec::new();
    let mut rest = text;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            break;
        }
        let (weak, quoted) = match rest.strip_prefix("W/") {
            Some(after) => (true, after),
            None => (false, rest),
        };
        let inner = quoted.strip_prefix('"')?;
        let end = inner.find('"')?;
        let opaque = &inner[..end];
        // etagc = %x21 / %x23-7E / obs-text
        if !opaque
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x7e).contains(&b) || b >= 0x80)
        {
            return None;
        }
        tags.push(if weak {
            EntityTag::Weak(opaque)
        } else {
            EntityTag::Strong(opaque)
        });
        rest = inner[end + 1..].trim_start_matches([' ', '\t']);
        if !(rest.is_empty() || rest.starts_with(',')) {
            return None;
        }
    }
    if tags.is_empty() {
        None
    } else {
        Some(tags)
    }
}

/// A new version of a record, by the authoring agency. Old versions are kept.
#[utoipa::path(tag = "records", security(("bearer" = [])), params(("id" = Uuid, Path, description = "record id"), ("If-Match" = IfMatchTags, Header, description = "the ETag you read: entity tags such as \"3\"; `*` is refused (428)")), request_body = RecordAmendmentSchema,
    responses((status = 200, body = WrittenRecordResponse, headers(("ETag" = String))), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 412, body = Problem, content_type = "application/problem+json"), (status = 428, body = Problem, content_type = "application/problem+json"), (status = 410, body = Problem, content_type = "application/problem+json")))]
#[put("/v1/records/{id}")]
pub async fn update_record(
    state: web::Data<AppState>,
    credentials: Credentials,
    req: HttpRequest,
    id: web::Path<RecordId>,
    body: JsonBody<UpdateRecord>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let expected = if_match_versions(&req)?;
    let UpdateRecord { kind, body } = body.into_inner();
    let kind = kind.as_deref().map(parse_kind).transpose()?;
    let record = as_caller(state, credentials, move |app, caller| {
        Ok(app.amend_record(&caller, id, &expected, kind, body)?)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(record.record.meta.version)))
        .json(written(record)))
}

/// One stored version of a record.
#[derive(Serialize, utoipa::ToSchema)]
pub struct VersionResponse {
    #[schema(minimum = 1)]
    pub version: i32,
    pub author_id: Uuid,
    pub created_at: DateTime<Utc>,
    #[schema(value_type = RecordBodySchema)]
    pub body: Value,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct VersionList {
    pub record_id: Uuid,
    pub items: Vec<VersionResponse>,
}

/// Every version of a record, oldest first; each version shown is audited
/// as a read.
#[utoipa::path(tag = "records", security(("bearer" = [])), params(("id" = Uuid, Path, description = "record id")),
    responses((status = 200, body = VersionList), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 410, body = Problem, content_type = "application/problem+json")))]
#[get("/v1/records/{id}/versions")]
pub async fn record_versions(
    state: web::Data<AppState>,
    credentials: Credentials,
    id: web::Path<RecordId>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let versions = as_caller(state, credentials, move |app, caller| {
        Ok(app.record_versions(&caller, id)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(VersionList {
        record_id: id.0,
        items: versions
            .into_iter()
            .map(|v| VersionResponse {
                version: v.version,
                author_id: v.author_id.0,
                created_at: v.created_at,
                body: v.body,
            })
            .collect(),
    }))
}

crate::redacted_debug!(
    VersionResponse,
    VersionList,
    CreateRecord,
    UpdateRecord,
    RecordResponse,
    WrittenRecordResponse,
    RecordPageResponse
);

#[cfg(test)]
mod tests {
    use super::{entity_tags, EntityTag};

    #[test]
    fn entity_tag_lists_parse_as_rfc_9110_writes_them() {
        assert_eq!(entity_tags("*"), Some(vec![EntityTag::Any]));
        assert_eq!(entity_tags("\"3\""), Some(vec![EntityTag::Strong("3")]));
        assert_eq!(
            entity_tags(" W/\"3\" ,\"stale\",\t\"\""),
            Some(vec![
                EntityTag::Weak("3"),
                EntityTag::Strong("stale"),
                EntityTag::Strong("")
            ])
        );
        for bad in [
            "3",
            "\"3",
            "W/3",
            "\"3\" \"4\"",
            "\"a b\"",
            "",
            ",",
            "*, \"3\"",
        ] {
            assert_eq!(entity_tags(bad), None, "{bad}");
        }
    }
}
