-- At most one open assignment per officer and client. Concurrent identical
-- requests used to be able to open several; the database now refuses the
-- second, whichever process sends it.
--
-- Duplicates already stored are ended now (the earliest open one is kept),
-- so access is unchanged and the index can be built.
UPDATE assignments
SET ended_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000000,
    ended_by = created_by
WHERE ended_at IS NULL
  AND EXISTS (
    SELECT 1 FROM assignments AS kept
    WHERE kept.client_id = assignments.client_id
      AND kept.officer_id = assignments.officer_id
      AND kept.ended_at IS NULL
      AND (kept.starts_at < assignments.starts_at
           OR (kept.starts_at = assignments.starts_at AND kept.id < assignments.id)));

CREATE UNIQUE INDEX assignments_one_open ON assignments (client_id, officer_id)
WHERE ended_at IS NULL;
