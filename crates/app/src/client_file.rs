//! A client's file as an officer opens it on the web page: who the client
//! is, the records the officer may see, and the consents those reads rest
//! on. Each part is decided and audited exactly as its API call is.

use crate::records::Record;
use crate::{AppResult, Caller, ClientIdentity, Session};
use chrono::{DateTime, Utc};
use ingang_policy::{AgencyCode, ClientId, ConsentId, RecordKind};

/// Most records one file page shows; the rest are a page further on.
pub const FILE_RECORDS: i64 = 200;

/// The terms of a consent a shown record was read under (never its
/// purpose, which is sealed for the consent's managers).
#[derive(Debug, Clone)]
pub struct ConsentBasis {
    pub id: ConsentId,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    /// Empty: every agency.
    pub from_agencies: Vec<AgencyCode>,
    /// Empty: every kind.
    pub kinds: Vec<RecordKind>,
}

#[derive(Debug, Clone)]
pub struct ClientFile {
    pub identity: ClientIdentity,
    /// Newest first.
    pub records: Vec<Record>,
    /// Whether there are more records than the page shows.
    pub more: bool,
    /// The consents the shown records were read under.
    pub consents: Vec<ConsentBasis>,
}

impl Session<'_> {
    /// The client's file: the identity read (audited as `client.read`),
    /// then the records list (audited as `record.list` and one `record.read`
    /// per record shown). A refusal of the identity refuses the whole file.
    pub fn client_file(&mut self, caller: &Caller, client: ClientId) -> AppResult<ClientFile> {
        let identity = self.client_identity(caller, client)?;
        let page = self.list_records(caller, client, None, FILE_RECORDS)?;
        let relied_on: Vec<ConsentId> = page.items.iter().filter_map(|r| r.consent).collect();
        let consents = match self.db.load_facts(client)? {
            Some(facts) => facts
                .consents
                .into_iter()
                .filter(|c| relied_on.contains(&c.id))
                .map(|c| ConsentBasis {
                    id: c.id,
                    valid_from: c.valid_from,
                    valid_until: c.valid_until,
                    from_agencies: c.from_agencies,
                    kinds: c.kinds,
                })
                .collect(),
            None => vec![],
        };
        Ok(ClientFile {
            identity,
            more: page.next.is_some(),
            records: page.items,
            consents,
        })
    }
}
