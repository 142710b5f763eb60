-- Invariants the service already keeps, now kept by the database too (the
-- same rules under the same names as the CHECK constraints of
-- migrations/postgres; a test compares the two sets). SQLite cannot add a
-- CHECK to an existing table, so each rule is a pair of triggers,
-- check_<rule>_on_insert and check_<rule>_on_update, that abort the
-- statement as a failed CHECK would. A NULL condition passes, as in CHECK.

CREATE TRIGGER check_agencies_code_format_on_insert BEFORE INSERT ON agencies
WHEN NOT (length(NEW.code) BETWEEN 2 AND 32 AND NEW.code GLOB '[a-z]*' AND NEW.code NOT GLOB '*[^a-z0-9-]*')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: agencies_code_format'); END;

CREATE TRIGGER check_agencies_code_format_on_update BEFORE UPDATE ON agencies
WHEN NOT (length(NEW.code) BETWEEN 2 AND 32 AND NEW.code GLOB '[a-z]*' AND NEW.code NOT GLOB '*[^a-z0-9-]*')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: agencies_code_format'); END;

CREATE TRIGGER check_records_kind_on_insert BEFORE INSERT ON records
WHEN NOT (NEW.kind IN ('action_plan', 'assessment', 'follow_up', 'meeting_note', 'closure', 'note'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: records_kind'); END;

CREATE TRIGGER check_records_kind_on_update BEFORE UPDATE ON records
WHEN NOT (NEW.kind IN ('action_plan', 'assessment', 'follow_up', 'meeting_note', 'closure', 'note'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: records_kind'); END;

CREATE TRIGGER check_records_version_on_insert BEFORE INSERT ON records
WHEN NOT (NEW.version >= 1 AND NEW.updated_at >= NEW.created_at)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: records_version'); END;

CREATE TRIGGER check_records_version_on_update BEFORE UPDATE ON records
WHEN NOT (NEW.version >= 1 AND NEW.updated_at >= NEW.created_at)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: records_version'); END;

CREATE TRIGGER check_record_versions_version_on_insert BEFORE INSERT ON record_versions
WHEN NOT (NEW.version >= 1)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: record_versions_version'); END;

CREATE TRIGGER check_record_versions_version_on_update BEFORE UPDATE ON record_versions
WHEN NOT (NEW.version >= 1)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: record_versions_version'); END;

CREATE TRIGGER check_consents_validity_on_insert BEFORE INSERT ON consents
WHEN NOT (NEW.valid_from < NEW.valid_until AND NEW.signed_at <= NEW.valid_until)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: consents_validity'); END;

CREATE TRIGGER check_consents_validity_on_update BEFORE UPDATE ON consents
WHEN NOT (NEW.valid_from < NEW.valid_until AND NEW.signed_at <= NEW.valid_until)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: consents_validity'); END;

CREATE TRIGGER check_consents_evidence_on_insert BEFORE INSERT ON consents
WHEN NOT (NEW.evidence_method IN ('paper', 'e-signature') AND length(NEW.evidence_sha256) = 64 AND NEW.evidence_sha256 NOT GLOB '*[^0-9a-f]*')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: consents_evidence'); END;

CREATE TRIGGER check_consents_evidence_on_update BEFORE UPDATE ON consents
WHEN NOT (NEW.evidence_method IN ('paper', 'e-signature') AND length(NEW.evidence_sha256) = 64 AND NEW.evidence_sha256 NOT GLOB '*[^0-9a-f]*')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: consents_evidence'); END;

CREATE TRIGGER check_assignments_ended_on_insert BEFORE INSERT ON assignments
WHEN NOT ((NEW.ended_at IS NULL) = (NEW.ended_by IS NULL) AND (NEW.ended_at IS NULL OR NEW.ended_at >= NEW.starts_at))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: assignments_ended'); END;

CREATE TRIGGER check_assignments_ended_on_update BEFORE UPDATE ON assignments
WHEN NOT ((NEW.ended_at IS NULL) = (NEW.ended_by IS NULL) AND (NEW.ended_at IS NULL OR NEW.ended_at >= NEW.starts_at))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: assignments_ended'); END;

CREATE TRIGGER check_audit_events_decision_on_insert BEFORE INSERT ON audit_events
WHEN NOT ((NEW.decision = 'allow' AND NEW.reason IS NULL) OR (NEW.decision = 'deny' AND NEW.reason IS NOT NULL))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: audit_events_decision'); END;

CREATE TRIGGER check_audit_events_decision_on_update BEFORE UPDATE ON audit_events
WHEN NOT ((NEW.decision = 'allow' AND NEW.reason IS NULL) OR (NEW.decision = 'deny' AND NEW.reason IS NOT NULL))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: audit_events_decision'); END;

-- Rows stored before this migration are held to the same rules, as
-- PostgreSQL's ADD CONSTRAINT holds them: one violation fails the migration
-- (the CHECK of this scratch table), and nothing changes.
CREATE TEMP TABLE invariant_check (rule TEXT NOT NULL, ok INTEGER CHECK (ok));

INSERT INTO invariant_check SELECT 'agencies_code_format', (length(code) BETWEEN 2 AND 32 AND code GLOB '[a-z]*' AND code NOT GLOB '*[^a-z0-9-]*') FROM agencies;
INSERT INTO invariant_check SELECT 'records_kind', (kind IN ('action_plan', 'assessment', 'follow_up', 'meeting_note', 'closure', 'note')) FROM records;
INSERT INTO invariant_check SELECT 'records_version', (version >= 1 AND updated_at >= created_at) FROM records;
INSERT INTO invariant_check SELECT 'record_versions_version', (version >= 1) FROM record_versions;
INSERT INTO invariant_check SELECT 'consents_validity', (valid_from < valid_until AND signed_at <= valid_until) FROM consents;
INSERT INTO invariant_check SELECT 'consents_evidence', (evidence_method IN ('paper', 'e-signature') AND length(evidence_sha256) = 64 AND evidence_sha256 NOT GLOB '*[^0-9a-f]*') FROM consents;
INSERT INTO invariant_check SELECT 'assignments_ended', ((ended_at IS NULL) = (ended_by IS NULL) AND (ended_at IS NULL OR ended_at >= starts_at)) FROM assignments;
INSERT INTO invariant_check SELECT 'audit_events_decision', ((decision = 'allow' AND reason IS NULL) OR (decision = 'deny' AND reason IS NOT NULL)) FROM audit_events;
DROP TABLE invariant_check;
