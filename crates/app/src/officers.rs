//! Named officers and system accounts (admin).

use crate::{App, AppResult, Caller, NewOfficer, Officer};
use ingang_policy::{Action, OfficerId};

impl App {
    pub fn create_officer(&self, caller: &Caller, new: &NewOfficer) -> AppResult<Officer> {
        self.authorize_without_client(caller, Action::ManageOfficers)?;
        Ok(self.store.create_officer(new)?)
    }

    pub fn officer(&self, caller: &Caller, id: OfficerId) -> AppResult<Officer> {
        self.authorize_without_client(caller, Action::ManageOfficers)?;
        Ok(self.store.officer(id)?)
    }

    /// Deactivates an account; it is refused from its very next request.
    pub fn deactivate_officer(&self, caller: &Caller, id: OfficerId) -> AppResult<Officer> {
        self.authorize_without_client(caller, Action::ManageOfficers)?;
        Ok(self.store.deactivate_officer(id)?)
    }
}
