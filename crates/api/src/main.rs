//! The `ingang` command: serve, migrate, token, bootstrap, keys, openapi.

use chrono::Duration;
use clap::{Parser, Subcommand};
use ingang_api::config::{Config, Overrides};
use ingang_api::{demo, openapi, server, tls};
use ingang_policy::{AgencyCode, OfficerId, Role};
use std::path::PathBuf;
use std::process::ExitCode;

// mimalloc: 10 % fewer instructions per audited read than glibc's malloc
// (docs/benchmarks.md, seventh round). Built without transparent huge
// pages (`no_thp`), which kept 1 000 idle keep-alive connections' buffers
// in 2 MiB pages: 135 MiB resident instead of 81.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "ingang",
    version,
    about = "ingång: consent-gated shared case records"
)]
struct Cli {
    /// TOML configuration file (also INGANG_CONFIG).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Data directory (also INGANG_DATA_DIR; default `data`).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service (HTTPS on 127.0.0.1:8443 by default).
    Serve {
        /// Address to listen on (also INGANG_LISTEN).
        #[arg(long)]
        listen: Option<String>,
        /// Load demo agencies, officers, clients and consents; print tokens.
        #[arg(long)]
        demo: bool,
        /// Database: a postgres:// URL or a SQLite file (also
        /// INGANG_DATABASE_URL; default <data>/ingang.sqlite3). A URL with a
        /// password is refused here: pass secrets by environment or file.
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Mint a development token (refused in production mode).
    Token {
        #[arg(long)]
        sub: OfficerId,
        #[arg(long)]
        agency: AgencyCode,
        /// Repeat for several roles.
        #[arg(long = "role", required = true)]
        roles: Vec<Role>,
        /// Lifetime, such as 30m, 8h or 3600s (default 1h).
        #[arg(long, default_value = "1h")]
        ttl: String,
    },
    /// Create the first admin account; works only while no admin exists.
    Bootstrap {
        #[arg(long)]
        agency: String,
        #[arg(long)]
        agency_name: String,
        #[arg(long)]
        admin_name: String,
    },
    /// Key management.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Print the OpenAPI document (as committed in openapi/ingang.json).
    Openapi,
    /// Erase clients whose retention period has ended.
    Retention {
        #[command(subcommand)]
        command: RetentionCommand,
    },
    /// The audit log's integrity: verify, proofs, export, checkpoints, keys.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// A C2SP tlog-witness that cosigns the log's consistent checkpoints
    /// (run by another agency).
    Witness {
        #[command(subcommand)]
        command: WitnessCommand,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Verify the whole log offline: every checkpoint's signature, every
    /// entry against the Merkle tree, and the witnesses' cosignatures. From
    /// the database (audited as `--auditor`), or from a JSON-lines export
    /// file with only the public keys.
    Verify {
        /// A JSON-lines export (`ingang audit export --format jsonl`).
        #[arg(long)]
        export: Option<PathBuf>,
        /// Cosignatures of configured witnesses the newest checkpoint must carry.
        #[arg(long, default_value_t = 0)]
        witnesses: usize,
        /// The auditor account the verification is audited as (database mode).
        #[arg(long)]
        auditor: Option<OfficerId>,
        /// The log's verifier key (`origin+id+base64`); default: the configured key.
        #[arg(long = "key")]
        keys: Vec<String>,
        /// A witness's verifier key; default: the configured witnesses.
        #[arg(long = "witness-key")]
        witness_keys: Vec<String>,
    },
    /// Check an inclusion proof (the JSON of GET /v1/audit/events/{seq}/proof)
    /// with only the log's public key, and print the entry it proves.
    VerifyProof {
        /// The log's verifier key (`origin+id+base64`).
        #[arg(long)]
        key: String,
        /// Witness verifier keys whose cosignatures to count.
        #[arg(long = "witness-key")]
        witness_keys: Vec<String>,
        /// Cosignatures the proof's checkpoint must carry.
        #[arg(long, default_value_t = 0)]
        witnesses: usize,
        /// The proof file (`-`: standard input).
        proof: PathBuf,
    },
    /// Export the log to standard output (or --out), audited as --auditor.
    Export {
        #[arg(long, value_parser = ["jsonl", "csv"])]
        format: String,
        #[arg(long)]
        auditor: OfficerId,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Integrate the queued entries and sign a checkpoint now.
    Checkpoint,
    /// Make a new log signing key named after the configured origin; prints
    /// its verifier key. Refuses to overwrite a file. See docs/audit-log.md
    /// for rotation.
    Keygen {
        /// Default: `audit-log.key` in the keys directory.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum WitnessCommand {
    /// Serve `POST /add-checkpoint` (plain HTTP; put it behind TLS).
    Serve {
        #[arg(long, default_value = "127.0.0.1:9090")]
        listen: String,
        /// The witness's private key (made by `ingang witness keygen`).
        #[arg(long)]
        key_file: PathBuf,
        /// Where the witness keeps the checkpoints it cosigned.
        #[arg(long)]
        state_file: PathBuf,
        /// A log to witness: its verifier key (`origin+id+base64`). Repeat.
        #[arg(long = "log", required = true)]
        logs: Vec<String>,
    },
    /// Make a witness key; prints its verifier key (type 0x04).
    Keygen {
        #[arg(long)]
        name: String,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum RetentionCommand {
    /// Erase every client whose last consent ended (or who was registered,
    /// without one) more than the configured retention period ago
    /// (INGANG_RETENTION_DAYS); each erasure is audited as the coordinator's.
    Run {
        /// The coordinator account on whose authority the erasures are made.
        #[arg(long)]
        coordinator: OfficerId,
        /// List who would be erased, and erase nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Create the master key, the blind-index key and the audit log's
    /// signing key (for the configured origin) in the keys directory
    /// (INGANG_KEYS_DIR). Refuses if keys exist. Works in production mode:
    /// this is how an installation gets its keys.
    Init,
    /// Create a new master key file without making it current (step one of
    /// a rotation across several processes; see deploy/README.md).
    Add,
    /// Make a master key current and re-wrap every data key under it: a new
    /// one, or the one `--to` names (made earlier by `keys add`). No data is
    /// re-encrypted. Running it again re-wraps what others wrapped since.
    Rotate {
        #[arg(long)]
        to: Option<String>,
    },
}

fn parse_ttl(text: &str) -> Option<Duration> {
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: i64 = number.parse().ok()?;
    match unit {
        "" | "s" => Some(Duration::seconds(n)),
        "m" => Some(Duration::minutes(n)),
        "h" => Some(Duration::hours(n)),
        "d" => Some(Duration::days(n)),
        _ => None,
    }
}

fn main() -> ExitCode {
    ingang_api::logging::init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    let (listen, database_url) = if let Command::Serve {
        listen,
        database_url,
        ..
    } = &cli.command
    {
        (listen.clone(), database_url.clone())
    } else {
        (None, None)
    };
    let overrides = Overrides {
        config_file: cli.config.clone(),
        listen,
        data_dir: cli.data_dir.clone(),
        database_url,
    };
    if let Command::Openapi = cli.command {
        print!("{}", openapi::document_json());
        return Ok(());
    }
    if let Command::Witness { command } = cli.command {
        return witness_command(command);
    }
    if let Command::Audit {
        command:
            AuditCommand::VerifyProof {
                key,
                witness_keys,
                witnesses,
                proof,
            },
    } = &cli.command
    {
        return ingang_api::cli::verify_proof(key, witness_keys, *witnesses, proof);
    }
    let mut config = Config::load(&overrides).map_err(|e| e.to_string())?;
    // Only the service takes part in the sequencer election.
    if !matches!(cli.command, Command::Serve { .. }) {
        config.audit_log.sequencer = false;
    }
    if !matches!(
        cli.command,
        Command::Keys {
            command: KeysCommand::Init
        }
    ) {
        config.check_production().map_err(|e| e.to_string())?;
    }
    match cli.command {
        Command::Openapi | Command::Witness { .. } => Ok(()),
        Command::Audit { command } => audit_command(config, command),
        Command::Retention {
            command:
                RetentionCommand::Run {
                    coordinator,
                    dry_run,
                },
        } => {
            let days = config.retention_days.ok_or(
                "no retention period is configured (INGANG_RETENTION_DAYS or retention_days)",
            )?;
            let state = server::open_state(config).map_err(|e| e.to_string())?;
            let cutoff = chrono::Utc::now() - Duration::days(i64::from(days));
            let report = state
                .app
                .session()
                .and_then(|mut session| {
                    let caller = session.operator(
                        coordinator,
                        Role::Coordinator,
                        format!("retention-{}", uuid::Uuid::new_v4()),
                    )?;
                    session.run_retention(&caller, cutoff, dry_run)
                })
                .map_err(|e| format!("{e:?}"))?;
            let verb = if dry_run { "would erase" } else { "erased" };
            println!(
                "{verb} {} clients (retention {days} days)",
                report.erased.len()
            );
            for client in &report.erased {
                println!("{client}");
            }
            if !report.skipped.is_empty() {
                println!(
                    "skipped {} clients erased or given a consent during the run",
                    report.skipped.len()
                );
                for client in &report.skipped {
                    println!("{client}");
                }
            }
            Ok(())
        }
        Command::Serve {
            demo: with_demo, ..
        } => serve(config, with_demo),
        Command::Migrate => {
            let state = server::open_state(config).map_err(|e| e.to_string())?;
            drop(state);
            println!("migrations applied");
            Ok(())
        }
        Command::Token {
            sub,
            agency,
            roles,
            ttl,
        } => {
            if config.is_production() {
                return Err("`ingang token` is refused in production mode: tokens come from your trusted issuers".into());
            }
            let ttl =
                parse_ttl(&ttl).ok_or("--ttl takes a number with s, m, h or d, such as 8h")?;
            let tokens = server::token_keys(&config).map_err(|e| e.to_string())?;
            let token = tokens
                .mint(sub, &agency, &roles, ttl)
                .ok_or("the development signing key is not available")?;
            println!("{token}");
            Ok(())
        }
        Command::Bootstrap {
            agency,
            agency_name,
            admin_name,
        } => {
            let state = server::open_state(config).map_err(|e| e.to_string())?;
            let id = ingang_api::bootstrap(&state.store, &agency, &agency_name, &admin_name)
                .map_err(|e| e.to_string())?;
            println!("{id}");
            Ok(())
        }
        Command::Keys {
            command: KeysCommand::Init,
        } => {
            let id =
                ingang_store::Keyring::init_dir(&config.keys_dir).map_err(|e| e.to_string())?;
            let log_key = config.keys_dir.join(ingang_api::transparency::LOG_KEY_FILE);
            let verifier = ingang_api::witness::keygen(
                &config.audit_log.origin,
                ingang_tlog::note::KeyType::Ed25519,
                &log_key,
            )?;
            println!(
                "created the audit log's signing key for {}; its verifier key is {verifier}",
                config.audit_log.origin
            );
            println!(
                "created master key {id} and the blind-index key in {}; back them up apart from the database",
                config.keys_dir.display()
            );
            Ok(())
        }
        Command::Keys {
            command: KeysCommand::Add,
        } => {
            let id = ingang_store::Keyring::new_master_in_dir(&config.keys_dir)
                .map_err(|e| e.to_string())?;
            println!("{id}");
            Ok(())
        }
        Command::Keys {
            command: KeysCommand::Rotate { to },
        } => {
            let id = match to {
                Some(id) => {
                    ingang_store::Keyring::make_current_in_dir(&config.keys_dir, &id)
                        .map_err(|e| e.to_string())?;
                    id
                }
                None => ingang_store::Keyring::add_master_in_dir(&config.keys_dir)
                    .map_err(|e| e.to_string())?,
            };
            let state = server::open_state(config).map_err(|e| e.to_string())?;
            let count = state
                .store
                .db()
                .and_then(|mut db| db.rewrap_data_keys())
                .map_err(|e| e.to_string())?;
            println!("master key {id} is now current; re-wrapped {count} data keys");
            Ok(())
        }
    }
}

fn serve(config: Config, with_demo: bool) -> Result<(), String> {
    if with_demo && config.is_production() {
        return Err("--demo is refused in production mode".into());
    }
    actix_web::rt::System::new().block_on(async move {
        let data_dir = config.data_dir.clone();
        let scheme = if config.plain_http() { "http" } else { "https" };
        let ca = tls::DevCertificates::in_dir(&config.certs_dir()).ca_cert;
        let mut state = server::open_state(config).map_err(|e| e.to_string())?;
        let demo = if with_demo {
            let demo =
                demo::load(&state.app, &state.store, &data_dir).map_err(|e| e.to_string())?;
            state.web.dev_accounts = demo::dev_accounts(&demo);
            Some(demo)
        } else {
            None
        };
        let running = server::start(state).map_err(|e| e.to_string())?;
        let addr = running
            .addrs
            .first()
            .map(ToString::to_string)
            .unwrap_or_default();
        let base_url = format!("{scheme}://{}", addr.replace("127.0.0.1", "localhost"));
        log::info!("ingång listening on {base_url}");
        if let Some(demo) = demo {
            println!(
                "{}",
                demo::instructions(&demo, &running.state.tokens, &base_url, &ca)
            );
        }
        let state = running.state.clone();
        let result = running.wait().await.map_err(|e| e.to_string());
        let stats = state.store.audit().stats();
        log::info!(
            "stopped; audit log: {} entries in {} commits, {} failed commits",
            stats.entries.load(std::sync::atomic::Ordering::Relaxed),
            stats.batches.load(std::sync::atomic::Ordering::Relaxed),
            stats.failures.load(std::sync::atomic::Ordering::Relaxed),
        );
        result
    })
}

fn audit_command(config: Config, command: AuditCommand) -> Result<(), String> {
    use ingang_api::cli;
    match command {
        AuditCommand::Verify {
            export,
            witnesses,
            auditor,
            keys,
            witness_keys,
        } => cli::verify(config, export, witnesses, auditor, keys, witness_keys),
        AuditCommand::VerifyProof { .. } => Ok(()),
        AuditCommand::Export {
            format,
            auditor,
            out,
        } => cli::export(config, &format, auditor, out),
        AuditCommand::Checkpoint => cli::checkpoint(config),
        AuditCommand::Keygen { out } => {
            let out =
                out.unwrap_or_else(|| config.keys_dir.join(ingang_api::transparency::LOG_KEY_FILE));
            let vkey = ingang_api::witness::keygen(
                &config.audit_log.origin,
                ingang_tlog::note::KeyType::Ed25519,
                &out,
            )?;
            println!("{vkey}");
            Ok(())
        }
    }
}

fn witness_command(command: WitnessCommand) -> Result<(), String> {
    match command {
        WitnessCommand::Serve {
            listen,
            key_file,
            state_file,
            logs,
        } => {
            let text = std::fs::read_to_string(&key_file)
                .map_err(|e| format!("{}: {e}", key_file.display()))?;
            let key = ingang_tlog::note::SigningKey::parse(&text)
                .map_err(|e| format!("{}: {e}", key_file.display()))?;
            let logs = logs
                .iter()
                .map(|l| {
                    ingang_tlog::note::VerifierKey::parse(l).map_err(|e| format!("--log {l}: {e}"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let witness = ingang_api::witness::Witness::open(key, logs, state_file)?;
            ingang_api::witness::serve(witness, &listen).map_err(|e| e.to_string())
        }
        WitnessCommand::Keygen { name, out } => {
            let vkey =
                ingang_api::witness::keygen(&name, ingang_tlog::note::KeyType::Cosignature, &out)?;
            println!("{vkey}");
            Ok(())
        }
    }
}
