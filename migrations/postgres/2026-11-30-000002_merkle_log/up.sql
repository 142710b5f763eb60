-- The Merkle log (docs/audit-log.md). Entries are still appended by the
-- request path alone; a queue row (audit_pending) in the same transaction
-- tells the sequencer, which gives each entry a dense leaf index
-- (audit_leaves), keeps every complete subtree's hash (audit_tree_nodes),
-- the tree's size and root (audit_tree) and signed checkpoints
-- (audit_checkpoints) with their witnesses' cosignatures. One sequencer at
-- a time holds the lease row (audit_sequencer). Auditors' exports, proofs
-- and verifications are audited: the vocabulary widened to them.

ALTER TABLE audit_events DROP CONSTRAINT audit_events_vocabulary;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_vocabulary CHECK (
    action IN (
        'client.read', 'record.list', 'plan.read', 'record.read', 'record.create',
        'record.update', 'client.search', 'consent.manage', 'assignment.manage',
        'assignment.read', 'client.protect', 'client.erase', 'client.list',
        'client.access_log', 'client.register', 'agency.manage', 'officer.manage', 'audit.query',
        'session.start', 'session.end', 'audit.export', 'audit.proof', 'audit.verify'
    )
    AND (reason IS NULL OR reason IN (
        'not-found', 'no-assignment', 'client-erased', 'role-not-permitted',
        'officer-inactive', 'no-active-consent', 'consent-withdrawn', 'consent-expired',
        'outside-consent-scope', 'not-authoring-agency'
    ))
);

CREATE TABLE audit_pending (
    seq BIGINT PRIMARY KEY NOT NULL REFERENCES audit_events (seq)
);
INSERT INTO audit_pending (seq) SELECT seq FROM audit_events;

CREATE TABLE audit_leaves (
    leaf_index   BIGINT PRIMARY KEY NOT NULL,
    seq          BIGINT NOT NULL UNIQUE REFERENCES audit_events (seq),
    hash         BYTEA NOT NULL,
    sequenced_at BIGINT NOT NULL
);

-- Level 1 and up; a leaf's own hash (level 0) is in audit_leaves.
CREATE TABLE audit_tree_nodes (
    level SMALLINT NOT NULL,
    idx   BIGINT NOT NULL,
    hash  BYTEA NOT NULL,
    PRIMARY KEY (level, idx)
);

CREATE TABLE audit_tree (
    id   SMALLINT PRIMARY KEY NOT NULL,
    size BIGINT NOT NULL,
    root BYTEA NOT NULL
);
INSERT INTO audit_tree (id, size, root) VALUES (1, 0, decode('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'hex'));

CREATE TABLE audit_sequencer (
    id         SMALLINT PRIMARY KEY NOT NULL,
    holder     TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
INSERT INTO audit_sequencer (id, holder, expires_at) VALUES (1, '', 0);

CREATE TABLE audit_checkpoints (
    tree_size BIGINT PRIMARY KEY NOT NULL,
    root      BYTEA NOT NULL,
    note      TEXT NOT NULL,
    signed_at BIGINT NOT NULL
);
CREATE INDEX audit_checkpoints_signed ON audit_checkpoints (signed_at);

CREATE TABLE audit_cosignatures (
    tree_size   BIGINT NOT NULL REFERENCES audit_checkpoints (tree_size),
    witness     TEXT NOT NULL,
    signature   TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (tree_size, witness)
);

-- The shape of the tree's rows.
ALTER TABLE audit_leaves ADD CONSTRAINT audit_leaves_shape CHECK (leaf_index >= 0 AND length(hash) = 32);
ALTER TABLE audit_tree_nodes ADD CONSTRAINT audit_tree_nodes_shape CHECK (level BETWEEN 1 AND 63 AND idx >= 0 AND length(hash) = 32);
ALTER TABLE audit_tree ADD CONSTRAINT audit_tree_single CHECK (id = 1 AND size >= 0 AND length(root) = 32);
ALTER TABLE audit_sequencer ADD CONSTRAINT audit_sequencer_single CHECK (id = 1);
ALTER TABLE audit_checkpoints ADD CONSTRAINT audit_checkpoints_shape CHECK (tree_size >= 0 AND length(root) = 32);

-- A witness's last refusal of a checkpoint (`ingang audit verify
-- --witnesses K` names it when too few cosigned).
CREATE TABLE audit_witness_refusals (
    witness    TEXT NOT NULL,
    tree_size  BIGINT NOT NULL,
    status     INTEGER NOT NULL,
    detail     TEXT NOT NULL,
    refused_at BIGINT NOT NULL,
    PRIMARY KEY (witness, tree_size)
);

-- What is sequenced, hashed and signed is never changed.
CREATE FUNCTION audit_tree_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER audit_leaves_no_update BEFORE UPDATE ON audit_leaves
FOR EACH ROW EXECUTE FUNCTION audit_tree_append_only();
CREATE TRIGGER audit_leaves_no_delete BEFORE DELETE ON audit_leaves
FOR EACH ROW EXECUTE FUNCTION audit_tree_append_only();
CREATE TRIGGER audit_tree_nodes_no_update BEFORE UPDATE ON audit_tree_nodes
FOR EACH ROW EXECUTE FUNCTION audit_tree_append_only();
CREATE TRIGGER audit_tree_nodes_no_delete BEFORE DELETE ON audit_tree_nodes
FOR EACH ROW EXECUTE FUNCTION audit_tree_append_only();
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
FOR EACH ROW EXECUTE FUNCTION audit_tree_append_only();
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
FOR EACH ROW EXECUTE FUNCTION audit_tree_append_only();
CREATE TRIGGER audit_cosignatures_no_update BEFORE UPDATE ON audit_cosignatures
FOR EACH ROW EXECUTE FUNCTION audit_tree_append_only();
CREATE TRIGGER audit_cosignatures_no_delete BEFORE DELETE ON audit_cosignatures
FOR EACH ROW EXECUTE FUNCTION audit_tree_append_only();
