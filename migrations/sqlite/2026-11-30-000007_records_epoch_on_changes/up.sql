-- The records epoch moves with every change to a record that exists, and
-- no longer with a new record: a process keeps the metadata of records it
-- has read, and a new record changes none of them. A new note then no
-- longer makes the single-record reads decided on what a process keeps
-- ("kept first") be decided again. An `INSERT OR REPLACE` over an existing
-- record does change one (SQLite replaces the row without firing the
-- delete trigger): it still moves the epoch, before the row is replaced.
DROP TRIGGER records_epoch_on_records_insert;

CREATE TRIGGER records_epoch_on_records_replace BEFORE INSERT ON records
WHEN EXISTS (SELECT 1 FROM records WHERE id = NEW.id)
BEGIN UPDATE records_epoch SET epoch = epoch + 1 WHERE id = 1; END;
