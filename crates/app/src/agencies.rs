//! Agencies (admin).

use crate::{Agency, AppResult, Caller, Session};
use ingang_policy::{Action, AgencyCode};

impl Session<'_> {
    /// Registers an agency.
    pub fn create_agency(
        &mut self,
        caller: &Caller,
        code: &AgencyCode,
        name: &str,
    ) -> AppResult<Agency> {
        let name = crate::required_text("name", name, 200)?;
        self.authorize_without_client(caller, Action::ManageAgencies)?;
        Ok(self.db.create_agency(code, &name)?)
    }

    /// Every agency.
    pub fn list_agencies(&mut self, caller: &Caller) -> AppResult<Vec<Agency>> {
        self.authorize_without_client(caller, Action::ManageAgencies)?;
        Ok(self.db.list_agencies()?)
    }
}
