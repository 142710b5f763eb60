//! Clients: registration, search by personal number, identity.

use crate::decision::Resource;
use crate::{AppError, AppResult, Caller, ClientIdentity, Session};
use ingang_policy::{Action, ClientId, PersonalNumber, Role};
use ingang_store::StoreError;

/// The outcome of a registration, as the caller may learn it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registration {
    /// A coordinator registered a new client.
    Created(ClientId),
    /// A system account's registration: the same whether or not the person
    /// was registered before; the id only once one of its agency's officers
    /// is assigned to the client (exactly when a search would find it).
    Accepted(Option<ClientId>),
}

impl Session<'_> {
    /// Registers a client. Only a coordinator (operator staff, who must
    /// know) is told that the person is already registered (`Conflict`).
    pub fn register_client(
        &mut self,
        caller: &Caller,
        number: &PersonalNumber,
        name: &str,
    ) -> AppResult<Registration> {
        let permit = self.authorize_without_client(caller, Action::RegisterClient)?;
        if caller.actor.has(Role::Coordinator) {
            let id = self
                .db
                .register_client(&permit, number, name, caller.actor.id)?;
            return Ok(Registration::Created(id));
        }
        // The new client is stored exactly as for a coordinator; an existing
        // one is left as it is (its name is not overwritten).
        let id = match self
            .db
            .register_client(&permit, number, name, caller.actor.id)
        {
            Ok(id) => id,
            Err(StoreError::Conflict(_)) => {
                self.db.find_client(number)?.ok_or(AppError::NotFound)?
            }
            Err(other) => return Err(other.into()),
        };
        // Whether the id may be told is the search decision, audited as one.
        let facts = self.db.load_facts(id)?;
        match self.authorize(
            caller,
            Action::SearchClient,
            Resource::Client(id),
            facts.as_ref(),
        ) {
            Ok(_) => Ok(Registration::Accepted(Some(id))),
            Err(AppError::Denied(_)) => Ok(Registration::Accepted(None)),
            Err(other) => Err(other),
        }
    }

    /// Finds a client by personal number: `NotFound` unless the caller may
    /// see that client (coordinators any, officers their own, systems their
    /// agency's officers' clients).
    pub fn search_client(
        &mut self,
        caller: &Caller,
        number: &PersonalNumber,
    ) -> AppResult<ClientId> {
        let found = self.db.find_client(number)?;
        let facts = found
            .map(|id| self.db.load_facts(id))
            .transpose()?
            .flatten();
        let resource = found.map_or(Resource::Nothing, Resource::Client);
        self.authorize(caller, Action::SearchClient, resource, facts.as_ref())?;
        found.ok_or(AppError::NotFound)
    }

    /// The client's identity fields, under the access rule (audited).
    pub fn client_identity(
        &mut self,
        caller: &Caller,
        client: ClientId,
    ) -> AppResult<ClientIdentity> {
        let (_, permit) = self.authorize_on_client(caller, Action::ReadClient, client)?;
        Ok(self.db.client_identity(&permit)?)
    }
}
