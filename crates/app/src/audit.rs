//! The audit log (auditor) and a client's access-log extract (auditor,
//! coordinator). Queries of the log are audited too.

use crate::decision::Resource;
use crate::{AppResult, AuditEvent, AuditFilter, Caller, Session};
use ingang_policy::{Action, ClientId};

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
    /// after `after_seq`.
    pub fn access_log(
        &mut self,
        caller: &Caller,
        client: ClientId,
        after_seq: Option<i64>,
        limit: i64,
    ) -> AppResult<Vec<AuditEvent>> {
        self.authorize_on_client(caller, Action::ReadAccessLog, client)?;
        let filter = AuditFilter {
            client_id: Some(client),
            after_seq,
            ..AuditFilter::default()
        };
        Ok(self.db.audit_events(&filter, limit)?)
    }
}
