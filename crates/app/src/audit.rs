//! The audit log (auditor) and a client's access-log extract (auditor,
//! coordinator). Queries of the log are audited too.

use crate::decision::Resource;
use crate::{AppResult, AuditEvent, AuditFilter, Caller, Session};
use ingang_policy::{Action, AgencyCode, ClientId, ConsentId, OfficerId, RecordId, RecordKind};
use std::collections::HashMap;

/// A client's extract: every access to their data, as a person reads it.
#[derive(Debug, Clone)]
pub struct Extract {
    pub client: ClientId,
    /// The client was erased: consent purposes can no longer be read.
    pub erased: bool,
    pub entries: Vec<ExtractEntry>,
}

/// One access, with the names behind the ids. The client's own name is
/// never here (a protected identity stays out of every extract).
#[derive(Debug, Clone)]
pub struct ExtractEntry {
    pub event: AuditEvent,
    pub actor_name: Option<String>,
    pub on_behalf_of_name: Option<String>,
    pub agency_name: Option<String>,
    pub record_kind: Option<RecordKind>,
    /// The purpose of the consent the access relied on.
    pub consent_purpose: Option<String>,
}

impl Session<'_> {
    /// Entries matching `filter`, oldest first, at most `limit`.
    pub fn audit_events(
        &mut self,
        caller: &Caller,
        filter: &AuditFilter,
        limit: i64,
    ) -> AppResult<Vec<AuditEvent>> {
        let resource = filter.client_id.map_or(Resource::Nothing, Resource::Client);
        self.authorize(caller, Action::QueryAudit, resource, None)?;
        Ok(self.db.audit_events(filter, limit)?)
    }

    /// The client's extract: every access to their data, oldest first,
    /// after `after_seq`, each with the names a person reads it by.
    pub fn access_log(
        &mut self,
        caller: &Caller,
        client: ClientId,
        after_seq: Option<i64>,
        limit: i64,
    ) -> AppResult<Extract> {
        let (facts, permit) = self.authorize_on_client(caller, Action::ReadAccessLog, client)?;
        let filter = AuditFilter {
            client_id: Some(client),
            after_seq,
            ..AuditFilter::default()
        };
        let events = self.db.audit_events(&filter, limit)?;
        let purposes: HashMap<ConsentId, String> =
            self.db.consent_purposes(&permit)?.into_iter().collect();
        let agencies: HashMap<AgencyCode, String> = self
            .db
            .list_agencies()?
            .into_iter()
            .map(|a| (a.code, a.name))
            .collect();
        let mut names: HashMap<OfficerId, Option<String>> = HashMap::new();
        let mut kinds: HashMap<RecordId, Option<RecordKind>> = HashMap::new();
        let mut entries = Vec::with_capacity(events.len());
        for event in events {
            let e = &event.event;
            for officer in std::iter::once(e.actor_id).chain(e.on_behalf_of) {
                if let std::collections::hash_map::Entry::Vacant(slot) = names.entry(officer) {
                    // An account's name is not the client's data; a system
                    // account or a removed one has none to show.
                    let name = match self.db.officer(officer) {
                        Ok(o) => Some(o.name),
                        Err(ingang_store::StoreError::NotFound) => None,
                        Err(other) => return Err(other.into()),
                    };
                    slot.insert(name);
                }
            }
            if let Some(record) = e.record_id {
                if let std::collections::hash_map::Entry::Vacant(slot) = kinds.entry(record) {
                    let kind = match self.db.record_meta(record) {
                        Ok(meta) => Some(meta.kind),
                        Err(ingang_store::StoreError::NotFound) => None,
                        Err(other) => return Err(other.into()),
                    };
                    slot.insert(kind);
                }
            }
            entries.push(ExtractEntry {
                actor_name: names.get(&e.actor_id).cloned().flatten(),
                on_behalf_of_name: e
                    .on_behalf_of
                    .and_then(|o| names.get(&o).cloned().flatten()),
                agency_name: agencies.get(&e.actor_agency).cloned(),
                record_kind: e.record_id.and_then(|r| kinds.get(&r).copied().flatten()),
                consent_purpose: e.consent_id.and_then(|c| purposes.get(&c).cloned()),
                event,
            });
        }
        Ok(Extract {
            client,
            erased: facts.client.erased,
            entries,
        })
    }
}
