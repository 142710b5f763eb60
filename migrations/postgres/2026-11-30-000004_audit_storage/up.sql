-- Every entry is queued for the sequencer by the database itself, in the
-- statement that stores it: the audit writer sends a batch of entries in
-- one statement, and no entry can be stored without its queue row. One
-- queue insert per statement, from the rows the statement added.

CREATE FUNCTION audit_events_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_pending (seq) SELECT seq FROM added;
    RETURN NULL;
END
$$;
CREATE TRIGGER audit_events_enqueue AFTER INSERT ON audit_events
REFERENCING NEW TABLE AS added
FOR EACH STATEMENT EXECUTE FUNCTION audit_events_enqueue();
