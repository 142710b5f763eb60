//! Assignments of officers to clients (coordinator; a system account for
//! its own agency's officers).

use crate::decision::Resource;
use crate::{AppError, AppResult, Assignment, Caller, Session};
use ingang_policy::{Action, AssignmentId, ClientId, OfficerId};
use ingang_store::StoreError;

impl Session<'_> {
    /// Assigns `officer` to `client`. 409 when already assigned (the
    /// database decides races).
    pub fn assign(
        &mut self,
        caller: &Caller,
        client: ClientId,
        officer: OfficerId,
    ) -> AppResult<Assignment> {
        // The officer's agency decides whether a system account may do this;
        // an unknown officer is decided as one of the caller's own agency.
        let account = self.db.account(officer)?;
        let officer_agency = account
            .as_ref()
            .map(|a| a.agency.clone())
            .unwrap_or_else(|| caller.actor.agency.clone());
        let (_, permit) =
            self.authorize_on_client(caller, Action::ManageAssignment { officer_agency }, client)?;
        let account = account.ok_or(AppError::UnknownReference("officer_id"))?;
        Ok(self
            .db
            .create_assignment(&permit, &account, caller.actor.id)?)
    }

    /// Ends an assignment at once; a missing one is decided (and audited)
    /// exactly like a hidden one.
    pub fn end_assignment(&mut self, caller: &Caller, id: AssignmentId) -> AppResult<Assignment> {
        let (_, permit) = match self.db.assignment(id) {
            Ok(assignment) => {
                let action = Action::ManageAssignment {
                    officer_agency: assignment.officer_agency.clone(),
                };
                self.authorize_on_client(caller, action, assignment.client_id)?
            }
            Err(StoreError::NotFound) => {
                let action = Action::ManageAssignment {
                    officer_agency: caller.actor.agency.clone(),
                };
                self.authorize(caller, action, Resource::Nothing, None)?;
                return Err(AppError::NotFound);
            }
            Err(other) => return Err(other.into()),
        };
        Ok(self.db.end_assignment(&permit, id, caller.actor.id)?)
    }

    /// Who is assigned to the client, open and ended (coordinator).
    pub fn assignments_of_client(
        &mut self,
        caller: &Caller,
        client: ClientId,
    ) -> AppResult<Vec<Assignment>> {
        let (_, permit) = self.authorize_on_client(caller, Action::ReadAssignments, client)?;
        Ok(self.db.assignments_of_client(&permit)?)
    }
}

/// What a coordinator manages of one client: its consents and its
/// assignments (current and ended).
#[derive(Debug, Clone)]
pub struct ClientAdministration {
    pub client: ingang_policy::ClientId,
    pub consents: Vec<crate::Consent>,
    pub assignments: Vec<Assignment>,
}

impl Session<'_> {
    /// The coordinator's view of a client: consents (`consent.manage`) and
    /// assignments (`assignment.read`), each decided and audited as its own
    /// API call is.
    pub fn client_administration(
        &mut self,
        caller: &Caller,
        client: ingang_policy::ClientId,
    ) -> AppResult<ClientAdministration> {
        let consents = self.consents(caller, client)?;
        let assignments = self.assignments_of_client(caller, client)?;
        Ok(ClientAdministration {
            client,
            consents,
            assignments,
        })
    }
}
