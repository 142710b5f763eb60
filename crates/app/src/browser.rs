//! Browser sessions: how the web page's sign-in becomes a [`Caller`].
//!
//! Once the sign-in has established who the person is (an OpenID Connect
//! provider's subject mapped to an account, or the development sign-in),
//! [`Session::sign_in`] makes a random token for the cookie and stores only
//! its SHA-256. Every page load resolves the token to a caller with
//! [`Session::browser_caller`], checking the session's expiry and the
//! account exactly as a bearer token's account is checked: active, and
//! holding the roles it acts in. The caller then goes through the same
//! decision point and audit as an API request.

use crate::decision::{Decided, Resource};
use crate::{AppError, AppResult, Caller, RequestContext, Session, TokenIdentity};
use chrono::{DateTime, Duration, Utc};
use ingang_policy::OfficerId;
use ingang_policy::{AuditAction, Decision};
use ring::digest::{digest, SHA256};
use ring::rand::{SecureRandom, SystemRandom};

/// The secret in a browser's session cookie. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(String);

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(<redacted>)")
    }
}

impl SessionToken {
    /// The token as the cookie carries it (URL-safe base64 of 32 random bytes).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A token read from a cookie; any text is accepted here and simply
    /// matches no session when it is not one.
    pub fn from_cookie(value: &str) -> Self {
        SessionToken(value.to_owned())
    }

    fn sha256(&self) -> [u8; 32] {
        sha256(&[self.0.as_bytes()])
    }

    /// The session's CSRF token: derived from the secret, so it needs no
    /// storage, and useless without the cookie it belongs to.
    pub fn csrf_token(&self) -> String {
        base64url(&sha256(&[b"ingang csrf v1\0", self.0.as_bytes()]))
    }

    /// Whether a form's CSRF field belongs to this session. Compared by
    /// digest, so the time taken tells nothing about the expected value.
    pub fn csrf_matches(&self, sent: &str) -> bool {
        sha256(&[self.csrf_token().as_bytes()]) == sha256(&[sent.as_bytes()])
    }
}

/// The key a provider's subject is kept under: the hash of the issuer and
/// the subject, so a subject that is personal data is not stored.
fn subject_key(issuer: &str, subject: &str) -> [u8; 32] {
    sha256(&[
        b"ingang subject v1\0",
        issuer.as_bytes(),
        b"\0",
        subject.as_bytes(),
    ])
}

fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut joined = Vec::new();
    for part in parts {
        joined.extend_from_slice(part);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, &joined).as_ref());
    out
}

/// A session just started.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub token: SessionToken,
    pub expires_at: DateTime<Utc>,
}

/// A signed-in browser on one page load.
#[derive(Clone)]
pub struct BrowserCaller {
    pub caller: Caller,
    /// The signed-in person's own name, for the page's header.
    pub name: String,
    /// When the account's previous session began: "new since my last visit".
    pub previous_visit: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for BrowserCaller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrowserCaller")
            .field("caller", &self.caller)
            .field("name", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl Session<'_> {
    /// Starts a browser session for `account`, whose identity the sign-in
    /// has established. The account must exist and be active.
    /// The sign-in is audited (`session.start`) before the session exists:
    /// if the audit log fails, nobody is signed in.
    pub fn sign_in(
        &mut self,
        account: OfficerId,
        lifetime: Duration,
        context: &RequestContext,
    ) -> AppResult<SignedIn> {
        let found = self
            .db
            .account(account)?
            .ok_or(AppError::Unauthenticated("no such account"))?;
        if !found.active {
            return Err(AppError::Unauthenticated("account is deactivated"));
        }
        self.audit_session(&found, AuditAction::SignIn, context)?;
        let mut secret = [0u8; 32];
        SystemRandom::new()
            .fill(&mut secret)
            .map_err(|_| AppError::Internal("no randomness for a session token".into()))?;
        let token = SessionToken(base64url(&secret));
        let now = Utc::now();
        let expires_at = now + lifetime;
        self.db
            .start_web_session(&token.sha256(), account, now, expires_at)?;
        Ok(SignedIn { token, expires_at })
    }

    /// The caller behind a session cookie, acting in every role its account
    /// holds. An unknown, ended or expired session, or a deactivated
    /// account, is unauthenticated.
    pub fn browser_caller(
        &mut self,
        token: &SessionToken,
        request_id: String,
        source_addr: Option<String>,
    ) -> AppResult<BrowserCaller> {
        let session = self
            .db
            .web_session(&token.sha256())?
            .ok_or(AppError::Unauthenticated("no such session"))?;
        if session.ended_at.is_some() {
            return Err(AppError::Unauthenticated("the session was ended"));
        }
        if session.expires_at <= Utc::now() {
            return Err(AppError::Unauthenticated("the session has expired"));
        }
        // The officer row gives the account and the person's own name (no
        // case data; shown in the header), read once.
        let officer = match self.db.officer(session.account) {
            Ok(officer) => officer,
            Err(ingang_store::StoreError::NotFound) => {
                return Err(AppError::Unauthenticated("no such account"))
            }
            Err(other) => return Err(other.into()),
        };
        let account = &officer.account;
        let identity = TokenIdentity {
            subject: account.id.to_string(),
            agency: account.agency.to_string(),
            roles: account
                .roles
                .iter()
                .map(|r| r.as_str().to_owned())
                .collect(),
        };
        let caller = self.authenticate(&identity, None, request_id, source_addr)?;
        let name = officer.name;
        Ok(BrowserCaller {
            caller,
            name,
            previous_visit: session.previous_visit,
            expires_at: session.expires_at,
        })
    }

    /// Starts a browser session for whoever an OpenID Connect provider
    /// vouched for: the account linked to `issuer`'s `subject`. The caller
    /// (the web page) has verified the provider's ID token first.
    pub fn sign_in_subject(
        &mut self,
        issuer: &str,
        subject: &str,
        lifetime: Duration,
        context: &RequestContext,
    ) -> AppResult<SignedIn> {
        let account = self
            .db
            .account_for_subject(&subject_key(issuer, subject))?
            .ok_or(AppError::Unauthenticated(
                "no account is linked to this sign-in",
            ))?;
        self.sign_in(account, lifetime, context)
    }

    /// Links `issuer`'s `subject` to `account` (admin): that sign-in then
    /// opens that account. Only the hash of the pair is kept.
    pub fn link_sign_in(
        &mut self,
        caller: &Caller,
        issuer: &str,
        subject: &str,
        account: OfficerId,
    ) -> AppResult<()> {
        let subject = crate::required_text("subject", subject, 500)?;
        self.authorize_without_client(caller, ingang_policy::Action::ManageOfficers)?;
        if self.db.account(account)?.is_none() {
            return Err(AppError::UnknownReference("account"));
        }
        self.db
            .link_subject(&subject_key(issuer, &subject), account, Utc::now())?;
        Ok(())
    }

    /// Ends the session behind a cookie (sign-out), audited as
    /// `session.end` first. Unknown or ended sessions are left as they are.
    pub fn sign_out(&mut self, token: &SessionToken, context: &RequestContext) -> AppResult<()> {
        let hash = token.sha256();
        let Some(session) = self.db.web_session(&hash)? else {
            return Ok(());
        };
        if session.ended_at.is_some() {
            return Ok(());
        }
        if let Some(account) = self.db.account(session.account)? {
            self.audit_session(&account, AuditAction::SignOut, context)?;
        }
        Ok(self.db.end_web_session(&hash, Utc::now())?)
    }

    /// An audit entry for a session beginning or ending: the account, in
    /// every role it holds, allowed (a sign-in is no access decision; the
    /// provider or the development sign-in established who it is).
    fn audit_session(
        &mut self,
        account: &ingang_store::Account,
        action: AuditAction,
        context: &RequestContext,
    ) -> AppResult<()> {
        let caller = Caller {
            actor: ingang_policy::Actor {
                id: account.id,
                agency: account.agency.clone(),
                roles: account.roles.clone(),
                active: account.active,
            },
            on_behalf_of: None,
            request_id: context.request_id.clone(),
            source_addr: context.source_addr.clone(),
        };
        let decided = Decided {
            action,
            resource: Resource::Nothing,
            decision: Decision::Allow { consent: None },
            at: Utc::now(),
        };
        self.audit(&caller, &[decided])?;
        Ok(())
    }
}

fn base64url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_belong_to_their_session_only() {
        let a = SessionToken::from_cookie("a");
        let b = SessionToken::from_cookie("b");
        assert!(a.csrf_matches(&a.csrf_token()));
        assert!(!a.csrf_matches(&b.csrf_token()));
        assert!(!a.csrf_matches(""));
        assert_ne!(a.csrf_token(), a.expose());
    }

    #[test]
    fn tokens_are_url_safe_and_debug_hides_them() {
        let token = SessionToken(base64url(&[0xfb; 32]));
        assert_eq!(token.expose().len(), 43);
        assert!(token
            .expose()
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_eq!(format!("{token:?}"), "SessionToken(<redacted>)");
    }
}
