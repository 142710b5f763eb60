//! `ingang witness`: a small C2SP tlog-witness that another agency runs.
//! It cosigns a log's checkpoint only when a consistency proof shows it
//! extends the last one it cosigned, and it stores the new one atomically
//! (a file written aside, flushed, then renamed over the old) before it
//! answers, so a crash never leaves it cosigning two inconsistent trees.

use actix_web::{post, web, App, HttpResponse, HttpServer};
use ingang_tlog::note::{SigningKey, VerifierKey};
use ingang_tlog::tree::Hash;
use ingang_tlog::witness::{judge, parse_add_checkpoint, Refusal, Witnessed};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// What the witness holds per log origin.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Held {
    logs: BTreeMap<String, HeldCheckpoint>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct HeldCheckpoint {
    size: u64,
    /// Standard base64.
    root: String,
}

/// The witness: its key, the logs it knows, and its state file.
pub struct Witness {
    key: SigningKey,
    logs: BTreeMap<String, Vec<VerifierKey>>,
    state_file: PathBuf,
    held: Mutex<Held>,
}

impl std::fmt::Debug for Witness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Witness")
            .field("key", &self.key)
            .field("state_file", &self.state_file)
            .finish_non_exhaustive()
    }
}

impl Witness {
    /// `logs`: verifier keys of the logs to witness (their names are the
    /// origins).
    pub fn open(
        key: SigningKey,
        logs: Vec<VerifierKey>,
        state_file: PathBuf,
    ) -> Result<Self, String> {
        let held = match std::fs::read_to_string(&state_file) {
            Ok(text) => {
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", state_file.display()))?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Held::default(),
            Err(e) => return Err(format!("{}: {e}", state_file.display())),
        };
        let mut by_origin: BTreeMap<String, Vec<VerifierKey>> = BTreeMap::new();
        for log in logs {
            by_origin
                .entry(log.name().to_owned())
                .or_default()
                .push(log);
        }
        Ok(Witness {
            key,
            logs: by_origin,
            state_file,
            held: Mutex::new(held),
        })
    }

    /// Handles one `add-checkpoint` body: the status, content type and body
    /// to answer.
    pub fn add_checkpoint(&self, body: &[u8]) -> (u16, &'static str, String) {
        let request = match parse_add_checkpoint(body) {
            Ok(request) => request,
            Err(error) => return (400, "text/plain; charset=utf-8", format!("{error}\n")),
        };
        let Ok(mut held) = self.held.lock() else {
            return (
                500,
                "text/plain; charset=utf-8",
                "the witness's state is unusable\n".into(),
            );
        };
        let origin = request.checkpoint.origin.clone();
        let stored = held
            .logs
            .get(&origin)
            .and_then(|h| Hash::from_base64(&h.root).map(|root| Witnessed { size: h.size, root }));
        let keys = self.logs.get(&origin).map(Vec::as_slice);
        if let Err(refusal) = judge(&request, keys, stored) {
            return match refusal {
                Refusal::SizeMismatch { stored } => {
                    (409, "text/x.tlog.size", format!("{stored}\n"))
                }
                Refusal::UnknownOrigin
                | Refusal::NoTrustedSignature
                | Refusal::OldBeyondNew
                | Refusal::RootConflict
                | Refusal::BadProof => (
                    refusal.status(),
                    "text/plain; charset=utf-8",
                    format!("{refusal}\n"),
                ),
            };
        }
        let mut next = Held {
            logs: held.logs.clone(),
        };
        next.logs.insert(
            origin,
            HeldCheckpoint {
                size: request.checkpoint.size,
                root: request.checkpoint.root.to_base64(),
            },
        );
        if let Err(error) = write_atomically(&self.state_file, &next) {
            log::error!("witness state not stored: {error}");
            return (
                500,
                "text/plain; charset=utf-8",
                "the witness could not store the checkpoint\n".into(),
            );
        }
        *held = next;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let line = self.key.cosign(request.note.text(), now).line();
        (200, "text/plain; charset=utf-8", format!("{line}\n"))
    }
}

fn write_atomically(path: &Path, held: &Held) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(held).map_err(std::io::Error::other)?;
    let aside = path.with_extension("tmp");
    {
        let mut file = std::fs::File::create(&aside)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
    }
    std::fs::rename(&aside, path)?;
    if let Some(dir) = path.parent() {
        if let Ok(dir) = std::fs::File::open(dir) {
            let _ = dir.sync_all();
        }
    }
    Ok(())
}

#[post("/add-checkpoint")]
async fn add_checkpoint(witness: web::Data<Witness>, body: web::Bytes) -> HttpResponse {
    let witness = witness.into_inner();
    let answer = web::block(move || witness.add_checkpoint(&body)).await;
    match answer {
        Ok((status, content_type, text)) => HttpResponse::build(
            actix_web::http::StatusCode::from_u16(status)
                .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR),
        )
        .content_type(content_type)
        .body(text),
        Err(_) => HttpResponse::InternalServerError().body("the witness failed\n"),
    }
}

/// Serves the witness on `listen` (plain HTTP: put it behind TLS; its
/// answers are signed, so a proxy cannot forge one).
pub fn serve(witness: Witness, listen: &str) -> std::io::Result<()> {
    let witness = web::Data::new(witness);
    actix_web::rt::System::new().block_on(async move {
        let server = HttpServer::new(move || {
            App::new()
                .app_data(witness.clone())
                .app_data(web::PayloadConfig::new(64 * 1024))
                .service(add_checkpoint)
        })
        .workers(2)
        .bind(listen)?;
        for addr in server.addrs() {
            println!("witness listening on http://{addr}");
        }
        server.run().await
    })
}

/// Makes a new Ed25519 key of `kind` named `name`; writes the private key
/// to `out` (owner-only) and returns the verifier key.
pub fn keygen(name: &str, kind: ingang_tlog::note::KeyType, out: &Path) -> Result<String, String> {
    let mut seed = [0u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut seed)
        .map_err(|_| "no randomness".to_owned())?;
    let key = SigningKey::from_seed(name, kind, seed).map_err(|e| e.to_string())?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(out)
        .map_err(|e| format!("{}: {e}", out.display()))?;
    file.write_all(format!("{}\n", key.to_private_string()).as_bytes())
        .map_err(|e| format!("{}: {e}", out.display()))?;
    Ok(key.verifier().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ingang_tlog::checkpoint::Checkpoint;
    use ingang_tlog::note::KeyType;
    use ingang_tlog::tree::{consistency_ranges, leaf_hash, range_hash, Frontier, NodeId};
    use ingang_tlog::witness::format_add_checkpoint;
    use std::collections::HashMap;

    const ORIGIN: &str = "log.example/audit";

    struct Log {
        key: SigningKey,
        frontier: Frontier,
        nodes: HashMap<NodeId, Hash>,
    }

    impl Log {
        fn new(seed: u8) -> Self {
            Log {
                key: SigningKey::from_seed(ORIGIN, KeyType::Ed25519, [seed; 32]).unwrap(),
                frontier: Frontier::empty(),
                nodes: HashMap::new(),
            }
        }

        fn grow(&mut self, n: u64, tag: &str) {
            for i in 0..n {
                for (id, hash) in self
                    .frontier
                    .append(leaf_hash(format!("{tag}{i}").as_bytes()))
                {
                    self.nodes.insert(id, hash);
                }
            }
        }

        fn note(&self) -> String {
            let text = Checkpoint {
                origin: ORIGIN.into(),
                size: self.frontier.size(),
                root: self.frontier.root(),
            }
            .to_text();
            let sig = self.key.sign(&text);
            format!("{text}\n{}\n", sig.line())
        }

        fn proof(&self, old: u64) -> Vec<Hash> {
            let lookup = |id: NodeId| self.nodes.get(&id).copied();
            consistency_ranges(old, self.frontier.size())
                .unwrap()
                .iter()
                .map(|r| range_hash(*r, &lookup).unwrap())
                .collect()
        }

        fn request(&self, old: u64) -> Vec<u8> {
            format_add_checkpoint(old, &self.proof(old), &self.note()).into_bytes()
        }
    }

    fn witness(log: &Log, dir: &Path) -> Witness {
        let key =
            SigningKey::from_seed("w.example/witness", KeyType::Cosignature, [4; 32]).unwrap();
        Witness::open(key, vec![log.key.verifier()], dir.join("state.json")).unwrap()
    }

    #[test]
    fn the_witness_cosigns_only_what_extends_what_it_holds() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = Log::new(1);
        log.grow(5, "a");
        let w = witness(&log, dir.path());
        // Malformed: 400.
        assert_eq!(w.add_checkpoint(b"old x\n\nnot a note").0, 400);
        // The first checkpoint, from the empty tree: cosigned, and stored.
        let (status, _, line) = w.add_checkpoint(&log.request(0));
        assert_eq!(status, 200, "{line}");
        let sig = ingang_tlog::note::NoteSignature::parse_line(line.trim()).unwrap();
        let text = log.note().split("\n\n").next().unwrap().to_owned() + "\n";
        assert!(w.key.verifier().verifies(&text, &sig).is_some());
        assert!(std::fs::read_to_string(dir.path().join("state.json"))
            .unwrap()
            .contains("\"size\": 5"));
        // Asked from the wrong old size: 409 with the size it holds.
        log.grow(3, "b");
        let (status, content_type, body) = w.add_checkpoint(&log.request(0));
        assert_eq!(
            (status, content_type, body.as_str()),
            (409, "text/x.tlog.size", "5\n")
        );
        // A proof that does not verify: 422.
        let mut bad = log.proof(5);
        bad[0].0[0] ^= 1;
        let body = format_add_checkpoint(5, &bad, &log.note());
        assert_eq!(w.add_checkpoint(body.as_bytes()).0, 422);
        // The old size beyond the new: 400.
        assert_eq!(w.add_checkpoint(&log.request(5)).0, 200);
        let (status, _, _) =
            w.add_checkpoint(format_add_checkpoint(9, &[], &log.note()).as_bytes());
        assert_eq!(status, 400);
        // Another history of the same log, properly signed: refused.
        let mut forked = Log::new(1);
        forked.grow(9, "c");
        assert_eq!(w.add_checkpoint(&forked.request(8)).0, 422);
        // Signed by another key: 403; another origin: 404.
        let mut stranger = Log::new(2);
        stranger.grow(9, "a");
        assert_eq!(w.add_checkpoint(&stranger.request(8)).0, 403);
        let other = Witness::open(
            SigningKey::from_seed("w.example/witness", KeyType::Cosignature, [4; 32]).unwrap(),
            vec![],
            dir.path().join("other.json"),
        )
        .unwrap();
        assert_eq!(other.add_checkpoint(&log.request(0)).0, 404);
        // A restarted witness remembers what it cosigned.
        let again = witness(&log, dir.path());
        assert_eq!(again.add_checkpoint(&log.request(0)).1, "text/x.tlog.size");
    }
}
