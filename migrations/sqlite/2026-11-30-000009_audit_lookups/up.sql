-- An auditor's query by client or by officer no longer goes through
-- indexes on audit_events that every audit commit has to update: a random
-- page of each per entry, written to the WAL and fsynced with the commit
-- and written again by the checkpoint, was a third of an audited read's
-- CPU. The sequencer's lookup indexer fills audit_client_seqs and
-- audit_actor_seqs instead, in batches of about a second, from the entries
-- it has made leaves. On SQLite those two tables and their watermark live
-- in a file of their own beside this one (`<database>-lookups`, created
-- and attached by every connection; see `crates/store/src/lookups.rs`), so
-- their writes never hold this file's write lock. They are derived: lost
-- or stale, they are rebuilt from the leaves. Entries not yet indexed are
-- found through the queue and the newest leaves.
DROP INDEX audit_events_client;
DROP INDEX audit_events_actor;
