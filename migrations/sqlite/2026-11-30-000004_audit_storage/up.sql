-- The sequencer's tables keyed the way SQLite stores rows cheapest. A
-- `BIGINT PRIMARY KEY` is a second B-tree beside the table's rowid; an
-- `INTEGER PRIMARY KEY` is the rowid itself, and a composite key of a
-- `WITHOUT ROWID` table is the table. Every audit entry is queued, becomes
-- a leaf and completes about one tree node, so this halves the B-tree
-- writes of the sequencer's tables. Same columns, types, rules and data.

CREATE TABLE audit_pending_rebuilt (
    seq INTEGER PRIMARY KEY NOT NULL REFERENCES audit_events (seq)
);
INSERT INTO audit_pending_rebuilt (seq) SELECT seq FROM audit_pending;
DROP TABLE audit_pending;
ALTER TABLE audit_pending_rebuilt RENAME TO audit_pending;

CREATE TABLE audit_leaves_rebuilt (
    leaf_index   INTEGER PRIMARY KEY NOT NULL,
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
) WITHOUT ROWID;
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

-- Every entry is queued for the sequencer by the database itself, in the
-- statement that stores it: the audit writer stores an entry with one
-- cached statement, and no entry can be stored without its queue row.
CREATE TRIGGER audit_events_enqueue AFTER INSERT ON audit_events
BEGIN INSERT INTO audit_pending (seq) VALUES (NEW.seq); END;
