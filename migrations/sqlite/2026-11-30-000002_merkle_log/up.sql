-- The Merkle log (docs/audit-log.md). Entries are still appended by the
-- request path alone; a queue row (audit_pending) in the same transaction
-- tells the sequencer, which gives each entry a dense leaf index
-- (audit_leaves), keeps every complete subtree's hash (audit_tree_nodes),
-- the tree's size and root (audit_tree) and signed checkpoints
-- (audit_checkpoints) with their witnesses' cosignatures. One sequencer at
-- a time holds the lease row (audit_sequencer). Auditors' exports, proofs
-- and verifications are audited: the vocabulary widened to them.

DROP TRIGGER check_audit_events_vocabulary_on_insert;
DROP TRIGGER check_audit_events_vocabulary_on_update;

CREATE TRIGGER check_audit_events_vocabulary_on_insert BEFORE INSERT ON audit_events
WHEN NOT (
    NEW.action IN (
        'client.read', 'record.list', 'plan.read', 'record.read', 'record.create',
        'record.update', 'client.search', 'consent.manage', 'assignment.manage',
        'assignment.read', 'client.protect', 'client.erase', 'client.list',
        'client.access_log', 'client.register', 'agency.manage', 'officer.manage', 'audit.query',
        'session.start', 'session.end', 'audit.export', 'audit.proof', 'audit.verify'
    )
    AND (NEW.reason IS NULL OR NEW.reason IN (
        'not-found', 'no-assignment', 'client-erased', 'role-not-permitted',
        'officer-inactive', 'no-active-consent', 'consent-withdrawn', 'consent-expired',
        'outside-consent-scope', 'not-authoring-agency'
    ))
)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: audit_events_vocabulary'); END;

CREATE TRIGGER check_audit_events_vocabulary_on_update BEFORE UPDATE ON audit_events
WHEN NOT (
    NEW.action IN (
        'client.read', 'record.list', 'plan.read', 'record.read', 'record.create',
        'record.update', 'client.search', 'consent.manage', 'assignment.manage',
        'assignment.read', 'client.protect', 'client.erase', 'client.list',
        'client.access_log', 'client.register', 'agency.manage', 'officer.manage', 'audit.query',
        'session.start', 'session.end', 'audit.export', 'audit.proof', 'audit.verify'
    )
    AND (NEW.reason IS NULL OR NEW.reason IN (
        'not-found', 'no-assignment', 'client-erased', 'role-not-permitted',
        'officer-inactive', 'no-active-consent', 'consent-withdrawn', 'consent-expired',
        'outside-consent-scope', 'not-authoring-agency'
    ))
)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: audit_events_vocabulary'); END;

CREATE TABLE audit_pending (
    seq BIGINT PRIMARY KEY NOT NULL REFERENCES audit_events (seq)
);
INSERT INTO audit_pending (seq) SELECT seq FROM audit_events;

CREATE TABLE audit_leaves (
    leaf_index   BIGINT PRIMARY KEY NOT NULL,
    seq          BIGINT NOT NULL UNIQUE REFERENCES audit_events (seq),
    hash         BLOB NOT NULL,
    sequenced_at BIGINT NOT NULL
);

-- Level 1 and up; a leaf's own hash (level 0) is in audit_leaves.
CREATE TABLE audit_tree_nodes (
    level SMALLINT NOT NULL,
    idx   BIGINT NOT NULL,
    hash  BLOB NOT NULL,
    PRIMARY KEY (level, idx)
);

CREATE TABLE audit_tree (
    id   SMALLINT PRIMARY KEY NOT NULL,
    size BIGINT NOT NULL,
    root BLOB NOT NULL
);
INSERT INTO audit_tree (id, size, root) VALUES (1, 0, X'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');

CREATE TABLE audit_sequencer (
    id         SMALLINT PRIMARY KEY NOT NULL,
    holder     TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
INSERT INTO audit_sequencer (id, holder, expires_at) VALUES (1, '', 0);

CREATE TABLE audit_checkpoints (
    tree_size BIGINT PRIMARY KEY NOT NULL,
    root      BLOB NOT NULL,
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

-- The shape of the tree's rows (named rules as trigger pairs, as on SQLite
-- since 2026-11-23-000002_invariants).
CREATE TRIGGER check_audit_leaves_shape_on_insert BEFORE INSERT ON audit_leaves
WHEN NOT (NEW.leaf_index >= 0 AND length(NEW.hash) = 32)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: audit_leaves_shape'); END;
CREATE TRIGGER check_audit_leaves_shape_on_update BEFORE UPDATE ON audit_leaves
WHEN NOT (NEW.leaf_index >= 0 AND length(NEW.hash) = 32)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: audit_leaves_shape'); END;
CREATE TRIGGER check_audit_tree_nodes_shape_on_insert BEFORE INSERT ON audit_tree_nodes
WHEN NOT (NEW.level BETWEEN 1 AND 63 AND NEW.idx >= 0 AND length(NEW.hash) = 32)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: audit_tree_nodes_shape'); END;
CREATE TRIGGER check_audit_tree_nodes_shape_on_update BEFORE UPDATE ON audit_tree_nodes
WHEN NOT (NEW.level BETWEEN 1 AND 63 AND NEW.idx >= 0 AND length(NEW.hash) = 32)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: audit_tree_nodes_shape'); END;
CREATE TRIGGER check_audit_tree_single_on_insert BEFORE INSERT ON audit_tree
WHEN NOT (NEW.id = 1 AND NEW.size >= 0 AND length(NEW.root) = 32)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: audit_tree_single'); END;
CREATE TRIGGER check_audit_tree_single_on_update BEFORE UPDATE ON audit_tree
WHEN NOT (NEW.id = 1 AND NEW.size >= 0 AND length(NEW.root) = 32)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: audit_tree_single'); END;
CREATE TRIGGER check_audit_sequencer_single_on_insert BEFORE INSERT ON audit_sequencer
WHEN NOT (NEW.id = 1)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: audit_sequencer_single'); END;
CREATE TRIGGER check_audit_sequencer_single_on_update BEFORE UPDATE ON audit_sequencer
WHEN NOT (NEW.id = 1)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: audit_sequencer_single'); END;
CREATE TRIGGER check_audit_checkpoints_shape_on_insert BEFORE INSERT ON audit_checkpoints
WHEN NOT (NEW.tree_size >= 0 AND length(NEW.root) = 32)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: audit_checkpoints_shape'); END;
CREATE TRIGGER check_audit_checkpoints_shape_on_update BEFORE UPDATE ON audit_checkpoints
WHEN NOT (NEW.tree_size >= 0 AND length(NEW.root) = 32)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: audit_checkpoints_shape'); END;

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
CREATE TRIGGER audit_leaves_no_update BEFORE UPDATE ON audit_leaves
BEGIN SELECT RAISE(ABORT, 'audit_leaves is append-only'); END;
CREATE TRIGGER audit_leaves_no_delete BEFORE DELETE ON audit_leaves
BEGIN SELECT RAISE(ABORT, 'audit_leaves is append-only'); END;
CREATE TRIGGER audit_tree_nodes_no_update BEFORE UPDATE ON audit_tree_nodes
BEGIN SELECT RAISE(ABORT, 'audit_tree_nodes is append-only'); END;
CREATE TRIGGER audit_tree_nodes_no_delete BEFORE DELETE ON audit_tree_nodes
BEGIN SELECT RAISE(ABORT, 'audit_tree_nodes is append-only'); END;
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
CREATE TRIGGER audit_cosignatures_no_update BEFORE UPDATE ON audit_cosignatures
BEGIN SELECT RAISE(ABORT, 'audit_cosignatures is append-only'); END;
CREATE TRIGGER audit_cosignatures_no_delete BEFORE DELETE ON audit_cosignatures
BEGIN SELECT RAISE(ABORT, 'audit_cosignatures is append-only'); END;
