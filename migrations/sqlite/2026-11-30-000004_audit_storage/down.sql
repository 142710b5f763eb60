-- Back to the keys of 2026-11-30-000002_merkle_log; the audit writer
-- queues its entries itself again.

DROP TRIGGER audit_events_enqueue;

CREATE TABLE audit_pending_rebuilt (
    seq BIGINT PRIMARY KEY NOT NULL REFERENCES audit_events (seq)
);
INSERT INTO audit_pending_rebuilt (seq) SELECT seq FROM audit_pending;
DROP TABLE audit_pending;
ALTER TABLE audit_pending_rebuilt RENAME TO audit_pending;

CREATE TABLE audit_leaves_rebuilt (
    leaf_index   BIGINT PRIMARY KEY NOT NULL,
    seq          BIGINT NOT NULL UNIQUE REFERENCES audit_events (seq),
    hash         BLOB NOT NULL,
    sequenced_at BIGINT NOT NULL
);
INSERT INTO audit_leaves_rebuilt (leaf_index, seq, hash, sequenced_at)
    SELECT leaf_index, seq, hash, sequenced_at FROM audit_leaves;
DROP TABLE audit_leaves;
ALTER TABLE audit_leaves_rebuilt RENAME TO audit_leaves;

CREATE TABLE audit_tree_nodes_rebuilt (
    level SMALLINT NOT NULL,
    idx   BIGINT NOT NULL,
    hash  BLOB NOT NULL,
    PRIMARY KEY (level, idx)
);
INSERT INTO audit_tree_nodes_rebuilt (level, idx, hash)
    SELECT level, idx, hash FROM audit_tree_nodes;
DROP TABLE audit_tree_nodes;
ALTER TABLE audit_tree_nodes_rebuilt RENAME TO audit_tree_nodes;

-- The rules the dropped tables carried, again.
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
CREATE TRIGGER audit_leaves_no_update BEFORE UPDATE ON audit_leaves
BEGIN SELECT RAISE(ABORT, 'audit_leaves is append-only'); END;
CREATE TRIGGER audit_leaves_no_delete BEFORE DELETE ON audit_leaves
BEGIN SELECT RAISE(ABORT, 'audit_leaves is append-only'); END;
CREATE TRIGGER audit_tree_nodes_no_update BEFORE UPDATE ON audit_tree_nodes
BEGIN SELECT RAISE(ABORT, 'audit_tree_nodes is append-only'); END;
CREATE TRIGGER audit_tree_nodes_no_delete BEFORE DELETE ON audit_tree_nodes
BEGIN SELECT RAISE(ABORT, 'audit_tree_nodes is append-only'); END;
