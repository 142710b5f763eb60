//! Swedish first, English a click away. Every text of the page is a
//! [`T`], and each has both languages in one place (a missing translation
//! does not compile).

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use ingang_policy::bodies::ActivityType;
use ingang_policy::plan::ConflictKind;
use ingang_policy::{AuditAction, DenyReason, RecordKind, Role};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Sv,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Sv => "sv",
            Lang::En => "en",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        match code {
            "sv" => Some(Lang::Sv),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language the switch offers.
    pub fn other(self) -> Lang {
        match self {
            Lang::Sv => Lang::En,
            Lang::En => Lang::Sv,
        }
    }

    /// The language's own name, for the switch.
    pub fn own_name(self) -> &'static str {
        match self {
            Lang::Sv => "Svenska",
            Lang::En => "English",
        }
    }

    /// `29 november 2026` / `29 November 2026`.
    pub fn date(self, date: NaiveDate) -> String {
        const SV: [&str; 12] = [
            "januari",
            "februari",
            "mars",
            "april",
            "maj",
            "juni",
            "juli",
            "augusti",
            "september",
            "oktober",
            "november",
            "december",
        ];
        const EN: [&str; 12] = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        let months = match self {
            Lang::Sv => SV,
            Lang::En => EN,
        };
        let month = months
            .get(date.month0() as usize)
            .copied()
            .unwrap_or_default();
        format!("{} {month} {}", date.day(), date.year())
    }

    /// The day a moment falls on in Sweden.
    pub fn day_of(self, at: DateTime<Utc>) -> String {
        let local = at.naive_utc() + chrono::Duration::hours(swedish_offset_hours(at));
        self.date(local.date())
    }

    /// The last day a period ending (exclusively) at `until` covers.
    pub fn last_day_before(self, until: DateTime<Utc>) -> String {
        self.day_of(until - chrono::Duration::seconds(1))
    }

    /// A moment in Swedish time, as a date and a 24-hour time.
    pub fn moment(self, at: DateTime<Utc>) -> String {
        let local = at.naive_utc() + chrono::Duration::hours(swedish_offset_hours(at));
        format!("{} {}", self.date(local.date()), local.format("%H:%M"))
    }

    /// `100 %` / `100%`: Swedish puts a space before the sign.
    pub fn percent(self, value: u32) -> String {
        match self {
            Lang::Sv => format!("{value}\u{a0}%"),
            Lang::En => format!("{value}%"),
        }
    }

    pub fn kind(self, kind: RecordKind) -> &'static str {
        match kind {
            RecordKind::ActionPlan => T::KindActionPlan.in_(self),
            RecordKind::Assessment => T::KindAssessment.in_(self),
            RecordKind::FollowUp => T::KindFollowUp.in_(self),
            RecordKind::MeetingNote => T::KindMeetingNote.in_(self),
            RecordKind::Closure => T::KindClosure.in_(self),
            RecordKind::Note => T::KindNote.in_(self),
        }
    }

    pub fn conflict(self, kind: ConflictKind) -> &'static str {
        match kind {
            ConflictKind::OverFullTime => T::ConflictOverFullTime.in_(self),
            ConflictKind::ExcludingActivities => T::ConflictExcluding.in_(self),
            ConflictKind::ResponsibilityDisputed => T::ConflictResponsibility.in_(self),
            ConflictKind::FollowUpOverdue => T::ConflictFollowUpOverdue.in_(self),
        }
    }

    pub fn activity(self, activity: ActivityType) -> &'static str {
        match activity {
            ActivityType::Work => T::ActivityWork.in_(self),
            ActivityType::SubsidisedWork => T::ActivitySubsidisedWork.in_(self),
            ActivityType::Internship => T::ActivityInternship.in_(self),
            ActivityType::Studies => T::ActivityStudies.in_(self),
            ActivityType::SickLeave => T::ActivitySickLeave.in_(self),
            ActivityType::Treatment => T::ActivityTreatment.in_(self),
            ActivityType::Other => T::ActivityOther.in_(self),
        }
    }

    pub fn role(self, role: Role) -> &'static str {
        match role {
            Role::Officer => T::RoleOfficer.in_(self),
            Role::Coordinator => T::RoleCoordinator.in_(self),
            Role::Auditor => T::RoleAuditor.in_(self),
            Role::Admin => T::RoleAdmin.in_(self),
            Role::System => T::RoleSystem.in_(self),
        }
    }

    /// Why a logged access was refused, told of the one who asked (the log
    /// and the client's extract speak of them, not to them).
    pub fn logged_refusal(self, reason: DenyReason) -> &'static str {
        match reason {
            DenyReason::NotFound => T::LogNotFound.in_(self),
            DenyReason::NoAssignment => T::LogNoAssignment.in_(self),
            DenyReason::ClientErased => T::LogErased.in_(self),
            DenyReason::NoActiveConsent => T::LogNoConsent.in_(self),
            DenyReason::ConsentWithdrawn => T::LogWithdrawn.in_(self),
            DenyReason::ConsentExpired => T::LogExpired.in_(self),
            DenyReason::OutsideConsentScope => T::LogScope.in_(self),
            DenyReason::OfficerInactive => T::LogInactive.in_(self),
            DenyReason::RoleNotPermitted => T::LogRole.in_(self),
            DenyReason::NotAuthoringAgency => T::LogAuthoring.in_(self),
        }
    }

    /// A refusal in plain words, for a caller who may learn the reason (a
    /// hidden or erased client is told nothing of the kind).
    pub fn refusal(self, reason: DenyReason) -> &'static str {
        match reason {
            DenyReason::NotFound | DenyReason::NoAssignment => T::NotFoundText.in_(self),
            DenyReason::ClientErased => T::GoneText.in_(self),
            DenyReason::NoActiveConsent => T::DenyNoConsent.in_(self),
            DenyReason::ConsentWithdrawn => T::DenyWithdrawn.in_(self),
            DenyReason::ConsentExpired => T::DenyExpired.in_(self),
            DenyReason::OutsideConsentScope => T::DenyScope.in_(self),
            DenyReason::OfficerInactive => T::DenyInactive.in_(self),
            DenyReason::RoleNotPermitted => T::DenyRole.in_(self),
            DenyReason::NotAuthoringAgency => T::DenyAuthoring.in_(self),
        }
    }
}

impl T {
    /// An audit action in words.
    pub fn action(action: AuditAction) -> T {
        match action {
            AuditAction::ReadClient => T::ActClientRead,
            AuditAction::ListRecords => T::ActRecordList,
            AuditAction::ViewPlan => T::ActPlanRead,
            AuditAction::ReadRecord => T::ActRecordRead,
            AuditAction::CreateRecord => T::ActRecordCreate,
            AuditAction::UpdateRecord => T::ActRecordUpdate,
            AuditAction::SearchClient => T::ActClientSearch,
            AuditAction::ManageConsents => T::ActConsentManage,
            AuditAction::ManageAssignment => T::ActAssignmentManage,
            AuditAction::ReadAssignments => T::ActAssignmentRead,
            AuditAction::ProtectIdentity => T::ActClientProtect,
            AuditAction::EraseClient => T::ActClientErase,
            AuditAction::ListClients => T::ActClientList,
            AuditAction::ReadAccessLog => T::ActAccessLog,
            AuditAction::RegisterClient => T::ActClientRegister,
            AuditAction::ManageAgencies => T::ActAgencyManage,
            AuditAction::ManageOfficers => T::ActOfficerManage,
            AuditAction::QueryAudit => T::ActAuditQuery,
            AuditAction::ExportAudit => T::ActAuditExport,
            AuditAction::ProveAudit => T::ActAuditProof,
            AuditAction::VerifyAudit => T::ActAuditVerify,
            AuditAction::SignIn => T::ActSignIn,
            AuditAction::SignOut => T::ActSignOut,
        }
    }
}

macro_rules! texts {
    ($($key:ident => $sv:literal, $en:literal;)*) => {
        /// A text of the page, in both languages.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum T { $($key),* }

        impl T {
            #[doc = "The text of one entry in the chosen language."]
            pub fn in_(self, lang: Lang) -> &'static str {
                match self {
                    $(T::$key => match lang {
                        Lang::Sv => $sv,
                        Lang::En => $en,
                    }),*
                }
            }
        }
    };
}

texts! {
    Service => "ingång", "ingång";
    Tagline => "Samtyckesstyrd gemensam akt", "Consent-gated shared case record";
    SkipToContent => "Hoppa till innehållet", "Skip to content";
    SignIn => "Logga in", "Sign in";
    SignOut => "Logga ut", "Sign out";
    SignedInAs => "Inloggad som", "Signed in as";
    Language => "Språk", "Language";
    DevSignInHeading => "Utvecklingsinloggning", "Development sign-in";
    DevSignInHelp => "Bara utanför produktion: välj ett demokonto.", "Outside production only: choose a demo account.";
    DevSignInById => "Konto-id", "Account id";
    NoSignInConfigured => "Ingen inloggning är konfigurerad.", "No sign-in is configured.";
    MyClients => "Mina klienter", "My clients";
    AllClients => "Alla klienter", "All clients";
    NoClients => "Du har inga klienter just nu.", "You have no clients at the moment.";
    ClientColumn => "Klient", "Client";
    AssignedSince => "Tilldelad sedan", "Assigned since";
    RegisteredOn => "Registrerad", "Registered";
    ProtectedIdentity => "Skyddad identitet", "Protected identity";
    NameNotShown => "Namnet visas inte", "Name not shown";
    LastVisit => "Ditt förra besök", "Your previous visit";
    FirstVisit => "Det här är ditt första besök.", "This is your first visit.";
    New => "Ny", "New";
    NewRecords => "Nytt sedan förra besöket", "New since your previous visit";
    NewRecordsSince => "nya eller ändrade handlingar", "new or amended records";
    NewSinceLastVisit => "nytt sedan förra besöket", "new since your previous visit";
    ClientFile => "Klientakt", "Client file";
    PersonalNumber => "Personnummer", "Personal number";
    Name => "Namn", "Name";
    Records => "Handlingar", "Records";
    NoRecords => "Det finns inga handlingar som du får se.", "There are no records you may see.";
    MoreRecords => "Fler handlingar finns än vad som visas här.", "There are more records than shown here.";
    WhyYouMaySee => "Varför du får se detta", "Why you may see this";
    ConsentCovers => "Samtycke", "Consent";
    ValidUntil => "giltigt till", "valid until";
    ValidFrom => "från", "from";
    EveryAgency => "alla myndigheter", "every agency";
    EveryKind => "alla slag av handlingar", "every kind of record";
    FromAgencies => "handlingar från", "records from";
    OwnAgency => "Din egen myndighets handling", "Your own agency's record";
    Written => "Skriven", "Written";
    Version => "Version", "Version";
    Agency => "Myndighet", "Agency";
    Kind => "Slag", "Kind";
    SharedPlan => "Gemensam plan", "Shared plan";
    ToSharedPlan => "Visa den gemensamma planen", "Show the shared plan";
    BackToFile => "Tillbaka till klientakten", "Back to the client file";
    Timeline => "Tidslinje", "Timeline";
    Activity => "Aktivitet", "Activity";
    Extent => "Omfattning", "Extent";
    From => "Från", "From";
    To => "Till", "To";
    Responsible => "Ansvarig", "Responsible";
    Goals => "Mål", "Goals";
    OverallResponsibility => "Samordningsansvar", "Overall responsibility";
    FollowUpOn => "Följs upp", "Follow-up on";
    Conflicts => "Krockar", "Conflicts";
    NoConflicts => "Inga krockar i de planer du får se.", "No conflicts in the plans you may see.";
    ConflictCount => "krockar i planen", "conflicts in the plan";
    InConflict => "I konflikt", "In conflict";
    NoPlans => "Det finns ingen handlingsplan som du får se.", "There is no action plan you may see.";
    Involves => "Berör", "Involves";
    Period => "Period", "Period";
    Total => "sammanlagt", "in total";
    ConflictOverFullTime => "Mer än heltid", "More than full time";
    ConflictExcluding => "Aktiviteter som utesluter varandra", "Activities that exclude each other";
    ConflictResponsibility => "Oenighet om ansvaret", "Responsibility disputed";
    ConflictFollowUpOverdue => "Uppföljningen är försenad", "Follow-up overdue";
    KindActionPlan => "Handlingsplan", "Action plan";
    KindAssessment => "Bedömning", "Assessment";
    KindFollowUp => "Uppföljning", "Follow-up";
    KindMeetingNote => "Mötesanteckning", "Meeting note";
    KindClosure => "Avslut", "Closure";
    KindNote => "Anteckning", "Note";
    NotFoundTitle => "Finns inte", "Not found";
    NotFoundText => "Det finns ingen klient eller handling här.", "There is no client or record here.";
    GoneTitle => "Klienten är raderad", "The client has been erased";
    GoneText => "Klientens uppgifter är raderade och kan inte visas.", "The client's data has been erased and cannot be shown.";
    RefusedTitle => "Åtkomst nekad", "Access refused";
    DenyNoConsent => "Klientens samtycke omfattar inte dig.", "The client's consent does not name you.";
    DenyWithdrawn => "Klienten har återkallat samtycket som omfattade dig.", "The client has withdrawn the consent that named you.";
    DenyExpired => "Samtycket som omfattade dig har gått ut.", "The consent that named you has expired.";
    DenyScope => "Samtycket omfattar inte den här myndigheten eller det här slaget av handling.", "The consent does not cover this agency or kind of record.";
    DenyInactive => "Ditt konto är inte aktivt.", "Your account is not active.";
    DenyRole => "Din roll får inte göra detta.", "Your role does not permit this.";
    DenyAuthoring => "Bara myndigheten som skrev handlingen får ändra den.", "Only the agency that wrote the record may change it.";
    UnavailableTitle => "Tjänsten är inte tillgänglig", "The service is unavailable";
    UnavailableText => "Försök igen om en stund. Inget visades utan att loggas.", "Try again in a moment. Nothing was shown without being logged.";
    ErrorTitle => "Något gick fel", "Something went wrong";
    ErrorText => "Felet är loggat. Försök igen.", "The error has been logged. Try again.";
    BadRequestTitle => "Felaktig begäran", "Bad request";
    CsrfRefused => "Formuläret saknade sin säkerhetskod eller var för gammalt. Ladda om sidan och försök igen.", "The form lacked its security code or was too old. Reload the page and try again.";
    SignInAgain => "Logga in igen", "Sign in again";
    ToStart => "Till startsidan", "To the start page";
    FieldError => "Fel i fältet", "Error in field";
    Optional => "frivilligt", "optional";
    AuditLog => "Åtkomstlogg", "Access log";
    SignInWith => "Logga in med", "Sign in with";
    LinkSignIn => "Koppla en inloggning till ett konto", "Link a sign-in to an account";
    LinkSignInText => "En OpenID Connect-leverantörs användare (dess subject) öppnar då kontot. Bara ett hashvärde av kopplingen sparas.", "That OpenID Connect provider's user (its subject) then opens the account. Only a hash of the link is kept.";
    LinkSignInButton => "Koppla inloggningen", "Link the sign-in";
    Issuer => "Leverantörens issuer", "The provider's issuer";
    IssuerHint => "Som i konfigurationen, till exempel https://login.example.se.", "As in the configuration, for example https://login.example.se.";
    Subject => "Användarens subject hos leverantören", "The user's subject at the provider";
    SubjectHint => "Det värde leverantören skickar som sub.", "The value the provider sends as sub.";
    SignedIn => "Du är inloggad", "You are signed in";
    Continue => "Fortsätt", "Continue";
    SignInFailed => "Inloggningen misslyckades", "The sign-in failed";
    SignInFailedText => "Inloggningen gick inte igenom, eller så är ingen ingång-användare kopplad till den. Försök igen eller kontakta administratören.", "The sign-in did not go through, or no ingång account is linked to it. Try again or contact the administrator.";
    Administration => "Administration", "Administration";
    Agencies => "Myndigheter", "Agencies";
    AgencyCode => "Myndighetskod", "Agency code";
    AddAgency => "Lägg till myndighet", "Add an agency";
    Accounts => "Konton", "Accounts";
    AddAccount => "Lägg till konto", "Add an account";
    Roles => "Roller", "Roles";
    Deactivate => "Inaktivera", "Deactivate";
    Deactivated => "Inaktiverat", "Deactivated";
    AlreadyExists => "Finns redan.", "Already exists.";
    Search => "Sök", "Search";
    Results => "Träffar", "Results";
    NextPage => "Nästa sida", "Next page";
    When => "När", "When";
    Who => "Vem", "Who";
    What => "Vad", "What";
    UnderConsent => "Samtycke", "Consent";
    OnBehalfOf => "för", "for";
    Allowed => "Tillåten", "Allowed";
    Integrity => "Loggens äkthet", "The log's integrity";
    IntegrityIntro => "Åtkomstloggen är ett Merkleträd. Varje kontrollpunkt signeras av tjänsten och kontrasigneras av oberoende vittnen, så att ingen, inte heller den som driver tjänsten, kan ändra eller ta bort en post utan att det syns.", "The access log is a Merkle tree. Every checkpoint is signed by the service and cosigned by independent witnesses, so nobody, not even the operator, can change or remove an entry unseen.";
    Verification => "Kontroll", "Verification";
    VerifyNow => "Kontrollera hela loggen", "Verify the whole log";
    LogIntact => "Loggen är hel.", "The log is intact.";
    LogNotIntact => "Loggen är inte hel", "The log is not intact";
    EntriesChecked => "Kontrollerade poster", "Entries checked";
    CheckpointsChecked => "kontrollpunkter", "checkpoints";
    Pending => "poster som väntar på att föras in", "entries waiting to be added";
    LatestCheckpoint => "Senaste kontrollpunkten", "The newest checkpoint";
    NoCheckpoint => "Ingen kontrollpunkt är signerad ännu.", "No checkpoint is signed yet.";
    TreeSize => "Antal poster", "Entries";
    RootHash => "Rothash", "Root hash";
    SignedAt => "Signerad", "Signed";
    Cosignatures => "Vittnens kontrasignaturer", "Witnesses' cosignatures";
    NoCosignatures => "Inget vittne har kontrasignerat den här kontrollpunkten ännu.", "No witness has cosigned this checkpoint yet.";
    SignedNote => "Den signerade kontrollpunkten", "The signed checkpoint";
    PublicKey => "Loggens publika nyckel", "The log's public key";
    PublicKeyIntro => "Med den här nyckeln kan vem som helst kontrollera kontrollpunkter och bevis, utan tillgång till tjänsten.", "With this key anyone can check checkpoints and proofs without access to the service.";
    Witnesses => "Vittnen", "Witnesses";
    ProofOfEntry => "Bevis för post", "Proof of entry";
    ProofHolds => "Beviset stämmer: posten ingår i den signerade kontrollpunkten.", "The proof holds: the entry is in the signed checkpoint.";
    ProofFails => "Beviset stämmer inte", "The proof does not hold";
    TheEntry => "Posten", "The entry";
    LeafIndex => "Plats i trädet", "Place in the tree";
    ProofPath => "Beviset", "The proof";
    CheckElsewhere => "Kontrollera själv", "Check it yourself";
    CheckElsewhereText => "Hämta beviset från API:t och kontrollera det med bara loggens publika nyckel:", "Fetch the proof from the API and check it with only the log's public key:";
    ExtractErased => "Personen är raderad. Uppgifterna om hen går inte längre att läsa, men loggen över vem som läste dem finns kvar.", "The person has been erased. Their data can no longer be read, but the log of who read it remains.";
    UnknownPerson => "Okänt konto", "Unknown account";
    PurposeUnreadable => "Samtycke (syftet går inte längre att läsa)", "A consent (its purpose can no longer be read)";
    Refused => "Nekad", "Refused";
    ClientIdField => "Klientens id", "Client id";
    ActorIdField => "Kontots id", "Account id";
    Decision => "Beslut", "Decision";
    FromDay => "Från och med dag", "From day";
    ToDay => "Till och med dag", "To day";
    Extract => "Utdrag ur åtkomstloggen", "Extract from the access log";
    ExtractIntro => "Varje gång någon har läst eller försökt läsa uppgifter om klienten, vem det var, när, vad det gällde, om det tilläts och under vilket samtycke.", "Every time someone read or tried to read the client's data: who, when, what it concerned, whether it was allowed and under which consent.";
    ExtractMade => "Utdraget gjordes", "Extract made";
    Print => "Skriv ut", "Print";
    NoEntries => "Inga åtkomster finns loggade.", "No accesses are logged.";
    ActClientRead => "Läste klientens uppgifter", "Read the client's details";
    ActRecordList => "Listade handlingar", "Listed records";
    ActPlanRead => "Läste den gemensamma planen", "Read the shared plan";
    ActRecordRead => "Läste en handling", "Read a record";
    ActRecordCreate => "Skrev en handling", "Wrote a record";
    ActRecordUpdate => "Ändrade en handling", "Amended a record";
    ActClientSearch => "Sökte efter klienten", "Searched for the client";
    ActConsentManage => "Hanterade samtycken", "Managed consents";
    ActAssignmentManage => "Hanterade tilldelningar", "Managed assignments";
    ActAssignmentRead => "Läste tilldelningar", "Read assignments";
    ActClientProtect => "Ändrade skyddad identitet", "Changed protected identity";
    ActClientErase => "Raderade klienten", "Erased the client";
    ActClientList => "Listade klienter", "Listed clients";
    ActAccessLog => "Läste åtkomstloggen", "Read the access log";
    ActClientRegister => "Registrerade en klient", "Registered a client";
    ActAgencyManage => "Hanterade myndigheter", "Managed agencies";
    ActOfficerManage => "Hanterade konton", "Managed accounts";
    ActAuditQuery => "Sökte i åtkomstloggen", "Searched the access log";
    ActAuditExport => "Exporterade åtkomstloggen", "Exported the access log";
    ActAuditProof => "Hämtade ett bevis ur åtkomstloggen", "Fetched a proof from the access log";
    ActAuditVerify => "Kontrollerade åtkomstloggen", "Verified the access log";
    ActSignIn => "Loggade in", "Signed in";
    ActSignOut => "Loggade ut", "Signed out";
    RegisterClient => "Registrera klient", "Register a client";
    Register => "Registrera", "Register";
    PersonalNumberHint => "ÅÅÅÅMMDD-NNNN.", "YYYYMMDD-NNNN.";
    AlreadyRegistered => "Personen är redan registrerad.", "The person is already registered.";
    ManageClient => "Klient", "Client";
    Consents => "Samtycken", "Consents";
    RecordConsent => "Registrera samtycke", "Record a consent";
    NoConsents => "Inga samtycken är registrerade.", "No consents are recorded.";
    Withdrawn => "återkallat", "withdrawn";
    Purpose => "Syfte", "Purpose";
    Recipients => "Mottagare", "Recipients";
    Evidence => "Dokumentets SHA-256", "Document SHA-256";
    Withdraw => "Återkalla", "Withdraw";
    WithdrawReason => "Skäl till återkallelsen", "Reason for the withdrawal";
    Assignments => "Tilldelningar", "Assignments";
    Officer => "Handläggare", "Officer";
    Action => "Åtgärd", "Action";
    EndAssignment => "Avsluta tilldelningen", "End the assignment";
    Assign => "Tilldela", "Assign";
    OfficerId => "Handläggarens konto-id", "The officer's account id";
    OfficerIdHint => "Kontots UUID, från administratören.", "The account's UUID, from the administrator.";
    Protect => "Markera skyddad identitet", "Mark as protected identity";
    Unprotect => "Ta bort markeringen", "Remove the mark";
    Erase => "Radering", "Erasure";
    EraseClient => "Radera klienten", "Erase the client";
    EraseWarning => "Radering förstör klientens nyckel: namn, personnummer, handlingar och samtycken går inte att läsa igen. Åtkomstloggen behålls. Det går inte att ångra.", "Erasure destroys the client's key: name, personal number, records and consents can never be read again. The access log is kept. It cannot be undone.";
    EraseReason => "Skäl till raderingen", "Reason for the erasure";
    EraseConfirm => "Jag förstår att raderingen inte går att ångra", "I understand that the erasure cannot be undone";
    ErrConfirm => "Bekräfta att du förstår att raderingen inte går att ångra.", "Confirm that you understand the erasure cannot be undone.";
    BackToClient => "Tillbaka till klienten", "Back to the client";
    RecipientOfficers => "Handläggare som samtycket omfattar", "Officers the consent names";
    OfficersHint => "Konto-id, ett per rad.", "Account ids, one per line.";
    RecipientAgencies => "Myndigheter som samtycket omfattar", "Agencies the consent names";
    FromAgenciesField => "Handlingar från myndigheterna", "Records from the agencies";
    EmptyMeansEvery => "Tomt betyder alla myndigheter.", "Empty means every agency.";
    KindsField => "Slag av handlingar", "Kinds of records";
    EmptyMeansEveryKind => "inget valt betyder alla", "none ticked means every kind";
    SignedOn => "Undertecknat", "Signed on";
    ValidFromField => "Gäller från", "Valid from";
    ValidUntilField => "Gäller till och med", "Valid until and including";
    EvidenceMethod => "Hur samtycket undertecknades", "How the consent was signed";
    Paper => "På papper", "On paper";
    ESignature => "Med e-legitimation", "With an e-signature";
    DocumentSha256 => "Dokumentets SHA-256", "The document's SHA-256";
    Sha256Hint => "64 hexadecimala tecken. Välj filen nedan så räknas det ut i webbläsaren; filen skickas inte.", "64 hexadecimal characters. Choose the file below and it is computed in the browser; the file is not sent.";
    DocumentFile => "Det undertecknade dokumentet", "The signed document";
    DocumentFileHint => "Används bara för att räkna ut SHA-256 på din dator.", "Used only to compute the SHA-256 on your computer.";
    ErrOfficerId => "Ange handläggarnas konto-id (UUID), ett per rad.", "Give the officers' account ids (UUIDs), one per line.";
    NotRegistered => "Finns inte registrerad i ingång.", "Not registered in ingång.";
    NotPossible => "Det gick inte: kontrollera uppgiften.", "That was not possible: check the entry.";
    FormHasError => "Något behöver rättas", "Something needs correcting";
    FieldText => "Text", "Text";
    FieldDate => "Datum", "Date";
    FieldAgencies => "Berörda myndigheter", "Agencies concerned";
    CodesHint => "Myndighetskoder åtskilda med kommatecken, till exempel af, soc.", "Agency codes separated by commas, for example af, soc.";
    CodeHint => "En myndighetskod, till exempel af.", "An agency code, for example af.";
    LinesHint => "Ett per rad.", "One per line.";
    OwnGoals => "Klientens egna mål", "The client's own goals";
    AgreedOn => "Överenskommen med klienten", "Agreed with the client on";
    Goal => "Mål", "Goal";
    Status => "läge", "status";
    GoalAchieved => "Uppnått", "Achieved";
    GoalProgressing => "På väg", "Progressing";
    GoalNotStarted => "Inte påbörjat", "Not started";
    GoalDropped => "Avbrutet", "Dropped";
    OutcomeOtherAgency => "Till annan myndighet", "To another agency";
    OutcomeNone => "Inget utfall", "No outcome";
    AreaHealth => "Hälsa", "Health";
    AreaWorkCapacity => "Arbetsförmåga", "Work capacity";
    AreaEducation => "Utbildning", "Education";
    AreaLanguage => "Språk", "Language";
    AreaHousing => "Boende", "Housing";
    AreaFinances => "Ekonomi", "Finances";
    AreaSocialNetwork => "Socialt nätverk", "Social network";
    AreaSubstanceUse => "Missbruk", "Substance use";
    ClientPresent => "Klienten var med", "The client was present";
    Decisions => "Beslut", "Decisions";
    NextMeeting => "Nästa möte", "Next meeting";
    Outcome => "Utfall", "Outcome";
    Analysis => "Analys", "Analysis";
    AnalysisHint => "Krävs när utfallet är annan myndighet eller inget.", "Required when the outcome is another agency or none.";
    WriteHeading => "Skriv", "Write";
    WriteNew => "Skriv ny handling", "Write a new record";
    DraftConflicts => "Krockar som utkastet skulle ge", "Conflicts the draft would create";
    DraftNoConflicts => "Utkastet krockar inte med de planer du får se.", "The draft does not conflict with the plans you may see.";
    CheckConflicts => "Visa krockar", "Show conflicts";
    Save => "Spara", "Save";
    History => "Historik", "History";
    HistoryOf => "Historik för handlingen", "History of the record";
    ErrEmpty => "Fältet får inte vara tomt.", "This field must not be empty.";
    ErrTooLong => "Texten är för lång.", "The text is too long.";
    ErrOneGoal => "Ange minst ett mål.", "Name at least one goal.";
    LogNotFound => "ingen sådan klient eller handling", "no such client or record";
    LogNoAssignment => "inte tilldelad klienten", "not assigned to the client";
    LogErased => "klienten var raderad", "the client had been erased";
    LogNoConsent => "inget samtycke omfattade personen", "no consent named them";
    LogWithdrawn => "samtycket var återkallat", "the consent had been withdrawn";
    LogExpired => "samtycket hade gått ut", "the consent had expired";
    LogScope => "samtycket omfattade inte myndigheten eller slaget av handling", "the consent did not cover the agency or kind of record";
    LogInactive => "kontot var inte aktivt", "the account was not active";
    LogRole => "rollen fick inte göra detta", "the role did not permit it";
    LogAuthoring => "bara den skrivande myndigheten får ändra", "only the writing agency may amend";
    ErrOneRole => "Välj minst en roll.", "Choose at least one role.";
    ErrExtent => "Ange en omfattning från 1 till 100 procent.", "Give an extent from 1 to 100 per cent.";
    ErrEndBeforeStart => "Slutet får inte ligga före början.", "The end must not be before the start.";
    ErrAnalysis => "Skriv en analys när utfallet är annan myndighet eller inget.", "Write an analysis when the outcome is another agency or none.";
    ErrAgencyCode => "Ange en myndighetskod med små bokstäver, till exempel af.", "Give an agency code in lower case, for example af.";
    ErrDate => "Ange ett datum som ÅÅÅÅ-MM-DD.", "Give a date as YYYY-MM-DD.";
    ErrPersonalNumber => "Personnumret är inte giltigt.", "The personal number is not valid.";
    ErrConsentEnds => "Samtycket måste sluta efter att det börjar.", "The consent must end after it starts.";
    ErrSignedFuture => "Underskriften kan inte ligga i framtiden.", "The signature cannot be in the future.";
    ErrSha256 => "Ange dokumentets SHA-256 som 64 hexadecimala tecken.", "Give the document's SHA-256 as 64 hexadecimal characters.";
    ErrValue => "Värdet har fel form.", "The value has the wrong form.";
    ActivityWork => "Arbete", "Work";
    ActivitySubsidisedWork => "Arbete med stöd", "Subsidised work";
    ActivityInternship => "Praktik", "Internship";
    ActivityStudies => "Studier", "Studies";
    ActivitySickLeave => "Sjukskrivning", "Sick leave";
    ActivityTreatment => "Behandling", "Treatment";
    ActivityOther => "Annat", "Other";
    RoleOfficer => "Handläggare", "Officer";
    RoleCoordinator => "Samordnare", "Coordinator";
    RoleAuditor => "Granskare", "Auditor";
    RoleAdmin => "Administratör", "Administrator";
    RoleSystem => "Systemkonto", "System account";
    NoPageForRole => "Sidorna för din roll finns ännu bara i API:t.", "The pages for your role are so far only in the API.";
}

/// A validation message of the use cases (the API's own English text) in
/// the chosen language. Messages not known here get a general sentence
/// rather than English on a Swedish page.
pub fn explain(lang: Lang, detail: &str) -> String {
    let known = if detail == "must not be empty" || detail.starts_with("missing field") {
        Some(T::ErrEmpty)
    } else if detail.starts_with("must be at most") {
        Some(T::ErrTooLong)
    } else if detail == "name at least one role" {
        Some(T::ErrOneRole)
    } else if detail == "name at least one goal" {
        Some(T::ErrOneGoal)
    } else if detail == "must be 1-100" || detail.contains("whole number from 1 to 100") {
        Some(T::ErrExtent)
    } else if detail == "must not be before from" {
        Some(T::ErrEndBeforeStart)
    } else if detail.starts_with("is required when the outcome") {
        Some(T::ErrAnalysis)
    } else if detail.contains("agency code") {
        Some(T::ErrAgencyCode)
    } else if detail.contains("input contains invalid characters")
        || detail.contains("premature end of input")
        || detail.contains("input is out of range")
        || detail.contains("trailing input")
    {
        Some(T::ErrDate)
    } else if detail.contains("personal number") {
        Some(T::ErrPersonalNumber)
    } else if detail == "must be after valid_from" {
        Some(T::ErrConsentEnds)
    } else if detail == "must not be in the future" {
        Some(T::ErrSignedFuture)
    } else if detail.contains("SHA-256") || detail.contains("sha256") {
        Some(T::ErrSha256)
    } else {
        None
    };
    known.unwrap_or(T::ErrValue).in_(lang).to_owned()
}

/// The first moment of a day in Swedish time.
pub fn start_of_day(day: NaiveDate) -> Option<DateTime<Utc>> {
    let midnight = day.and_hms_opt(0, 0, 0)?.and_utc();
    // The offset at midnight UTC equals the offset at local midnight: the
    // switches happen at 01:00 UTC.
    Some(midnight - chrono::Duration::hours(swedish_offset_hours(midnight)))
}

/// Sweden's offset from UTC at `at`: CET (+1), or CEST (+2) from 01:00
/// UTC on the last Sunday of March to 01:00 UTC on the last Sunday of
/// October (the EU rule, in force since 1996).
pub fn swedish_offset_hours(at: DateTime<Utc>) -> i64 {
    let year = at.year();
    let summer_starts = last_sunday_one_utc(year, 3);
    let summer_ends = last_sunday_one_utc(year, 10);
    match (summer_starts, summer_ends) {
        (Some(start), Some(end)) if at >= start && at < end => 2,
        _ => 1,
    }
}

fn last_sunday_one_utc(year: i32, month: u32) -> Option<DateTime<Utc>> {
    let last_day = NaiveDate::from_ymd_opt(year, month + 1, 1)?.pred_opt()?;
    let back = last_day.weekday().num_days_from_sunday();
    let sunday = last_day - chrono::Duration::days(i64::from(back));
    Some(sunday.and_hms_opt(1, 0, 0)?.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn swedish_summer_time_follows_the_eu_rule() {
        // 2026: summer time from 29 March 01:00 UTC to 25 October 01:00 UTC.
        let at = |m, d, h, min| Utc.with_ymd_and_hms(2026, m, d, h, min, 0).unwrap();
        assert_eq!(swedish_offset_hours(at(3, 29, 0, 59)), 1);
        assert_eq!(swedish_offset_hours(at(3, 29, 1, 0)), 2);
        assert_eq!(swedish_offset_hours(at(10, 25, 0, 59)), 2);
        assert_eq!(swedish_offset_hours(at(10, 25, 1, 0)), 1);
        assert_eq!(Lang::Sv.moment(at(7, 1, 22, 30)), "2 juli 2026 00:30");
        assert_eq!(Lang::En.moment(at(12, 31, 23, 5)), "1 January 2027 00:05");
    }

    #[test]
    fn dates_and_percentages_follow_the_language() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        assert_eq!(Lang::Sv.date(day), "29 november 2026");
        assert_eq!(Lang::En.date(day), "29 November 2026");
        assert_eq!(Lang::Sv.percent(150), "150\u{a0}%");
        assert_eq!(Lang::En.percent(150), "150%");
    }
}
