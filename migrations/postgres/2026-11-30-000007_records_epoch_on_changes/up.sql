-- The records epoch moves with every change to a record that exists, and
-- no longer with a new record: a process keeps the metadata of records it
-- has read, and a new record changes none of them. A new note then no
-- longer makes the reads decided on what a process keeps be decided again.
-- An insert whose id is already stored still moves it, as on SQLite
-- (`INSERT ... ON CONFLICT DO UPDATE` fires the UPDATE trigger as well).
DROP TRIGGER records_epoch_on_records_insert ON records;

CREATE FUNCTION records_epoch_advance_if_stored() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM records WHERE id = NEW.id) THEN
        UPDATE records_epoch SET epoch = epoch + 1 WHERE id = 1;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER records_epoch_on_records_replace BEFORE INSERT ON records
FOR EACH ROW EXECUTE FUNCTION records_epoch_advance_if_stored();
