//! Named officers and system accounts (admin).

use crate::{AppResult, Caller, NewOfficer, Officer, Session};
use chrono::{DateTime, Utc};
use ingang_policy::{Action, AgencyCode, OfficerId};

impl Session<'_> {
    pub fn create_officer(&mut self, caller: &Caller, new: &NewOfficer) -> AppResult<Officer> {
        // Checked here, so every way in refuses the same input alike.
        crate::required_text("name", &new.name, 200)?;
        if new.roles.is_empty() {
            return Err(crate::AppError::invalid("roles", "name at least one role"));
        }
        self.authorize_without_client(caller, Action::ManageOfficers)?;
        Ok(self.db.create_officer(new)?)
    }

    pub fn officer(&mut self, caller: &Caller, id: OfficerId) -> AppResult<Officer> {
        self.authorize_without_client(caller, Action::ManageOfficers)?;
        Ok(self.db.officer(id)?)
    }

    /// Deactivates an account; it is refused from its very next request.
    pub fn deactivate_officer(&mut self, caller: &Caller, id: OfficerId) -> AppResult<Officer> {
        self.authorize_without_client(caller, Action::ManageOfficers)?;
        Ok(self.db.deactivate_officer(id)?)
    }

    /// Officers and system accounts, optionally of one agency, oldest first,
    /// after `after`; `limit` at most.
    pub fn list_officers(
        &mut self,
        caller: &Caller,
        agency: Option<&AgencyCode>,
        after: Option<(DateTime<Utc>, OfficerId)>,
        limit: i64,
    ) -> AppResult<Vec<Officer>> {
        self.authorize_without_client(caller, Action::ManageOfficers)?;
        Ok(self.db.list_officers(agency, after, limit)?)
    }
}
