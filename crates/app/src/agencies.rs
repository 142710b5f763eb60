//! Agencies (admin).

use crate::{Agency, App, AppResult, Caller};
use ingang_policy::{Action, AgencyCode};

impl App {
    /// Registers an agency.
    pub fn create_agency(
        &self,
        caller: &Caller,
        code: &AgencyCode,
        name: &str,
    ) -> AppResult<Agency> {
        self.authorize_without_client(caller, Action::ManageAgencies)?;
        Ok(self.store.create_agency(code, name)?)
    }

    /// Every agency.
    pub fn list_agencies(&self, caller: &Caller) -> AppResult<Vec<Agency>> {
        self.authorize_without_client(caller, Action::ManageAgencies)?;
        Ok(self.store.list_agencies()?)
    }
}
