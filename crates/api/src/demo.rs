//! `ingang serve --demo`: demo agencies, officers, clients with consents,
//! assignments and a few records, and ready tokens with example calls.
//! Never available in production mode.

use crate::auth::TokenKeys;
use chrono::{Duration, Utc};
use ingang_app::clients::Registration;
use ingang_app::consents::ConsentDraft;
use ingang_app::{App, AppError, Caller, TokenIdentity};
use ingang_policy::{AgencyCode, ClientId, OfficerId, PersonalNumber, RecordKind, Role};
use ingang_store::{NewOfficer, Store, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::path::Path;

/// The ids the demo created (kept in `<data>/demo.json` for later starts).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Demo {
    pub people: Vec<DemoAccount>,
    pub client: ClientId,
    pub second_client: ClientId,
    pub record: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DemoAccount {
    pub label: String,
    /// The account's name, as the development sign-in lists it.
    #[serde(default)]
    pub name: String,
    pub id: OfficerId,
    pub agency: AgencyCode,
    pub roles: Vec<Role>,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0:?}")]
    App(AppError),
    #[error("demo data: {0}")]
    Other(String),
}

fn code(c: &str) -> Result<AgencyCode, DemoError> {
    AgencyCode::parse(c).map_err(|e| DemoError::Other(e.to_string()))
}

/// Loads the demo data once; later calls return what was made the first time.
/// Agencies and accounts are made in the store directly (as `bootstrap`
/// does); the case data goes through the use cases as its coordinator and
/// officers, decided and audited like any other.
pub fn load(app: &App, store: &Store, data_dir: &Path) -> Result<Demo, DemoError> {
    let file = data_dir.join("demo.json");
    if let Ok(text) = std::fs::read_to_string(&file) {
        return serde_json::from_str(&text).map_err(|e| DemoError::Other(e.to_string()));
    }
    let agencies = [
        ("af", "Arbetsförmedlingen"),
        ("fk", "Försäkringskassan"),
        ("soc", "Socialtjänsten"),
        ("psyk", "Regionpsykiatrin"),
        ("alm", "Arbetsmarknadsenheten"),
    ];
    let mut db = store.db()?;
    for (c, name) in agencies {
        if !db.agency_exists(&code(c)?)? {
            db.create_agency(&code(c)?, name)?;
        }
    }
    let mut people = vec![];
    for (label, name, agency, roles) in [
        ("admin", "Anna Admin", "alm", vec![Role::Admin]),
        ("coordinator", "Karin Kvist", "alm", vec![Role::Coordinator]),
        ("auditor", "Olle Granskare", "alm", vec![Role::Auditor]),
        ("af-officer", "Eva Ek", "af", vec![Role::Officer]),
        ("soc-officer", "Sara Berg", "soc", vec![Role::Officer]),
        ("psyk-officer", "Per Lind", "psyk", vec![Role::Officer]),
        ("fk-officer", "Fia Fors", "fk", vec![Role::Officer]),
        ("af-system", "AF integration", "af", vec![Role::System]),
    ] {
        let officer = db.create_officer(&NewOfficer {
            name: name.into(),
            agency: code(agency)?,
            roles: roles.clone(),
        })?;
        people.push(DemoAccount {
            label: label.into(),
            name: name.into(),
            id: officer.account.id,
            agency: code(agency)?,
            roles,
        });
    }
    let id_of = |label: &str| people.iter().find(|p| p.label == label).map(|p| p.id);
    let (Some(eva), Some(sara), Some(per), Some(fia)) = (
        id_of("af-officer"),
        id_of("soc-officer"),
        id_of("psyk-officer"),
        id_of("fk-officer"),
    ) else {
        return Err(DemoError::Other("demo accounts missing".into()));
    };

    let mut session = app.session()?;
    let mut as_caller = |label: &str| -> Result<Caller, DemoError> {
        let person = people
            .iter()
            .find(|p| p.label == label)
            .ok_or_else(|| DemoError::Other("demo account missing".into()))?;
        let token = TokenIdentity {
            subject: person.id.to_string(),
            agency: person.agency.to_string(),
            roles: person.roles.iter().map(|r| r.as_str().to_owned()).collect(),
        };
        Ok(session.authenticate(&token, None, "demo".into(), None)?)
    };
    let karin = as_caller("coordinator")?;
    let eva_caller = as_caller("af-officer")?;
    let sara_caller = as_caller("soc-officer")?;
    let per_caller = as_caller("psyk-officer")?;
    let today = Utc::now().date_naive();
    let pn = |s: &str| PersonalNumber::parse(s, today).map_err(|e| DemoError::Other(e.to_string()));
    let created = |registration: Registration| match registration {
        Registration::Created(id) => Ok(id),
        Registration::Accepted(_) => Err(DemoError::Other("demo client not created".into())),
    };
    let client =
        created(session.register_client(&karin, &pn("19900101-1239")?, "Ali Svensson", false)?)?;
    let second_client =
        created(session.register_client(&karin, &pn("19850372-2343")?, "Lina Nilsson", true)?)?;
    let now = Utc::now();
    session.record_consent(
        &karin,
        client,
        ConsentDraft {
            recipient_officers: vec![eva, sara],
            recipient_agencies: vec![],
            from_agencies: vec!["af".into(), "soc".into(), "fk".into()],
            kinds: vec![],
            purpose: "Samordnad rehabilitering mot arbete".into(),
            signed_at: now - Duration::days(1),
            valid_from: now - Duration::days(1),
            valid_until: now + Duration::days(365),
            evidence_method: "paper".into(),
            document_sha256: "ab".repeat(32),
        },
    )?;
    // Per (psychiatry) signs his own consent with Ali, covering every
    // source: he sees the whole plan. Fia (social insurance) is assigned but
    // named in no consent: she is refused with a reason.
    session.record_consent(
        &karin,
        client,
        ConsentDraft {
            recipient_officers: vec![per],
            recipient_agencies: vec![],
            from_agencies: vec![],
            kinds: vec![],
            purpose: "Vård och rehabilitering".into(),
            signed_at: now - Duration::days(1),
            valid_from: now - Duration::days(1),
            valid_until: now + Duration::days(365),
            evidence_method: "e-signature".into(),
            document_sha256: "cd".repeat(32),
        },
    )?;
    for officer in [eva, sara, per, fia] {
        session.assign(&karin, client, officer)?;
    }
    session.assign(&karin, second_client, eva)?;
    // Three agencies plan the same weeks: a full-time internship, half-time
    // studies and full-time sick leave.
    let today = now.date_naive();
    let day = |offset: i64| (today + Duration::days(offset)).to_string();
    let plan = session.create_record(
        &eva_caller,
        client,
        RecordKind::ActionPlan,
        json!({"goals": ["Arbete inom lager"], "own_goals": ["Ett jobb där jag får röra på mig"],
               "overall_responsibility": "af", "follow_up_on": day(30),
               "activities": [{"type": "internship", "extent_percent": 100, "from": day(-14), "to": day(75), "responsible": "af"}]}),
    )?;
    session.create_record(
        &sara_caller,
        client,
        RecordKind::ActionPlan,
        json!({"goals": ["Gymnasiebehörighet"], "overall_responsibility": "soc",
               "activities": [{"type": "studies", "extent_percent": 50, "from": day(0), "to": day(120), "responsible": "soc"}]}),
    )?;
    session.create_record(
        &per_caller,
        client,
        RecordKind::ActionPlan,
        json!({"goals": ["Återhämtning"], "overall_responsibility": "psyk",
               "activities": [{"type": "sick_leave", "extent_percent": 100, "from": day(7), "to": day(60), "responsible": "psyk"},
                              {"type": "treatment", "extent_percent": 10, "from": day(7), "to": day(90), "responsible": "psyk"}]}),
    )?;
    session.create_record(
        &sara_caller,
        client,
        RecordKind::Note,
        json!({"text": "Försörjningsstöd beviljat t.o.m. april."}),
    )?;
    let demo = Demo {
        people,
        client,
        second_client,
        record: plan.record.meta.id.to_string(),
    };
    let text = serde_json::to_string_pretty(&demo).map_err(|e| DemoError::Other(e.to_string()))?;
    std::fs::write(&file, text).map_err(|e| DemoError::Other(e.to_string()))?;
    Ok(demo)
}

/// What `serve --demo` prints: tokens and calls to try.
/// The demo's accounts as the development sign-in lists them.
pub fn dev_accounts(demo: &Demo) -> Vec<ingang_web::DevAccount> {
    demo.people
        .iter()
        .filter(|p| !p.roles.contains(&Role::System))
        .map(|p| ingang_web::DevAccount {
            label: if p.name.is_empty() {
                p.label.clone()
            } else {
                format!("{} ({})", p.name, p.label)
            },
            id: p.id,
            agency: p.agency.to_string(),
            roles: p.roles.clone(),
        })
        .collect()
}

pub fn instructions(demo: &Demo, tokens: &TokenKeys, base_url: &str, ca: &Path) -> String {
    let mut out = String::from("\n=== ingång demo ===\nTokens (valid 8 hours):\n");
    let mut exports = String::new();
    for person in &demo.people {
        let token = tokens
            .mint(person.id, &person.agency, &person.roles, Duration::hours(8))
            .unwrap_or_default();
        let var = person.label.to_uppercase().replace('-', "_");
        exports.push_str(&format!("export {var}={token}\n"));
    }
    out.push_str(&exports);
    out.push_str(&format!(
        "\nIn a browser: open {base_url}/ and choose Eva Ek on the development sign-in\n\
         (trust {ca} or accept the development certificate). Her client Ali's shared\n\
         plan shows the colliding weeks.\n",
        ca = ca.display(),
    ));
    let c = &demo.client;
    out.push_str(&format!(
        "\nTry the shared plan: three agencies plan the same weeks. Eva (employment service; her\n\
         consent covers af, soc and fk) sees two plans and their over-full-time conflict, and\n\
         nothing of psychiatry's; Per (psychiatry; his consent covers every source) sees all\n\
         three and every conflict; Fia (fk) is assigned but named in no consent: 403.\n\
         curl --cacert {ca} -H \"Authorization: Bearer $AF_OFFICER\" {base_url}/v1/clients/{c}/plan\n\
         curl --cacert {ca} -H \"Authorization: Bearer $PSYK_OFFICER\" {base_url}/v1/clients/{c}/plan\n\
         curl --cacert {ca} -H \"Authorization: Bearer $FK_OFFICER\" {base_url}/v1/clients/{c}/plan\n\
         curl --cacert {ca} -H \"Authorization: Bearer $AF_OFFICER\" {base_url}/v1/clients\n\
         curl --cacert {ca} -H \"Authorization: Bearer $AF_OFFICER\" {base_url}/v1/clients/{c}/records\n\
         curl --cacert {ca} -H \"Authorization: Bearer $SOC_OFFICER\" {base_url}/v1/records/{r}\n\
         curl --cacert {ca} -H \"Authorization: Bearer $COORDINATOR\" {base_url}/v1/clients/{c}/consents\n\
         curl --cacert {ca} -H \"Authorization: Bearer $AUDITOR\" \"{base_url}/v1/audit/events?client_id={c}\"\n",
        ca = ca.display(),
        r = demo.record,
    ));
    out
}

impl From<AppError> for DemoError {
    fn from(error: AppError) -> Self {
        DemoError::App(error)
    }
}
