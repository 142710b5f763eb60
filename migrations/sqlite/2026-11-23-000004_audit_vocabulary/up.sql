-- The audit log's closed vocabularies, kept by the database as the service
-- keeps them (crates/policy: `AuditAction` and `DenyReason`); the same rule
-- under the same name as migrations/postgres, as a trigger pair. A new
-- action or reason comes with a migration that widens this rule; the
-- store's tests insert every value of both vocabularies.

CREATE TRIGGER check_audit_events_vocabulary_on_insert BEFORE INSERT ON audit_events
WHEN NOT (
    NEW.action IN (
        'client.read', 'record.list', 'plan.read', 'record.read', 'record.create',
        'record.update', 'client.search', 'consent.manage', 'assignment.manage',
        'assignment.read', 'client.protect', 'client.erase', 'client.list',
        'client.access_log', 'client.register', 'agency.manage', 'officer.manage', 'audit.query'
    )
    AND (NEW.reason IS NULL OR NEW.reason IN (
        'not-found', 'no-assignment', 'client-erased', 'role-not-permitted',
        'officer-inactive', 'no-active-consent', 'consent-withdrawn', 'consent-expired',
        'outside-consent-scope', 'not-authoring-agency'
    ))
)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: audit_events_vocabulary'); END;

CREATE TRIGGER check_audit_events_vocabulary_on_update BEFORE UPDATE ON audit_events
WHEN NOT (
    NEW.action IN (
        'client.read', 'record.list', 'plan.read', 'record.read', 'record.create',
        'record.update', 'client.search', 'consent.manage', 'assignment.manage',
        'assignment.read', 'client.protect', 'client.erase', 'client.list',
        'client.access_log', 'client.register', 'agency.manage', 'officer.manage', 'audit.query'
    )
    AND (NEW.reason IS NULL OR NEW.reason IN (
        'not-found', 'no-assignment', 'client-erased', 'role-not-permitted',
        'officer-inactive', 'no-active-consent', 'consent-withdrawn', 'consent-expired',
        'outside-consent-scope', 'not-authoring-agency'
    ))
)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: audit_events_vocabulary'); END;

-- Entries stored before this migration are held to the rule, as
-- PostgreSQL's ADD CONSTRAINT holds them: one violation fails the migration
-- (the CHECK of this scratch table), and nothing changes.
CREATE TEMP TABLE vocabulary_check (ok INTEGER CHECK (ok));
INSERT INTO vocabulary_check SELECT (
    action IN (
        'client.read', 'record.list', 'plan.read', 'record.read', 'record.create',
        'record.update', 'client.search', 'consent.manage', 'assignment.manage',
        'assignment.read', 'client.protect', 'client.erase', 'client.list',
        'client.access_log', 'client.register', 'agency.manage', 'officer.manage', 'audit.query'
    )
    AND (reason IS NULL OR reason IN (
        'not-found', 'no-assignment', 'client-erased', 'role-not-permitted',
        'officer-inactive', 'no-active-consent', 'consent-withdrawn', 'consent-expired',
        'outside-consent-scope', 'not-authoring-agency'
    ))
) FROM audit_events;
DROP TABLE vocabulary_check;
