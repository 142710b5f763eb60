-- An auditor's query by client or by officer no longer goes through
-- indexes on audit_events that every audit commit has to update (an index
-- insert of each per entry, a fifth of the audit writer's backend time).
-- The sequencer's lookup indexer fills these two tables instead, in
-- batches of about a second, from the entries it has made leaves; its
-- transactions commit without waiting for the WAL flush, because the
-- tables are derived: lost or stale, they are rebuilt from the leaves.
-- Entries not yet indexed are found through the queue and the newest
-- leaves. (On SQLite the same tables live in a file of their own.)
CREATE TABLE audit_client_seqs (
    client_id TEXT NOT NULL,
    seq       BIGINT NOT NULL,
    PRIMARY KEY (client_id, seq)
);
CREATE TABLE audit_actor_seqs (
    actor_id TEXT NOT NULL,
    seq      BIGINT NOT NULL,
    PRIMARY KEY (actor_id, seq)
);
-- How many leaves, from the first, the two tables cover, and the hash of
-- the last of them: a lookup that does not match the log is rebuilt.
CREATE TABLE audit_lookups_state (
    id             SMALLINT PRIMARY KEY NOT NULL,
    indexed_leaves BIGINT NOT NULL,
    last_leaf_hash BYTEA,
    CONSTRAINT audit_lookups_state_shape CHECK (
        id = 1 AND indexed_leaves >= 0
        AND (indexed_leaves = 0) = (last_leaf_hash IS NULL)
        AND (last_leaf_hash IS NULL OR length(last_leaf_hash) = 32)
    )
);
INSERT INTO audit_lookups_state (id, indexed_leaves, last_leaf_hash) VALUES (1, 0, NULL);

DROP INDEX audit_events_client;
DROP INDEX audit_events_actor;
