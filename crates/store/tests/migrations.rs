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

fn sqlite_shape(conn: &mut DbConnection) -> Shape {
    let mut shape = Shape::default();
    let tables = names(
        conn,
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name <> '__diesel_schema_migrations'",
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
    shape.triggers = names(
        conn,
        "SELECT name FROM sqlite_master WHERE type = 'trigger'",
    )
    .into_iter()
    .collect();
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
    // has no SQLite counterpart (SQLite has no TRUNCATE).
    shape.triggers = names(
        conn,
        "SELECT DISTINCT tgname::text AS name FROM pg_trigger \
         WHERE NOT tgisinternal AND tgname <> 'audit_events_no_truncate'",
    )
    .into_iter()
    .collect();
    shape
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
    assert_eq!(sqlite_shape.indexes.len(), 8, "{sqlite_shape:#?}");
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
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(database) = TestDatabase::create(backend) else {
            continue;
        };
        db::migrate(&database.url).unwrap();
        let mut conn = database.connect();
        diesel::sql_query(
            "INSERT INTO audit_events (at, actor_id, actor_agency, roles, action, decision, request_id) \
             VALUES (1, 'a', 'alm', 'admin', 'x', 'allow', 'r')",
        )
        .execute(&mut conn)
        .unwrap();
        for sql in [
            "UPDATE audit_events SET decision = 'deny'",
            "DELETE FROM audit_events",
        ] {
            let error = diesel::sql_query(sql).execute(&mut conn).unwrap_err();
            assert!(
                error.to_string().contains("append-only"),
                "{backend:?}: {error}"
            );
        }
    }
}
