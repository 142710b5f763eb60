//! Signed consents and withdrawals (coordinator).

use crate::decision::Resource;
use crate::{AppError, AppResult, Caller, Consent, NewConsent, Session};
use ingang_policy::{Action, ClientId, ConsentId};
use ingang_store::StoreError;

impl Session<'_> {
    /// Records a signed consent for `client`.
    pub fn record_consent(
        &mut self,
        caller: &Caller,
        client: ClientId,
        terms: &NewConsent,
    ) -> AppResult<Consent> {
        let (_, permit) = self.authorize_on_client(caller, Action::ManageConsents, client)?;
        for agency in terms.recipient_agencies.iter().chain(&terms.from_agencies) {
            if !self.db.agency_exists(agency)? {
                return Err(AppError::UnknownReference("agencies"));
            }
        }
        Ok(self.db.create_consent(&permit, terms, caller.actor.id)?)
    }

    /// The client's consents, oldest first.
    pub fn consents(&mut self, caller: &Caller, client: ClientId) -> AppResult<Vec<Consent>> {
        let (_, permit) = self.authorize_on_client(caller, Action::ManageConsents, client)?;
        Ok(self.db.consents(&permit)?)
    }

    /// Withdraws a consent: final, effective on the very next request.
    pub fn withdraw_consent(
        &mut self,
        caller: &Caller,
        consent: ConsentId,
        reason: &str,
    ) -> AppResult<Consent> {
        let client = match self.db.consent_client(consent) {
            Ok(client) => client,
            Err(StoreError::NotFound) => {
                self.authorize(caller, Action::ManageConsents, Resource::Nothing, None)?;
                return Err(AppError::NotFound);
            }
            Err(other) => return Err(other.into()),
        };
        let (_, permit) = self.authorize_on_client(caller, Action::ManageConsents, client)?;
        Ok(self
            .db
            .withdraw_consent(&permit, consent, reason, caller.actor.id)?)
    }
}
