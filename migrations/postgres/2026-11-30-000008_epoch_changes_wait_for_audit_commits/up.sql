-- A single record's read may be decided on what a process keeps in memory
-- under the epochs it knows, without reading them ("kept first"); the
-- audit writer then stores its entry only if those epochs still hold at
-- its commit. On PostgreSQL the writer's transaction takes this advisory
-- lock (key 7597123289582338050, `db::EPOCH_LOCK`) shared before it reads
-- the epochs and holds it until it commits; every statement that writes
-- an epoch's row — the triggers of every change to the facts, and anything
-- else — takes it exclusively first, before the row itself: no change to
-- an epoch can commit between the writer's read and its commit. The writer
-- does not wait for it (`pg_try_advisory_xact_lock_shared`): while a change
-- holds it, reads decided kept first are decided again on the database,
-- and everything else is stored as before. SQLite needs no such migration:
-- the writer's `BEGIN IMMEDIATE` keeps every other commit out.
CREATE FUNCTION epoch_changes_wait_for_audit_commits() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(7597123289582338050);
    RETURN NULL;
END $$;

CREATE TRIGGER policy_epoch_takes_the_epoch_lock
BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON policy_epoch
FOR EACH STATEMENT EXECUTE FUNCTION epoch_changes_wait_for_audit_commits();

CREATE TRIGGER records_epoch_takes_the_epoch_lock
BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON records_epoch
FOR EACH STATEMENT EXECUTE FUNCTION epoch_changes_wait_for_audit_commits();
