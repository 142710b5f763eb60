//! Records: create, list, read, and new versions with ETag / If-Match.
//! Every read is decided per record and audited before the body leaves.

use super::{as_caller, decode_cursor, encode_cursor, page_limit, PageQuery};
use crate::access::{
    audit_event, authorize, authorize_on_client, decide_at, record_audit, Decided,
};
use crate::auth::{Caller, Credentials};
use crate::bodies;
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use ingang_policy::{Action, ClientId, Decision, RecordId, RecordKind};
use ingang_store::{LoadedFacts, RecordMeta, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRecord {
    /// `action_plan`, `assessment`, `follow_up`, `meeting_note`, `closure` or `note`.
    #[schema(example = "note")]
    pub kind: String,
    /// Validated per kind; see docs/api.md.
    #[schema(value_type = Object)]
    pub body: Value,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRecord {
    /// Optional; when given it must be the record's own kind.
    #[schema(example = "note")]
    pub kind: Option<String>,
    #[schema(value_type = Object)]
    pub body: Value,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RecordResponse {
    pub id: Uuid,
    pub client_id: Uuid,
    pub kind: String,
    pub source_agency: String,
    pub author_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
    #[schema(value_type = Object)]
    pub body: Value,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RecordPageResponse {
    pub items: Vec<RecordResponse>,
    pub next_cursor: Option<String>,
}

fn response(meta: RecordMeta, body: Value) -> RecordResponse {
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
#[utoipa::path(tag = "records", security(("bearer" = [])), params(("id" = Uuid, Path, description = "client id")), request_body = CreateRecord,
    responses((status = 201, body = RecordResponse, headers(("ETag" = String))), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 410, body = Problem, content_type = "application/problem+json")))]
#[post("/v1/clients/{id}/records")]
pub async fn create_record(
    state: web::Data<AppState>,
    credentials: Credentials,
    id: web::Path<ClientId>,
    body: web::Json<CreateRecord>,
) -> Result<HttpResponse, ApiError> {
    let client = id.into_inner();
    let CreateRecord { kind, body } = body.into_inner();
    let kind = parse_kind(&kind)?;
    bodies::validate(kind, &body)?;
    let created = as_caller(state, credentials, move |state, caller| {
        let store = &state.store;
        authorize_on_client(
            store,
            &caller,
            Action::WriteRecord {
                kind,
                existing_source: None,
            },
            client,
            None,
        )?;
        let subject = caller.subject();
        let meta = store.create_record(client, kind, &subject.agency, subject.id, &body)?;
        Ok(response(meta, body))
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::ETAG, etag(created.version)))
        .json(created))
}

/// The records the caller may see, newest first. Records outside the
/// caller's consent are left out without trace; each one returned is audited.
#[utoipa::path(tag = "records", security(("bearer" = [])), params(("id" = Uuid, Path, description = "client id"), PageQuery),
    responses((status = 200, body = RecordPageResponse), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 410, body = Problem, content_type = "application/problem+json")))]
#[get("/v1/clients/{id}/records")]
pub async fn list_records(
    state: web::Data<AppState>,
    credentials: Credentials,
    id: web::Path<ClientId>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let client = id.into_inner();
    let q = query.into_inner();
    let limit = page_limit(q.limit)?;
    let mut after = q.cursor.as_deref().map(parse_record_cursor).transpose()?;
    let page = as_caller(state, credentials, move |state, caller| {
        let store = &state.store;
        let facts = store.load_facts(client)?;
        // One moment for the whole list: the gate and every record.
        let at = chrono::Utc::now();
        let gate = decide_at(&caller, &Action::ListRecords, facts.as_ref(), at);
        let gate_event = audit_event(
            &caller,
            Action::ListRecords.name(),
            Some(client),
            None,
            &gate,
        );
        let Some(facts) = facts.filter(|_| gate.is_allowed()) else {
            record_audit(store, vec![gate_event])?;
            return Err(match gate.decision {
                Decision::Deny { reason } => ApiError::Denied(reason),
                Decision::Allow { .. } => ApiError::NotFound,
            });
        };

        // Scan until one more visible record than the page holds is found,
        // so a short page never hints at hidden records.
        let mut visible: Vec<(RecordMeta, Decided)> = Vec::new();
        loop {
            let batch = store.record_page(client, after, (limit + 1).max(50))?;
            for meta in &batch.records {
                let action = Action::ReadRecord {
                    source: meta.source_agency.clone(),
                    kind: meta.kind,
                };
                let decision = decide_at(&caller, &action, Some(&facts), at);
                if decision.is_allowed() {
                    visible.push((meta.clone(), decision));
                }
                if visible.len() as i64 > limit {
                    break;
                }
            }
            after = batch.records.last().map(|m| (m.created_at, m.id));
            if visible.len() as i64 > limit || !batch.more {
                break;
            }
        }
        let next_cursor = if visible.len() as i64 > limit {
            visible.truncate(limit as usize);
            visible.last().map(|(m, _)| record_cursor(m))
        } else {
            None
        };

        let mut events = vec![gate_event];
        events.extend(visible.iter().map(|(meta, decision)| {
            audit_event(
                &caller,
                "record.read",
                Some(client),
                Some(meta.id),
                decision,
            )
        }));
        record_audit(store, events)?;
        let metas: Vec<RecordMeta> = visible.into_iter().map(|(m, _)| m).collect();
        let bodies = store.record_bodies(client, &metas)?;
        let items = metas
            .into_iter()
            .zip(bodies)
            .map(|(m, b)| response(m, b))
            .collect();
        Ok(RecordPageResponse { items, next_cursor })
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

fn record_cursor(meta: &RecordMeta) -> String {
    encode_cursor(&format!(
        "rec:{}:{}",
        meta.created_at.timestamp_micros(),
        meta.id
    ))
}

fn parse_record_cursor(cursor: &str) -> Result<(DateTime<Utc>, RecordId), ApiError> {
    let bad = || ApiError::invalid("cursor", "not a cursor returned by this service");
    let raw = decode_cursor(cursor)?;
    let mut parts = raw.strip_prefix("rec:").ok_or_else(bad)?.splitn(2, ':');
    let micros: i64 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    let id: RecordId = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    Ok((DateTime::from_timestamp_micros(micros).ok_or_else(bad)?, id))
}

/// Loads record `id` and authorizes `action_on(record)` on it (decided and
/// audited). A missing record is audited as a decision with `probe` and
/// answers 404, exactly as a hidden one.
fn authorize_record(
    state: &AppState,
    caller: &Caller,
    id: RecordId,
    probe: Action,
    action_on: impl FnOnce(&RecordMeta) -> Action,
) -> Result<RecordMeta, ApiError> {
    let (meta, facts) = load_meta(state, caller, id, probe)?;
    let client = Some(meta.client_id);
    let action = action_on(&meta);
    authorize(&state.store, caller, action, client, Some(id), Some(&facts))?;
    Ok(meta)
}

/// Loads a record's metadata and its client's facts; a missing record is
/// decided (and audited) exactly like a hidden one.
fn load_meta(
    state: &AppState,
    caller: &Caller,
    id: RecordId,
    action: Action,
) -> Result<(RecordMeta, LoadedFacts), ApiError> {
    match state.store.record_with_facts(id) {
        Ok(found) => Ok(found),
        Err(StoreError::NotFound) => {
            authorize(&state.store, caller, action, None, Some(id), None)?;
            Err(ApiError::NotFound)
        }
        Err(e) => Err(e.into()),
    }
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
    let record = as_caller(state, credentials, move |state, caller| {
        let probe = Action::ReadRecord {
            source: caller.actor.agency.clone(),
            kind: RecordKind::Note,
        };
        let meta = authorize_record(state, &caller, id, probe, |meta| Action::ReadRecord {
            source: meta.source_agency.clone(),
            kind: meta.kind,
        })?;
        let body = state
            .store
            .record_bodies(meta.client_id, std::slice::from_ref(&meta))?
            .pop()
            .ok_or(ApiError::NotFound)?;
        Ok(response(meta, body))
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(record.version)))
        .json(record))
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
#[utoipa::path(tag = "records", security(("bearer" = [])), params(("id" = Uuid, Path, description = "record id"), ("If-Match" = String, Header, description = "the ETag you read")), request_body = UpdateRecord,
    responses((status = 200, body = RecordResponse, headers(("ETag" = String))), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 412, body = Problem, content_type = "application/problem+json"), (status = 428, body = Problem, content_type = "application/problem+json")))]
#[put("/v1/records/{id}")]
pub async fn update_record(
    state: web::Data<AppState>,
    credentials: Credentials,
    req: HttpRequest,
    id: web::Path<RecordId>,
    body: web::Json<UpdateRecord>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let expected = if_match_versions(&req)?;
    let UpdateRecord { kind, body } = body.into_inner();
    let kind = kind.as_deref().map(parse_kind).transpose()?;
    let record = as_caller(state, credentials, move |state, caller| {
        let probe = Action::WriteRecord {
            kind: RecordKind::Note,
            existing_source: Some(caller.actor.agency.clone()),
        };
        let meta = authorize_record(state, &caller, id, probe, |meta| Action::WriteRecord {
            kind: meta.kind,
            existing_source: Some(meta.source_agency.clone()),
        })?;
        // A body may repeat its record's kind, never change it.
        if kind.is_some_and(|kind| kind != meta.kind) {
            return Err(ApiError::invalid(
                "kind",
                format!("this record is a {}; its kind cannot change", meta.kind),
            ));
        }
        bodies::validate(meta.kind, &body)?;
        let updated = state
            .store
            .update_record(&meta, &expected, caller.subject().id, &body)?;
        Ok(response(updated, body))
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(record.version)))
        .json(record))
}

crate::redacted_debug!(
    CreateRecord,
    UpdateRecord,
    RecordResponse,
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
