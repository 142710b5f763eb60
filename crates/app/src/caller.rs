//! Who is asking: an authenticated account, checked against the store on
//! every request (through the facts cache, valid only while the stored
//! policy epoch is unchanged, so a deactivation counts at once).

use crate::{AppError, AppResult, Session};
use ingang_policy::{Actor, DenyReason, OfficerId, Role};

/// What a verified token says about its bearer; the HTTP layer checks the
/// signature, issuer, audience and expiry before it builds one.
#[derive(Debug, Clone)]
pub struct TokenIdentity {
    pub subject: String,
    pub agency: String,
    pub roles: Vec<String>,
}

/// Where a request came from, for its audit entries: the request's id
/// (also sent back as `x-request-id`) and the client's address as the
/// HTTP layer believes it. Made once per request, before any way in
/// (API or web page) authenticates the caller.
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    pub request_id: String,
    pub source_addr: Option<String>,
}

/// An authenticated caller: the account (roles narrowed to the token's),
/// the officer a system account acts for, and request context for the audit.
#[derive(Debug, Clone)]
pub struct Caller {
    pub actor: Actor,
    pub on_behalf_of: Option<Actor>,
    pub request_id: String,
    pub source_addr: Option<String>,
}

impl Caller {
    /// The officer whose rights case data is decided on.
    pub fn subject(&self) -> &Actor {
        self.on_behalf_of.as_ref().unwrap_or(&self.actor)
    }
}

impl Session<'_> {
    /// Resolves a verified token to a caller: the subject must be an
    /// existing, active account of the token's agency holding every role the
    /// token claims. A system account may name an officer it acts for.
    pub fn authenticate(
        &mut self,
        token: &TokenIdentity,
        on_behalf_of: Option<OfficerId>,
        request_id: String,
        source_addr: Option<String>,
    ) -> AppResult<Caller> {
        let caller = self.authenticate_now(token, on_behalf_of, request_id, source_addr);
        // Kept first, a refusal may rest on an account as it was: it is
        // given only if the epochs have not moved since (no audit entry
        // checks it); else the request is decided again
        // (`Session::kept_first`).
        if let Err(AppError::Unauthenticated(_) | AppError::Denied(_)) = &caller {
            self.db.confirm_unread()?;
        }
        caller
    }

    fn authenticate_now(
        &mut self,
        token: &TokenIdentity,
        on_behalf_of: Option<OfficerId>,
        request_id: String,
        source_addr: Option<String>,
    ) -> AppResult<Caller> {
        let sub: OfficerId = token
            .subject
            .parse()
            .map_err(|_| AppError::Unauthenticated("invalid token subject"))?;
        let account = self.db.account(sub)?.ok_or(AppError::Unauthenticated(
            "token subject is not a known account",
        ))?;
        if !account.active {
            return Err(AppError::Unauthenticated("account is deactivated"));
        }
        if account.agency.as_str() != token.agency {
            return Err(AppError::Unauthenticated(
                "token agency does not match the account",
            ));
        }
        let mut roles = Vec::with_capacity(token.roles.len());
        for role in &token.roles {
            let role: Role = role
                .parse()
                .map_err(|_| AppError::Unauthenticated("token names an unknown role"))?;
            if !account.roles.contains(&role) {
                return Err(AppError::Unauthenticated(
                    "token claims a role the account does not hold",
                ));
            }
            roles.push(role);
        }
        let actor = Actor {
            id: account.id,
            agency: account.agency,
            roles,
            active: account.active,
        };
        let on_behalf_of = match on_behalf_of {
            None => None,
            // Naming an officer that does not exist is refused like any
            // other attempt to act for someone one may not act for.
            Some(id) => match self.db.account(id)? {
                Some(officer) => Some(Actor {
                    id: officer.id,
                    agency: officer.agency,
                    roles: officer.roles,
                    active: officer.active,
                }),
                None => return Err(AppError::Denied(DenyReason::RoleNotPermitted)),
            },
        };
        Ok(Caller {
            actor,
            on_behalf_of,
            request_id,
            source_addr,
        })
    }

    /// The operator running a command (`ingang retention run`) as one of
    /// their roles: the account must exist, be active and hold the role,
    /// exactly as for a token that claims it. Their actions are audited as
    /// theirs, under `request_id`.
    pub fn operator(&mut self, id: OfficerId, role: Role, request_id: String) -> AppResult<Caller> {
        let account = self
            .db
            .account(id)?
            .ok_or(AppError::Unauthenticated("no such account"))?;
        let token = TokenIdentity {
            subject: id.to_string(),
            agency: account.agency.to_string(),
            roles: vec![role.as_str().to_owned()],
        };
        self.authenticate(&token, None, request_id, None)
    }
}
