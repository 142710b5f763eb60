-- ingång initial schema (PostgreSQL). Keep it table for table, column for
-- column and index for index the same as migrations/sqlite (a test checks).
-- Times are microseconds since the Unix epoch (UTC); ids are UUID text.
-- Personal data lives only in *_ct columns, sealed with the subject's data
-- key (AES-256-GCM, see crates/store/src/crypto.rs).

CREATE TABLE agencies (
    code        TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

-- Named officers and system accounts. The name is personal data: sealed.
CREATE TABLE officers (
    id              TEXT PRIMARY KEY NOT NULL,
    agency          TEXT NOT NULL REFERENCES agencies (code),
    name_ct         BYTEA NOT NULL,
    roles           TEXT NOT NULL,
    active          BOOLEAN NOT NULL,
    created_at      BIGINT NOT NULL,
    deactivated_at  BIGINT
);
CREATE INDEX officers_agency ON officers (agency);

-- One data key per subject (client or officer), wrapped by a master key.
-- Deleting the row shreds every ciphertext of that subject.
CREATE TABLE data_keys (
    subject_id  TEXT PRIMARY KEY NOT NULL,
    kek_id      TEXT NOT NULL,
    wrapped     BYTEA NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE clients (
    id              TEXT PRIMARY KEY NOT NULL,
    pn_index        BYTEA NOT NULL UNIQUE,
    pn_ct           BYTEA NOT NULL,
    name_ct         BYTEA NOT NULL,
    registered_by   TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    erased_at       BIGINT
);

CREATE TABLE consents (
    id                    TEXT PRIMARY KEY NOT NULL,
    client_id             TEXT NOT NULL REFERENCES clients (id),
    recipient_officers    TEXT NOT NULL,
    recipient_agencies    TEXT NOT NULL,
    from_agencies         TEXT NOT NULL,
    kinds                 TEXT NOT NULL,
    purpose_ct            BYTEA NOT NULL,
    signed_at             BIGINT NOT NULL,
    valid_from            BIGINT NOT NULL,
    valid_until           BIGINT NOT NULL,
    evidence_method       TEXT NOT NULL,
    evidence_sha256       TEXT NOT NULL,
    recorded_by           TEXT NOT NULL,
    created_at            BIGINT NOT NULL
);
CREATE INDEX consents_client ON consents (client_id);

-- Consents are never edited; a withdrawal is a fact of its own, final, and
-- at most one per consent (the primary key).
CREATE TABLE consent_withdrawals (
    consent_id    TEXT PRIMARY KEY NOT NULL REFERENCES consents (id),
    withdrawn_at  BIGINT NOT NULL,
    withdrawn_by  TEXT NOT NULL,
    reason_ct     BYTEA NOT NULL
);

CREATE TABLE assignments (
    id          TEXT PRIMARY KEY NOT NULL,
    client_id   TEXT NOT NULL REFERENCES clients (id),
    officer_id  TEXT NOT NULL REFERENCES officers (id),
    created_by  TEXT NOT NULL,
    starts_at   BIGINT NOT NULL,
    ended_at    BIGINT,
    ended_by    TEXT
);
CREATE INDEX assignments_client ON assignments (client_id);
CREATE INDEX assignments_officer ON assignments (officer_id);

-- Record metadata; the bodies of every version live in record_versions.
CREATE TABLE records (
    id             TEXT PRIMARY KEY NOT NULL,
    client_id      TEXT NOT NULL REFERENCES clients (id),
    kind           TEXT NOT NULL,
    source_agency  TEXT NOT NULL,
    author_id      TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    version        INTEGER NOT NULL
);
CREATE INDEX records_client_created ON records (client_id, created_at, id);

CREATE TABLE record_versions (
    record_id   TEXT NOT NULL REFERENCES records (id),
    version     INTEGER NOT NULL,
    author_id   TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    body_ct     BYTEA NOT NULL,
    PRIMARY KEY (record_id, version)
);

-- Append-only. Ids only, never personal data. `seq` comes from an identity
-- column; appenders hold an advisory lock while they insert (see
-- crates/store/src/audit.rs), so `seq` order is commit order even with
-- several API processes.
CREATE TABLE audit_events (
    seq           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at            BIGINT NOT NULL,
    actor_id      TEXT NOT NULL,
    actor_agency  TEXT NOT NULL,
    on_behalf_of  TEXT,
    roles         TEXT NOT NULL,
    action        TEXT NOT NULL,
    client_id     TEXT,
    record_id     TEXT,
    decision      TEXT NOT NULL,
    reason        TEXT,
    consent_id    TEXT,
    request_id    TEXT NOT NULL,
    source_addr   TEXT
);
CREATE INDEX audit_events_client ON audit_events (client_id, seq);
CREATE INDEX audit_events_actor ON audit_events (actor_id, seq);

CREATE FUNCTION audit_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
