//! Signed consents and withdrawals (coordinator).

use crate::decision::Resource;
use crate::{
    required_text, AppError, AppResult, Caller, Consent, ConsentEvidence, NewConsent, Session,
};
use chrono::{DateTime, Duration, Utc};
use ingang_policy::{
    Action, AgencyCode, ClientId, ConsentId, EvidenceMethod, OfficerId, RecordKind,
};
use ingang_store::StoreError;

/// A consent as a request or a form states it, before it is checked.
#[derive(Clone)]
pub struct ConsentDraft {
    pub recipient_officers: Vec<OfficerId>,
    pub recipient_agencies: Vec<String>,
    pub from_agencies: Vec<String>,
    pub kinds: Vec<String>,
    pub purpose: String,
    pub signed_at: DateTime<Utc>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    /// `paper` or `e-signature`.
    pub evidence_method: String,
    /// SHA-256 of the signed document, 64 hex digits in either case.
    pub document_sha256: String,
}

// The purpose may describe the person's situation: never in logs.
ingang_policy::redacted_debug!(ConsentDraft);

/// How far in the future a signature may be dated (clock skew between the
/// coordinator's machine and the service).
const SIGNATURE_CLOCK_SKEW: Duration = Duration::minutes(5);

fn agencies(field: &str, codes: &[String]) -> AppResult<Vec<AgencyCode>> {
    codes
        .iter()
        .map(|c| AgencyCode::parse(c).map_err(|e| AppError::invalid(field, e.to_string())))
        .collect()
}

impl ConsentDraft {
    /// The consent's terms if its shape holds as of `now`, or the first
    /// field that does not, named.
    pub fn check(self, now: DateTime<Utc>) -> AppResult<NewConsent> {
        let recipient_agencies = agencies("recipients.agencies", &self.recipient_agencies)?;
        if self.recipient_officers.is_empty() && recipient_agencies.is_empty() {
            return Err(AppError::invalid(
                "recipients",
                "name at least one officer or agency",
            ));
        }
        let kinds = self
            .kinds
            .iter()
            .map(|k| {
                k.parse::<RecordKind>().map_err(|_| {
                    AppError::invalid(
                        "scope.kinds",
                        "kinds are action_plan, assessment, follow_up, meeting_note, closure or note",
                    )
                })
            })
            .collect::<AppResult<Vec<_>>>()?;
        let purpose = required_text("purpose", &self.purpose, 500)?;
        if self.valid_until <= self.valid_from {
            return Err(AppError::invalid("valid_until", "must be after valid_from"));
        }
        if self.signed_at > now + SIGNATURE_CLOCK_SKEW {
            return Err(AppError::invalid("signed_at", "must not be in the future"));
        }
        if self.signed_at > self.valid_until {
            return Err(AppError::invalid("signed_at", "must be before valid_until"));
        }
        let method = self
            .evidence_method
            .parse::<EvidenceMethod>()
            .map_err(|_| {
                AppError::invalid("evidence.method", "must be 'paper' or 'e-signature'")
            })?;
        let sha = self.document_sha256.to_ascii_lowercase();
        if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(AppError::invalid(
                "evidence.document_sha256",
                "must be 64 hex digits",
            ));
        }
        Ok(NewConsent {
            recipient_officers: self.recipient_officers,
            recipient_agencies,
            from_agencies: agencies("scope.from_agencies", &self.from_agencies)?,
            kinds,
            purpose,
            signed_at: self.signed_at,
            valid_from: self.valid_from,
            valid_until: self.valid_until,
            evidence: ConsentEvidence {
                method,
                document_sha256: sha,
            },
        })
    }
}

impl Session<'_> {
    /// Records a signed consent for `client`.
    pub fn record_consent(
        &mut self,
        caller: &Caller,
        client: ClientId,
        draft: ConsentDraft,
    ) -> AppResult<Consent> {
        let terms = &draft.check(Utc::now())?;
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
        // Checked here, so every way in refuses a blank reason alike.
        let reason = required_text("reason", reason, 1000)?;
        let reason = reason.as_str();
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

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(now: DateTime<Utc>) -> ConsentDraft {
        ConsentDraft {
            recipient_officers: vec![OfficerId::new_random()],
            recipient_agencies: vec![],
            from_agencies: vec!["af".into()],
            kinds: vec!["note".into()],
            purpose: "Samordning".into(),
            signed_at: now,
            valid_from: now,
            valid_until: now + Duration::days(30),
            evidence_method: "e-signature".into(),
            document_sha256: "AB".repeat(32),
        }
    }

    fn refused_field(draft: ConsentDraft, now: DateTime<Utc>) -> String {
        match draft.check(now) {
            Err(AppError::Invalid { field, .. }) => field,
            Err(other) => panic!("expected a named field, got {other:?}"),
            Ok(_) => panic!("expected a refusal"),
        }
    }

    #[test]
    fn a_well_formed_consent_passes_with_its_digest_lowercased() {
        let now = Utc::now();
        let Ok(terms) = draft(now).check(now) else {
            panic!("a well-formed consent was refused")
        };
        assert_eq!(terms.evidence.document_sha256, "ab".repeat(32));
        assert_eq!(terms.kinds, vec![RecordKind::Note]);
        assert_eq!(terms.from_agencies, vec![AgencyCode::parse("af").unwrap()]);
    }

    #[test]
    fn each_broken_rule_is_named() {
        let now = Utc::now();
        type Breaks = Box<dyn Fn(&mut ConsentDraft)>;
        let cases: Vec<(&str, Breaks)> = vec![
            ("recipients", Box::new(|d| d.recipient_officers.clear())),
            (
                "recipients.agencies",
                Box::new(|d| d.recipient_agencies = vec!["AF".into()]),
            ),
            (
                "scope.from_agencies",
                Box::new(|d| d.from_agencies = vec!["x".into()]),
            ),
            ("scope.kinds", Box::new(|d| d.kinds = vec!["diary".into()])),
            ("purpose", Box::new(|d| d.purpose = "  ".into())),
            ("valid_until", Box::new(|d| d.valid_until = d.valid_from)),
            (
                "signed_at",
                Box::new(move |d| d.signed_at = now + Duration::hours(1)),
            ),
            (
                "signed_at",
                Box::new(|d| {
                    d.valid_until = d.valid_from + Duration::seconds(1);
                    d.signed_at = d.valid_from + Duration::seconds(2);
                }),
            ),
            (
                "evidence.method",
                Box::new(|d| d.evidence_method = "fax".into()),
            ),
            (
                "evidence.document_sha256",
                Box::new(|d| d.document_sha256 = "ab".into()),
            ),
        ];
        for (field, breaks) in cases {
            let mut broken = draft(now);
            breaks(&mut broken);
            assert_eq!(refused_field(broken, now), field);
        }
    }

    #[test]
    fn a_signature_a_few_minutes_ahead_is_clock_skew_not_the_future() {
        let now = Utc::now();
        let mut d = draft(now);
        d.signed_at = now + Duration::minutes(4);
        assert!(d.check(now).is_ok());
    }

    #[test]
    fn debug_never_shows_the_purpose() {
        let now = Utc::now();
        assert!(!format!("{:?}", draft(now)).contains("Samordning"));
    }
}
