//! The two migration sets must describe the same database: same tables,
//! columns (type, nullability, primary key), unique constraints and indexes.
//! Runs against a real PostgreSQL (see ingang-testdb); skips loudly without.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::wildcard_enum_match_arm
)]

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use ingang_store::db::{self, DbConnection};
use ingang_testdb::{Backend, TestDatabase};
use std::collections::BTreeSet;

/// Everything the comparison looks at, in a backend-neutral spelling.
#[derive(Debug, Default, PartialEq, Eq)]
struct Shape {
    /// (table, column, type, not null)
    columns: BTreeSet<(String, String, String, bool)>,
    /// (table, primary key columns)
    primary_keys: BTreeSet<(String, String)>,
    /// (table, columns) of unique constraints
    uniques: BTreeSet<(String, String)>,
    /// (index name, table, columns, "unique"/"plain" + " partial") of
    /// explicitly created indexes
    indexes: BTreeSet<(String, String, String, String)>,
    /// Names of triggers (the append-only guard of the audit log).
    triggers: BTreeSet<String>,
    /// (table, rule) of named invariants: CHECK constraints on PostgreSQL,
    /// `check_<rule>_on_insert`/`_on_update` trigger pairs on SQLite.
    checks: BTreeSet<(String, String)>,
}

#[derive(QueryableByName)]
struct TableRule {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct SqliteColumn {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    ty: String,
    #[diesel(sql_type = BigInt)]
    notnull: i64,
    #[diesel(sql_type = BigInt)]
    pk: i64,
}

#[derive(QueryableByName)]
struct SqliteIndex {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    origin: String,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    unique: i32,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    partial: i32,
}

/// How an index constrains its rows, spelled the same for both backends.
fn index_flags(unique: bool, partial: bool) -> String {
    let kind = if unique { "unique" } else { "plain" };
    if partial {
        format!("{kind} partial")
    } else {
        kind.to_owned()
    }
}

fn names(conn: &mut DbConnection, sql: &str) -> Vec<String> {
    diesel::sql_query(sql)
        .load::<Name>(conn)
        .unwrap()
        .into_iter()
        .map(|n| n.name)
        .collect()
}

/// The SQLite shape takes in the lookups file every connection attaches
/// (`ingang_store::lookups`): PostgreSQL keeps those tables in the database.
fn sqlite_shape(conn: &mut DbConnection) -> Shape {
    let mut shape = Shape::default();
    let tables = names(
        conn,
        "SELECT name FROM (SELECT name, type FROM main.sqlite_master \
                           UNION ALL SELECT name, type FROM lookups.sqlite_master) \
         WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name <> '__diesel_schema_migrations'",
    );
    for table in tables {
        let columns: Vec<SqliteColumn> = diesel::sql_query(format!(
            "SELECT name, type AS ty, \"notnull\", pk FROM pragma_table_info('{table}')"
        ))
        .load(conn)
        .unwrap();
        let pk_columns = columns.iter().filter(|c| c.pk > 0).count();
        let mut pk: Vec<(i64, String)> = Vec::new();
        for c in &columns {
            let ty = match c.ty.to_ascii_uppercase().as_str() {
                "TEXT" => "text",
                "BLOB" => "binary",
                "BIGINT" => "bigint",
                "SMALLINT" => "smallint",
                // An INTEGER PRIMARY KEY is SQLite's 64-bit rowid.
                "INTEGER" if c.pk > 0 && pk_columns == 1 => "bigint",
                "INTEGER" => "integer",
                "BOOLEAN" => "bool",
                other => panic!("unmapped SQLite type {other} of {table}.{}", c.name),
            };
            shape.columns.insert((
                table.clone(),
                c.name.clone(),
                ty.into(),
                c.notnull != 0 || c.pk > 0,
            ));
            if c.pk > 0 {
                pk.push((c.pk, c.name.clone()));
            }
        }
        pk.sort();
        let pk: Vec<String> = pk.into_iter().map(|(_, n)| n).collect();
        shape.primary_keys.insert((table.clone(), pk.join(",")));
        let indexes: Vec<SqliteIndex> = diesel::sql_query(format!(
            "SELECT name, origin, \"unique\", partial FROM pragma_index_list('{table}')"
        ))
        .load(conn)
        .unwrap();
        for index in indexes {
            let cols = names(
                conn,
                &format!(
                    "SELECT name FROM pragma_index_info('{}') ORDER BY seqno",
                    index.name
                ),
            )
            .join(",");
            match index.origin.as_str() {
                "c" => {
                    let flags = index_flags(index.unique != 0, index.partial != 0);
                    shape
                        .indexes
                        .insert((index.name, table.clone(), cols, flags));
                }
                "u" => {
                    shape.uniques.insert((table.clone(), cols));
                }
                _ => {} // the primary key, compared above
            }
        }
    }
    let triggers: Vec<TableRule> = diesel::sql_query(
        "SELECT tbl_name AS table_name, name FROM main.sqlite_master WHERE type = 'trigger' \
         UNION ALL \
         SELECT tbl_name AS table_name, name FROM lookups.sqlite_master WHERE type = 'trigger'",
    )
    .load(conn)
    .unwrap();
    let mut events: BTreeSet<(String, String, &str)> = BTreeSet::new();
    for trigger in triggers {
        let rule = trigger.name.strip_prefix("check_").and_then(|rest| {
            let insert = rest.strip_suffix("_on_insert").map(|r| (r, "insert"));
            insert.or_else(|| rest.strip_suffix("_on_update").map(|r| (r, "update")))
        });
        match rule {
            Some((rule, event)) => {
                events.insert((trigger.table_name, rule.to_owned(), event));
            }
            None => {
                shape.triggers.insert(trigger.name);
            }
        }
    }
    // A rule holds only if it guards both inserts and updates.
    for (table, rule, event) in &events {
        let other = if *event == "insert" {
            "update"
        } else {
            "insert"
        };
        assert!(
            events.contains(&(table.clone(), rule.clone(), other)),
            "check_{rule} on {table} guards only {event}s"
        );
        shape.checks.insert((table.clone(), rule.clone()));
    }
    shape
}

#[derive(QueryableByName)]
struct PgColumn {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Text)]
    is_nullable: String,
}

#[derive(QueryableByName)]
struct PgIndex {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    columns: String,
    /// `p` primary key, `u` unique constraint, `-` a plain index.
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    is_unique: bool,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    is_partial: bool,
}

fn postgres_shape(conn: &mut DbConnection) -> Shape {
    let mut shape = Shape::default();
    let columns: Vec<PgColumn> = diesel::sql_query(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text \
         FROM information_schema.columns WHERE table_schema = 'public' \
         AND table_name <> '__diesel_schema_migrations'",
    )
    .load(conn)
    .unwrap();
    for c in columns {
        let ty = match c.data_type.as_str() {
            "text" => "text",
            "bytea" => "binary",
            "bigint" => "bigint",
            "smallint" => "smallint",
            "integer" => "integer",
            "boolean" => "bool",
            other => panic!(
                "unmapped PostgreSQL type {other} of {}.{}",
                c.table_name, c.column_name
            ),
        };
        shape.columns.insert((
            c.table_name,
            c.column_name,
            ty.into(),
            c.is_nullable == "NO",
        ));
    }
    let indexes: Vec<PgIndex> = diesel::sql_query(
        "SELECT i.relname::text AS name, t.relname::text AS table_name, \
                (SELECT string_agg(a.attname, ',' ORDER BY k.n) \
                   FROM unnest(x.indkey) WITH ORDINALITY AS k(attnum, n) \
                   JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum) AS columns, \
                COALESCE((SELECT c.contype::text FROM pg_constraint c WHERE c.conindid = i.oid \
                          AND c.contype IN ('p', 'u')), '-') AS kind, \
                x.indisunique AS is_unique, x.indpred IS NOT NULL AS is_partial \
         FROM pg_index x \
         JOIN pg_class i ON i.oid = x.indexrelid \
         JOIN pg_class t ON t.oid = x.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = 'public' AND t.relname <> '__diesel_schema_migrations'",
    )
    .load(conn)
    .unwrap();
    for index in indexes {
        match index.kind.as_str() {
            "p" => shape.primary_keys.insert((index.table_name, index.columns)),
            "u" => shape.uniques.insert((index.table_name, index.columns)),
            _ => shape.indexes.insert((
                index.name,
                index.table_name,
                index.columns,
                index_flags(index.is_unique, index.is_partial),
            )),
        };
    }
    // Row triggers appear once per event in information_schema; TRUNCATE
    // has no SQLite counterpart (SQLite has no TRUNCATE), and the epochs'
    // advisory lock none either (SQLite's audit writer holds the file's
    // write lock instead).
    shape.triggers = names(
        conn,
        "SELECT DISTINCT tgname::text AS name FROM pg_trigger \
         WHERE NOT tgisinternal AND tgname <> 'audit_events_no_truncate' \
         AND tgname NOT LIKE '%_takes_the_epoch_lock'",
    )
    .into_iter()
    .collect();
    let checks: Vec<TableRule> = diesel::sql_query(
        "SELECT c.conrelid::regclass::text AS table_name, c.conname::text AS name \
         FROM pg_constraint c WHERE c.contype = 'c' \
         AND c.connamespace = 'public'::regnamespace",
    )
    .load(conn)
    .unwrap();
    shape.checks = checks.into_iter().map(|c| (c.table_name, c.name)).collect();
    shape
}

/// Runs `test` on each backend at hand, on a freshly migrated database.
fn on_each_migrated_backend(test: impl Fn(Backend, &TestDatabase)) {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(database) = TestDatabase::create(backend) else {
            continue;
        };
        db::migrate(&database.url).unwrap();
        test(backend, &database);
    }
}

#[test]
fn both_migration_sets_describe_the_same_tables_columns_and_indexes() {
    let sqlite = TestDatabase::create(Backend::Sqlite).unwrap();
    let Some(postgres) = TestDatabase::create(Backend::Postgres) else {
        return; // skipped loudly by ingang-testdb
    };
    assert!(db::migrate(&sqlite.url).unwrap() > 0);
    assert!(db::migrate(&postgres.url).unwrap() > 0);
    let sqlite_shape = sqlite_shape(&mut sqlite.connect());
    let postgres_shape = postgres_shape(&mut postgres.connect());
    assert!(sqlite_shape.columns.len() > 60, "{sqlite_shape:#?}");
    assert_eq!(sqlite_shape.indexes.len(), 9, "{sqlite_shape:#?}");
    assert_eq!(sqlite_shape.checks.len(), 19, "{sqlite_shape:#?}");
    assert_eq!(sqlite_shape, postgres_shape);
}

#[test]
fn migrating_twice_does_nothing_the_second_time() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(database) = TestDatabase::create(backend) else {
            continue;
        };
        assert!(db::migrate(&database.url).unwrap() > 0);
        assert_eq!(db::migrate(&database.url).unwrap(), 0, "{backend:?}");
    }
}

#[test]
fn the_audit_log_refuses_updates_and_deletes_on_both_backends() {
    on_each_migrated_backend(|backend, database| {
        let mut conn = database.connect();
        diesel::sql_query(
        "INSERT INTO audit_events (at, actor_id, actor_agency, roles, action, decision, request_id) \
         VALUES (1, 'a', 'alm', 'admin', 'agency.manage', 'allow', 'r')",
    )
    .execute(&mut conn)
    .unwrap();
        for sql in [
            "UPDATE audit_events SET request_id = 'other'",
            "DELETE FROM audit_events",
        ] {
            let error = diesel::sql_query(sql).execute(&mut conn).unwrap_err();
            assert!(
                error.to_string().contains("append-only"),
                "{backend:?}: {error}"
            );
        }
    });
}

/// Rows every rule accepts: one of each table a rule guards. `BLOB0` and
/// `BLOB1` stand for one-byte binary literals, spelled per backend.
const VALID_ROWS: [&str; 11] = [
    "INSERT INTO agencies (code, name, created_at) VALUES ('af', 'AF', 1)",
    "INSERT INTO officers (id, agency, name_ct, roles, active, created_at) \
     VALUES ('o1', 'af', BLOB0, 'officer', TRUE, 1)",
    "INSERT INTO clients (id, pn_index, pn_ct, name_ct, registered_by, created_at) \
     VALUES ('c1', BLOB1, BLOB0, BLOB0, 'o1', 1)",
    "INSERT INTO records (id, client_id, kind, source_agency, author_id, created_at, updated_at, version) \
     VALUES ('r1', 'c1', 'note', 'af', 'o1', 1, 1, 1)",
    "INSERT INTO record_versions (record_id, version, author_id, created_at, body_ct) \
     VALUES ('r1', 1, 'o1', 1, BLOB0)",
    "INSERT INTO consents (id, client_id, recipient_officers, recipient_agencies, from_agencies, kinds, \
     purpose_ct, signed_at, valid_from, valid_until, evidence_method, evidence_sha256, recorded_by, created_at) \
     VALUES ('k1', 'c1', '[]', '[\"af\"]', '[]', '[]', BLOB0, 1, 1, 2, 'paper', \
     'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'o1', 1)",
    "INSERT INTO assignments (id, client_id, officer_id, created_by, starts_at) \
     VALUES ('a1', 'c1', 'o1', 'o1', 1)",
    "INSERT INTO audit_events (at, actor_id, actor_agency, roles, action, decision, reason, request_id) \
     VALUES (1, 'o1', 'af', 'officer', 'record.read', 'deny', 'no-active-consent', 'r')",
    "INSERT INTO web_sessions (token_sha256, account_id, created_at, expires_at, previous_visit) \
     VALUES (BLOB0, 'o1', 10, 20, 5)",
    "INSERT INTO audit_tree_nodes (level, idx, hash) VALUES (1, 0, HASH32)",
    "INSERT INTO audit_checkpoints (tree_size, root, note, signed_at) VALUES (1, HASH32, 'n', 1)",
];

/// (rule, a statement that breaks it) for every named invariant.
const VIOLATIONS: [(&str, &str); 26] = [
    ("audit_tree_single", "UPDATE audit_tree SET size = -1"),
    ("audit_tree_single", "INSERT INTO audit_tree (id, size, root) VALUES (2, 0, HASH32)"),
    ("audit_sequencer_single", "INSERT INTO audit_sequencer (id, holder, expires_at) VALUES (2, '', 0)"),
    ("audit_tree_nodes_shape", "INSERT INTO audit_tree_nodes (level, idx, hash) VALUES (0, 0, HASH32)"),
    ("audit_tree_nodes_shape", "INSERT INTO audit_tree_nodes (level, idx, hash) VALUES (1, 1, BLOB0)"),
    ("audit_checkpoints_shape", "INSERT INTO audit_checkpoints (tree_size, root, note, signed_at) VALUES (2, BLOB0, 'n', 1)"),
    ("clients_erased", "UPDATE clients SET erased_at = 5"),
    ("web_sessions_lifetime", "UPDATE web_sessions SET expires_at = 10"),
    ("web_sessions_lifetime", "UPDATE web_sessions SET ended_at = 9"),
    ("web_sessions_lifetime", "UPDATE web_sessions SET previous_visit = 11"),
    ("agencies_code_format", "INSERT INTO agencies (code, name, created_at) VALUES ('AF', 'x', 1)"),
    ("agencies_code_format", "INSERT INTO agencies (code, name, created_at) VALUES ('a', 'x', 1)"),
    ("records_kind", "UPDATE records SET kind = 'diary'"),
    (
        "records_kind",
        "INSERT INTO records (id, client_id, kind, source_agency, author_id, created_at, updated_at, version) \
         VALUES ('r2', 'c1', 'diary', 'af', 'o1', 1, 1, 1)",
    ),
    ("records_version", "UPDATE records SET version = 0"),
    ("records_version", "UPDATE records SET updated_at = 0"),
    ("record_versions_version", "UPDATE record_versions SET version = 0"),
    ("record_versions_never_change", "UPDATE record_versions SET body_ct = BLOB1"),
    ("consents_validity", "UPDATE consents SET valid_until = 1"),
    ("consents_evidence", "UPDATE consents SET evidence_method = 'fax'"),
    ("consents_evidence", "UPDATE consents SET evidence_sha256 = 'E3B0'"),
    ("assignments_ended", "UPDATE assignments SET ended_at = 5"),
    ("assignments_ended", "UPDATE assignments SET ended_at = 0, ended_by = 'o1'"),
    (
        "audit_events_decision",
        "INSERT INTO audit_events (at, actor_id, actor_agency, roles, action, decision, request_id) \
         VALUES (1, 'o1', 'af', 'officer', 'record.read', 'deny', 'r')",
    ),
    (
        "audit_events_vocabulary",
        "INSERT INTO audit_events (at, actor_id, actor_agency, roles, action, decision, request_id) \
         VALUES (1, 'o1', 'af', 'officer', 'record.peek', 'allow', 'r')",
    ),
    (
        "audit_events_vocabulary",
        "INSERT INTO audit_events (at, actor_id, actor_agency, roles, action, decision, reason, request_id) \
         VALUES (1, 'o1', 'af', 'officer', 'record.read', 'deny', 'because', 'r')",
    ),
];

#[test]
fn the_database_refuses_rows_the_domain_would_refuse_on_both_backends() {
    on_each_migrated_backend(|backend, database| {
        refuses_rows_the_domain_would_refuse(backend, &mut database.connect());
    });
}

/// The rules rewritten without `IN` lists hold as before once the rewrite
/// is reverted, too.
#[test]
fn reverting_the_rules_without_in_lists_keeps_every_rule_sqlite() {
    use diesel_migrations::MigrationHarness;
    let database = TestDatabase::create(Backend::Sqlite).unwrap();
    db::migrate(&database.url).unwrap();
    let mut conn = database.connect();
    let DbConnection::Sqlite(sqlite) = &mut conn else {
        unreachable!("a SQLite test database")
    };
    // The lookups and the records epoch's triggers came after; then the
    // rewrite itself.
    for version in ["20261130000009", "20261130000007", "20261130000006"] {
        let reverted = sqlite
            .revert_last_migration(db::SQLITE_MIGRATIONS)
            .unwrap()
            .to_string();
        assert_eq!(reverted.replace('-', ""), version);
    }
    refuses_rows_the_domain_would_refuse(Backend::Sqlite, &mut conn);
}

/// Stores a valid row of every table a rule guards, checks that each
/// named rule refuses a row that breaks it, and that every value of the
/// service's closed vocabularies is taken.
fn refuses_rows_the_domain_would_refuse(backend: Backend, conn: &mut DbConnection) {
    let (zero, one) = match backend {
        Backend::Sqlite => ("X'00'", "X'01'"),
        Backend::Postgres => ("'\\x00'::bytea", "'\\x01'::bytea"),
    };
    let hash32 = match backend {
        Backend::Sqlite => format!("X'{}'", "ab".repeat(32)),
        Backend::Postgres => format!("'\\x{}'::bytea", "ab".repeat(32)),
    };
    let hash32 = hash32.as_str();
    for sql in VALID_ROWS {
        let sql = sql
            .replace("BLOB0", zero)
            .replace("BLOB1", one)
            .replace("HASH32", hash32);
        diesel::sql_query(&sql)
            .execute(conn)
            .unwrap_or_else(|e| panic!("{backend:?}: {sql}: {e}"));
    }
    for (rule, sql) in VIOLATIONS {
        let sql = sql
            .replace("BLOB0", zero)
            .replace("BLOB1", one)
            .replace("HASH32", hash32);
        let sql = sql.as_str();
        let error = diesel::sql_query(sql)
            .execute(conn)
            .expect_err(&format!("{backend:?} accepted {sql}"));
        assert!(
            error.to_string().contains(rule),
            "{backend:?}: {sql}: {error}"
        );
    }
    // Every action and deny reason the service knows is one the
    // database takes; an allowed entry names no reason.
    for action in ingang_policy::AuditAction::ALL {
        diesel::sql_query(format!(
            "INSERT INTO audit_events (at, actor_id, actor_agency, roles, action, decision, request_id) \
             VALUES (2, 'o1', 'af', 'officer', '{action}', 'allow', 'r')"
        ))
        .execute(conn)
        .unwrap_or_else(|e| panic!("{backend:?}: {action}: {e}"));
    }
    for reason in ingang_policy::DenyReason::ALL {
        diesel::sql_query(format!(
            "INSERT INTO audit_events (at, actor_id, actor_agency, roles, action, decision, reason, request_id) \
             VALUES (2, 'o1', 'af', 'officer', 'record.read', 'deny', '{reason}', 'r')"
        ))
        .execute(conn)
        .unwrap_or_else(|e| panic!("{backend:?}: {reason}: {e}"));
    }
    // Every kind of record the service knows is one the database takes,
    // stored and changed to.
    for (n, kind) in ingang_policy::RecordKind::ALL.into_iter().enumerate() {
        diesel::sql_query(format!(
            "INSERT INTO records (id, client_id, kind, source_agency, author_id, created_at, updated_at, version) \
             VALUES ('k{n}', 'c1', '{kind}', 'af', 'o1', 1, 1, 1)"
        ))
        .execute(conn)
        .unwrap_or_else(|e| panic!("{backend:?}: {kind}: {e}"));
        diesel::sql_query(format!(
            "UPDATE records SET kind = '{kind}' WHERE id = 'r1'"
        ))
        .execute(conn)
        .unwrap_or_else(|e| panic!("{backend:?}: {kind}: {e}"));
    }
    // A closed assignment names both when and by whom.
    diesel::sql_query("UPDATE assignments SET ended_at = 5, ended_by = 'o1'")
        .execute(conn)
        .unwrap();
}

/// On SQLite, runs every migration before the one whose name ends with
/// `suffix`, stores `row` (which that migration's rules forbid), and checks
/// that migrating then fails and changes nothing.
fn sqlite_refuses_to_migrate_over(suffix: &str, row: &str) {
    use diesel_migrations::MigrationHarness;
    let database = TestDatabase::create(Backend::Sqlite).unwrap();
    let mut conn = database.connect();
    let DbConnection::Sqlite(sqlite) = &mut conn else {
        unreachable!("a SQLite test database")
    };
    while sqlite
        .pending_migrations(db::SQLITE_MIGRATIONS)
        .unwrap()
        .first()
        .is_some_and(|m| !m.name().to_string().ends_with(suffix))
    {
        sqlite.run_next_migration(db::SQLITE_MIGRATIONS).unwrap();
    }
    diesel::sql_query(row).execute(sqlite).unwrap();
    assert!(db::migrate(&database.url).is_err(), "{suffix}");
    // Nothing changed: the same migration is still the next to run.
    let pending = sqlite.pending_migrations(db::SQLITE_MIGRATIONS).unwrap();
    assert!(pending[0].name().to_string().ends_with(suffix));
}

#[test]
fn sqlite_refuses_to_migrate_a_database_that_already_breaks_a_rule() {
    sqlite_refuses_to_migrate_over(
        "_invariants",
        "INSERT INTO agencies (code, name, created_at) VALUES ('AF', 'x', 1)",
    );
    sqlite_refuses_to_migrate_over(
        "_audit_vocabulary",
        "INSERT INTO audit_events (at, actor_id, actor_agency, roles, action, decision, request_id) \
         VALUES (1, 'o1', 'af', 'officer', 'record.peek', 'allow', 'r')",
    );
}

/// Runs each of `changes` on `conn` and checks that each moves the counter
/// in `table` (`policy_epoch`, `records_epoch`) forward; then that the
/// counter refuses to go back, to stand still, or to go.
fn each_change_moves_forward_only(
    backend: Backend,
    conn: &mut DbConnection,
    table: &str,
    changes: &[&str],
) {
    #[derive(QueryableByName)]
    struct Epoch {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        epoch: i64,
    }
    let epoch = |conn: &mut DbConnection| {
        diesel::sql_query(format!("SELECT epoch FROM {table}"))
            .get_result::<Epoch>(conn)
            .unwrap()
            .epoch
    };
    let mut last = epoch(conn);
    for sql in changes {
        diesel::sql_query(*sql).execute(conn).unwrap();
        let now = epoch(conn);
        assert!(now > last, "{backend:?}: {sql} left {table} at {now}");
        last = now;
    }
    for sql in [
        format!("UPDATE {table} SET epoch = 0"),
        format!("UPDATE {table} SET epoch = epoch"),
        format!("DELETE FROM {table}"),
    ] {
        let error = diesel::sql_query(&sql).execute(conn).unwrap_err();
        assert!(
            error.to_string().contains("only moves forward"),
            "{backend:?}: {sql}: {error}"
        );
    }
}

#[test]
fn the_policy_epoch_moves_with_every_fact_change_and_never_back() {
    on_each_migrated_backend(|backend, database| {
        let mut conn = database.connect();
        let postgres = matches!(backend, Backend::Postgres);
        diesel::sql_query("INSERT INTO agencies (code, name, created_at) VALUES ('af', 'x', 1)")
            .execute(&mut conn)
            .unwrap();
        let blob = if postgres {
            "decode('00', 'hex')"
        } else {
            "X'00'"
        };
        let insert = format!(
            "INSERT INTO officers (id, agency, name_ct, roles, active, created_at) \
         VALUES ('o', 'af', {blob}, 'officer', TRUE, 1)"
        );
        let key = format!(
        "INSERT INTO data_keys (subject_id, kek_id, wrapped, created_at) VALUES ('o', 'k1', {blob}, 1)"
    );
        let mut changes = vec![
            insert.as_str(),
            "UPDATE officers SET active = FALSE, deactivated_at = 2",
            "DELETE FROM officers",
            // A data key kept in memory must not outlive a change to its row.
            key.as_str(),
            "UPDATE data_keys SET kek_id = 'k2'",
            "DELETE FROM data_keys",
        ];
        if postgres {
            // TRUNCATE fires no DELETE trigger; the epoch must move anyway.
            changes.push("TRUNCATE consent_withdrawals");
            changes.push("TRUNCATE data_keys");
        }
        each_change_moves_forward_only(backend, &mut conn, "policy_epoch", &changes);
    });
}

#[test]
fn the_records_epoch_moves_with_every_change_to_a_record_and_never_back() {
    on_each_migrated_backend(|backend, database| {
        let mut conn = database.connect();
        let postgres = matches!(backend, Backend::Postgres);
        let blob = if postgres { "'\\x00'::bytea" } else { "X'00'" };
        for sql in [
            "INSERT INTO agencies (code, name, created_at) VALUES ('af', 'x', 1)".to_owned(),
            format!(
                "INSERT INTO clients (id, pn_index, pn_ct, name_ct, registered_by, created_at) \
             VALUES ('c', {blob}, {blob}, {blob}, 'o', 1)"
            ),
        ] {
            diesel::sql_query(sql).execute(&mut conn).unwrap();
        }
        #[derive(QueryableByName)]
        struct Epoch {
            #[diesel(sql_type = BigInt)]
            epoch: i64,
        }
        let epoch = |conn: &mut DbConnection| {
            diesel::sql_query("SELECT epoch FROM records_epoch")
                .get_result::<Epoch>(conn)
                .unwrap()
                .epoch
        };
        // A new record changes no record anyone keeps: the epoch stays.
        let before = epoch(&mut conn);
        diesel::sql_query(
            "INSERT INTO records (id, client_id, kind, source_agency, author_id, created_at, updated_at, version) \
             VALUES ('r', 'c', 'note', 'af', 'o', 1, 1, 1)",
        )
        .execute(&mut conn)
        .unwrap();
        assert_eq!(
            epoch(&mut conn),
            before,
            "{backend:?}: a new record moved it"
        );
        // Every change to one that exists moves it, an insert over it too.
        let over = if postgres {
            "INSERT INTO records (id, client_id, kind, source_agency, author_id, created_at, updated_at, version) \
             VALUES ('r', 'c', 'assessment', 'af', 'o', 1, 1, 1) \
             ON CONFLICT (id) DO UPDATE SET kind = excluded.kind"
        } else {
            "INSERT OR REPLACE INTO records (id, client_id, kind, source_agency, author_id, created_at, updated_at, version) \
             VALUES ('r', 'c', 'assessment', 'af', 'o', 1, 1, 1)"
        };
        let mut changes = vec![
            over,
            "UPDATE records SET version = 2, updated_at = 2",
            "DELETE FROM records",
        ];
        if postgres {
            changes.push("TRUNCATE records CASCADE");
        }
        each_change_moves_forward_only(backend, &mut conn, "records_epoch", &changes);
    });
}

#[derive(QueryableByName)]
struct Seq {
    #[diesel(sql_type = BigInt)]
    seq: i64,
}

fn seqs(conn: &mut DbConnection, table: &str) -> Vec<i64> {
    diesel::sql_query(format!("SELECT seq FROM {table} ORDER BY seq"))
        .load::<Seq>(conn)
        .unwrap()
        .into_iter()
        .map(|row| row.seq)
        .collect()
}

/// The sequencer's queue is filled by the database in the statement that
/// stores an entry, one row per entry (several rows in one statement too);
/// the storage migration reverts and reapplies with the log intact.
#[test]
fn every_audit_entry_is_queued_by_the_statement_that_stores_it_on_both_backends() {
    use diesel_migrations::MigrationHarness;
    on_each_migrated_backend(|backend, database| {
        let mut conn = database.connect();
        let entry = "(1, 'o1', 'af', 'officer', 'record.read', 'allow', 'r')";
        let insert = "INSERT INTO audit_events (at, actor_id, actor_agency, roles, action, decision, request_id) VALUES ";
        diesel::sql_query(format!("{insert}{entry}, {entry}"))
            .execute(&mut conn)
            .unwrap();
        diesel::sql_query(format!("{insert}{entry}"))
            .execute(&mut conn)
            .unwrap();
        let stored = seqs(&mut conn, "audit_events");
        assert_eq!(stored.len(), 3, "{backend:?}");
        assert_eq!(seqs(&mut conn, "audit_pending"), stored, "{backend:?}");

        // Reverted down to before the storage migration, and up again.
        let mut reverted = 0;
        loop {
            let version = match &mut conn {
                DbConnection::Sqlite(c) => c.revert_last_migration(db::SQLITE_MIGRATIONS),
                DbConnection::Pg(c) => c.revert_last_migration(db::POSTGRES_MIGRATIONS),
            }
            .unwrap()
            .to_string();
            reverted += 1;
            // `2026-11-30-000004_audit_storage`, whichever way the version
            // is written.
            if version.replace('-', "") == "20261130000004" {
                break;
            }
        }
        assert_eq!(
            seqs(&mut conn, "audit_pending"),
            stored,
            "{backend:?}: reverted"
        );
        assert_eq!(db::migrate(&database.url).unwrap(), reverted, "{backend:?}");
        assert_eq!(
            seqs(&mut conn, "audit_pending"),
            stored,
            "{backend:?}: reapplied"
        );
    });
}
