//! Authentication: EdDSA-signed JWTs (docs/api.md) and the [`Caller`]
//! extractor. A token is accepted only if its issuer is trusted, its
//! audience is `ingang`, it has not expired, its `sub` is an existing active
//! account of the claimed agency, and every role it claims is held by that
//! account.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::{dev::Payload, web, FromRequest, HttpMessage, HttpRequest};
use ingang_policy::{AgencyCode, OfficerId, Role};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

/// Issuer name of tokens minted with the development key.
pub const DEV_ISSUER: &str = "ingang-dev";
pub const AUDIENCE: &str = "ingang";
/// Header naming the officer a system account acts for.
pub const ON_BEHALF_OF_HEADER: &str = "ingang-on-behalf-of";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub agency: String,
    pub roles: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{0}: {1}")]
    File(String, String),
    #[error("{0}")]
    Key(String),
}

/// Verifying keys by issuer, and the development signing key if enabled.
pub struct TokenKeys {
    verifying: HashMap<String, DecodingKey>,
    dev_signing: Option<EncodingKey>,
    /// Claims of tokens whose signature was already verified, by SHA-256 of
    /// the token. Verification is deterministic, so a hit gives what a new
    /// verification would; expiry is checked again on every hit. Accounts
    /// are checked on every request, against the store's facts cache,
    /// which is valid only while the stored policy epoch is unchanged.
    verified: Mutex<HashMap<[u8; 32], Claims>>,
}

/// Most verified tokens remembered; the cache is emptied when full.
const VERIFIED_CACHE_MAX: usize = 10_000;
/// Clock leeway for `exp`, in seconds.
const LEEWAY_SECS: i64 = 30;

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys")
            .field("issuers", &self.verifying.keys().collect::<Vec<_>>())
            .field("dev_signing", &self.dev_signing.is_some())
            .finish()
    }
}

/// The 12-byte SPKI prefix of an Ed25519 public key (RFC 8410).
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

impl TokenKeys {
    pub fn empty() -> Self {
        Self {
            verifying: HashMap::new(),
            dev_signing: None,
            verified: Mutex::new(HashMap::new()),
        }
    }

    /// Trusts `issuer` with an Ed25519 public key in a PEM `PUBLIC KEY` file.
    pub fn trust_pem_file(&mut self, issuer: &str, path: &Path) -> Result<(), KeyError> {
        let shown = path.display().to_string();
        let pem = std::fs::read(path).map_err(|e| KeyError::File(shown.clone(), e.to_string()))?;
        let item = rustls_pemfile::read_one(&mut pem.as_slice())
            .map_err(|e| KeyError::File(shown.clone(), e.to_string()))?;
        let Some(rustls_pemfile::Item::SubjectPublicKeyInfo(spki)) = item else {
            return Err(KeyError::File(shown, "expected a PEM 'PUBLIC KEY'".into()));
        };
        let der = spki.as_ref();
        if der.len() != 44 || der[..12] != ED25519_SPKI_PREFIX {
            return Err(KeyError::File(
                shown,
                "expected an Ed25519 public key".into(),
            ));
        }
        self.verifying
            .insert(issuer.to_owned(), DecodingKey::from_ed_der(&der[12..]));
        Ok(())
    }

    /// Loads (or creates) the development signing key and trusts it as
    /// [`DEV_ISSUER`]. Never called in production mode.
    pub fn enable_development_key(&mut self, path: &Path) -> Result<bool, KeyError> {
        let shown = path.display().to_string();
        let mut created = false;
        if !path.exists() {
            let rng = ring::rand::SystemRandom::new();
            let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng)
                .map_err(|_| KeyError::Key("key generation failed".into()))?;
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| KeyError::File(shown.clone(), e.to_string()))?;
            }
            created = publish_private(path, pkcs8.as_ref())
                .map_err(|e| KeyError::File(shown.clone(), e.to_string()))?;
        }
        let pkcs8 =
            std::fs::read(path).map_err(|e| KeyError::File(shown.clone(), e.to_string()))?;
        let pair =
            Ed25519KeyPair::from_pkcs8(&pkcs8).map_err(|e| KeyError::File(shown, e.to_string()))?;
        self.verifying.insert(
            DEV_ISSUER.to_owned(),
            DecodingKey::from_ed_der(pair.public_key().as_ref()),
        );
        self.dev_signing = Some(EncodingKey::from_ed_der(&pkcs8));
        Ok(created)
    }

    /// Mints a development token. `None` unless the development key is enabled.
    pub fn mint(
        &self,
        sub: OfficerId,
        agency: &AgencyCode,
        roles: &[Role],
        ttl: chrono::Duration,
    ) -> Option<String> {
        let key = self.dev_signing.as_ref()?;
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            iss: DEV_ISSUER.to_owned(),
            sub: sub.to_string(),
            aud: AUDIENCE.to_owned(),
            exp: now + ttl.num_seconds(),
            iat: now,
            agency: agency.to_string(),
            roles: roles.iter().map(|r| r.as_str().to_owned()).collect(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), &claims, key).ok()
    }

    /// Checks signature, issuer, audience and expiry.
    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        let digest: [u8; 32] = match ring::digest::digest(&ring::digest::SHA256, token.as_bytes())
            .as_ref()
            .try_into()
        {
            Ok(d) => d,
            Err(_) => return self.verify_signature(token),
        };
        let now = chrono::Utc::now().timestamp();
        if let Some(claims) = self.cache().get(&digest) {
            if claims.exp + LEEWAY_SECS >= now {
                return Ok(claims.clone());
            }
            return Err(ApiError::Unauthenticated("token expired"));
        }
        let claims = self.verify_signature(token)?;
        let mut cache = self.cache();
        if cache.len() >= VERIFIED_CACHE_MAX {
            cache.clear();
        }
        cache.insert(digest, claims.clone());
        Ok(claims)
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Claims>> {
        // A poisoned cache holds only verified claims; keep using it.
        self.verified
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn verify_signature(&self, token: &str) -> Result<Claims, ApiError> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| ApiError::Unauthenticated("malformed token"))?;
        if header.alg != Algorithm::EdDSA {
            return Err(ApiError::Unauthenticated("token must be signed with EdDSA"));
        }
        // The issuer picks the key; it is checked again by the validation.
        let unverified =
            insecure_issuer(token).ok_or(ApiError::Unauthenticated("malformed token"))?;
        let key = self
            .verifying
            .get(&unverified)
            .ok_or(ApiError::Unauthenticated("untrusted token issuer"))?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_audience(&[AUDIENCE]);
        validation.set_issuer(&[unverified.as_str()]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECS as u64;
        jsonwebtoken::decode::<Claims>(token, key, &validation)
            .map(|data| data.claims)
            .map_err(|e| {
                // Only expiry gets its own words; every other failure of a
                // (non-exhaustive) jsonwebtoken error is "invalid token".
                if matches!(e.kind(), jsonwebtoken::errors::ErrorKind::ExpiredSignature) {
                    ApiError::Unauthenticated("token expired")
                } else {
                    ApiError::Unauthenticated("invalid token")
                }
            })
    }
}

/// Reads `iss` from the payload without verifying; only to pick the key.
fn insecure_issuer(token: &str) -> Option<String> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    #[derive(Deserialize)]
    struct Iss {
        iss: String,
    }
    serde_json::from_slice::<Iss>(&bytes).ok().map(|i| i.iss)
}

/// Writes a new owner-only file at `path` atomically: written in full under
/// a temporary name, then linked into place. Several processes starting at
/// once on one key directory end up with the same key: whoever links first
/// wins and the others use its file. Returns whether this call made it.
fn publish_private(path: &Path, bytes: &[u8]) -> std::io::Result<bool> {
    use std::io::Write;
    let temporary = path.with_extension(format!("tmp-{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    let linked = std::fs::hard_link(&temporary, path);
    std::fs::remove_file(&temporary)?;
    match linked {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e),
    }
}

/// A verified token and the request's context: what the extractor can
/// know without the database. [`Credentials::resolve`] turns it into a
/// [`Caller`] inside the handler's one blocking step.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// What the verified token says: taken out of its claims once.
    token: ingang_app::TokenIdentity,
    on_behalf_of: Option<OfficerId>,
    request_id: String,
    source_addr: Option<String>,
}

pub use ingang_app::Caller;

impl Credentials {
    /// Resolves the verified token to a caller through the application
    /// (the account is checked on every request). Blocking: runs on the
    /// worker pool with the rest of the request.
    pub fn resolve(self, session: &mut ingang_app::Session<'_>) -> Result<Caller, ApiError> {
        let Credentials {
            token,
            on_behalf_of,
            request_id,
            source_addr,
        } = self;
        Ok(session.authenticate(&token, on_behalf_of, request_id, source_addr)?)
    }

    /// [`Self::resolve`], keeping the credentials: for work that may run
    /// twice (`Session::kept_first`).
    pub fn authenticate(
        &self,
        session: &mut ingang_app::Session<'_>,
    ) -> ingang_app::AppResult<Caller> {
        session.authenticate(
            &self.token,
            self.on_behalf_of,
            self.request_id.clone(),
            self.source_addr.clone(),
        )
    }
}

impl FromRequest for Credentials {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Self::extract(req))
    }
}

impl Credentials {
    fn extract(req: &HttpRequest) -> Result<Self, ApiError> {
        let state = req
            .app_data::<web::Data<AppState>>()
            .ok_or_else(|| ApiError::Internal("application state missing".into()))?;
        let token = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .ok_or(ApiError::Unauthenticated(
                "send Authorization: Bearer <token>",
            ))?;
        let claims = state.tokens.verify(token)?;
        let on_behalf_of = match req.headers().get(ON_BEHALF_OF_HEADER) {
            None => None,
            Some(value) => Some(
                value
                    .to_str()
                    .ok()
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(|| {
                        ApiError::invalid(
                            ON_BEHALF_OF_HEADER,
                            "must be the UUID of an officer of your agency",
                        )
                    })?,
            ),
        };
        let context = req
            .extensions()
            .get::<ingang_app::RequestContext>()
            .cloned()
            .unwrap_or_default();
        Ok(Credentials {
            token: ingang_app::TokenIdentity {
                subject: claims.sub,
                agency: claims.agency,
                roles: claims.roles,
            },
            on_behalf_of,
            request_id: context.request_id,
            source_addr: context.source_addr,
        })
    }
}

/// The address the audit log records for a request. The peer's own address,
/// unless the peer is a configured trusted proxy: then the nearest
/// `X-Forwarded-For` hop that is not itself a trusted proxy. A client can
/// put anything in that header, so it is believed only from trusted proxies
/// and read from the right (the hops they appended); a malformed hop stops
/// the walk at the last trustworthy address.
pub fn client_address(
    peer: Option<std::net::IpAddr>,
    forwarded_for: Option<&str>,
    trusted: &[ipnet::IpNet],
) -> Option<String> {
    let mut address = peer?;
    if let Some(hops) = forwarded_for {
        for hop in hops.rsplit(',') {
            if !trusted.iter().any(|net| net.contains(&address)) {
                break;
            }
            match hop.trim().parse() {
                Ok(ip) => address = ip,
                Err(_) => break,
            }
        }
    }
    Some(address.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
        let lb: std::net::IpAddr = "10.0.0.2".parse().unwrap();
        let peer = Some(lb);
        let trusted: [ipnet::IpNet; 1] = ["10.0.0.0/24".parse().unwrap()];
        assert_eq!(
            client_address(peer, Some("203.0.113.7"), &trusted).as_deref(),
            Some("203.0.113.7")
        );
        // A client-supplied first hop is not what the proxy appended.
        assert_eq!(
            client_address(peer, Some("198.51.100.1, 203.0.113.7"), &trusted).as_deref(),
            Some("203.0.113.7")
        );
        // Not from a trusted proxy: the header is ignored.
        assert_eq!(
            client_address(
                Some("203.0.113.9".parse().unwrap()),
                Some("198.51.100.1"),
                &trusted
            )
            .as_deref(),
            Some("203.0.113.9")
        );
        assert_eq!(
            client_address(peer, Some("not-an-ip"), &trusted).as_deref(),
            Some("10.0.0.2")
        );
        assert_eq!(
            client_address(peer, None, &trusted).as_deref(),
            Some("10.0.0.2")
        );
        assert_eq!(
            client_address(peer, Some("203.0.113.7"), &[]).as_deref(),
            Some("10.0.0.2")
        );
    }

    fn keys() -> (TokenKeys, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let mut keys = TokenKeys::empty();
        keys.enable_development_key(&dir.path().join("dev.pk8"))
            .unwrap();
        (keys, dir)
    }

    #[test]
    fn verified_tokens_are_cached_but_still_expire() {
        let (keys, _dir) = keys();
        let agency = AgencyCode::parse("af").unwrap();
        let token = keys
            .mint(
                OfficerId::new_random(),
                &agency,
                &[Role::Officer],
                chrono::Duration::hours(1),
            )
            .unwrap();
        let first = keys.verify(&token).unwrap();
        assert_eq!(keys.cache().len(), 1);
        assert_eq!(keys.verify(&token).unwrap().sub, first.sub);
        // Make the cached entry expired: the hit must be refused.
        for claims in keys.cache().values_mut() {
            claims.exp = chrono::Utc::now().timestamp() - LEEWAY_SECS - 1;
        }
        assert!(matches!(
            keys.verify(&token),
            Err(ApiError::Unauthenticated("token expired"))
        ));
    }

    #[test]
    fn only_eddsa_tokens_from_trusted_issuers() {
        let (keys, _dir) = keys();
        let (other, _other_dir) = self::keys();
        let agency = AgencyCode::parse("af").unwrap();
        let foreign = other
            .mint(
                OfficerId::new_random(),
                &agency,
                &[Role::Officer],
                chrono::Duration::hours(1),
            )
            .unwrap();
        assert!(keys.verify(&foreign).is_err(), "signed by another key");
        let hs256 = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &serde_json::json!({"iss": DEV_ISSUER, "sub": "x", "aud": AUDIENCE, "exp": 9_999_999_999i64}),
            &EncodingKey::from_secret(b"guess"),
        )
        .unwrap();
        assert!(matches!(
            keys.verify(&hs256),
            Err(ApiError::Unauthenticated("token must be signed with EdDSA"))
        ));
        assert!(keys.verify("a.b.c").is_err());
    }
}
